"""Great Expectations Data Docs after real DAG runs: built into EKTP_DATA_DOCS_DIR, and free of NIKs."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tests.conftest import fetch, run_dag_test

pytestmark = pytest.mark.slow


def input_niks(landing: Path) -> set[str]:
    """Every NIK value of every landed file, as written and with separators removed (16 digits or more)."""
    found = set()
    for path in landing.rglob("*.csv"):
        text = path.read_bytes().decode("utf-8", errors="replace")
        for row in csv.DictReader(text.lstrip("\ufeff").splitlines()):
            value = (row.get("nik") or "").strip()
            digits = re.sub(r"[\s.\-]", "", value)
            if len(digits) >= 16:
                found |= {value, digits}
            found |= set(re.findall(r"\d{16}", value))
    return found


def test_data_docs_are_built_per_run_without_niks(coverage_dag, sample_landing, sqlite_url, tmp_path, monkeypatch):
    docs = tmp_path / "data_docs"
    monkeypatch.setenv("EKTP_DATA_DOCS_DIR", str(docs))
    monkeypatch.delenv("EKTP_DATA_DOCS", raising=False)
    runs = []
    for day in ("2026-11-02", "2026-11-03"):
        run = run_dag_test(coverage_dag, day, sample_landing, sqlite_url)
        assert run.state == "success", day
        runs.append(run.run_id)

    assert (docs / "index.html").is_file()
    assert {p.name for p in (docs / "expectations").glob("*.html")} == {"field_batch.html", "registry_extract.html"}
    pages = sorted((docs / "validations").rglob("*.html"))
    suites = {p.relative_to(docs / "validations").parts[0] for p in pages}
    assert suites == {"field_batch", "registry_extract"}
    # one page per validated group in each run, both runs listed in the index
    index = (docs / "index.html").read_text(encoding="utf-8")
    for page in pages:
        assert page.relative_to(docs).as_posix() in index
    run_names = {p.relative_to(docs / "validations").parts[1] for p in pages}
    assert run_names == {re.sub(r"[^A-Za-z0-9_.-]+", "_", r) for r in runs}

    # the same validations are in the warehouse, as counts per file and expectation
    stored = {r[0] for r in fetch(sqlite_url, "SELECT DISTINCT run_id FROM ektp_ingest.validation_result")}
    assert set(runs) <= stored

    niks = input_niks(sample_landing)
    assert len(niks) > 1000
    pattern = re.compile("|".join(re.escape(n) for n in sorted(niks, key=len, reverse=True)))
    files = [p for p in docs.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        match = pattern.search(text)
        assert match is None, f"{path.relative_to(docs)} holds input NIK {match.group(0)[:4]}..."
