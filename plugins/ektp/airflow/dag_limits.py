"""Owner, retries and time limits every DAG of the project shares, from the settings when a DAG is parsed.

The scheduler enforces them from the DAG processor's parse and a worker from its own, so every component
must see the same environment (docker-compose.yml gives them one block). Each is read alone (``setting``),
so a mistake in an unrelated setting cannot stop the DAG from parsing.
"""

from __future__ import annotations

from datetime import timedelta

from ektp.core.settings import setting

OWNER = "dukcapil-data"


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
