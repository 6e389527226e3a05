"""The writers' lock is waited for within a bound: a run that cannot get it fails, saying since when another run
has held the warehouse, and changes nothing. Real PostgreSQL, the lock held from a second connection."""

from __future__ import annotations

import time
from datetime import date

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, airflow_env

WAIT_MINUTES = 0.05  # 3 s
LOCK_KEY = 7_310_458_201


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _state(url: str) -> dict[str, tuple]:
    """Rows and a checksum of every table of the warehouse's schemas."""
    with psycopg.connect(_libpq(url)) as conn:
        tables = conn.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables "
                              "WHERE table_schema LIKE 'ektp%' AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()
        return {t: conn.execute(f"SELECT count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                                f"FROM {t} x").fetchone() for (t,) in tables}


@pytest.fixture
def held_lock(pg_url):
    """The writers' lock held by another session, as a run would hold it; yields that transaction's start."""
    holder = psycopg.connect(_libpq(pg_url), application_name="another-run")
    try:
        (started,) = holder.execute("SELECT now()").fetchone()  # the transaction's start: the lock's holder since
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        yield started
    finally:
        holder.rollback()
        holder.close()


def test_a_publish_waits_within_the_bound_then_fails_naming_the_holder(pg_url, monkeypatch):
    from ektp import warehouse as wh
    from ektp.publish.publishing import publish

    monkeypatch.setenv("EKTP_WRITE_LOCK_WAIT_MINUTES", str(WAIT_MINUTES))
    engine = wh.make_engine(pg_url)
    wh.migrate(engine)
    before = _state(pg_url)
    holder = psycopg.connect(_libpq(pg_url), application_name="another-run")
    try:
        (since,) = holder.execute("SELECT now()").fetchone()
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        started = time.monotonic()
        with pytest.raises(wh.WarehouseBusy) as failed:
            publish(engine, date(2026, 11, 3), "manual__blocked")
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert WAIT_MINUTES * 60 <= waited < WAIT_MINUTES * 60 + 10, waited
    message = str(failed.value)
    assert message.startswith(f"another run has held the warehouse since {since.isoformat(timespec='seconds')}"), \
        message
    assert "application another-run" in message and "changed nothing" in message
    assert _state(pg_url) == before
    engine.dispose()


def test_the_holder_named_is_a_run_on_this_warehouse_not_on_another_database(pg_url, monkeypatch):
    """Advisory locks are per database, pg_locks shows the server's: a run holding the same key on another
    warehouse of the server, since earlier, is not the one named."""
    from ektp import warehouse as wh
    from ektp.publish.publishing import publish

    from tests.integration.pg import new_pg_database

    monkeypatch.setenv("EKTP_WRITE_LOCK_WAIT_MINUTES", str(WAIT_MINUTES))
    engine = wh.make_engine(pg_url)
    wh.migrate(engine)
    with new_pg_database() as other_url, \
            psycopg.connect(_libpq(other_url), application_name="other-warehouse") as other, \
            psycopg.connect(_libpq(pg_url), application_name="another-run") as holder:
        other.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        time.sleep(1.1)  # the other warehouse's holder is the older one, to the second
        (since,) = holder.execute("SELECT now()").fetchone()
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        with pytest.raises(wh.WarehouseBusy) as failed:
            publish(engine, date(2026, 11, 3), "manual__blocked")
        holder.rollback()
        other.rollback()
    message = str(failed.value)
    assert message.startswith(f"another run has held the warehouse since {since.isoformat(timespec='seconds')}"), \
        message
    assert "application another-run" in message and "other-warehouse" not in message
    engine.dispose()


def test_the_session_waits_are_the_settings(pg_url, monkeypatch):
    from ektp import warehouse as wh

    monkeypatch.setenv("EKTP_PG_STATEMENT_TIMEOUT_MINUTES", "0.02")
    monkeypatch.setenv("EKTP_PG_LOCK_TIMEOUT_MINUTES", "0.5")
    monkeypatch.setenv("EKTP_PG_CONNECT_TIMEOUT_SECONDS", "4")
    engine = wh.make_engine(pg_url)
    with engine.connect() as conn:
        shown = [conn.execute(sa.text(f"SHOW {name}")).scalar() for name in ("statement_timeout", "lock_timeout")]
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
            conn.execute(sa.text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 4
    assert shown == ["1200ms", "30s"]
    engine.dispose()


def test_a_server_that_never_answers_is_given_up_after_the_connect_timeout(monkeypatch):
    """A listening socket that never speaks: the TCP handshake succeeds, PostgreSQL's reply never comes."""
    import socket

    from ektp import warehouse as wh

    monkeypatch.setenv("EKTP_PG_CONNECT_TIMEOUT_SECONDS", "2")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        engine = wh.make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/x")
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError, match="timeout"):
            engine.connect()
        assert 1.5 < time.monotonic() - started < 10


@pytest.mark.parametrize("retry", ["off", "on"])
def test_a_dags_test_run_blocked_by_another_run_fails_with_the_message_and_publishes_nothing(
        airflow_home, sample_landing, pg_url, held_lock, tmp_path, retry):
    """A busy warehouse is worth a retry in a scheduled run, not under `airflow dags test` unless asked."""
    import subprocess

    env = airflow_env(sample_landing, pg_url, EKTP_WRITE_LOCK_WAIT_MINUTES=str(WAIT_MINUTES),
                      EKTP_VAR_DIR=str(tmp_path), EKTP_REPORT_DIR=str(tmp_path / "reports"),
                      EKTP_DATA_DOCS_DIR=str(tmp_path / "data_docs"), EKTP_RETRY_IN_DAGS_TEST=retry,
                      EKTP_RETRY_DELAY_MINUTES="0")
    started = time.monotonic()
    done = subprocess.run([str(ROOT / ".venv/bin/airflow"), "dags", "test", "ektp_coverage_daily", "2026-11-03"],
                          env=env, capture_output=True, text=True, timeout=240)
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert seconds < 90, seconds
    assert f"another run has held the warehouse since {held_lock.isoformat(timespec='seconds')}" in output, \
        output[-3000:]
    tries = output.count("[DAG TEST] starting task_id=plan_file_loads")
    if retry == "off":
        assert "not retried under `airflow dags test`" in output and tries == 1, tries
    else:
        assert tries == 3, tries  # the task's two retries
    with psycopg.connect(_libpq(pg_url)) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_schema LIKE 'ektp%'").fetchone() == (0,)
    assert not (tmp_path / "reports").exists()


def test_a_dags_test_run_waiting_for_the_lock_ends_on_sigterm(airflow_home, sample_landing, pg_url, held_lock,
                                                             tmp_path):
    import signal
    import subprocess

    env = airflow_env(sample_landing, pg_url, EKTP_WRITE_LOCK_WAIT_MINUTES="10", EKTP_VAR_DIR=str(tmp_path))
    log = tmp_path / "dags-test.log"
    with log.open("w") as out:
        run = subprocess.Popen([str(ROOT / ".venv/bin/airflow"), "dags", "test", "ektp_coverage_daily", "2026-11-03"],
                               env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "running task <TaskInstance: ektp_coverage_daily.plan_file_loads" not in log.read_text():
            assert run.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        time.sleep(3)  # in the lock wait
        assert run.poll() is None
        run.send_signal(signal.SIGTERM)
        ended = time.monotonic()
        returncode = run.wait(timeout=30)
        assert returncode != 0 and time.monotonic() - ended < 30
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    with psycopg.connect(_libpq(pg_url), autocommit=True) as conn:  # its session is gone with it
        for _ in range(20):
            (waiting,) = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND pid <> pg_backend_pid() AND application_name <> 'another-run'"
                                      ).fetchone()
            if not waiting:
                break
            time.sleep(0.5)
        assert waiting == 0
