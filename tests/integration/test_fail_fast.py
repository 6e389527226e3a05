"""Which errors a task retries: configuration errors fail at once (AirflowFailException), naming the connection,
host and database; a lost connection or a busy warehouse is left to the retries. Real PostgreSQL errors."""

from __future__ import annotations

import uuid

import psycopg
import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _task_body(url: str, sql: str = "SELECT 1"):
    from ektp import warehouse as wh

    def body():
        engine = wh.make_engine(url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(sql)).fetchall()
        finally:
            engine.dispose()
    return body


def test_no_such_database_or_role_fails_at_once_naming_host_and_database(pg_url, monkeypatch):
    from ektp.airflow.failures import fail_fast

    base = sa.engine.make_url(pg_url)
    for url, named in ((base.set(database="ektp_no_such_db"), 'database "ektp_no_such_db" does not exist'),
                       (base.set(username="ektp_no_such_role"), 'role "ektp_no_such_role" does not exist')):
        text = url.render_as_string(hide_password=False)
        monkeypatch.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", text)
        with pytest.raises(AirflowFailException) as failed:
            fail_fast(_task_body(text))()
        message = str(failed.value)
        assert message.startswith("Configuration error, not retried"), message
        assert named in message
        assert f"host {url.host}" in message and f"database {url.database}" in message
        assert "connection `ektp_warehouse`" in message


def test_a_login_without_rights_on_a_table_fails_at_once(pg_url, monkeypatch):
    from ektp import warehouse as wh
    from ektp.airflow.failures import fail_fast

    wh.migrate(wh.make_engine(pg_url))
    role = f"ektp_test_norights_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(pg_url), autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            url = sa.engine.make_url(pg_url).set(username=role).render_as_string(hide_password=False)
            monkeypatch.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", url)
            with pytest.raises(AirflowFailException, match="InsufficientPrivilege.*SQLSTATE 42501"):
                fail_fast(_task_body(url, "SELECT count(*) FROM ektp_coverage.kecamatan_daily"))()
        finally:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE "{role}"')


def test_a_lost_connection_is_left_to_the_retries(pg_url):
    from ektp.airflow.failures import fail_fast

    def killed():
        return _task_body(pg_url, "SELECT pg_terminate_backend(pg_backend_pid())")()

    with pytest.raises(sa.exc.OperationalError):  # not AirflowFailException: Airflow retries it
        fail_fast(killed)()


def test_a_mistyped_setting_fails_at_once(monkeypatch):
    from ektp.airflow.failures import fail_fast
    from ektp.core.settings import settings

    monkeypatch.setenv("EKTP_WRITE_LOCK_WAIT_MINUTES", "soon")
    with pytest.raises(AirflowFailException, match="not retried: EKTP_WRITE_LOCK_WAIT_MINUTES"):
        fail_fast(settings)()
