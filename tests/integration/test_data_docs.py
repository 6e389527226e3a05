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


def test_data_docs_work_offline_and_count_rows(tmp_path, monkeypatch):
    """Built from a real validation (11 of 600 rows rejected), opened in Chromium with networking off: nothing
    is requested from outside the site, the project's styles apply, and the status counts rows, not rules."""
    import pandas as pd
    from ektp.ingest import data_docs
    from ektp.ingest.validation import BATCH_COLUMNS, load_suite, prepare_batch, run_suite
    from playwright.sync_api import sync_playwright

    from tests.integration.test_report import CHROMIUM, CHROMIUM_ARGS

    monkeypatch.setenv("EKTP_LANGUAGE", "id")
    rows = pd.DataFrame([{"batch_id": "B", "site_code": "S", "site_name": "Sekolah", "operator_id": "O",
                          "recorded_at": "2026-11-02T09:15:00+07:00", "nik": "12" if i < 11 else "3174011508050001",
                          "full_name": "Nama", "birth_date": "2005-08-15", "sex": "L", "kelurahan_code": ""}
                         for i in range(600)], columns=list(BATCH_COLUMNS), dtype="string")
    result = run_suite(load_suite("field_batch"), prepare_batch(rows, pd.Series(["2026-11-02"] * len(rows))))
    assert int(result.rejected().sum()) == 11
    docs = data_docs.PendingDocs("manual__2026-11-02T00:00:00+00:00", on=True)
    label = data_docs.batch_label("batches", ["batches/2026-11-02/a.csv"], "2026-11-02", "2026-11-02")
    docs.add(label, result.gx_result, rows=600, rejected=11)
    index = docs.build(tmp_path / "docs")
    (page,) = (tmp_path / "docs" / "validations").rglob("*.html")
    for html in (tmp_path / "docs").rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert not re.search(r"<(?:link|script|img)\b[^>]*(?:href|src)=\"(?:https?:)?//", text), html
        assert "<script" not in text, html

    requests, errors, got = [], [], {}
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (.ci/run installs it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True)
            context.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()
                                                 if route.request.url.startswith("file:") else route.abort()))
            for name, path in (("index", index), ("page", page)):
                tab = context.new_page()
                tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                tab.on("pageerror", lambda e: errors.append(str(e)))
                tab.goto(path.as_uri(), wait_until="load")
                got[name] = tab.evaluate("""() => {
                    const style = (sel, prop) => {
                        const el = document.querySelector(sel);
                        return el ? getComputedStyle(el)[prop] : null;
                    };
                    const logo = document.querySelector('img');
                    return {
                        rowDisplay: style('.row', 'display'),
                        tableCollapse: style('table.table', 'borderCollapse'),
                        bodyFont: style('body', 'fontFamily'),
                        cardRadius: style('.card', 'borderRadius'),
                        logoLoaded: logo ? logo.complete && logo.naturalWidth > 0 : null,
                        status: (document.querySelector('.ektp-status') || {}).textContent || null,
                        text: document.body.innerText,
                        links: [...document.querySelectorAll('a')].map(a => a.getAttribute('href')),
                    };
                }""")
                tab.close()
        finally:
            browser.close()
    assert [u for u in requests if not u.startswith("file:")] == []
    assert errors == []
    for name in ("index", "page"):
        assert got[name]["rowDisplay"] == "flex", name  # the project's styles applied (unstyled: block)
        assert got[name]["tableCollapse"] == "collapse", name
        assert "system-ui" in got[name]["bodyFont"], name
        assert got[name]["logoLoaded"] is True, name  # GE's logo from the site's static/ folder
    assert got["page"]["cardRadius"] == "8px"
    # the index lists the validation without its script: a row linking to the page
    assert page.relative_to(tmp_path / "docs").as_posix() in got["index"]["links"]
    assert got["page"]["status"] == "11 dari 600 baris ditolak"
    assert "Success Percent" not in got["page"]["text"]
