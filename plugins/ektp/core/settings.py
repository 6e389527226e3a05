"""Settings, read only from the environment (one place, so every tool agrees)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SQL_DIR = PROJECT_ROOT / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
WAREHOUSE_CONN_ID = "ektp_warehouse"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    var_dir: Path
    #: batch files validated together in one mapped task, at most (bounds the number of task instances) ...
    files_per_group: int
    #: ... and at most this many bytes of them (bounds a task's memory; a larger file is a group of its own)
    group_bytes: int
    #: rows read at a time from a large file (bounds memory)
    chunk_rows: int
    #: a group's batch files are validated in slices of at most this many bytes, each written while the
    #: next is validated (bounds a task's memory: two slices at a time)
    slice_bytes: int
    #: extract dates a person has checked and accepted although implausible (contract §2.1, ektp.ingest.plausibility)
    accept_extract: frozenset[date] = frozenset()

    @property
    def data_docs_dir(self) -> Path:
        return Path(os.environ.get("EKTP_DATA_DOCS_DIR") or self.var_dir / "data_docs")

    @property
    def report_dir(self) -> Path:
        return Path(os.environ.get("EKTP_REPORT_DIR") or self.var_dir / "reports")


def settings() -> Settings:
    """Read the settings now (not at import time: tests change the environment)."""
    landing = os.environ.get("EKTP_LANDING_DIR")
    var_dir = Path(os.environ.get("EKTP_VAR_DIR") or PROJECT_ROOT / "var")
    return Settings(
        landing_dir=Path(landing) if landing else var_dir / "landing",
        var_dir=var_dir,
        files_per_group=int(os.environ.get("EKTP_FILES_PER_GROUP", "1000")),
        group_bytes=int(os.environ.get("EKTP_GROUP_BYTES", str(64 << 20))),
        chunk_rows=int(os.environ.get("EKTP_CHUNK_ROWS", "500000")),
        slice_bytes=int(os.environ.get("EKTP_SLICE_BYTES", str(16 << 20))),
        accept_extract=_dates("EKTP_ACCEPT_EXTRACT"),
    )


def _dates(name: str) -> frozenset[date]:
    """Comma-separated ISO dates; anything else fails the run (a mistyped date must not be ignored)."""
    found = set()
    for part in os.environ.get(name, "").split(","):
        text = part.strip()
        if not text:
            continue
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is None or day.isoformat() != text:
            raise ValueError(f"{name}: {text!r} is not a date written YYYY-MM-DD")
        found.add(day)
    return frozenset(found)


def warehouse_url() -> str:
    """The warehouse as a SQLAlchemy URL.

    The contract names the Airflow connection ``ektp_warehouse``; its usual form is the
    ``AIRFLOW_CONN_EKTP_WAREHOUSE`` URL, read directly so that tools outside Airflow agree.
    Without it, a connection stored in Airflow's metadata database is used, and failing
    that the embedded SQLite warehouse under ``var/``.
    """
    url = os.environ.get("AIRFLOW_CONN_EKTP_WAREHOUSE")
    if not url:
        url = _airflow_connection_uri()
    if not url:
        url = f"sqlite:///{settings().var_dir / 'warehouse.sqlite'}"
    return sqlalchemy_url(url)


def sqlalchemy_url(url: str) -> str:
    """Map Airflow-style URLs to the driver this project uses (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _airflow_connection_uri() -> str | None:
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(WAREHOUSE_CONN_ID)
    except Exception:  # noqa: BLE001 - no Airflow context or no such connection: use the default
        return None
    return conn.get_uri()
