"""Every date and instant that is stored equals the one in the file, or its row is rejected with the
contract's reason (§2.2 rules 7 and 9, §2.4), on both warehouses, for every year from 0001 to 9999.

Hypothesis writes batch files of rows whose birth_date and recorded_at (any offset from -23:59 to +23:59,
in every spelling, with 0 to 9 digits of a second) are drawn over the whole calendar, into folders of
random dates and of the recordings' own WIB dates. One load per example (one suite run for many rows),
then every row is checked against an oracle computed here with integer arithmetic from the parts the
value was written from, never by the code under test: its reasons, the two date warnings, and the stored
birth_date and recorded_at (to the microsecond). A registry extract's birth dates round-trip the same way.
Then a resident's typo (``3008-08-12``) recorded first must not turn the correct re-recording into a
duplicate (end to end, through the DAG's task callables).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from ektp.ingest.batches import load_batch_files
from ektp.ingest.landing import BATCH, REGISTRY, LandedFile, fingerprint
from ektp.ingest.registry import load_registry_file
from ektp.ingest.validation import BATCH_COLUMNS, REGISTRY_REQUIRED, prepare_batch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import fetch

MICROS_A_DAY = 86_400 * 10**6
WIB_MICROS = 7 * 3_600 * 10**6
#: microseconds from 0001-01-01 00:00 UTC to the end of 9999-12-31
LAST_MICROS = date.max.toordinal() * MICROS_A_DAY
NIK = "3174011508050001"  # born 15-08-(19|20)05, a man: any other birth date is nik_dob_mismatch


@dataclass(frozen=True)
class Written:
    """A calendar date as written: ``valid`` when it is a real date of years 0001-9999."""

    text: str
    day: date | None

    @property
    def valid(self) -> bool:
        return self.day is not None


def _real(d: date) -> Written:
    return Written(d.isoformat(), d)


_WHOLE_CALENDAR = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
_NOT_A_DATE = st.one_of(
    st.builds(lambda m, d: Written(f"0000-{m:02d}-{d:02d}", None), st.integers(1, 12), st.integers(1, 28)),  # no year 0
    st.builds(lambda y: Written(f"{y:04d}-02-30", None), st.integers(0, 9999)),
    st.builds(lambda y, m: Written(f"{y:04d}-{m:02d}-01", None), st.integers(1, 9999), st.sampled_from([0, 13])),
)
_RECENT = st.dates(date(1990, 1, 1), date(2030, 12, 31))
DATES = st.one_of(_WHOLE_CALENDAR.map(_real), _RECENT.map(_real), _NOT_A_DATE)
#: the local dates recordings are written with: mostly real ones
STAMP_DATES = st.one_of(_WHOLE_CALENDAR.map(_real), _WHOLE_CALENDAR.map(_real), _RECENT.map(_real), _NOT_A_DATE)


@dataclass(frozen=True)
class Stamp:
    """A recorded_at as written, and the instant it names (microseconds since 0001-01-01 00:00 UTC, None if
    it names none)."""

    text: str
    micros: int | None

    @property
    def usable(self) -> bool:
        """Rule 9's first half: an ISO 8601 instant the pipeline can hold (decisions.md: from 0001-01-01 00:00
        UTC, and a WIB date up to 9999-12-31)."""
        return self.micros is not None and self.micros >= 0 and self.micros + WIB_MICROS < LAST_MICROS

    @property
    def wib_date(self) -> date:
        return date.fromordinal((self.micros + WIB_MICROS) // MICROS_A_DAY + 1)


def _offset_text(minutes: int, form: str) -> str:
    if minutes == 0 and form == "Z":
        return "Z"
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    if form == "hh" and mins == 0:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}{'' if form == 'hhmm' else ':'}{mins:02d}"


@st.composite
def stamps(draw) -> Stamp:
    local = draw(STAMP_DATES)
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59))
    digits = draw(st.text("0123456789", max_size=9))
    offset = draw(st.one_of(st.integers(-23 * 60 - 59, 23 * 60 + 59), st.sampled_from([0, 420, -1439, 1439])))
    form = draw(st.sampled_from(["Z", "hh", "hhmm", "hh:mm"]))
    fraction = f"{draw(st.sampled_from('.,'))}{digits}" if digits else ""
    text = (f"{local.text}{draw(st.sampled_from('T '))}{hour:02d}:{minute:02d}:{second:02d}{fraction}"
            f"{_offset_text(offset, form)}")
    if not local.valid:
        return Stamp(text, None)
    micros = int((digits + "000000")[:6]) if digits else 0  # kept to the microsecond, later digits dropped
    local_micros = (local.day.toordinal() - 1) * MICROS_A_DAY + ((hour * 60 + minute) * 60 + second) * 10**6 + micros
    return Stamp(text, local_micros - offset * 60 * 10**6)


@st.composite
def batch_rows(draw) -> tuple[str, Stamp, Written]:
    """(folder date, recorded_at, birth_date); the folder is usually the recording's own WIB date, and the
    birth date usually before it, so that most rows are stored."""
    stamp = draw(stamps())
    birth = draw(DATES)
    folder = draw(_WHOLE_CALENDAR)
    if stamp.usable and draw(st.integers(0, 9)):
        birth = _real(date.fromordinal(draw(st.integers(1, stamp.wib_date.toordinal()))))
    if stamp.usable and draw(st.integers(0, 9)):
        ordinal = stamp.wib_date.toordinal() + draw(st.sampled_from([0] * 8 + [-1, 1]))
        folder = date.fromordinal(min(max(ordinal, 1), date.max.toordinal()))
    return folder.isoformat(), stamp, birth


def _expected(folder: str, stamp: Stamp, birth: Written) -> tuple[list[str], set[str]]:
    """(reasons in contract order, date warnings) by contract §2.2 and decisions.md."""
    on = stamp.wib_date if stamp.usable else date.fromisoformat(folder)
    reasons = []
    if not birth.valid or birth.day > on:
        reasons.append("bad_birth_date")
    if not stamp.usable or stamp.wib_date.isoformat() != folder:
        reasons.append("bad_recorded_at")
    warnings = set()
    if birth.valid:
        if (birth.day.day, birth.day.month, birth.day.year % 100) != (15, 8, 5):
            warnings.add("nik_dob_mismatch")
        age = on.year - birth.day.year - ((on.month, on.day) < (birth.day.month, birth.day.day))
        if age < 17:
            warnings.add("under_17")
    return reasons, warnings


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite keeps the ISO text


def _as_micros(value) -> int:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return (instant - datetime(1, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


@pytest.fixture(autouse=True)
def _no_data_docs(monkeypatch):
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")


EXTREMES = [
    ("2026-11-02", Stamp("2026-11-02T09:15:00+07:00", None), _real(date(9999, 12, 31))),
    ("2026-11-02", Stamp("2026-11-02T09:15:00+07:00", None), _real(date(1, 1, 1))),
    ("0001-01-01", Stamp("0001-01-01T07:00:00+07:00", None), _real(date(1, 1, 1))),
    ("0001-01-01", Stamp("0001-01-01T06:59:59.999999+07:00", None), _real(date(1, 1, 1))),
    ("9999-12-31", Stamp("9999-12-31T23:59:59.999999999+07:00", None), _real(date(2300, 1, 1))),
    ("9999-12-31", Stamp("9999-12-31T23:59:59-23:59", None), _real(date(9999, 12, 31))),
    ("2026-11-03", Stamp("2026-11-02T00:00:00-23:59", None), _real(date(2009, 11, 3))),
    ("2026-11-01", Stamp("2026-11-02T00:00:00+23:59", None), _real(date(2300, 1, 1))),
    ("2026-11-02", Stamp("2026-11-02T09:15:00.123456789+07:00", None), _real(date(2005, 8, 15))),
]


def _parsed(stamp: Stamp) -> Stamp:
    """An EXTREMES stamp with its instant, worked out from its text by hand-checked arithmetic."""
    text = stamp.text
    day = date.fromisoformat(text[:10])
    clock, offset = text[11:], 0
    for sign in "+-":
        if sign in clock:
            clock, tail = clock.split(sign)
            hours, minutes = (int(tail[:2]), int(tail[-2:]) if len(tail) > 2 else 0)
            offset = (1 if sign == "+" else -1) * (hours * 60 + minutes)
    hms, _, fraction = clock.partition(".")
    h, m, s = (int(x) for x in hms.split(":"))
    micros = (day.toordinal() - 1) * MICROS_A_DAY + ((h * 60 + m) * 60 + s) * 10**6 + int((fraction + "000000")[:6])
    return Stamp(text, micros - offset * 60 * 10**6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(batch_rows(), min_size=10, max_size=80))
@example(rows=[(folder, _parsed(stamp), birth) for folder, stamp, birth in EXTREMES])
def test_stored_batch_dates_equal_the_file_or_the_row_is_rejected(engine, tmp_path_factory, rows):
    root = tmp_path_factory.mktemp("landing")
    by_folder: dict[str, list[int]] = {}
    for i, (folder, _, _) in enumerate(rows):
        by_folder.setdefault(folder, []).append(i)
    base = {"batch_id": "B1", "site_code": "S1", "site_name": "Site", "operator_id": "OP", "nik": NIK,
            "full_name": "Budi", "sex": "L", "kelurahan_code": ""}
    where: dict[tuple[str, int], int] = {}
    files = []
    for folder, indices in by_folder.items():
        rel = f"batches/{folder}/dates.csv"
        lines = [[(base | {"recorded_at": rows[i][1].text, "birth_date": rows[i][2].text})[c] for c in BATCH_COLUMNS]
                 for i in indices]
        _write(root / rel, list(BATCH_COLUMNS), lines)
        files.append(fingerprint(root, LandedFile(rel, BATCH, date.fromisoformat(folder))))
        where |= {(rel, n): i for n, i in enumerate(indices, start=1)}

    outcomes = load_batch_files(engine, root, files, "dates", chunk_rows=1000)
    assert [o.status for o in outcomes] == ["loaded"] * len(files)

    paths = sorted({p for p, _ in where})
    params = {f"p{k}": p for k, p in enumerate(paths)}
    within = "file_path IN (" + ", ".join(f":p{k}" for k in range(len(paths))) + ")"
    stored = {(p, n): (b, r, w) for p, n, b, r, w in fetch(
        engine, f"SELECT file_path, row_number, birth_date, recorded_at, warnings FROM ektp_ingest.recording "
                f"WHERE {within}", **params)}
    rejected = {(p, n): (reasons.split(","), w) for p, n, reasons, w in fetch(
        engine, f"SELECT file_path, row_number, reasons, warnings FROM ektp_quarantine.rejected_row "
                f"WHERE {within}", **params)}
    assert set(stored) | set(rejected) == set(where) and not set(stored) & set(rejected)
    for key, i in where.items():
        folder, stamp, birth = rows[i]
        reasons, warnings = _expected(folder, stamp, birth)
        label = f"folder {folder}, recorded_at {stamp.text!r}, birth_date {birth.text!r}"
        if reasons:
            assert key in rejected, label
            got_reasons, got_warnings = rejected[key]
            assert [r for r in got_reasons if r in ("bad_birth_date", "bad_recorded_at")] == reasons, label
            assert got_reasons[0] == reasons[0], label  # NIK, sex and the other fields are valid
        else:
            assert key in stored, label
            stored_birth, stored_at, got_warnings = stored[key]
            assert _as_date(stored_birth) == birth.day, label
            assert _as_micros(stored_at) == stamp.micros, label
        assert set((got_warnings or "").split(",")) - {""} == warnings, label


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(births=st.lists(DATES, min_size=1, max_size=60))
@example(births=[_real(date(9999, 12, 31)), _real(date(1, 1, 1)), _real(date(2300, 1, 1)),
                 _real(date(1677, 9, 21)), Written("0000-01-01", None)])
def test_stored_extract_birth_dates_equal_the_file_or_the_row_is_rejected(engine, tmp_path_factory, births):
    root = tmp_path_factory.mktemp("landing")
    rel = "registry/2026-11-01/unrecorded_residents.csv"
    rows = [[f"317401150805{n:04d}", "Budi", b.text, "L", "31.74.01.1001"] for n, b in enumerate(births, start=1)]
    _write(root / rel, list(REGISTRY_REQUIRED), rows)
    outcome = load_registry_file(engine, root, fingerprint(root, LandedFile(rel, REGISTRY, date(2026, 11, 1))),
                                 "dates", chunk_rows=1000)
    assert outcome.status == "loaded"
    stored = {n: _as_date(b) for n, b in fetch(
        engine, "SELECT row_number, birth_date FROM ektp_ingest.registry_resident WHERE extract_date = '2026-11-01'")}
    rejected = dict(fetch(engine, "SELECT row_number, reasons FROM ektp_quarantine.rejected_row WHERE file_path = :p",
                          p=rel))
    for n, birth in enumerate(births, start=1):
        if birth.valid:  # a registry birth date may be any real date (contract §2.4: "not a valid date")
            assert stored.get(n) == birth.day, birth.text
        else:
            assert rejected.get(n) == "bad_birth_date", birth.text


def test_a_row_is_judged_alone_whatever_the_other_rows_of_its_batch():
    """One recorded_at with nanoseconds made pandas parse the whole column in nanoseconds, where a 9999
    timestamp does not fit: a valid row was rejected because of another row."""
    base = {c: "x" for c in BATCH_COLUMNS} | {"nik": NIK, "sex": "L", "birth_date": "2005-08-15"}
    stamps_ = ["9999-12-31T10:00:00+07:00", "2026-11-02T09:15:00.123456789+07:00", "0001-01-01T10:00:00+07:00"]
    raw = pd.DataFrame([base | {"recorded_at": s} for s in stamps_], dtype="string")
    prepared = prepare_batch(raw, pd.Series(["9999-12-31", "2026-11-02", "0001-01-01"]))
    assert prepared["recorded_date"].tolist() == ["9999-12-31", "2026-11-02", "0001-01-01"]
    alone = prepare_batch(raw.iloc[[0]].reset_index(drop=True), pd.Series(["9999-12-31"]))
    assert alone["recorded_utc"].iloc[0] == prepared["recorded_utc"].iloc[0]


def test_a_year_typo_recorded_first_does_not_make_the_correct_recording_a_duplicate(warehouse_url, tmp_path,
                                                                                     monkeypatch):
    """The typo 3008-08-12 is after the recording date (bad_birth_date), so the resident's correct
    re-recording minutes later is the accepted row, matched, and counts as covered."""
    from tests.integration.pipeline_runner import run_date

    landing = tmp_path / "landing"
    resident = ["3174011208080001", "Budi Santoso", "2008-08-12", "L", "31.74.01.1001"]
    _write(landing / "registry/2026-11-01/unrecorded_residents.csv", list(REGISTRY_REQUIRED),
           [resident, ["3174011208080002", "Siti", "2008-08-12", "P", "31.74.01.1001"]])
    row = {"batch_id": "B1", "site_code": "SMA-8", "site_name": "SMA 8", "operator_id": "OP", "nik": resident[0],
           "full_name": resident[1], "sex": "L", "kelurahan_code": "31.74.01.1001"}
    path = "batches/2026-11-02/SMA-8_dev1.csv"
    _write(landing / path, list(BATCH_COLUMNS), [
        [(row | {"recorded_at": "2026-11-02T09:00:00+07:00", "birth_date": "3008-08-12"})[c] for c in BATCH_COLUMNS],
        [(row | {"recorded_at": "2026-11-02T09:04:00+07:00", "birth_date": "2008-08-12"})[c] for c in BATCH_COLUMNS],
    ])
    for name, value in {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse_url,
                        "EKTP_VAR_DIR": str(tmp_path / "var"), "EKTP_REPORTS": "off"}.items():
        monkeypatch.setenv(name, value)
    run_date("2026-11-02")

    assert fetch(warehouse_url, "SELECT row_number, first_reason FROM ektp_quarantine.rejected_row") == [
        (1, "bad_birth_date")]
    assert fetch(warehouse_url, "SELECT row_number, duplicate_status, reconciliation_status "
                 "FROM ektp_ingest.recording") == [(2, "accepted", "matched")]
    assert fetch(warehouse_url, "SELECT target_residents, recorded_on_date, recorded_to_date, remaining "
                 "FROM ektp_coverage.kelurahan_daily WHERE report_date = '2026-11-02'") == [(2, 1, 1, 1)]
    assert fetch(warehouse_url, "SELECT rows_received, rows_rejected, rows_duplicate, rows_accepted, matched "
                 "FROM ektp_coverage.site_daily WHERE report_date = '2026-11-02'") == [(2, 1, 0, 1, 1)]
