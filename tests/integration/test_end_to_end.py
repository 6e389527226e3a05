"""The DAG end to end on generated data, on both warehouses, checked against the files themselves."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import fetch, run_airflow_date, run_dag_test

pytestmark = pytest.mark.slow


def _data_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return sum(1 for r in rows[1:] if r and not (len(r) == 1 and not r[0].strip()))


def _independent_counts(landing: Path):
    """From the files alone: targets (the extract has no injected errors by default) and rows per date
    of the batch files that are neither a repeated delivery nor missing a column."""
    import hashlib

    with (landing / "registry" / "2026-11-01" / "unrecorded_residents.csv").open(encoding="utf-8") as fh:
        targets = sum(1 for _ in csv.DictReader(fh))
    seen, received = set(), {}
    for path in sorted((landing / "batches").glob("*/*.csv"), key=lambda p: p.relative_to(landing).as_posix()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        with path.open(encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        if "sex" not in header:
            continue
        received[path.parent.name] = received.get(path.parent.name, 0) + _data_rows(path)
    return targets, received


def test_dag_test_publishes_every_sample_date(coverage_dag, sample_landing, warehouse_url):
    dates = sorted(p.name for p in (sample_landing / "batches").iterdir())
    for day in dates:
        run = run_dag_test(coverage_dag, day, sample_landing, warehouse_url)
        assert run.state == "success", day

    targets, received = _independent_counts(sample_landing)
    for day in dates:
        (kel_targets, kel_to_date), = fetch(warehouse_url, "SELECT sum(target_residents), sum(recorded_to_date) "
                                            "FROM ektp_coverage.kelurahan_daily WHERE report_date = :d", d=day)
        assert kel_targets == targets
        (kec_targets, kec_to_date), = fetch(warehouse_url, "SELECT sum(target_residents), sum(recorded_to_date) "
                                            "FROM ektp_coverage.kecamatan_daily WHERE report_date = :d", d=day)
        assert (kec_targets, kec_to_date) == (kel_targets, kel_to_date)
        (rows, rejected, dup, accepted, matched), = fetch(
            warehouse_url, "SELECT sum(rows_received), sum(rows_rejected), sum(rows_duplicate), sum(rows_accepted), "
            "sum(matched) FROM ektp_coverage.site_daily WHERE report_date = :d", d=day)
        assert rows == received[day]
        assert rows == rejected + dup + accepted  # conservation
        (by_reason,), = fetch(warehouse_url, "SELECT sum(rows) FROM ektp_coverage.rejections_daily "
                              "WHERE report_date = :d", d=day)
        assert by_reason == rejected
        assert 0 < matched <= accepted
    # cumulative coverage never decreases while one extract is in force
    to_date = [fetch(warehouse_url, "SELECT sum(recorded_to_date) FROM ektp_coverage.kecamatan_daily "
                     "WHERE report_date = :d", d=d)[0][0] for d in dates]
    assert to_date == sorted(to_date) and to_date[0] > 0


def test_airflow_cli_runs_a_date_on_postgres(airflow_home, sample_landing, pg_url):
    """The contract's way to run a date: `airflow dags test ektp_coverage_daily D`."""
    done = run_airflow_date("2026-11-02", sample_landing, pg_url)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tables = {t for (t,) in fetch(pg_url, "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                                  "WHERE table_schema LIKE 'ektp_%'")}
    assert {"ektp_coverage.kelurahan_daily", "ektp_coverage.kecamatan_daily", "ektp_coverage.site_daily",
            "ektp_coverage.rejections_daily", "ektp_ingest.file_manifest", "ektp_quarantine.rejected_row"} <= tables
    kecamatan = fetch(pg_url, "SELECT count(*) FROM ektp_coverage.kecamatan_daily WHERE report_date = '2026-11-02'")
    assert kecamatan[0][0] == 10
