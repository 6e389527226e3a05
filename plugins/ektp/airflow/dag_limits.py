"""Owner, retries and time limits every DAG of the project shares, from the settings when a DAG is parsed.

The scheduler enforces them from the DAG processor's parse and a worker from its own, so every component
must see the same environment (docker-compose.yml gives them one block). Each is read alone (``setting``),
so a mistake in an unrelated setting cannot stop the DAG from parsing.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum

from ektp.core.settings import setting

OWNER = "dukcapil-data"

#: Every DAG's start_date: early enough that no real report date falls before it. Airflow creates no task
#: for a logical date before the start date (``airflow dags test`` of such a date ran nothing and exited 0),
#: while contract §5 says the run for any past D publishes D. e-KTP recording began in 2011; with
#: ``catchup=False`` an early start date queues no old runs.
START_DATE = pendulum.datetime(2000, 1, 1, tz="Asia/Jakarta")


def default_args() -> dict:
    """Owner, two retries and a bounded try for every task (sized in docs/decisions.md)."""
    return {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": setting("retry_delay"),
        # Generous but finite: a hung task ends in a failure, which alerts, instead of holding the next night.
        "execution_timeout": setting("task_timeout"),
    }


def run_timeout() -> timedelta:
    """A run still running after this fails (and alerts) instead of holding the next one."""
    return setting("run_timeout")


def owner_links() -> dict[str, str]:
    """The owner's contact in the Airflow UI (``EKTP_OWNER_LINK``), read alone like every setting here."""
    return {OWNER: setting("owner_link")}


def report_date_param(description: str):
    """The trigger form's report date: empty, or a date written ``YYYY-MM-DD`` (validated by the form)."""
    from airflow.sdk import Param

    return Param(None, type=["null", "string"], format="date", title="Report date", description=description)


def coverage_asset_extra() -> dict:
    """What the ``ektp_coverage`` asset is, for the Airflow UI's asset page."""
    return {
        "description": "The published e-KTP coverage tables (PostgreSQL schema ektp_coverage, or the embedded "
                       "SQLite warehouse): one partition per report date, replaced whole by publish_coverage. "
                       "Every table and column: docs/tables.md.",
        "schema": "ektp_coverage",
        "connection": "ektp_warehouse",
        "docs": "docs/tables.md",
        "owner": OWNER,
    }
