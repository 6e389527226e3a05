"""The HTML report on an embedded warehouse without a DAG run: empty dates, hostile text, rounding."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from ektp import warehouse as wh
from ektp.outputs import report
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.fixture
def sqlite_engine(tmp_path):
    eng = wh.make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    wh.migrate(eng)
    yield eng
    eng.dispose()


def _island(text: str) -> dict:
    return json.loads(re.search(r'id="report-data">(.*?)</script>', text, re.S).group(1))


def test_a_date_with_nothing_published_still_renders(sqlite_engine, tmp_path):
    path = report.write_report(sqlite_engine, date(2026, 11, 2), tmp_path / "out")
    text = path.read_text(encoding="utf-8")
    data = _island(text)
    assert data["kecamatan"] == [] and data["trend"] == [] and data["totals"]["coverage_pct"] is None
    assert "belum ada yang diterbitkan untuk tanggal ini" in text  # Bahasa Indonesia unless EKTP_LANGUAGE says
    assert text.count('<script id="plotly-js">') == 1


def test_device_text_is_escaped(sqlite_engine, tmp_path):
    hostile = '<!--<script><img src=x onerror="alert(1)"></script><script>alert(2)</script>\u2028&amp;'
    with wh.transaction(sqlite_engine) as conn:
        wh.bulk_insert(conn, "ektp_coverage.site_daily", [
            "report_date", "site_code", "site_name", "batch_files", "rows_received", "rows_rejected",
            "rows_duplicate", "rows_accepted", "matched", "identity_mismatch", "not_in_extract", "published_at"],
            [["2026-11-02", "X</script>", hostile, 1, 3, 1, 0, 2, 1, 1, 0, datetime.now(UTC).isoformat()]])
        wh.bulk_insert(conn, "ektp_coverage.rejections_daily", ["report_date", "reason", "rows", "published_at"],
                       [["2026-11-02", "nik_format", 1, datetime.now(UTC).isoformat()]])
    text = report.write_report(sqlite_engine, date(2026, 11, 2), tmp_path / "out").read_text(encoding="utf-8")
    assert hostile not in text and "X</script>" not in text
    assert "&lt;img src=x" in text and "<!--<script>" not in text
    data = _island(text)  # the data island survives the text intact
    assert data["sites"][0]["site_name"] == hostile and data["sites"][0]["site_code"] == "X</script>"
    assert data["totals"]["rows_received"] == 3 and data["rejections"] == [{"reason": "nik_format", "rows": 1}]


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                     | st.text() | st.sampled_from(["</script>", "<!--<script>", "]]>", "\u2028", "&lt;"]),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                     max_leaves=20)


@given(_JSON)
@settings(max_examples=300, deadline=None)
def test_the_data_island_holds_no_character_the_html_parser_reads(data):
    """Inside <script>, ``<!--``, ``<script`` and ``</script`` change where the element ends, whatever follows."""
    text = report.script_json(data)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == data


def test_the_report_file_is_readable_by_the_group_only(sqlite_engine, tmp_path, umask_0):
    path = report.write_report(sqlite_engine, date(2026, 11, 2), tmp_path / "out" / "reports")
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert [oct(p.stat().st_mode & 0o777) for p in (path.parent, path.parent.parent)] == [oct(0o750)] * 2
    assert [p.name for p in path.parent.iterdir()] == [path.name]
