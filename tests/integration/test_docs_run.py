"""Docs that run: every ``bash`` and ``sql`` block of README.md, docs/runbook.md and docs/tables.md is executed,
on a SQLite and on a PostgreSQL warehouse holding the sample dates, so the docs cannot go stale.

- ``bash`` blocks run in document order (README first), each in a fresh ``bash`` after ``. scripts/airflow-env.sh``
  (the set-up the runbook names), with a private Airflow home, landing area and output folders exported first.
  Each must exit 0. They run on PostgreSQL only: a command does not change with the warehouse, and the SQLite
  path is run whole by `make sample`'s test.
- ``sql`` blocks are PostgreSQL's. On SQLite a block runs in the form that follows it, marked
  ``<!-- docs-test: sqlite -->``, or else with the schema prefixes dropped (the rule the docs state).
- A block that cannot run in a test carries ``<!-- docs-test: not run: why -->`` just above it, and is listed in
  ``NOT_RUN`` below: a new block must either run or be listed here with its reason.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.integration.airflow_homes import private_airflow_home

pytestmark = pytest.mark.slow

DOCS = ("README.md", "docs/runbook.md", "docs/tables.md")
RUN_LANGS = {"bash", "sql"}
#: (document, first line of the block) -> why it is not run here (and where it is tested, if it is)
NOT_RUN = {
    ("README.md", "make sample   # set up .venv, generate sample data, run the DAG for each date on SQLite, print "
                  "coverage and funnel"):
        "`make test` runs this test; `make sample` is run whole by tests/tools/test_run_sample_sealed.py",
    ("docs/runbook.md", "export AIRFLOW_CONN_EKTP_WAREHOUSE=postgresql://<user>:<password>@<host>:5432/<database>   "
                        "# environment"):
        "placeholders for a real server; tests/integration/test_warehouse_connection.py defines the connection "
        "both ways (environment, `airflow connections add`)",
    ("docs/runbook.md", "SELECT pid, application_name, client_addr, xact_start, state, query"):
        "needs the process id from the message; tests/integration/test_writer_lock.py runs the lookup behind it",
}
_MARK = re.compile(r"<!--\s*docs-test:\s*(.*?)\s*-->")
_SCHEMA = re.compile(r"\bektp_(?:ingest|quarantine|coverage)\.")


@dataclass
class Block:
    doc: str
    line: int
    lang: str
    text: str
    mark: str | None = None
    sqlite: str | None = None  # a sql block's SQLite form, when the docs give one

    @property
    def first_line(self) -> str:
        return self.text.strip().splitlines()[0].strip()

    @property
    def not_run(self) -> str | None:
        if self.mark and self.mark.startswith("not run"):
            return self.mark.partition(":")[2].strip()
        return None


def doc_blocks(doc: str) -> list[Block]:
    lines = (ROOT / doc).read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if not stripped.startswith("```"):
            i += 1
            continue
        indent = len(lines[i]) - len(stripped)
        lang = (stripped[3:].split() or [""])[0]
        previous = next((line for line in reversed(lines[:i]) if line.strip()), "")
        mark = _MARK.search(previous)
        body, j = [], i + 1
        while not lines[j].lstrip().startswith("```"):
            body.append(lines[j][indent:])
            j += 1
        block = Block(doc, i + 1, lang, "\n".join(body) + "\n", mark.group(1) if mark else None)
        if block.mark == "sqlite":
            assert found and found[-1].lang == "sql", f"{doc}:{i + 1}: a SQLite form follows a PostgreSQL block"
            found[-1].sqlite = block.text
        else:
            found.append(block)
        i = j + 1
    return found


def all_blocks() -> list[Block]:
    return [b for doc in DOCS for b in doc_blocks(doc) if b.lang in RUN_LANGS]


def test_every_block_runs_or_is_listed_with_its_reason():
    blocks = all_blocks()
    assert len(blocks) > 15
    marked = {(b.doc, b.first_line): b.not_run for b in blocks if b.not_run is not None}
    assert all(marked.values()), "a block not run says why"
    assert marked.keys() == NOT_RUN.keys(), "mark the block in the docs and list it in NOT_RUN, or run it"
    unknown = [(b.doc, b.line, b.mark) for b in blocks if b.mark and b.not_run is None]
    assert not unknown, unknown
    languages = {b.lang for doc in DOCS for b in doc_blocks(doc)}
    assert languages <= RUN_LANGS | {"", "text"}, "a new kind of block: run it, or say here why not"


# --- a warehouse with the sample dates -------------------------------------------------------------------


def _publish_sample(landing: Path, url: str, monkeypatch, days: list[str]) -> None:
    from tests.integration.pipeline_runner import run_date

    monkeypatch.setenv("EKTP_LANDING_DIR", str(landing))
    monkeypatch.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", url)
    monkeypatch.setenv("EKTP_REPORTS", "off")
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    for day in days:
        run_date(day)


def _statements(text: str) -> list[str]:
    import sqlparse

    return [s.strip() for s in sqlparse.split(text) if sqlparse.format(s, strip_comments=True).strip()]


def test_every_sql_example_runs(warehouse_url, sample_landing, monkeypatch):
    from ektp import warehouse as wh

    _publish_sample(sample_landing, warehouse_url, monkeypatch, ["2026-11-02", "2026-11-03", "2026-11-04"])
    sqlite = warehouse_url.startswith("sqlite")
    engine = wh.make_engine(warehouse_url)
    ran, with_rows = 0, 0
    with engine.connect() as conn:
        for block in (b for b in all_blocks() if b.lang == "sql" and b.not_run is None):
            text = block.text
            if sqlite:
                text = block.sqlite or _SCHEMA.sub("", text)
            for statement in _statements(text):
                try:
                    rows = conn.exec_driver_sql(statement.rstrip(";")).fetchall()
                except Exception as exc:  # noqa: BLE001 - name the block that broke
                    pytest.fail(f"{block.doc}:{block.line} does not run on {conn.dialect.name}: {exc}\n{statement}")
                ran += 1
                with_rows += bool(rows)
            conn.rollback()
    engine.dispose()
    assert ran >= 12 and with_rows >= ran // 2, (ran, with_rows)


# --- the commands ----------------------------------------------------------------------------------------


def _command_env(home: Path, var: Path, landing: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EKTP_", "AIRFLOW__CORE__DEFAULT_TIMEZONE"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "EKTP_LANDING_DIR": str(landing),
        "AIRFLOW_CONN_EKTP_WAREHOUSE": url,
        "EKTP_VAR_DIR": str(var),
        "EKTP_REPORT_DIR": str(var / "reports"),
        "EKTP_DATA_DOCS": "off",
    })
    return env


def _dry_run_runs(output: str) -> list[str]:
    """The logical dates (UTC) a ``backfill create --dry-run`` lists under "Runs to be attempted"."""
    from datetime import UTC, datetime

    listed = output.partition("Runs to be attempted:")[2]
    found = re.findall(r"^\| (20\d\d-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d) ", listed, re.M)
    return [datetime.fromisoformat(d).astimezone(UTC).isoformat() for d in found]


def _dry_run_env(home: Path, tmp_path: Path, landing: Path, url: str) -> dict[str, str]:
    """A copy of the metadata as it is once the README's run has stored the DAG, without the DAG's runs (a
    backfill's dry run leaves out the dates that have one), for the runbook's dry runs."""
    import sqlite3

    dry = private_airflow_home(home, tmp_path / "airflow-dry")
    db = sqlite3.connect(dry / "airflow.db")
    try:
        for table in ("task_instance", "dag_run"):
            db.execute(f"DELETE FROM {table} WHERE dag_id = 'ektp_coverage_daily'")  # noqa: S608 - constants
        db.commit()
    finally:
        db.close()
    return _command_env(dry, tmp_path / "var", landing, url)


def _commands(block: Block) -> list[str]:
    return [line.split("#")[0].strip() for line in block.text.replace("\\\n", " ").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_every_command_runs(airflow_home, pg_url, tmp_path, monkeypatch):
    """On PostgreSQL, the production warehouse the runbook is for: the commands are the same on the embedded one,
    whose whole path `make sample` runs (tests/tools/test_run_sample_sealed.py)."""
    from tools.sample_data import generate

    warehouse_url = pg_url

    landing = tmp_path / "landing"
    generate(landing, seed=42, days=4, residents=600, recordings_per_day=120, files_per_day=3, progress=False)
    # the retraction examples withdraw 2026-11-05 and dry-run 2026-11-04: both published first
    _publish_sample(landing, warehouse_url, monkeypatch, ["2026-11-04", "2026-11-05"])
    home = private_airflow_home(airflow_home, tmp_path / "airflow")
    env = _command_env(home, tmp_path / "var", landing, warehouse_url)
    outputs: dict[str, str] = {}
    for block in (b for b in all_blocks() if b.lang == "bash" and b.not_run is None):
        script = f"set -eo pipefail\n. scripts/airflow-env.sh\n{block.text}"
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{block.doc}:{block.line} failed:\n{block.text}\n{done.stdout[-3000:]}" \
                                     f"\n{done.stderr[-3000:]}"
        outputs[f"{block.doc}:{block.line}"] = done.stdout + done.stderr
        if block.doc == "README.md":
            dry_env = _dry_run_env(home, tmp_path, landing, warehouse_url)

    assert "2026-11-03" in outputs["README.md:" + str(next(b.line for b in all_blocks() if b.doc == "README.md"
                                                           and b.not_run is None))]
    # the runbook's text on time zones: both dry runs list the same three runs (+07:00, and plain dates where
    # scripts/airflow-env.sh sets Asia/Jakarta); plain dates under `utc` only two
    dry_runs = [c for b in all_blocks() if b.doc == "docs/runbook.md" and b.lang == "bash" for c in _commands(b)
                if "--dry-run" in c and c.startswith("airflow backfill")]
    assert len(dry_runs) == 2, dry_runs
    three = ["2026-11-01T17:00:00+00:00", "2026-11-02T17:00:00+00:00", "2026-11-03T17:00:00+00:00"]
    for command, zone, expected in [(dry_runs[0], None, three), (dry_runs[1], None, three),
                                    (dry_runs[1], "utc", three[1:])]:
        script = f". scripts/airflow-env.sh\n{command}" if zone is None else \
            f"export AIRFLOW__CORE__DEFAULT_TIMEZONE={zone}\n. scripts/airflow-env.sh\n{command}"
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=dry_env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        assert _dry_run_runs(done.stdout + done.stderr) == expected, (command, zone, done.stdout[-2000:])
