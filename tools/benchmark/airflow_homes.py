"""A migrated Airflow home for each run, and the environment ``scripts/airflow-env.sh`` gives a run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

from ektp.core.settings import PROJECT_ROOT


def airflow_env(airflow_home: Path, landing: Path, warehouse_url: str, var_dir: Path,
                reports: bool = False) -> dict[str, str]:
    """The environment of ``scripts/airflow-env.sh`` (sourced), pointed at this run's home, landing and DB."""
    base = dict(os.environ)
    base.update({"AIRFLOW_HOME": str(airflow_home), "EKTP_LANDING_DIR": str(landing),
                 "AIRFLOW_CONN_EKTP_WAREHOUSE": warehouse_url})
    out = subprocess.run(["bash", "-c", '. scripts/airflow-env.sh && env -0'], env=base, cwd=PROJECT_ROOT,
                         check=True, capture_output=True).stdout
    env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    env.update({
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "EKTP_VAR_DIR": str(var_dir),
        # this run's outputs stay in this run's folder, whatever the calling environment points them to
        "EKTP_REPORT_DIR": str(var_dir / "reports"),
        "EKTP_DATA_DOCS_DIR": str(var_dir / "data_docs"),
        # colleagues' Data Docs are not what is measured here; the reports and follow-up lists only if asked
        "EKTP_DATA_DOCS": "off",
        "EKTP_REPORTS": "on" if reports else "off",
    })
    return env


def migrated_airflow_home(dest: Path, template: Path | None, log_dir: Path) -> float:
    """A migrated Airflow home at ``dest``: a copy of ``template``'s metadata DB, or a fresh migrate."""
    dest.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if template is not None and (template / "airflow.db").exists():
        # the SQLite backup API: a consistent copy even of a database in WAL mode that is in use
        src, dst = sqlite3.connect(template / "airflow.db"), sqlite3.connect(dest / "airflow.db")
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return time.perf_counter() - t0
    env = dict(os.environ)
    env.update({"AIRFLOW_HOME": str(dest), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{dest / 'airflow.db'}",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
    with (log_dir / "airflow-db-migrate.log").open("w") as log:
        subprocess.run([str(PROJECT_ROOT / ".venv/bin/airflow"), "db", "migrate"], env=env, stdout=log,
                       stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - t0
