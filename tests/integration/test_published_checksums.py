"""Every table the pipeline writes, after the `make sample` dates, is exactly as recorded in a golden file.

A guard for changes that must not change behaviour (a move of modules, a refactoring): the sample landing
area of `make sample` (seed 42, three days, card events) runs date by date through the DAG's task callables,
follow-up lists included, on both warehouses; then each table of ``ektp_ingest``, ``ektp_quarantine`` and
``ektp_coverage`` is reduced to a checksum of its rows, sorted, without the columns that differ from run to run
(run ids, timestamps of the run, file times of the landing area).

The golden file was generated from the code before the change it guards. To regenerate it after an intended
change of behaviour: ``EKTP_WRITE_GOLDEN=1 pytest tests/integration/test_published_checksums.py`` (and say why
in the commit).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

GOLDEN = Path(__file__).with_name("published_checksums.json")
SCHEMAS = ("ektp_ingest", "ektp_quarantine", "ektp_coverage")
#: columns whose values depend on when and where a run happened, not on what it computed
RUN_COLUMNS = {"published_at", "written_at", "validated_at", "rejected_at", "noted_at", "applied_at", "run_id",
               "modified_ns", "changed_ns", "first_listed_at", "fixed_at",
               "extract_version"}  # the extract file's sha256 and its validated_at (outreach_list, followup_scored)
#: bookkeeping of the warehouse itself (the text of the schema files applied), not pipeline output
SKIP_TABLES = {"schema_version"}


@pytest.fixture(scope="module")
def make_sample_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tools.sample_data import generate

    landing = tmp_path_factory.mktemp("make-sample") / "landing"
    generate(landing, seed=42, days=3, card_events=True, progress=False)
    return landing


def _sample_dates(landing: Path) -> list[str]:
    """As scripts/run-sample.sh: the batch dates from the first extract on."""
    first_extract = min(p.name for p in (landing / "registry").iterdir())
    return sorted(p.name for p in (landing / "batches").iterdir() if p.name >= first_extract)


def _canonical(value) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)
    return "∅" if value is None else str(value)


def _checksums(url: str) -> dict[str, dict[str, object]]:
    from ektp import warehouse as wh

    engine = wh.make_engine(url)
    out = {}
    try:
        inspector = sa.inspect(engine)
        sqlite = engine.dialect.name == "sqlite"
        for schema in SCHEMAS:
            names = inspector.get_table_names(schema=None if sqlite else schema)
            for name in sorted(names):
                if name in SKIP_TABLES:
                    continue
                qualified = f"{schema}.{name}"
                if sqlite and not _in_schema(qualified):
                    continue
                columns = [c["name"] for c in inspector.get_columns(name, schema=None if sqlite else schema)
                           if c["name"] not in RUN_COLUMNS]
                with engine.connect() as conn:
                    rows = conn.execute(sa.text(f"SELECT {', '.join(columns)} FROM {wh.table(conn, qualified)}"))
                    lines = sorted("\x1f".join(_canonical(v) for v in row) for row in rows)
                digest = hashlib.sha256("\x1e".join([",".join(columns), *lines]).encode("utf-8")).hexdigest()
                out[qualified] = {"rows": len(lines), "sha256": digest}
    finally:
        engine.dispose()
    return out


def _in_schema(qualified: str) -> bool:
    """SQLite has no schemas: a table belongs where schema/create_tables.sql creates it."""
    from tests.conftest import ROOT

    return f"TABLE IF NOT EXISTS {qualified} " in (ROOT / "sql" / "schema" / "create_tables.sql").read_text()


@pytest.mark.parametrize("warehouse", ["postgresql", "sqlite"])
def test_sample_dates_write_the_golden_tables(warehouse, make_sample_landing, request, tmp_path, monkeypatch):
    from tests.integration.pipeline_runner import run_date

    url = request.getfixturevalue("pg_url" if warehouse == "postgresql" else "sqlite_url")
    monkeypatch.setenv("EKTP_LANDING_DIR", str(make_sample_landing))
    monkeypatch.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", url)
    monkeypatch.setenv("EKTP_REPORT_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    dates = _sample_dates(make_sample_landing)
    for day in dates:
        run_date(day, reports=True)

    found = {"dates": dates, "tables": _checksums(url)}
    golden = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}
    if os.environ.get("EKTP_WRITE_GOLDEN") == "1":
        golden[warehouse] = found
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip(f"golden checksums of {warehouse} written")
    assert warehouse in golden, f"no golden checksums for {warehouse}: see the module docstring"
    assert found["dates"] == golden[warehouse]["dates"]
    assert {t: v["rows"] for t, v in found["tables"].items()} == \
        {t: v["rows"] for t, v in golden[warehouse]["tables"].items()}
    assert found["tables"] == golden[warehouse]["tables"]
