"""Implausible extracts (contract §2.1): an extract with fewer than half the valid rows of the latest earlier
extract that was not rejected is rejected as a file (``implausible_extract``) unless EKTP_ACCEPT_EXTRACT names
its date; the earlier extract stays in force.

Each test runs dates through the DAG's task callables (tests/integration/pipeline_runner.py: plan, the load
items, publish) on both warehouses, and compares what is published with the rule, worked out by hand from the
landed files. The verdicts form a chain (each extract is judged against the latest earlier accepted one), so
the tests change the chain in every way: a refused extract that a person accepts, then un-accepts; a later
extract judged against an accepted-by-override one; an earlier extract landed late; a re-landed extract; and
a hypothesis test of random landings, withdrawals and settings, where every published date must equal a fresh
run's.
"""

from __future__ import annotations

import csv
import io
import logging
import shutil
from datetime import date
from pathlib import Path

import pytest
from ektp.core.settings import settings
from ektp.ingest import plausibility
from ektp.ingest.plausibility import Verdict
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import fetch
from tests.integration.pipeline_runner import run_date

REGISTRY_HEADER = ["nik", "full_name", "birth_date", "sex", "kelurahan_code"]
BATCH_HEADER = ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name",
                "birth_date", "sex", "kelurahan_code"]
KELURAHAN = "31.74.01.1001"


def _resident(n: int) -> list[str]:
    return [f"317401150805{n:04d}", f"Warga {n}", "2005-08-15", "L", KELURAHAN]


def land_extract(landing: Path, day: str, residents: int, *, first: int = 1) -> str:
    rel = f"registry/{day}/unrecorded_residents.csv"
    _write(landing / rel, REGISTRY_HEADER, [_resident(n) for n in range(first, first + residents)])
    return rel


def land_batch_as_extract(landing: Path, day: str, rows: int) -> str:
    """A field batch saved under registry/ by mistake: it has every column an extract needs."""
    rel = f"registry/{day}/unrecorded_residents.csv"
    _write(landing / rel, BATCH_HEADER, [["B1", "S1", "Site", "OP", f"{day}T09:00:00+07:00", *_resident(n)]
                                         for n in range(1, rows + 1)])
    return rel


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture
def env(monkeypatch, tmp_path, warehouse_url):
    """The contract's environment for runs, on both warehouses; reports and Data Docs off."""
    landing = tmp_path / "landing"
    (landing / "batches").mkdir(parents=True)
    for name, value in {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse_url,
                        "EKTP_VAR_DIR": str(tmp_path / "var"), "EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EKTP_ACCEPT_EXTRACT", raising=False)
    return landing, warehouse_url, monkeypatch


def in_force(url: str, day: str) -> tuple[str, int] | None:
    """(extract date, targets) published for ``day``: the extract in force that day."""
    rows = fetch(url, "SELECT extract_date, sum(target_residents) FROM ektp_coverage.kelurahan_daily "
                      "WHERE report_date = :d GROUP BY extract_date", d=day)
    assert len(rows) <= 1
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


def file_status(url: str, rel: str) -> tuple:
    return fetch(url, "SELECT status, reason, row_count, rows_rejected FROM ektp_ingest.file_manifest "
                      "WHERE file_path = :p", p=rel)[0]


def test_a_batch_saved_as_an_extract_is_refused_and_the_earlier_extract_stays(env, caplog):
    landing, url, _ = env
    land_extract(landing, "2026-11-01", 3000)
    wrong = land_batch_as_extract(landing, "2026-11-04", 5)
    with caplog.at_level(logging.WARNING, logger="ektp.ingest.registry"):
        run_date("2026-11-05")

    status, reason, rows, rejected = file_status(url, wrong)
    assert (status, rows, rejected) == ("rejected_file", 5, 0)
    assert reason == "implausible_extract: 5 valid rows, fewer than half of the 3000 of extract 2026-11-01"
    assert fetch(url, "SELECT file_kind, reason FROM ektp_quarantine.rejected_file") == [("registry", reason)]
    assert fetch(url, "SELECT count(*) FROM ektp_ingest.registry_resident WHERE extract_date = '2026-11-04'") == [(0,)]
    assert fetch(url, "SELECT count(*) FROM ektp_quarantine.rejected_row") == [(0,)]  # nothing of a rejected file
    assert [str(d) for d, in fetch(url, "SELECT extract_date FROM ektp_ingest.registry_extract")] == ["2026-11-01"]
    assert in_force(url, "2026-11-05") == ("2026-11-01", 3000)
    advice = " ".join(r.getMessage() for r in caplog.records if "implausible" in r.getMessage())
    for what in ("5 valid rows", "3000", "2026-11-01", "stays in force", "EKTP_ACCEPT_EXTRACT=2026-11-04"):
        assert what in advice


def test_a_person_accepts_a_refused_extract_and_later_ones_are_judged_against_it(env):
    landing, url, monkeypatch = env
    land_extract(landing, "2026-11-01", 10)
    land_extract(landing, "2026-11-04", 4)  # a real drop: a person checks it, then accepts it
    run_date("2026-11-05")
    assert in_force(url, "2026-11-05") == ("2026-11-01", 10)

    monkeypatch.setenv("EKTP_ACCEPT_EXTRACT", "2026-10-01, 2026-11-04")  # nothing else changed: the run notices
    run_date("2026-11-05")
    assert file_status(url, "registry/2026-11-04/unrecorded_residents.csv")[:2] == ("loaded", None)
    assert in_force(url, "2026-11-05") == ("2026-11-04", 4)

    land_extract(landing, "2026-11-06", 2)  # half of the accepted 4: plausible
    run_date("2026-11-06")
    assert in_force(url, "2026-11-06") == ("2026-11-06", 2)
    assert in_force(url, "2026-11-05") == ("2026-11-04", 4)

    # the date leaves the variable: 11-04 is refused again, and 11-06 is then judged against 11-01 (10)
    monkeypatch.delenv("EKTP_ACCEPT_EXTRACT")
    run_date("2026-11-06")
    assert file_status(url, "registry/2026-11-04/unrecorded_residents.csv")[0] == "rejected_file"
    assert file_status(url, "registry/2026-11-06/unrecorded_residents.csv")[1].startswith("implausible_extract")
    assert in_force(url, "2026-11-05") == ("2026-11-01", 10)  # republished: the change affects it
    assert in_force(url, "2026-11-06") == ("2026-11-01", 10)


def test_a_refused_extract_does_not_count_as_the_earlier_one(env):
    landing, url, _ = env
    land_extract(landing, "2026-11-01", 10)
    land_extract(landing, "2026-11-04", 1)  # refused: 1 < 5
    land_extract(landing, "2026-11-06", 4)  # against 11-01 (10): refused; against the refused 11-04 it would pass
    land_extract(landing, "2026-11-08", 6)  # against 11-01: accepted
    run_date("2026-11-08")
    assert [str(d) for d, in fetch(url, "SELECT extract_date FROM ektp_ingest.registry_extract ORDER BY 1")] == [
        "2026-11-01", "2026-11-08"]
    assert in_force(url, "2026-11-08") == ("2026-11-08", 6)


def test_an_earlier_extract_landed_late_changes_the_verdict_on_a_later_one(env, tmp_path):
    landing, url, _ = env
    land_extract(landing, "2026-11-04", 2)
    run_date("2026-11-05")
    assert in_force(url, "2026-11-05") == ("2026-11-04", 2)  # nothing earlier: nothing to compare with

    land_extract(landing, "2026-11-01", 10)  # lands late: a fresh run would refuse 11-04
    run_date("2026-11-05")
    assert file_status(url, "registry/2026-11-04/unrecorded_residents.csv")[0] == "rejected_file"
    assert in_force(url, "2026-11-05") == ("2026-11-01", 10)

    shutil.rmtree(landing / "registry/2026-11-01")  # withdrawn: 11-04 is accepted again, read from its file
    run_date("2026-11-05")
    assert in_force(url, "2026-11-05") == ("2026-11-04", 2)


def test_a_re_landed_extract_is_compared_with_the_latest_earlier_date(env):
    landing, url, _ = env
    land_extract(landing, "2026-11-01", 10)
    land_extract(landing, "2026-11-04", 10, first=101)
    run_date("2026-11-05")
    land_extract(landing, "2026-11-04", 6, first=101)  # re-landed with fewer rows: judged against 11-01, not itself
    run_date("2026-11-05")
    assert in_force(url, "2026-11-05") == ("2026-11-04", 6)
    land_extract(landing, "2026-11-04", 4, first=101)
    run_date("2026-11-05")
    assert in_force(url, "2026-11-05") == ("2026-11-01", 10)


# --- the chain under random landings, withdrawals and settings: every run equals a fresh run -------------

DAYS = ["2026-11-01", "2026-11-03", "2026-11-05", "2026-11-07"]
STEP = st.one_of(
    st.tuples(st.just("land"), st.sampled_from(DAYS), st.sampled_from([1, 2, 3, 5, 8, 12])),
    st.tuples(st.just("withdraw"), st.sampled_from(DAYS), st.just(0)),
    st.tuples(st.just("accept"), st.sets(st.sampled_from(DAYS), max_size=2).map(lambda s: ",".join(sorted(s))),
              st.just(0)),
)


def _by_hand(landed: dict[str, int], accept: set[str]) -> dict[str, tuple[str, int] | None]:
    """The extract in force on each day by contract §2.1, from the landed sizes alone."""
    accepted, previous = {}, None
    for day in sorted(landed):
        if previous is None or 2 * landed[day] >= previous or day in accept:
            accepted[day] = previous = landed[day]
    return {d: max(((e, n) for e, n in accepted.items() if e <= d), default=None) for d in DAYS}


@pytest.mark.slow
@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=2, max_size=5))
@example(steps=[("land", "2026-11-03", 2), ("land", "2026-11-07", 1), ("land", "2026-11-01", 12),
                ("accept", "2026-11-03", 0), ("withdraw", "2026-11-01", 0)])
def test_verdicts_follow_the_landed_extracts_whatever_the_order(tmp_path_factory, monkeypatch, steps):
    folder = tmp_path_factory.mktemp("chain")
    landing, url = folder / "landing", f"sqlite:///{folder / 'warehouse.sqlite'}"
    (landing / "batches").mkdir(parents=True)
    for name, value in {"EKTP_LANDING_DIR": str(landing), "AIRFLOW_CONN_EKTP_WAREHOUSE": url,
                        "EKTP_VAR_DIR": str(folder / "var"), "EKTP_REPORTS": "off", "EKTP_DATA_DOCS": "off"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EKTP_ACCEPT_EXTRACT", raising=False)
    for day in DAYS:  # every day published, so that each later run must republish what its changes affect
        run_date(day)
    landed: dict[str, int] = {}
    accept: set[str] = set()
    for action, value, size in steps:
        if action == "land":
            land_extract(landing, value, size, first=1000 * DAYS.index(value) + 50 * size)  # no two files alike
            landed[value] = size
        elif action == "withdraw" and value in landed:
            shutil.rmtree(landing / "registry" / value)
            del landed[value]
        elif action == "accept":
            monkeypatch.setenv("EKTP_ACCEPT_EXTRACT", value)
            accept = set(value.split(",")) - {""}
        run_date(DAYS[-1])
        want = _by_hand(landed, accept)
        for day in DAYS:
            assert in_force(url, day) == want[day], (steps, day)


# --- the pieces ---------------------------------------------------------------------------------------

def test_the_verdicts_the_manifest_records_are_checked_as_a_chain():
    d = [date(2026, 11, k) for k in (1, 4, 6)]
    assert plausibility.stale([Verdict(d[0], 10, True), Verdict(d[1], 4, False), Verdict(d[2], 5, True)],
                              frozenset()) == []
    assert plausibility.stale([Verdict(d[0], 10, True), Verdict(d[1], 4, False), Verdict(d[2], 5, True)],
                              frozenset({d[1]})) == [d[1]]  # 11-04 accepted now; 11-06 passes either way
    assert plausibility.stale([Verdict(d[0], 10, True), Verdict(d[1], 4, True), Verdict(d[2], 2, True)],
                              frozenset()) == [d[1], d[2]]
    assert plausibility.stale([Verdict(d[1], 0, True)], frozenset()) == []  # nothing earlier to compare with


def test_accept_extract_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("EKTP_ACCEPT_EXTRACT", " 2026-11-04,2026-11-05 ,")
    assert settings().accept_extract == {date(2026, 11, 4), date(2026, 11, 5)}
    monkeypatch.setenv("EKTP_ACCEPT_EXTRACT", "2026-11-4")
    with pytest.raises(ValueError, match="EKTP_ACCEPT_EXTRACT"):
        settings()
    monkeypatch.delenv("EKTP_ACCEPT_EXTRACT")
    assert settings().accept_extract == frozenset()
