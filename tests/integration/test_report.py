"""The HTML coverage report and the follow-up lists, after real ``dag.test()`` runs of the sample dates.

The report's numbers are read back from the file (the JSON data island, the table cells, and the
charts' data in a browser) and compared with the published ``ektp_coverage`` tables. No NIK may reach
the report or the ``ektp_coverage`` schema; the restricted lists and the follow-up CSVs hold them.
"""

from __future__ import annotations

import csv
import json
import os
import re
import uuid
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL, ROOT, fetch, run_dag_test

pytestmark = pytest.mark.slow

#: two sample dates with a gap: the run for 11-04 also loads 11-03's files (published dates: 11-02, 11-04)
DATES = ["2026-11-02", "2026-11-04"]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "var" / "test-artifacts"
#: a run of exactly 16 digits that is not the fraction of a decimal number
SIXTEEN_DIGITS = re.compile(r"(?<![\d.])\d{16}(?!\d)")
COVERAGE_TABLES = ["kelurahan_daily", "kecamatan_daily", "site_daily", "rejections_daily", "outreach_targets_daily"]
FOLLOWUP_TABLES = ["followup_redo", "followup_identity_mismatch", "followup_not_in_extract", "followup_suggestion",
                   "outreach_residents"]


def _run_dates(coverage_dag, landing: Path, url: str, report_dir: Path, dates: list[str]) -> None:
    before = os.environ.get("EKTP_REPORT_DIR")
    os.environ["EKTP_REPORT_DIR"] = str(report_dir)
    try:
        for day in dates:
            assert run_dag_test(coverage_dag, day, landing, url).state == "success", day
    finally:
        if before is None:
            os.environ.pop("EKTP_REPORT_DIR", None)
        else:
            os.environ["EKTP_REPORT_DIR"] = before


@pytest.fixture(scope="module")
def sqlite_run(tmp_path_factory, coverage_dag, sample_landing):
    """Two sample dates, in order, with ``dag.test()`` on the embedded warehouse."""
    tmp = tmp_path_factory.mktemp("report-sqlite")
    url = f"sqlite:///{tmp / 'warehouse.sqlite'}"
    _run_dates(coverage_dag, sample_landing, url, tmp / "reports", DATES)
    return SimpleNamespace(kind="sqlite", url=url, report_dir=tmp / "reports", dates=DATES)


@pytest.fixture(scope="module")
def postgresql_run(tmp_path_factory, coverage_dag, sample_landing):
    """The last sample date alone on PostgreSQL: it loads every earlier file and publishes that date."""
    from ektp.warehouse import make_engine

    tmp = tmp_path_factory.mktemp("report-postgresql")
    name = f"ektp_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        _run_dates(coverage_dag, sample_landing, url, tmp / "reports", DATES[-1:])
        yield SimpleNamespace(kind="postgresql", url=url, report_dir=tmp / "reports", dates=DATES[-1:])
    finally:
        make_engine(url).dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def published(request):
    return request.getfixturevalue(f"{request.param}_run")


def _report(p, day: str) -> str:
    path = p.report_dir / f"coverage_{day}.html"
    assert path.is_file(), f"the DAG wrote no report for {day}"
    return path.read_text(encoding="utf-8")


def _island(html_text: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html_text, re.S)
    assert m, "no data island"
    return json.loads(m.group(1))


class _Cells(HTMLParser):
    """data-col/data-value of every cell, per table id and row (thead/tfoot rows aside)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[dict]] = {}
        self._table = None
        self._section = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id", ""), [])
        elif tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr" and self._table is not None and self._section == "tbody":
            self._table.append({})
        elif tag == "td" and "data-col" in a and self._section == "tbody" and self._table:
            self._table[-1][a["data-col"]] = a.get("data-value", "")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None


def _cells(html_text: str) -> dict[str, list[dict]]:
    parser = _Cells()
    parser.feed(html_text)
    return parser.tables


def _num(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _without_plotly_js(html_text: str) -> str:
    """The report minus the inlined plotly.js library (third-party code with 16-digit constants)."""
    stripped, n = re.subn(r'<script id="plotly-js">.*?</script>', "", html_text, count=1, flags=re.S)
    assert n == 1, "plotly.js is inlined exactly once"
    assert "<script src=" not in stripped, "nothing is loaded from elsewhere"
    return stripped


def test_report_numbers_equal_the_published_tables(published):
    url = published.url
    for day in published.dates:
        html_text = _report(published, day)
        data = _island(html_text)
        cells = _cells(html_text)
        assert data["report_date"] == day

        kec = fetch(url, "SELECT kecamatan_code, kecamatan_name, target_residents, recorded_on_date, recorded_to_date, "
                         "remaining, coverage_pct FROM ektp_coverage.kecamatan_daily WHERE report_date = :d "
                         "ORDER BY kecamatan_code", d=day)
        assert len(kec) == 10
        got = sorted((r["kecamatan_code"], r["kecamatan_name"], r["target_residents"], r["recorded_on_date"],
                      r["recorded_to_date"], r["remaining"], _num(r["coverage_pct"])) for r in data["kecamatan"])
        assert got == [(*r[:6], _num(r[6])) for r in kec]
        table = sorted((c["kecamatan_code"], int(c["target_residents"]), int(c["recorded_to_date"]),
                        _num(c["coverage_pct"])) for c in cells["table-kecamatan"])
        assert table == [(r[0], r[2], r[4], _num(r[6])) for r in kec]

        kel = fetch(url, "SELECT kelurahan_code, target_residents, recorded_on_date, recorded_to_date, remaining, "
                         "coverage_pct FROM ektp_coverage.kelurahan_daily WHERE report_date = :d "
                         "ORDER BY kelurahan_code", d=day)
        assert data["kelurahan_count"] == len(kel) == len(data["kelurahan"])
        got = sorted((r["kelurahan_code"], r["target_residents"], r["recorded_on_date"], r["recorded_to_date"],
                      r["remaining"], _num(r["coverage_pct"])) for r in data["kelurahan"])
        assert got == [(*r[:5], _num(r[5])) for r in kel]
        table = sorted((c["kelurahan_code"], int(c["recorded_to_date"]), _num(c["coverage_pct"]))
                       for c in cells["table-kelurahan"])
        assert table == [(r[0], r[3], _num(r[5])) for r in kel]

        sites = fetch(url, "SELECT site_code, site_name, batch_files, rows_received, rows_rejected, rows_duplicate, "
                           "rows_accepted, matched, identity_mismatch, not_in_extract FROM ektp_coverage.site_daily "
                           "WHERE report_date = :d ORDER BY site_code", d=day)
        cols = ["site_code", "site_name", "batch_files", "rows_received", "rows_rejected", "rows_duplicate",
                "rows_accepted", "matched", "identity_mismatch", "not_in_extract"]
        assert sorted(tuple(r[c] for c in cols) for r in data["sites"]) == sorted(sites)
        shown = sorted(tuple(c[k] for k in cols) for c in cells["table-sites"])
        assert shown == sorted(tuple(map(str, r)) for r in sites)

        rejections = sorted(fetch(url, "SELECT reason, rows FROM ektp_coverage.rejections_daily "
                                       "WHERE report_date = :d", d=day))
        assert rejections, "the sample data has rejections every day"
        assert sorted((r["reason"], r["rows"]) for r in data["rejections"]) == rejections
        assert sorted((c["reason"], int(c["rows"])) for c in cells["table-rejections"]) == rejections

        outreach = fetch(url, "SELECT kelurahan_code, remaining, remaining_aged_16_18 "
                              "FROM ektp_coverage.outreach_targets_daily WHERE report_date = :d "
                              "ORDER BY kelurahan_code", d=day)
        assert sorted((r["kelurahan_code"], r["remaining"], r["remaining_aged_16_18"])
                      for r in data["outreach"]) == outreach
        shown = {c["kelurahan_code"]: (int(c["remaining"]), int(c["remaining_aged_16_18"]))
                 for c in cells["table-outreach"]}
        assert shown and all(shown[k] == (a, b) for k, a, b in outreach if k in shown)

        trend = fetch(url, "SELECT k.report_date, sum(k.target_residents), sum(k.recorded_on_date), "
                           "sum(k.recorded_to_date) FROM ektp_coverage.kecamatan_daily k WHERE k.report_date <= :d "
                           "GROUP BY k.report_date ORDER BY k.report_date", d=day)
        flows = fetch(url, "SELECT report_date, sum(rows_received), sum(rows_rejected), sum(rows_duplicate), "
                           "sum(rows_accepted), sum(matched) FROM ektp_coverage.site_daily WHERE report_date <= :d "
                           "GROUP BY report_date ORDER BY report_date", d=day)
        assert [r["report_date"] for r in data["trend"]] == published.dates[: published.dates.index(day) + 1]
        assert [(r["report_date"], r["target_residents"], r["recorded_on_date"], r["recorded_to_date"])
                for r in data["trend"]] == [(str(d), *rest) for d, *rest in trend]
        assert [(r["report_date"], r["rows_received"], r["rows_rejected"], r["rows_duplicate"], r["rows_accepted"],
                 r["matched"]) for r in data["trend"]] == [(str(d), *rest) for d, *rest in flows]

        files = fetch(url, "SELECT kind, file_path, outcome, reason, site_code, rows FROM ektp_coverage.files_daily "
                           "WHERE report_date = :d", d=day)
        assert files, "every published date has landed files"
        assert sorted((f["kind"], f["file_path"], f["outcome"], f["reason"], f["site_code"], f["rows"])
                      for f in data["files"]) == sorted(files)
        shown = [(c["file_path"], c["outcome"]) for c in cells["table-files-attention"] if "file_path" in c]
        shown += [(c["file_path"], "loaded") for c in cells["table-files-loaded"] if "file_path" in c]
        assert sorted(shown) == sorted((f[1], f[2]) for f in files)

        t = data["totals"]
        assert t["target_residents"] == sum(r[2] for r in kec)
        assert t["recorded_to_date"] == sum(r[4] for r in kec)
        assert t["remaining"] == sum(r[5] for r in kec) == sum(r[1] for r in outreach)
        assert t["rows_rejected"] == sum(r[1] for r in rejections)


def test_no_nik_in_the_report_or_the_published_schema(published):
    url = published.url
    niks = {n for (n,) in fetch(url, "SELECT nik FROM ektp_ingest.registry_resident")}
    niks |= {n for (n,) in fetch(url, "SELECT nik FROM ektp_ingest.recording")}
    niks |= {n for (n,) in fetch(url, "SELECT nik FROM ektp_quarantine.followup_redo WHERE nik IS NOT NULL")
             if re.fullmatch(r"\d{16}", n or "")}
    assert len(niks) > 3000

    for day in published.dates:
        html_text = _report(published, day)
        assert not SIXTEEN_DIGITS.findall(_without_plotly_js(html_text)), day
        assert not set(re.findall(r"\d{16}", html_text)) & niks, f"a NIK in the report of {day}"

    for name in COVERAGE_TABLES:
        rows = fetch(url, f"SELECT * FROM ektp_coverage.{name}")
        assert rows, name
        text = "\n".join("|".join(str(v) for v in r) for r in rows)
        assert not SIXTEEN_DIGITS.findall(text), name
        assert not set(re.findall(r"\d{16}", text)) & niks, name

    # the restricted lists and the CSV files do hold them: that is where field teams find them
    for name in FOLLOWUP_TABLES:
        (n,), = fetch(url, f"SELECT count(*) FROM ektp_quarantine.{name}")
        assert n > 0, name
    csv_text = "".join(p.read_text(encoding="utf-8-sig") for p in (published.report_dir / "followup").rglob("*.csv"))
    assert set(re.findall(r"\d{16}", csv_text)) & niks

    if published.kind == "postgresql":  # by column name: person-level columns only outside ektp_coverage
        cols = fetch(url, "SELECT table_schema, table_name, column_name FROM information_schema.columns "
                          "WHERE table_schema = 'ektp_coverage' AND (column_name LIKE '%nik%' "
                          "OR column_name LIKE '%full_name%' OR column_name LIKE '%birth%')")
        assert cols == []


def test_followup_lists_and_csv_files(published):
    from ektp.core.settings import settings
    from ektp.core.texts import texts
    from ektp.outputs.site_lists import KINDS, NO_MATCH

    t = texts(settings().language)
    url = published.url
    for day in published.dates:
        (rejected, mismatch, not_in_extract), = fetch(
            url, "SELECT sum(rows_rejected), sum(identity_mismatch), sum(not_in_extract) FROM ektp_coverage.site_daily "
                 "WHERE report_date = :d", d=day)
        counts = {name: fetch(url, f"SELECT count(*) FROM ektp_quarantine.followup_{name} WHERE report_date = :d",
                              d=day)[0][0] for name in ("redo", "identity_mismatch", "not_in_extract")}
        assert counts == {"redo": rejected, "identity_mismatch": mismatch, "not_in_extract": not_in_extract}

        folder = published.report_dir / "followup" / day
        sites = {s for (s,) in fetch(url, "SELECT site_code FROM ektp_coverage.site_daily WHERE report_date = :d",
                                     d=day)}
        files = sorted(folder.glob("*.csv"))
        # sample site codes are already safe file names; a file rejected whole whose name begins with no site code
        # that ever loaded a file is in the list without a site
        assert sites <= {f.stem for f in files} <= sites | {"_no_site"}
        rows = []
        for f in files:
            with f.open(encoding="utf-8-sig", newline="") as fh:
                got = list(csv.DictReader(fh))
            assert {r[t("Site code")] for r in got} <= {f.stem.replace("_no_site", "")}
            rows += got
        by_kind = {k: sum(1 for r in rows if r[t("What to do")] == t(KINDS[k])) for k in counts}
        assert by_kind == counts
        # the batch and line of every row in its file
        assert all(r[t("Line in the file")].isdigit() for r in rows if r[t("What to do")] != t(KINDS["resend_file"]))
        assert all(r[t("Batch")] for r in rows
                   if r[t("What to do")] in (t(KINDS["identity_mismatch"]), t(KINDS["not_in_extract"])))
        # suggestions: the best one in the CSV exactly as in the table; otherwise ask for the KTP/KK
        sugg = fetch(url, "SELECT file_path, row_number, suggestion_rank, nik, score "
                          "FROM ektp_quarantine.followup_suggestion WHERE report_date = :d", d=day)
        lines = {(f, n): line for f, n, line in fetch(
            url, "SELECT file_path, row_number, line_number FROM ektp_quarantine.followup_redo WHERE report_date = :d "
                 "UNION ALL SELECT file_path, row_number, line_number FROM ektp_ingest.recording "
                 "WHERE recording_date = :d", d=day)}
        best = {(f, str(lines[(f, n)]), nik, t.number(float(s), 1)) for f, n, rank, nik, s in sugg if rank == 1}
        assert {(r[t("File")], r[t("Line in the file")], r[t("Suggested NIK")], r[t("Match score")]) for r in rows
                if r[t("Suggested NIK")]} == best
        assert all(r[t("Suggested resident")] == t(NO_MATCH) for r in rows
                   if not r[t("Suggested NIK")] and r[t("What to do")] == t(KINDS["not_in_extract"]))
        assert all(75 <= float(s) <= 100 for *_, s in sugg)

    # identity mismatches: the extract's values beside the captured ones, and they do differ
    for cap_birth, cap_sex, ex_birth, ex_sex, differs in fetch(
            url, "SELECT birth_date, sex, extract_birth_date, extract_sex, differs "
                 "FROM ektp_quarantine.followup_identity_mismatch"):
        assert (str(cap_birth) != str(ex_birth), cap_sex != ex_sex) == ("birth_date" in differs, "sex" in differs)


def test_outreach_targets_and_residents(published):
    url = published.url
    for day in published.dates:
        pairs = fetch(url, "SELECT k.kelurahan_code, k.remaining, o.remaining, o.kelurahan_name, k.kelurahan_name "
                           "FROM ektp_coverage.kelurahan_daily k LEFT JOIN ektp_coverage.outreach_targets_daily o "
                           "ON o.report_date = k.report_date AND o.kelurahan_code = k.kelurahan_code "
                           "WHERE k.report_date = :d", d=day)
        assert len(pairs) == 65 and all(a == b and c == d for _, a, b, c, d in pairs)
    # the restricted list holds the latest published date: the residents the counts count, by name
    last = date.fromisoformat(published.dates[-1])
    residents = fetch(url, "SELECT report_date, kelurahan_code, birth_date, aged_16_18 "
                           "FROM ektp_quarantine.outreach_residents")
    assert {str(r[0]) for r in residents} == {published.dates[-1]}
    targets = dict(((k, (n, s)) for k, n, s in fetch(
        url, "SELECT kelurahan_code, remaining, remaining_aged_16_18 FROM ektp_coverage.outreach_targets_daily "
             "WHERE report_date = :d", d=published.dates[-1])))
    per_kel: dict[str, list[int]] = {}
    for _, kel, birth, flag in residents:
        b = birth if isinstance(birth, date) else date.fromisoformat(birth)
        age = last.year - b.year - ((last.month, last.day) < (b.month, b.day))
        assert bool(flag) == (16 <= age <= 18)
        n = per_kel.setdefault(kel, [0, 0])
        n[0] += 1
        n[1] += 16 <= age <= 18
    assert {k: tuple(v) for k, v in per_kel.items()} == {k: v for k, v in targets.items() if v[0]}
    assert sum(v[1] for v in per_kel.values()) > 0


def test_report_renders_in_headless_chromium(sqlite_run):
    """Offline, no console or page errors, every chart drawn, chart data = published numbers."""
    from playwright.sync_api import sync_playwright

    published = sqlite_run
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (.ci/run installs it)"
    day = DATES[-1]
    path = published.report_dir / f"coverage_{day}.html"
    coverage = {name: _num(pct) for name, pct in fetch(
        published.url, "SELECT kecamatan_name, coverage_pct FROM ektp_coverage.kecamatan_daily "
                       "WHERE report_date = :d", d=day)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"report_{published.kind}_{day}.png"
    errors, requests = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5")
            charts = page.evaluate("""[...document.querySelectorAll('.js-plotly-plot')].map(d => ({
                id: d.id, svg: d.querySelectorAll('svg.main-svg').length,
                bars: d.querySelectorAll('.bars .point, .scatterlayer .point').length}))""")
            kecamatan = page.evaluate("(() => { const t = document.getElementById('chart-kecamatan').data[0];"
                                      " return [t.y, t.x]; })()")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert [r for r in requests if not r.startswith("file://")] == [], "the report loads nothing from the network"
    assert {c["id"] for c in charts} >= {"chart-kecamatan", "chart-kelurahan", "chart-recordings", "chart-cumulative",
                                         "chart-campaign", "chart-rejections"}
    assert all(c["svg"] > 0 and c["bars"] > 0 for c in charts), charts
    assert dict(zip(kecamatan[0], map(_num, kecamatan[1]), strict=True)) == coverage
    assert shot.stat().st_size > 50_000


def test_report_task_follows_publish(coverage_dag):
    task = coverage_dag.get_task("write_coverage_report")
    assert task.upstream_task_ids == {"publish_coverage"}
    assert task.retries >= 1
