"""The invariant of contract §5, on real runs: whatever the order of runs, published = one fresh run per date.

A generated landing area (two extracts, five recording dates, every injected error kind) is changed by
hand while dates run in scrambled order, twice over:

- the second extract lands in the middle of the period, after the dates it governs were published;
- a batch file lands late in the first date's folder, after that date was published; it records one
  person earlier than a later date's file does, and another earlier on the same day than the file that
  held their accepted row, so acceptance moves (contract §2.3);
- a batch file already counted in published dates is re-landed under the same path with corrected content;
- card events (contract §6): the landing area has the generator's card events (an earlier outreach wave, every
  card-event error, duplicate deliveries); a card-event file lands late in D2's folder, after later dates were
  published, with events of people only the late batch file records (unlinked until it lands), a tie and a bad
  row; and a card-event file already counted is re-landed with corrected content;
- on PostgreSQL one run is KILLED (SIGKILL of the `airflow dags test` process group) while its publish
  transaction waits on a lock the test holds, after that transaction already deleted the partitions it
  was replacing: the published tables must be exactly as before it, what it loaded stays loaded, and the
  next run publishes the dates its change affects.

At checkpoints, every published table (every column but published_at) must equal, row for row, what a
single fresh run of that date gives in a NEW warehouse over the same landing area (the landing area is
final from the first checkpoint on, so one set of fresh runs serves them all).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from pathlib import Path
from unittest import mock

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, airflow_env, fetch, run_dag_test
from tests.integration.pg import database_name, new_pg_database

pytestmark = pytest.mark.slow

D1, D2, D3, D4, D5 = "2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05", "2026-06-06"
EXTRACT_2 = "registry/2026-06-04/unrecorded_residents.csv"  # start_date + days // 2
LATE_FILE = f"batches/{D1}/RW99-LATE_TAB09.csv"
LATE_CARDS = f"cards/{D2}/print_office_late.csv"
CARD_HEADER = ["nik", "event", "event_at", "site_code"]
QUIET = {"EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}  # other issues' outputs, not published tables
#: every table of the published schema, as declared (contract §4 names four; later issues may add more)
PUBLISHED = re.findall(r"CREATE TABLE IF NOT EXISTS ektp_coverage\.(\w+)",
                       (ROOT / "sql" / "schema" / "create_tables.sql").read_text(encoding="utf-8"))


# --- the landing area ----------------------------------------------------------------------------------


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [r for r in rows[1:] if r]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


class Scenario:
    """The generated files, and the hand-made changes that land during the runs."""

    def __init__(self, root: Path):
        from tools.sample_data import generate

        self.generated = root / "generated"
        labels = root / "labels.csv"
        generate(self.generated, seed=11, start_date=date.fromisoformat(D1), days=5, residents=300,
                 recordings_per_day=40, files_per_day=3, second_extract=True, progress=False, labels_path=labels,
                 card_events=True)
        self.landing = root / "landing"
        shutil.copytree(self.generated, self.landing)
        (self.landing / EXTRACT_2).unlink()  # lands later
        with labels.open(encoding="utf-8", newline="") as fh:
            marked = list(csv.DictReader(fh))
        self.bad_files = {m["file"] for m in marked if not m["row"]}  # missing a column, repeated deliveries
        self.labelled = {(m["file"], int(m["row"])) for m in marked if m["row"]}
        recorded = set()
        for path in sorted((self.generated / "batches").glob("*/*.csv")):
            header, rows = _read(path)
            if "nik" in header:
                recorded |= {re.sub(r"\D", "", r[header.index("nik")]) for r in rows if len(r) == len(header)}
        _, residents = _read(self.generated / "registry" / "2026-06-01" / "unrecorded_residents.csv")
        self.never_recorded = [r for r in residents if r[0] not in recorded]  # nik, name, birth, sex, kelurahan

    def clean_rows(self, day: str) -> tuple[str, list[str], list[list[str]]]:
        """The first loadable batch file of a date, its header, and its rows without any injected label."""
        for path in sorted((self.generated / "batches" / day).glob("*.csv")):
            rel = path.relative_to(self.generated).as_posix()
            if rel in self.bad_files:
                continue
            header, rows = _read(path)
            return rel, header, [r for i, r in enumerate(rows, 1) if (rel, i) not in self.labelled]
        raise AssertionError(f"no loadable batch file on {day}")

    def _batch_row(self, header: list[str], resident: list[str], recorded_at: str, sex: str | None = None):
        nik, name, birth, res_sex, kelurahan = resident
        values = {"batch_id": "LATE-1", "site_code": "RW99-LATE", "site_name": "Balai RW 99", "operator_id": "OPR-9",
                  "recorded_at": recorded_at, "nik": nik, "full_name": name, "birth_date": birth,
                  "sex": sex or res_sex, "kelurahan_code": kelurahan}
        return [values[c] for c in header]

    def land_second_extract(self) -> None:
        shutil.copy2(self.generated / EXTRACT_2, self.landing / EXTRACT_2)

    def land_late_file(self) -> None:
        """A batch for D1 that arrives after D1 was published."""
        _, header, later = self.clean_rows(D3)
        _, same_header, same_day = self.clean_rows(D1)
        moved = dict(zip(header, later[0], strict=True))
        moved["recorded_at"] = f"{D1}T06:30:00+07:00"  # recorded on D1 after all: the D3 row is already_recorded
        earlier = dict(zip(same_header, same_day[0], strict=True))
        earlier["recorded_at"] = f"{D1}T06:00:00+07:00"  # earlier the same day: takes acceptance over from its file
        moved, earlier = [moved[c] for c in header], [earlier[c] for c in header]
        new = self.never_recorded
        _write(self.landing / LATE_FILE, header, [
            moved, earlier,
            self._batch_row(header, new[0], f"{D1}T07:00:00+07:00"),
            self._batch_row(header, new[1], f"{D1}T07:05:00+07:00"),
            self._batch_row(header, new[2], f"{D1}T07:10:00+07:00", sex="X"),  # bad_sex
        ])

    def land_late_cards(self) -> None:
        """Card events dated D2, landing after later dates were published: two of the people the late batch file
        will record on D1 (unlinked until it lands), a tie of prr and biometric_duplicate for a person recorded on
        D1, and a row with a bad NIK."""
        _, header, d1_rows = self.clean_rows(D1)
        recorded = re.sub(r"\D", "", d1_rows[1][header.index("nik")])
        _write(self.landing / LATE_CARDS, CARD_HEADER, [
            [self.never_recorded[0][0], "prr", f"{D2}T09:00:00+07:00", ""],
            [self.never_recorded[1][0], "printed", f"{D2}T10:00:00+07:00", ""],
            [recorded, "biometric_duplicate", f"{D2}T11:00:00+07:00", ""],
            [recorded, " PRR", f"{D2}T11:00:00+07:00", ""],
            ["31740100000", "prr", f"{D2}T11:00:00+07:00", ""],  # nik_format
        ])

    def reland_corrected_cards(self) -> str:
        """A D3 card-event file comes again under the same path: its last row gone, a print-ready record added for
        the person the re-landed D2 batch file adds."""
        path = min(p for p in (self.generated / "cards" / D3).glob("*.csv") if not p.stem.endswith("_resend"))
        rel = path.relative_to(self.generated).as_posix()
        header, rows = _read(path)
        _write(self.landing / rel, header, rows[:-1] + [[self.never_recorded[3][0], "prr", f"{D3}T09:00:00+07:00", ""]])
        return rel

    def reland_corrected_file(self) -> str:
        """A D2 batch file comes again under the same path: last row gone, a sex corrected, a row added."""
        rel, header, clean = self.clean_rows(D2)
        _, rows = _read(self.generated / rel)
        sex = header.index("sex")
        first_clean = rows.index(clean[0])
        rows[first_clean][sex] = "P" if rows[first_clean][sex].upper() == "L" else "L"
        rows = rows[:-1] + [self._batch_row(header, self.never_recorded[3], f"{D2}T15:00:00+07:00")]
        _write(self.landing / rel, header, rows)
        return rel


# --- warehouses, runs, published rows ----------------------------------------------------------------


@contextmanager
def new_warehouse(kind: str, folder: Path, template: str | None = None) -> Iterator[str]:
    """A new warehouse of the same kind: empty, or a copy of an empty migrated one (saves loading the
    90 000 region names again; the run migrates it anyway)."""
    if kind == "sqlite":
        path = folder / f"fresh_{uuid.uuid4().hex[:8]}.sqlite"
        if template:
            shutil.copy2(template.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    with new_pg_database(template and database_name(template), prefix="ektp_fresh") as url:
        yield url


@contextmanager
def empty_migrated(kind: str, folder: Path) -> Iterator[str]:
    from ektp import warehouse as wh

    with new_warehouse(kind, folder) as url:
        engine = wh.make_engine(url)
        wh.migrate(engine)
        engine.dispose()  # a PostgreSQL template must have no connections
        yield url


def fresh_run(landing: Path, url: str, day: str) -> None:
    """One run of a date with the DAG's own task callables (plan, every load item, publish), no Airflow."""
    from ektp.airflow import tasks

    with mock.patch.dict(os.environ, {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": url}):
        logical = datetime.fromisoformat(f"{day}T00:00:00+00:00")
        run_id = f"fresh__{day}"
        for item in tasks.plan_file_loads(logical):
            tasks.load_file_group(item, run_id)
        tasks.publish_coverage(logical, run_id)


def _columns(url: str, table: str) -> list[str]:
    from ektp import warehouse as wh

    engine = wh.make_engine(url)
    try:
        schema = None if url.startswith("sqlite") else "ektp_coverage"
        return [c["name"] for c in sa.inspect(engine).get_columns(table, schema=schema)]
    finally:
        engine.dispose()


def published(url: str, days: list[str] | None = None, with_time: bool = False) -> dict[str, list[tuple]]:
    """Every published table's rows (of some dates), every column but published_at unless asked for."""
    out = {}
    for table in PUBLISHED:
        cols = [c for c in _columns(url, table) if with_time or c != "published_at"]
        listed = ", ".join(cols)
        where = "" if days is None else "WHERE report_date IN (" + ", ".join(f"'{d}'" for d in days) + ")"
        out[table] = fetch(url, f"SELECT {listed} FROM ektp_coverage.{table} {where} ORDER BY {listed}")
    return out


def published_dates(url: str) -> list[str]:
    return [str(d) for (d,) in fetch(url, "SELECT report_date FROM ektp_ingest.published_report ORDER BY 1")]


def fresh_reference(kind: str, folder: Path, landing: Path, days: list[str], template: str) \
        -> dict[str, dict[str, list[tuple]]]:
    """What one fresh run of each date publishes for it, each in a new warehouse."""
    out = {}
    for day in days:
        with new_warehouse(kind, folder, template) as url:
            fresh_run(landing, url, day)
            assert published_dates(url) == [day]
            out[day] = published(url, [day])
    return out


def assert_invariant(url: str, reference: dict[str, dict[str, list[tuple]]], expected_dates: list[str]) -> None:
    assert published_dates(url) == expected_dates
    for day in expected_dates:
        got = published(url, [day])
        for table in PUBLISHED:
            assert got[table] == reference[day][table], f"{table} on {day} differs from a fresh run"
    # nothing is published for a date that is not
    whole = published(url)
    for table in PUBLISHED:
        assert len(whole[table]) == sum(len(reference[d][table]) for d in expected_dates), table


def _run(dag, day: str, landing: Path, url: str):
    run = run_dag_test(dag, day, landing, url)
    assert run.state == "success", day
    return run


# --- the killed run --------------------------------------------------------------------------------------


def kill_run_mid_publish(landing: Path, url: str, day: str, log_path: Path) -> int:
    """`airflow dags test` for ``day``, SIGKILLed while its publish transaction waits on our lock.

    Returns the PostgreSQL backend pid the killed run's publish used (gone when this returns).
    """
    watch = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    holding = sa.create_engine(url)
    holder = holding.connect()
    proc = None
    try:
        holder.exec_driver_sql("LOCK TABLE ektp_coverage.rejections_daily IN ACCESS EXCLUSIVE MODE")
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [str(ROOT / ".venv/bin/airflow"), "dags", "test", "ektp_coverage_daily", day],
                env=airflow_env(landing, url, **QUIET), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        blocked, deadline = None, time.monotonic() + 300
        with watch.connect() as conn:
            while blocked is None:
                assert proc.poll() is None, "the run ended before its publish blocked:\n" + log_path.read_text()[-4000:]
                assert time.monotonic() < deadline, "the publish never blocked:\n" + log_path.read_text()[-4000:]
                blocked = conn.execute(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM ektp_coverage.rejections_daily%'"
                )).scalar()
                time.sleep(0.2)
            # mid-way: the same transaction already deleted the partitions of the other published tables
            touched = {t for (t,) in conn.execute(sa.text(
                "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.pid = :pid AND l.mode = 'RowExclusiveLock'"), {"pid": blocked})}
            assert {"kelurahan_daily", "kecamatan_daily", "site_daily"} <= touched, touched
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
            holder.rollback()  # release the lock: the orphaned backend finds its client gone and rolls back
            deadline = time.monotonic() + 60
            while conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                               {"pid": blocked}).scalar():
                assert time.monotonic() < deadline, "the killed run's backend did not go away"
                time.sleep(0.2)
        return blocked
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
        holder.close()
        holding.dispose()
        watch.dispose()


# --- the scenario ----------------------------------------------------------------------------------------


def test_any_order_of_runs_publishes_what_fresh_runs_publish(coverage_dag, warehouse_url, tmp_path, monkeypatch):
    with ExitStack() as stack:
        _scenario(stack, coverage_dag, warehouse_url, tmp_path, monkeypatch)


def _scenario(stack: ExitStack, coverage_dag, warehouse_url: str, tmp_path: Path, monkeypatch) -> None:
    for key, value in QUIET.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("EKTP_VAR_DIR", str(tmp_path / "var"))
    kind = "sqlite" if warehouse_url.startswith("sqlite") else "postgresql"
    scenario = Scenario(tmp_path)
    landing, url = scenario.landing, warehouse_url

    # pass 1, scrambled; each change lands after the dates it affects were published
    _run(coverage_dag, D3, landing, url)
    _run(coverage_dag, D1, landing, url)
    _run(coverage_dag, D5, landing, url)
    scenario.land_second_extract()  # dated D3
    scenario.land_late_cards()  # dated D2: D3 and D5 are published
    _run(coverage_dag, D4, landing, url)  # must redo D3 as well
    scenario.land_late_file()  # dated D1: links the late card events
    relanded = scenario.reland_corrected_file()  # dated D2; its old content counts in D3-D5 so far
    relanded_cards = scenario.reland_corrected_cards()  # dated D3
    _run(coverage_dag, D5, landing, url)  # must redo D1, D3 and D4 as well

    template = stack.enter_context(empty_migrated(kind, tmp_path))
    reference = fresh_reference(kind, tmp_path, landing, [D1, D2, D3, D4, D5], template)  # the landing is final
    assert_invariant(url, reference, [D1, D3, D4, D5])
    for path in (relanded, relanded_cards):
        assert fetch(url, "SELECT sha256 FROM ektp_ingest.file_manifest WHERE file_path = :p", p=path) \
            == [(hashlib.sha256((landing / path).read_bytes()).hexdigest(),)]
    assert fetch(url, "SELECT count(*) FROM ektp_coverage.site_funnel_daily WHERE printed > 0") != [(0,)]
    _run(coverage_dag, D2, landing, url)
    assert_invariant(url, reference, [D1, D2, D3, D4, D5])
    d2_cards = dict(fetch(url, "SELECT outcome, rows FROM ektp_coverage.card_events_daily WHERE report_date = :d",
                          d=D2))
    assert d2_cards.get("nik_format", 0) >= 1 and d2_cards.get("linked", 0) >= 4, d2_cards  # the late card file

    if kind == "postgresql":
        # a run for D1 (its files are validated again: a change on D1) is killed while publishing D1-D5
        before = published(url, with_time=True)
        before_reports = fetch(url, "SELECT * FROM ektp_ingest.published_report ORDER BY report_date")
        loaded_by = {r for (r,) in fetch(url, "SELECT DISTINCT run_id FROM ektp_ingest.file_manifest "
                                         "WHERE file_date = :d AND status = 'loaded'", d=D1)}
        kill_run_mid_publish(landing, url, D1, tmp_path / "killed_run.log")
        assert published(url, with_time=True) == before
        assert fetch(url, "SELECT * FROM ektp_ingest.published_report ORDER BY report_date") == before_reports
        # what it loaded stays loaded, with a note of the changed date, for the next run to publish
        reloaded_by = {r for (r,) in fetch(url, "SELECT DISTINCT run_id FROM ektp_ingest.file_manifest "
                                           "WHERE file_date = :d AND status = 'loaded'", d=D1)}
        assert len(reloaded_by) == 1 and not reloaded_by & loaded_by
        assert [str(d) for (d,) in fetch(url, "SELECT DISTINCT change_date FROM ektp_ingest.pending_change")] \
            == [D1]

    # pass 2, scrambled again; the first run is for a date after the killed run's change
    recovery = _run(coverage_dag, D3, landing, url)
    assert_invariant(url, reference, [D1, D2, D3, D4, D5])
    if kind == "postgresql":  # D1 and D2 are republished only because the killed run's change was kept
        assert {r for (r,) in fetch(url, "SELECT DISTINCT run_id FROM ektp_ingest.published_report")} \
            == {recovery.run_id}
    for day in (D1, D4, D2):
        _run(coverage_dag, day, landing, url)
    assert_invariant(url, reference, [D1, D2, D3, D4, D5])
    assert fetch(url, "SELECT count(*) FROM ektp_ingest.pending_change") == [(0,)]
