"""Withdrawing a published report date (``python -m ektp.admin.retract``, the DAG ``ektp_retract_date``), on real runs.

The three sample dates are published with their reports and follow-up lists, then the last one is retracted:
every published table loses it, the ``latest_*`` views fall back to the day before, its files go, an audit row
is written; a later run does not bring it back, running it again publishes it exactly as before, a date that is
not published is refused, and a dry run changes nothing. The DAG form withdraws the middle date.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import ROOT, airflow_env, fetch
from tests.integration.pipeline_runner import run_date

pytestmark = pytest.mark.slow

D1, D2, D3 = "2026-11-02", "2026-11-03", "2026-11-04"
#: every table of the published schema, as declared (the invariant test reads them the same way)
PUBLISHED = re.findall(r"CREATE TABLE IF NOT EXISTS ektp_coverage\.(\w+)",
                       (ROOT / "sql" / "schema" / "create_tables.sql").read_text(encoding="utf-8"))
LATEST_VIEWS = {"latest_kecamatan": "kecamatan_daily", "latest_kelurahan": "kelurahan_daily",
                "latest_site": "site_daily", "latest_site_funnel": "site_funnel_daily",
                "latest_card_events": "card_events_daily"}
FOLLOWUP = ["ektp_quarantine.followup_redo", "ektp_quarantine.followup_identity_mismatch",
            "ektp_quarantine.followup_not_in_extract", "ektp_quarantine.followup_suggestion",
            "ektp_quarantine.outreach_residents"]
TIMESTAMPS = {"published_at", "written_at"}


def use_environment(monkeypatch, folder: Path, landing: Path, url: str) -> Path:
    """The contract's environment for in-process runs, with reports and follow-up lists in ``folder``."""
    reports = folder / "reports"
    monkeypatch.setenv("EKTP_LANDING_DIR", str(landing))
    monkeypatch.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", url)
    monkeypatch.setenv("EKTP_REPORT_DIR", str(reports))
    monkeypatch.setenv("EKTP_REPORTS", "on")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    return reports


def _run(day: str) -> dict:
    return run_date(day, run_id=f"test__{day}", reports=True)


def _columns(url: str, qualified: str) -> list[str]:
    schema, table = qualified.split(".")
    if url.startswith("sqlite"):
        return [r[1] for r in fetch(url, f"PRAGMA table_info({table})")]
    return [c for (c,) in fetch(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = :s "
                                "AND table_name = :t ORDER BY ordinal_position", s=schema, t=table)]


def rows_of(url: str, qualified: str, day: str | None = None, with_time: bool = False) -> list[tuple]:
    cols = ", ".join(c for c in _columns(url, qualified) if with_time or c not in TIMESTAMPS)
    where = "" if day is None else "WHERE report_date = :d"
    return sorted(fetch(url, f"SELECT {cols} FROM {qualified} {where}", d=date.fromisoformat(day or D1)),
                  key=repr)


def published_dates(url: str) -> list[str]:
    return [str(d) for (d,) in fetch(url, "SELECT report_date FROM ektp_ingest.published_report ORDER BY 1")]


def everything(url: str) -> dict[str, list[tuple]]:
    """Every row a retraction could touch, timestamps included."""
    tables = [f"ektp_coverage.{t}" for t in PUBLISHED] + FOLLOWUP + ["ektp_ingest.published_report",
                                                                      "ektp_ingest.retraction"]
    return {t: rows_of(url, t, with_time=True) for t in tables}


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


#: a row of each card table, for runs that publish none (the card stages fill them)
CARD_ROWS = {
    "site_funnel_daily": {"site_code": "SITE-1", "site_name": "", "recorded": 1, "biometric_duplicate": 0, "prr": 1,
                          "printed": 0, "delivered": 0, "activated": 0, "awaiting_print_14d": 0},
    "card_events_daily": {"outcome": "linked", "rows": 1},
}


def plant_card_rows(url: str, table: str, day: str, published: list[tuple]) -> int:
    """A card table the run left empty gets one row of ``day``, so the retraction is seen to remove it too."""
    if table not in CARD_ROWS or published:
        return 0
    from datetime import UTC, datetime

    from ektp import warehouse as wh

    row = {"report_date": date.fromisoformat(day), **CARD_ROWS[table], "published_at": datetime.now(UTC)}
    engine = wh.make_engine(url)
    try:
        with engine.begin() as conn:
            wh.bulk_insert(conn, f"ektp_coverage.{table}", list(row), [list(row.values())])
    finally:
        engine.dispose()
    return 1


def retract_cli(*args: str, capsys) -> tuple[int, str, str]:
    from ektp.admin.retract import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_retract_the_last_published_date(monkeypatch, tmp_path, sample_landing, warehouse_url, capsys):
    reports = use_environment(monkeypatch, tmp_path, sample_landing, warehouse_url)
    for day in (D1, D2):
        _run(day)
    outreach_for_d2 = rows_of(warehouse_url, "ektp_quarantine.outreach_residents")
    _run(D3)
    assert published_dates(warehouse_url) == [D1, D2, D3]
    before = {t: rows_of(warehouse_url, f"ektp_coverage.{t}", D3) for t in PUBLISHED}
    before_followup = {t: rows_of(warehouse_url, t, D3) for t in FOLLOWUP}
    assert all(before[t] for t in ("kelurahan_daily", "kecamatan_daily", "site_daily", "rejections_daily",
                                   "outreach_targets_daily"))
    counts = {t: len(before[t]) + plant_card_rows(warehouse_url, t, D3, before[t]) for t in PUBLISHED}
    assert before_followup["ektp_quarantine.outreach_residents"], "the outreach list by name is for D3"
    (report_of_d3, followup_of_d3) = reports / f"coverage_{D3}.html", reports / "followup" / D3
    assert report_of_d3.is_file() and any(followup_of_d3.iterdir())
    cards_of_d3 = reports / "cards" / D3  # the card lists (at least the unlinked events' file, empty or not)
    assert any(cards_of_d3.iterdir())

    # A dry run shows what would go and changes nothing: rows, timestamps and files.
    state, files = everything(warehouse_url), files_under(reports)
    code, out, _ = retract_cli("--date", D3, "--reason", "dry run first", "--dry-run", capsys=capsys)
    assert code == 0
    assert "DRY RUN" in out and re.search(rf"ektp_coverage.kelurahan_daily +{len(before['kelurahan_daily'])} rows", out)
    assert str(report_of_d3) in out and f"rebuilt for {D2}" in out
    assert everything(warehouse_url) == state
    assert files_under(reports) == files

    code, out, err = retract_cli("--date", D3, "--reason", "published from a test run", capsys=capsys)
    assert code == 0, err
    assert f"Retracted {D3}" in out

    # Gone from every published table and from the published dates; the latest views show D2.
    for table in PUBLISHED:
        assert rows_of(warehouse_url, f"ektp_coverage.{table}", D3) == [], table
    assert published_dates(warehouse_url) == [D1, D2]
    for view, table in LATEST_VIEWS.items():
        assert rows_of(warehouse_url, f"ektp_coverage.{view}") == rows_of(warehouse_url, f"ektp_coverage.{table}", D2)
    assert {r[0] for r in fetch(warehouse_url, "SELECT report_date FROM ektp_coverage.latest_kecamatan")} \
        == {date.fromisoformat(D2) if not warehouse_url.startswith("sqlite") else D2}
    # The follow-up lists of D3 are gone; the outreach list by name is D2's again, as the run for D2 wrote it.
    for table in FOLLOWUP[:-1]:
        assert rows_of(warehouse_url, table, D3) == [], table
    assert rows_of(warehouse_url, "ektp_quarantine.outreach_residents") == outreach_for_d2
    # Its report and follow-up folder are gone; D2's stay.
    assert not report_of_d3.exists() and not followup_of_d3.exists() and not cards_of_d3.exists()
    assert (reports / f"coverage_{D2}.html").is_file() and (reports / "followup" / D2).is_dir()
    assert (reports / "cards" / D2).is_dir()

    # The audit row: who, why, what was removed, and which publication it was.
    (audit,) = fetch(warehouse_url, "SELECT report_date, retracted_by, reason, published_by_run, rows_removed, "
                                    "outreach_rebuilt_for FROM ektp_ingest.retraction")
    assert str(audit[0]) == D3 and "@" in audit[1] and audit[2] == "published from a test run"
    assert audit[3] == f"test__{D3}" and str(audit[5]) == D2
    removed = json.loads(audit[4])
    for table in PUBLISHED:
        assert removed[f"ektp_coverage.{table}"] == counts[table], table
    for table in FOLLOWUP[:-1]:
        assert removed[table] == len(before_followup[table]), table
    # the outreach list by name is a view: what goes is the row saying which date it is for
    assert removed["ektp_quarantine.outreach_list"] == 1
    assert removed["ektp_ingest.published_report"] == 1

    # A later run of another date does not bring it back.
    _run(D2)
    assert published_dates(warehouse_url) == [D1, D2]
    assert all(rows_of(warehouse_url, f"ektp_coverage.{t}", D3) == [] for t in PUBLISHED)
    assert not report_of_d3.exists()

    # A date that is not published is refused, clearly, and nothing changes.
    state = everything(warehouse_url)
    code, out, err = retract_cli("--date", D3, "--reason", "again", capsys=capsys)
    assert code == 1 and f"{D3} is not a published report date" in err and f"latest published date is {D2}" in err
    assert everything(warehouse_url) == state

    # Running D3 again publishes it again, exactly as before (but published_at), with its report and lists.
    _run(D3)
    assert published_dates(warehouse_url) == [D1, D2, D3]
    assert {t: rows_of(warehouse_url, f"ektp_coverage.{t}", D3) for t in PUBLISHED} == before
    assert {t: rows_of(warehouse_url, t, D3) for t in FOLLOWUP} == before_followup
    assert report_of_d3.is_file() and any(followup_of_d3.iterdir())
    cards_of_d3 = reports / "cards" / D3  # the card lists (at least the unlinked events' file, empty or not)
    assert any(cards_of_d3.iterdir())


def test_a_refused_or_failed_retraction_changes_nothing(monkeypatch, tmp_path, sample_landing, warehouse_url,
                                                        capsys):
    """A reason and a date written YYYY-MM-DD are required; a retraction that fails on its last statement (the
    audit row) leaves every table and file as it was: it is one transaction, and files go only after it."""
    from ektp.admin import retract

    reports = use_environment(monkeypatch, tmp_path, sample_landing, warehouse_url)
    _run(D1)
    state, files = everything(warehouse_url), files_under(reports)
    with pytest.raises(SystemExit) as missing:
        retract_cli("--date", D1, capsys=capsys)
    assert missing.value.code == 2 and "--reason" in capsys.readouterr().err
    for reason, expected in [("   ", "a reason is required"), ("NIK 3174015501080001 was wrong", "could be a NIK")]:
        code, _, err = retract_cli("--date", D1, "--reason", reason, capsys=capsys)
        assert code == 1 and expected in err, err
    with pytest.raises(SystemExit):
        retract_cli("--date", "2026-11-2", "--reason", "typo", capsys=capsys)
    assert "not a date written YYYY-MM-DD" in capsys.readouterr().err
    assert everything(warehouse_url) == state

    run_sql = retract.wh.run_sql

    def audit_fails(conn, name, params=None):
        if name == "retract/insert_retraction":
            raise RuntimeError("the audit row could not be written")
        return run_sql(conn, name, params)

    monkeypatch.setattr(retract.wh, "run_sql", audit_fails)
    with pytest.raises(RuntimeError, match="audit row"):
        retract_cli("--date", D1, "--reason", "fails at the end", capsys=capsys)
    monkeypatch.setattr(retract.wh, "run_sql", run_sql)
    assert everything(warehouse_url) == state
    assert files_under(reports) == files and (reports / f"coverage_{D1}.html").is_file()


def test_the_dag_withdraws_a_middle_date(monkeypatch, tmp_path, sample_landing, sqlite_url, airflow_home):
    """``airflow dags test ektp_retract_date --conf``: D2 goes, D3 stays as it was, and D3's report no longer
    shows D2 in its trend. A retry of the same run after its commit finishes the work instead of failing."""
    from ektp.admin.retract import RetractionRefused, retract_for_airflow

    reports = use_environment(monkeypatch, tmp_path, sample_landing, sqlite_url)
    for day in (D1, D2, D3):
        _run(day)
    d3_before = {t: rows_of(sqlite_url, f"ektp_coverage.{t}", D3, with_time=True) for t in PUBLISHED}
    trend = json.loads(re.search(r'id="report-data">(.*?)</script>', (reports / f"coverage_{D3}.html").read_text(
        encoding="utf-8"), re.S).group(1))["trend"]
    assert [t["report_date"] for t in trend] == [D1, D2, D3]

    conf = json.dumps({"report_date": D2, "reason": "withdrawn for a recount"})
    done = subprocess.run([str(ROOT / ".venv/bin/airflow"), "dags", "test", "ektp_retract_date", "--conf", conf],
                          env=airflow_env(sample_landing, sqlite_url, EKTP_REPORT_DIR=str(reports)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    assert published_dates(sqlite_url) == [D1, D3]
    assert all(rows_of(sqlite_url, f"ektp_coverage.{t}", D2) == [] for t in PUBLISHED)
    assert {t: rows_of(sqlite_url, f"ektp_coverage.{t}", D3, with_time=True) for t in PUBLISHED} == d3_before
    assert not (reports / f"coverage_{D2}.html").exists() and not (reports / "followup" / D2).exists()
    trend = json.loads(re.search(r'id="report-data">(.*?)</script>', (reports / f"coverage_{D3}.html").read_text(
        encoding="utf-8"), re.S).group(1))["trend"]
    assert [t["report_date"] for t in trend] == [D1, D3]
    (who, reason, outreach), = fetch(sqlite_url, "SELECT retracted_by, reason, outreach_rebuilt_for "
                                                 "FROM ektp_ingest.retraction")
    assert who.startswith("airflow ektp_retract_date manual__") and reason == "withdrawn for a recount"
    assert outreach is None, "the outreach list was D3's: a middle date leaves it alone"

    # A retry of that run (its first try committed, then failed before the files were removed) finishes them.
    run_id, user = re.fullmatch(r"airflow ektp_retract_date (\S+)(?: \(triggered by (.*)\))?", who).groups()
    (reports / f"coverage_{D2}.html").write_text("left behind", encoding="utf-8")
    summary = retract_for_airflow(D2, "withdrawn for a recount", dag_id="ektp_retract_date", run_id=run_id,
                                  triggered_by=user)
    assert not (reports / f"coverage_{D2}.html").exists() and summary["report_date"] == D2
    with pytest.raises(RetractionRefused, match="not a published report date"):
        retract_for_airflow(D2, "another run", dag_id="ektp_retract_date", run_id="manual__other")


def test_a_retraction_waits_for_a_writer_at_work(monkeypatch, tmp_path, sample_landing, pg_url):
    """It takes the writers' lock: while a run's transaction holds it, the retraction waits, then goes ahead."""
    import threading

    from ektp import warehouse as wh
    from ektp.admin.retract import operator, retract

    reports = use_environment(monkeypatch, tmp_path, sample_landing, pg_url)
    _run(D1)
    engine = wh.make_engine(pg_url)
    finished = threading.Event()
    try:
        with wh.transaction(engine):  # as a run's load or publish holds it
            worker = threading.Thread(target=lambda: (retract(engine, date.fromisoformat(D1), "test", operator(),
                                                              reports), finished.set()), daemon=True)
            worker.start()
            assert not finished.wait(3), "the retraction did not wait for the writer"
            assert published_dates(pg_url) == [D1]
        worker.join(60)
        assert finished.is_set() and published_dates(pg_url) == []
    finally:
        engine.dispose()
