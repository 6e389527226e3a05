"""A private Airflow home per test: a copy of the session's migrated metadata DB, with no XComs.

The session's AIRFLOW_HOME (tests/conftest.py) is shared by every test process on the machine: two
``airflow dags test`` runs of one date at once would collide on its dag_run row, and logs and XComs
of other runs would mix with the ones a test inspects. The copy is made with SQLite's backup API, so
a concurrent writer cannot tear it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def private_airflow_home(shared: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(shared / "airflow.db")
    target = sqlite3.connect(folder / "airflow.db")
    try:
        source.backup(target)
        target.execute("DELETE FROM xcom")
        target.commit()
    finally:
        source.close()
        target.close()
    (folder / "logs").mkdir(exist_ok=True)
    return folder


def airflow_extra_env(home: Path, var_dir: Path, **extra: str) -> dict[str, str]:
    """Settings for ``run_airflow_date``/``airflow_env``: this home, its own logs and outputs."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "EKTP_VAR_DIR": str(var_dir),
        "EKTP_REPORT_DIR": str(var_dir / "reports"),
        "EKTP_DATA_DOCS_DIR": str(var_dir / "data_docs"),
        **extra,
    }
