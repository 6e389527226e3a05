"""Time limits and retries every DAG of the project shares, read from the environment when a DAG is parsed.

The scheduler enforces them from the DAG processor's parse and a worker from its own, so every component
must see the same environment (docker-compose.yml gives them one block). Standard library only: DAG files
import this while they are parsed.
"""

from __future__ import annotations

import os
from datetime import timedelta

OWNER = "dukcapil-data"


def minutes_setting(name: str, default: float, *, positive: bool = True) -> timedelta:
    """A duration in minutes from the environment; 0 would mean "no limit" to Airflow, so it is refused where
    a limit is meant (``positive``)."""
    value = float(os.environ.get(name) or default)
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'above' if positive else 'at least'} 0 minutes, not {value}")
    return timedelta(minutes=value)


def default_args() -> dict:
    """Owner, two retries and a bounded try for every task (sized in docs/decisions.md)."""
    return {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": minutes_setting("EKTP_RETRY_DELAY_MINUTES", 5, positive=False),
        "execution_timeout": minutes_setting("EKTP_TASK_TIMEOUT_MINUTES", 60),
    }


def run_timeout() -> timedelta:
    """A run still running after this fails (and alerts) instead of holding the next one."""
    return minutes_setting("EKTP_RUN_TIMEOUT_MINUTES", 300)
