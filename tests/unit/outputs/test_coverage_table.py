"""The console tables of `make sample`: the card funnel per site after the coverage table."""

from __future__ import annotations

from datetime import date

from ektp.outputs.coverage_table import funnel_rows, render_funnel

from tests.integration.test_card_stages import LAB, NOV, RW, publish, scenario_without_late_batch


def test_the_funnel_table_lists_every_site_and_the_total(engine):
    scenario_without_late_batch().write(engine)
    publish(engine, NOV[20])
    lines = render_funnel(funnel_rows(engine, NOV[20]), NOV[20]).splitlines()
    assert lines[0] == "Card funnel per outreach site, 2026-11-20"
    assert lines[2].split() == ["site", "name", "recorded", "bio", "dup", "print-ready", "printed", "handed", "over",
                                "activated", "waiting", ">14d"]
    # the hand-computed funnel of tests/integration/test_card_stages.py on 11-20, before the late batch
    body = [line.split() for line in lines[4:]]
    assert body == [[LAB, "SMA", "Labschool", "6", "2", "3", "3", "1", "1", "1"],  # the most recorded first
                    [RW, "Balai", "RW", "01", "Tebet", "4", "0", "3", "1", "0", "0", "3"],
                    ["-" * len(c) for c in lines[3].split()],
                    ["TOTAL", "10", "2", "6", "4", "1", "1", "4"]]


def test_a_date_without_a_funnel_says_so():
    assert render_funnel([], date(2026, 11, 2)).splitlines()[-1] == "(nothing published for this date)"
