"""The report fits any screen: in Chromium at phone, tablet and desktop widths no element sticks out of its card,
no two cards overlap, and the page never scrolls sideways. Screenshots at 412 and 1440 px are written to
``var/test-artifacts/`` for people to look at.

The report is rendered from a warehouse filled straight with published rows (``tests/report_scenario.py``):
ten kecamatan, 65 kelurahan, long site names, long reasons in Bahasa Indonesia, a change of extract.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ektp import warehouse as wh
from ektp.outputs import report

from tests import report_scenario
from tests.integration.test_report import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

WIDTHS = [412, 768, 1280, 1440, 1920]
SCREENSHOTS = {412, 1440}

#: every visible element inside a card or KPI box must lie within it (a table may scroll inside its own
#: .table-wrap, which must itself fit; the contents of a closed <details> are not shown); cards must not overlap;
#: the document must be no wider than the window
FIND_OVERFLOWS = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth)
    problems.push(`page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
  const name = el => (el.id ? "#" + el.id : el.tagName.toLowerCase())
    + (el.getAttribute("class") ? "." + String(el.getAttribute("class")).split(" ")[0] : "")
    + ` "${(el.textContent || "").trim().slice(0, 40)}"`;
  const cards = [...document.querySelectorAll(".card, .kpi")];
  for (const card of cards) {
    const box = card.getBoundingClientRect();
    for (const el of card.querySelectorAll("*")) {
      if (el.parentElement.closest(".table-wrap")) continue;
      if (el.closest("details:not([open])") && !el.closest("summary") && el.tagName !== "DETAILS") continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        problems.push(`${name(el)} sticks out of ${name(card).slice(0, 40)}: left ${Math.round(r.left - box.left)}, `
                      + `right ${Math.round(r.right - box.right)}, bottom ${Math.round(r.bottom - box.bottom)}`);
    }
  }
  for (let i = 0; i < cards.length; i++) for (let j = i + 1; j < cards.length; j++) {
    const a = cards[i].getBoundingClientRect(), b = cards[j].getBoundingClientRect();
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
      problems.push(`${name(cards[i]).slice(0, 40)} and ${name(cards[j]).slice(0, 40)} overlap`);
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("layout")
    engine = wh.make_engine(f"sqlite:///{tmp / 'w.sqlite'}")
    wh.migrate(engine)
    report_scenario.fill(engine)
    path = report.write_report(engine, report_scenario.LAST, tmp / "reports", "id")
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (.ci/run installs it)"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_overflows_its_card_at_any_width(report_file, browser, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(report_file.as_uri(), wait_until="load")
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 7")
        charts = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')].map(d => d.id)")
        problems = page.evaluate(FIND_OVERFLOWS)
        if width in SCREENSHOTS:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / f"report_{width}px.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000
    finally:
        page.close()
    assert errors == [] and [r for r in requests if not r.startswith("file://")] == []
    assert set(charts) == {f"chart-{n}" for n in ("kecamatan", "kelurahan", "campaign", "cumulative", "recordings",
                                                  "rejections", "funnel")}
    assert problems == []


def test_the_check_sees_an_overflowing_chart(report_file, browser):
    """The check is not blind: a chart forced wider than its card (as the old fixed-width layout was) is caught."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(report_file.as_uri(), wait_until="load")
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 7")
        page.evaluate("Plotly.relayout('chart-recordings', {autosize: false, width: 1400})")
        problems = page.evaluate(FIND_OVERFLOWS)
    finally:
        page.close()
    assert any("sticks out of #recordings" in p for p in problems), problems
