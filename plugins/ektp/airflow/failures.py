"""Fail fast, say why: retries only where they can help.

A task's error is retried (``default_args``: two retries) when a retry can mend it: a lost connection, a killed
worker, a busy warehouse, a timeout. A configuration error cannot be mended by waiting: no ``ektp_warehouse``
connection, no such database, failed authentication, no right on a table, a setting that does not parse. Such a
task fails at once, without retries (``AirflowFailException``), with a message naming the connection, its host
and database (configuration, never a row value) and what to fix.

Under ``airflow dags test`` nothing is retried unless ``EKTP_RETRY_IN_DAGS_TEST=on``: a person is watching, and
a retry five minutes later only hides the error.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from airflow.sdk.exceptions import AirflowFailException

from ektp.core.settings import SettingError, setting

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable)

#: the triggering user Airflow's ``DAG.test`` (``airflow dags test``) gives its runs
_DAGS_TEST_USER = "dag_test"


def fail_fast(func: F) -> F:
    """``func`` as a task body: a configuration error fails the task at once, without retries; under
    ``airflow dags test`` so does every error unless ``EKTP_RETRY_IN_DAGS_TEST`` is on."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except AirflowFailException:
            raise
        except Exception as exc:
            problem = configuration_problem(exc)
            if problem is not None:
                # from None: the chained driver error may quote a statement; the message says what is needed
                raise AirflowFailException(problem) from None
            if _in_dags_test() and not _retry_in_dags_test():
                raise AirflowFailException(
                    f"{type(exc).__name__}: {exc} (not retried under `airflow dags test`; "
                    "EKTP_RETRY_IN_DAGS_TEST=on retries as a scheduled run would)") from exc
            raise

    return run  # type: ignore[return-value]


def configuration_problem(exc: BaseException) -> str | None:
    """The message of a configuration error (retrying cannot help), or ``None`` for any other error."""
    from ektp import warehouse as wh

    for cause in _chain(exc):
        if isinstance(cause, wh.WarehouseNotDefined):
            return f"Configuration error, not retried. {cause}"
        if isinstance(cause, SettingError):
            return (f"Configuration error, not retried: {cause}. Settings are read from the environment of every "
                    "Airflow component (README, Configuration)")
    found = wh.configuration_problem(exc)
    if found is None:
        return None
    return (f"Configuration error, not retried: {found}. Warehouse: {wh.describe_warehouse()}. Fix the "
            "connection (its database, login or the login's rights: docs/security.md) and run the date again")


def _chain(exc: BaseException | None):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _in_dags_test() -> bool:
    try:
        from airflow.sdk import get_current_context

        dag_run = get_current_context()["dag_run"]
    except Exception:  # noqa: BLE001 - not in a task: not a test run
        return False
    return getattr(dag_run, "triggering_user_name", None) == _DAGS_TEST_USER


def _retry_in_dags_test() -> bool:
    try:
        return setting("retry_in_dags_test")
    except SettingError:
        return False
