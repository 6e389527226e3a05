"""What a retraction removes, and why removing one published date leaves every other one right.

Read from the SQL files themselves, so that a table or a statement added later that breaks either rule fails
here: a table holding rows of a report date that ``sql/retract/delete_report_date.sql`` does not empty, or a
statement computing a date's published rows from ANOTHER date's published rows (then a retraction would have
to refuse, or take the dependent dates with it: docs/decisions.md, "Withdrawing a published date").
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ektp.admin import retract

ROOT = Path(__file__).resolve().parents[3]
SQL = ROOT / "sql"
TABLES = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+\.\w+) \((.*?)\n\);",
                    (SQL / "schema" / "create_tables.sql").read_text(encoding="utf-8"), re.S)
#: tables with a report_date that are not rows OF a date: the publish work list (empty between runs) and the audit
NOT_OF_A_DATE = {"ektp_ingest.publish_queue", "ektp_ingest.retraction"}
#: the stages whose statements compute what is published (the reports only read it; schema and security do not count)
COMPUTING = ("plan", "load", "resolve", "publish", "followup")
#: reads of published rows while publishing, each limited to the very dates being published (kecamatan rows are the
#: sums of the kelurahan rows just inserted, outreach targets take their remaining from them)
SAME_DATE_READS = {
    ("publish/insert_kecamatan_daily", "kelurahan_daily"): "report_date IN (SELECT report_date FROM "
                                                           "ektp_ingest.publish_queue)",
    ("publish/insert_outreach_targets_daily", "kelurahan_daily"): "k.report_date = :report_date",
    # the card lists name a date's sites from that date's funnel (a read for a list, not a published row)
    ("followup/select_funnel_site_names", "site_funnel_daily"): "report_date = :report_date",
}


def _without_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def test_every_table_of_a_report_date_is_emptied_for_it():
    of_a_date = {name for name, body in TABLES if re.search(r"^\s*report_date\s", body, re.M)} - NOT_OF_A_DATE
    published = {name for name, _ in TABLES if name.startswith("ektp_coverage.")}
    assert published <= of_a_date and "ektp_ingest.published_report" in of_a_date
    assert set(retract.deleted_tables()) == of_a_date
    assert len(retract.deleted_tables()) == len(of_a_date), "one statement per table: its count goes to the audit"
    text = _without_comments((SQL / "retract" / "delete_report_date.sql").read_text(encoding="utf-8"))
    statements = [s.strip() for s in text.split(";") if s.strip()]
    assert all(s.endswith("WHERE report_date = :report_date") for s in statements), "only rows of that date"


def test_no_published_date_is_computed_from_another_dates_published_rows():
    reads = {}
    for stage in COMPUTING:
        for path in sorted((SQL / stage).glob("*.sql")):
            text = _without_comments(path.read_text(encoding="utf-8"))
            for found in re.finditer(r"\b(DELETE\s+)?(?:FROM|JOIN)\s+ektp_coverage\.(\w+)", text):
                if not found.group(1):  # a DELETE replaces the date's own rows: not a read
                    reads[(f"{stage}/{path.stem}", found.group(2))] = text[found.end():found.end() + 200]
    assert set(reads) == set(SAME_DATE_READS), "a new read of published rows: is it limited to the same date?"
    for key, condition in SAME_DATE_READS.items():
        assert re.match(r"\s*\w*\s*WHERE\s+" + re.escape(condition), reads[key]), key


@pytest.mark.parametrize(("reason", "refusal"), [
    (None, "a reason is required"), ("", "a reason is required"), ("  \n ", "a reason is required"),
    ("x" * 1001, "at most 1000"), ("resident 3174015501080001 was counted", "could be a NIK"),
])
def test_a_reason_is_required_and_holds_no_nik(reason, refusal):
    with pytest.raises(retract.RetractionRefused, match=refusal):
        retract.checked_reason(reason)


def test_a_reason_is_kept_as_written_but_for_surrounding_space():
    assert retract.checked_reason("  ticket OPS-1234: test run published 2026-11-04 \n") == \
        "ticket OPS-1234: test run published 2026-11-04"


@pytest.mark.parametrize("text", ["2026-11-4", "20261104", "2026-11-04T00:00", "2026-02-30", "", "04/11/2026"])
def test_a_date_is_written_yyyy_mm_dd(text):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        retract.parse_date(text)
