"""The HTML report on an embedded warehouse without a DAG run: empty dates, hostile text, rounding."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

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


class _Text(HTMLParser):
    """The text a reader sees: text nodes outside <script> and <style>, and tooltip-like attributes."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self.texts += [v for k, v in attrs if k in ("title", "alt", "aria-label", "placeholder") and v]

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def _chart_words(figures: dict) -> list[str]:
    """The words plotly.js draws: trace names, hover texts, axis titles and notes."""
    out = []
    for fig in figures.values():
        for trace in fig["data"]:
            out += [trace.get("name") or "", trace.get("hovertemplate") or ""]
        layout = fig["layout"]
        out += [(layout[k].get("title") or {}).get("text") or "" for k in layout if k.startswith(("xaxis", "yaxis"))]
        out += [a.get("text") or "" for a in layout.get("annotations", [])]
    return [t for t in out if t]


def _data_strings(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_data_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_data_strings(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) and value else set()


def test_no_english_outside_the_catalogue(tmp_path):
    """Rendered in the pseudo-language, every text from the catalogue is marked ⟦…⟧: what is left outside the
    marks may only be data (names, codes, numbers, dates in the locale's format) or WIB."""
    from ektp.core.texts import texts

    from tests import report_scenario

    engine = wh.make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    wh.migrate(engine)
    report_scenario.fill(engine)
    text = report.write_report(engine, report_scenario.LAST, tmp_path / "out", "qps").read_text(encoding="utf-8")
    engine.dispose()
    data = _island(text)
    figures = json.loads(re.search(r'id="chart-figures">(.*?)</script>', text, re.S).group(1))
    parser = _Text()
    parser.feed(text)
    assert len(parser.texts) > 500 and len(_chart_words(figures)) > 30

    qps = texts("qps")
    allowed = _data_strings(data) | {"WIB"}
    allowed |= {f"{r['kelurahan_name']} ({r['kelurahan_code'][-4:]})" for r in data["kelurahan"]}
    allowed |= {qps.date(s, style) for s in _data_strings(data) if re.fullmatch(r"\d{4}-\d\d-\d\d", s)
                for style in ("long", "short")}
    allowed_re = re.compile("|".join(re.escape(a) for a in sorted(allowed, key=len, reverse=True)))
    left = []
    for shown in parser.texts + _chart_words(figures):
        rest = re.sub(r"⟦[^⟧]*⟧", " ", html.unescape(shown))
        rest = re.sub(r"%\{[^}]*\}|</?(b|br|extra)>", " ", rest)
        rest = allowed_re.sub(" ", rest)
        if re.search(r"[A-Za-z]", rest):
            left.append((shown.strip()[:80], rest.strip()[:80]))
    assert left == []
    assert "⟦Cakupan per kecamatan⟧" in text  # the marks are there: the test reads what it means to read


def test_english_by_setting(sqlite_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("EKTP_LANGUAGE", "en")
    text = report.write_report(sqlite_engine, date(2026, 11, 2), tmp_path / "out").read_text(encoding="utf-8")
    assert '<html lang="en">' in text and "Coverage by kecamatan" in text and "Cakupan" not in text
