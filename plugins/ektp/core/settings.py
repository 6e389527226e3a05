"""Every setting of the pipeline, in one place: a typed field of :class:`Settings` with its environment
variable, its default and its meaning. This is the only module that reads ``os.environ``.

Settings are read when they are needed (:func:`settings`, :func:`setting`), never at import time: tests and
operators change the environment of a running process. An empty variable counts as unset. A value that does
not parse fails loudly, naming the variable (a mistyped setting must not be ignored), except where the field
says otherwise.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SQL_DIR = PROJECT_ROOT / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
WAREHOUSE_CONN_ID = "ektp_warehouse"
#: the usual value of EKTP_RUN_DEADLINE_MINUTES: a nightly run queued at 00:00 WIB is done by 06:00 WIB
RECOMMENDED_DEADLINE_MINUTES = 360

Environ = Mapping[str, str]


@dataclass(frozen=True)
class About:
    """What the documentation says of a setting (README's configuration table, ``.env.example``)."""

    env: str
    default: str  # as the README writes the default for local runs
    meaning: str
    parse: Callable[[str, Environ], Any]  # the variable's text ("" when unset) -> the value


def _setting(env: str, parse: Callable[[str, Environ], Any], default: str, meaning: str, *, secret: bool = False):
    return field(repr=not secret, metadata={"about": About(env, default, meaning, parse)})


# --- parsers: (text, environment) -> value; the environment gives the defaults that derive from EKTP_VAR_DIR ---

def _var_dir(text: str, env: Environ) -> Path:
    return Path(text) if text else PROJECT_ROOT / "var"


def _under_var(name: str) -> Callable[[str, Environ], Path]:
    def parse(text: str, env: Environ) -> Path:
        return Path(text) if text else _var_dir(_text(env, "EKTP_VAR_DIR"), env) / name
    return parse


def _int(default: int) -> Callable[[str, Environ], int]:
    return lambda text, env: int(text) if text else default


def _float(default: float) -> Callable[[str, Environ], float]:
    return lambda text, env: float(text) if text else default


def _text_or_none(text: str, env: Environ) -> str | None:
    return text or None


def _switch(text: str, env: Environ) -> bool:
    """On unless ``off`` (or 0/false/no)."""
    return (text or "on").lower() not in {"off", "0", "false", "no"}


def _switch_off(text: str, env: Environ) -> bool:
    """Off unless ``on`` (or 1/true/yes)."""
    return (text or "off").lower() in {"on", "1", "true", "yes"}


def _language(text: str, env: Environ) -> str:
    language = (text or "id").lower()
    if language not in ("id", "en"):
        raise ValueError(f"must be id (Bahasa Indonesia) or en (English), not {text!r}")
    return language


def _json_object(text: str, env: Environ) -> dict:
    return json.loads(text or "{}")


def _dates(text: str, env: Environ) -> frozenset[date]:
    """Comma-separated ISO dates; anything else fails the run (a mistyped date must not be ignored)."""
    found = set()
    for part in text.split(","):
        value = part.strip()
        if not value:
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None or day.isoformat() != value:
            raise ValueError(f"EKTP_ACCEPT_EXTRACT: {value!r} is not a date written YYYY-MM-DD")
        found.add(day)
    return frozenset(found)


def _minutes(default: float, *, positive: bool = True, unit: str = "minutes") -> Callable[[str, Environ], timedelta]:
    def parse(text: str, env: Environ) -> timedelta:
        value = float(text) if text else default
        if value < 0 or (positive and value == 0):
            raise ValueError(f"must be {'above' if positive else 'at least'} 0 {unit}, not {value}")
        return timedelta(**{unit: value})
    return parse


def _percent(default: float) -> Callable[[str, Environ], float]:
    def parse(text: str, env: Environ) -> float:
        value = float(text) if text else default
        if not 0 <= value <= 100:
            raise ValueError(f"must be a percentage from 0 to 100, not {value}")
        return value
    return parse


def _link(default: str) -> Callable[[str, Environ], str]:
    def parse(text: str, env: Environ) -> str:
        value = text or default
        if not value.startswith(("mailto:", "https://", "http://")):
            raise ValueError(f"must be a mailto:, https:// or http:// link, not {value!r}")
        return value
    return parse


def _deadline_minutes(text: str, env: Environ) -> float:
    """Unset, 0 or not a number: no deadline (a warning for the last: the alert is optional, the run is not)."""
    if not text:
        return 0.0
    try:
        minutes = float(text)
    except ValueError:
        from ektp.core.safe_text import escaped

        log.warning("EKTP_RUN_DEADLINE_MINUTES=%s is not a number: no deadline (%s is usual)", escaped(text),
                    RECOMMENDED_DEADLINE_MINUTES)
        return 0.0
    return max(minutes, 0.0)


@dataclass(frozen=True)
class Settings:
    landing_dir: Path = _setting("EKTP_LANDING_DIR", _under_var("landing"), "`var/landing`", "landing root")
    warehouse_url: str | None = _setting(
        "AIRFLOW_CONN_EKTP_WAREHOUSE", _text_or_none, "none: required (`scripts/airflow-env.sh`: "
        "`sqlite:///var/warehouse.sqlite`)",
        "the `ektp_warehouse` connection as a PostgreSQL or SQLite URL; or define that connection in Airflow's "
        "metadata database or secrets backend. Read through Airflow's connections, by tasks and commands alike; "
        "none anywhere: a task fails at once saying so ([deployment](docs/deployment.md#the-warehouse-connection))",
        secret=True)
    var_dir: Path = _setting("EKTP_VAR_DIR", _var_dir, "`var` (in the checkout)",
                             "default parent of the landing, report and Data Docs folders and of the SQLite warehouse")
    files_per_group: int = _setting("EKTP_FILES_PER_GROUP", _int(1000), "1000",
                                    "batch files validated together by one mapped task, at most")
    group_bytes: int = _setting("EKTP_GROUP_BYTES", _int(64 << 20), "64 MiB",
                                "bytes of batch files loaded by one mapped task, at most")
    slice_bytes: int = _setting("EKTP_SLICE_BYTES", _int(16 << 20), "16 MiB",
                                "a task validates its files in slices of this many bytes at most, writing each while "
                                "it validates the next (its memory holds two)")
    chunk_rows: int = _setting("EKTP_CHUNK_ROWS", _int(400_000), "400000", "rows of a file held in memory at once")
    accept_extract: frozenset[date] = _setting(
        "EKTP_ACCEPT_EXTRACT", _dates, "none",
        "extract dates (`2026-11-04`, comma-separated) a person has checked and accepted although implausible "
        "(fewer than half the valid rows of the extract before; "
        "[runbook](docs/runbook.md#accept-an-implausible-extract))")
    data_docs_dir: Path = _setting("EKTP_DATA_DOCS_DIR", _under_var("data_docs"), "`var/data_docs`",
                                   "Great Expectations Data Docs")
    report_dir: Path = _setting("EKTP_REPORT_DIR", _under_var("reports"), "`var/reports`",
                                "HTML reports and follow-up CSVs")
    language: str = _setting("EKTP_LANGUAGE", _language, "`id`",
                             "language of the HTML report and the follow-up lists: `id` (Bahasa Indonesia) or `en`")
    data_docs: bool = _setting("EKTP_DATA_DOCS", _switch, "on", "`off` skips the Data Docs (benchmarks)")
    reports: bool = _setting("EKTP_REPORTS", _switch, "on",
                             "`off` skips the HTML reports and follow-up lists (benchmarks)")
    pseudonym_key: str | None = _setting("EKTP_PSEUDONYM_KEY", _text_or_none, "none: refuses to pseudonymise",
                                         "secret for keyed pseudonyms (at least 32 characters)", secret=True)
    alert_webhook_url: str | None = _setting("EKTP_ALERT_WEBHOOK_URL", _text_or_none, "log only",
                                             "failure notifications are POSTed here as JSON", secret=True)
    alert_webhook_timeout: float = _setting("EKTP_ALERT_WEBHOOK_TIMEOUT", _float(5.0), "5",
                                            "seconds to wait for the webhook")
    alert_notifier: str | None = _setting("EKTP_ALERT_NOTIFIER", _text_or_none, "none",
                                          "an Airflow notifier class (dotted path) also called with every alert")
    alert_notifier_kwargs: dict = _setting("EKTP_ALERT_NOTIFIER_KWARGS", _json_object, "`{}`",
                                           "its keyword arguments, as a JSON object")
    run_deadline_minutes: float = _setting(
        "EKTP_RUN_DEADLINE_MINUTES", _deadline_minutes, "0 (off)",
        "alert when a run has not finished this many minutes after it was queued (compose: 360)")
    task_timeout: timedelta = _setting("EKTP_TASK_TIMEOUT_MINUTES", _minutes(60), "60",
                                       "minutes after which a task try fails (two retries)")
    run_timeout: timedelta = _setting("EKTP_RUN_TIMEOUT_MINUTES", _minutes(300), "300",
                                      "minutes after which a running run fails")
    retry_delay: timedelta = _setting("EKTP_RETRY_DELAY_MINUTES", _minutes(5, positive=False), "5",
                                      "minutes before a failed task's retry")
    retry_in_dags_test: bool = _setting(
        "EKTP_RETRY_IN_DAGS_TEST", _switch_off, "off",
        "`on` retries failed tasks under `airflow dags test` too (off: a failure ends the test run at once)")
    pg_connect_timeout: timedelta = _setting("EKTP_PG_CONNECT_TIMEOUT_SECONDS", _minutes(30, unit="seconds"), "30",
                                             "seconds to wait for PostgreSQL to accept a connection")
    pg_statement_timeout: timedelta = _setting(
        "EKTP_PG_STATEMENT_TIMEOUT_MINUTES", _minutes(20), "20",
        "PostgreSQL `statement_timeout` of the pipeline's sessions (the national night's longest statement "
        "takes seconds)")
    pg_lock_timeout: timedelta = _setting(
        "EKTP_PG_LOCK_TIMEOUT_MINUTES", _minutes(5), "5",
        "PostgreSQL `lock_timeout` of the pipeline's sessions: the longest wait for a table or row lock")
    write_lock_wait: timedelta = _setting(
        "EKTP_WRITE_LOCK_WAIT_MINUTES", _minutes(15), "15",
        "the longest wait for the writers' lock (one writer at a time); then the task fails with \"another run "
        "has held the warehouse since ...\" (SQLite: its busy timeout)")
    alert_rejected_percent: float = _setting(
        "EKTP_ALERT_REJECTED_PERCENT", _percent(10.0), "10",
        "a run whose loaded batch files of one outreach site have more than this percentage of their rows rejected "
        "sends the data alert (as it does for a rejected file, an ignored folder or a refused extract)")
    owner_link: str = _setting(
        "EKTP_OWNER_LINK", _link("mailto:dukcapil-data@localhost"), "`mailto:dukcapil-data@localhost`",
        "the data team's contact, linked from the owner `dukcapil-data` in the Airflow UI (`mailto:` or `https://`; "
        "read when the DAG is parsed)")


def about() -> list[tuple[str, About]]:
    """(field name, what the documentation says of it) of every setting, in the order of :class:`Settings`."""
    return [(f.name, f.metadata["about"]) for f in fields(Settings)]


def _text(env: Environ, name: str) -> str:
    return (env.get(name) or "").strip()


class SettingError(ValueError):
    """A setting whose value does not parse: a configuration error, which retrying cannot mend."""


def _read(name: str, about_it: About, env: Environ) -> Any:
    try:
        return about_it.parse(_text(env, about_it.env), env)
    except ValueError as exc:
        message = str(exc)
        raise SettingError(message if message.startswith(about_it.env) else f"{about_it.env}: {message}") from None


def settings(environ: Environ | None = None) -> Settings:
    """Every setting, read now from the environment."""
    env = os.environ if environ is None else environ
    return Settings(**{name: _read(name, a, env) for name, a in about()})


def setting(name: str, environ: Environ | None = None) -> Any:
    """One setting, read now: for code that must not fail on another setting's mistake (alerts, the DAG's
    parse), and for the few that are read often."""
    env = os.environ if environ is None else environ
    return _read(name, dict(about())[name], env)
