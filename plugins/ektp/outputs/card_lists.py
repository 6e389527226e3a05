"""Card lists for the field (contract §6): what an outreach team needs on its next visit to a site.

For a report date D, after D is published, ``<report_dir>/cards/<D>/``:

* ``<site>.csv`` (the file name of ``followup.site_file_name``), one per site with someone listed: the residents
  recorded there whose card is printed and not yet handed over (bring it to the school on the next visit), those
  whose biometrics belong to another NIK (refer them to the Dukcapil office), and those waiting for a card more
  than 14 days after their recording (a blank-card shortage shows here);
* ``_unlinked.csv``: valid card events that link to no recording (a NIK the print office or the deduplication
  system knows but no recording here has), to check against the devices' records.

Stages are the funnel's, computed in SQL (``sql/followup/select_card_lists.sql`` with
``sql/shared/card_stages.sql``). NIKs and names inside: folders and files are for their owner only, like the
follow-up lists; every cell is spreadsheet-safe text; headers and words are in the report's language
(``EKTP_LANGUAGE``, Bahasa Indonesia by default).
"""

from __future__ import annotations

import csv
import logging
import os
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ektp.core.calendar import WIB
from ektp.core.file_modes import PRIVATE_FILE, create_new, replaced_folder
from ektp.core.texts import N_, Texts, texts
from ektp.outputs.followup import CSV_ENCODING, followup_lock, site_file_name, spreadsheet_text

log = logging.getLogger(__name__)

CARDS_DIR = "cards"
UNLINKED_FILE = "_unlinked.csv"  # no site file name starts with "_" but the empty code's "_no_site.csv"
AWAITING_PRINT_DAYS = 14

#: the stages listed (contract §6.2; -1 biometric_duplicate, 0 recorded, 1 prr, 2 printed) -> what the team does
LISTS = {
    2: N_("card printed: bring it to the next visit and hand it over"),
    -1: N_("biometric duplicate: refer the resident to the Dukcapil office"),
    1: N_("print-ready, waiting for a card more than 14 days"),
    0: N_("waiting for deduplication more than 14 days"),
}
#: the date each listed stage started (``stage_on``) is the date of this event
STAGE_EVENTS = {2: N_("printed on"), -1: N_("biometric duplicate found on"), 1: N_("print-ready on")}
#: card events (contract §6.1) in words
EVENTS = {
    "prr": N_("print-ready (deduplication passed)"),
    "biometric_duplicate": N_("biometric duplicate (no card)"),
    "printed": N_("card printed"),
    "delivered": N_("card handed over"),
    "activated": N_("digital ID activated"),
}
SITE_COLUMNS = {
    "list": N_("list"), "site_code": N_("site code"), "site_name": N_("site name"), "nik": N_("NIK"),
    "full_name": N_("full name"), "birth_date": N_("birth date"), "sex": N_("sex"),
    "recorded_on": N_("recorded on"), "since": N_("since"), "since_date": N_("since date"),
    "days_waiting": N_("days since recording"),
}
UNLINKED_COLUMNS = {
    "event_date": N_("event date"), "nik": N_("NIK"), "event": N_("event"), "event_at": N_("event time (WIB)"),
    "site_code": N_("site code in the export"), "file_path": N_("file"), "row_number": N_("row"),
}


def write_card_lists(engine, report_date: date, report_dir: Path, language: str | None = None) -> dict:
    """Replace D's card lists (one folder, written whole); returns counts only."""
    from ektp import warehouse as wh
    from ektp.core.settings import setting

    words = texts(language or setting("language"))
    params = {"report_date": report_date, "awaiting_since": report_date - timedelta(days=AWAITING_PRINT_DAYS)}
    with engine.connect() as conn:
        wh.tune_set_based_statements(conn)  # the card stages' hashes and sorts in memory, no JIT
        listed = wh.query(conn, "followup/select_card_lists", params)
        unlinked = wh.query(conn, "followup/select_unlinked_card_events", params)
        names = dict(wh.query(conn, "followup/select_funnel_site_names", params))
    by_site: dict[str, list[dict]] = defaultdict(list)
    for r in listed:
        recorded_on = date.fromisoformat(_day(r.recording_date))
        by_site[r.site_code].append({
            "list": words(LISTS[r.stage]), "site_code": r.site_code, "site_name": names.get(r.site_code, ""),
            "nik": r.nik, "full_name": r.full_name, "birth_date": _day(r.birth_date), "sex": r.sex,
            "recorded_on": recorded_on.isoformat(),
            "since": words(STAGE_EVENTS[r.stage]) if r.stage in STAGE_EVENTS else "",
            "since_date": _day(r.stage_on), "days_waiting": (report_date - recorded_on).days,
        })
    unlinked_rows = [{
        "event_date": _day(e.event_date), "nik": e.nik, "event": words(EVENTS.get(e.event, e.event)),
        "event_at": _wib(e.event_at), "site_code": e.site_code or "", "file_path": e.file_path,
        "row_number": e.row_number,
    } for e in unlinked]
    files = {site_file_name(code): (SITE_COLUMNS, rows) for code, rows in by_site.items()}
    files[UNLINKED_FILE] = (UNLINKED_COLUMNS, unlinked_rows)
    folder = report_dir / CARDS_DIR / report_date.isoformat()
    _write_folder(folder, files, words)
    counts = defaultdict(int)
    for r in listed:
        counts[{2: "printed_not_delivered", -1: "biometric_duplicate"}.get(r.stage, "awaiting_print_14d")] += 1
    summary = {"report_date": report_date.isoformat(), "sites": len(by_site), "unlinked": len(unlinked_rows),
               "printed_not_delivered": 0, "biometric_duplicate": 0, "awaiting_print_14d": 0, **counts}
    log.info("card lists for %s: %s", report_date, summary)
    return summary


def _day(value: date | str | None) -> str:
    """A stored date (a date on PostgreSQL, ISO text on SQLite) as ISO text."""
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)[:10]


def _wib(value: datetime | str) -> str:
    """A stored instant (timestamptz on PostgreSQL, UTC text on SQLite) in WIB, to the second."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(WIB).isoformat(timespec="seconds")


def _write_folder(folder: Path, files: dict[str, tuple[dict[str, str], list[dict[str, Any]]]], words: Texts) -> None:
    """The files written into a new folder that then replaces the old one: a reader never sees half a date, and
    a site no longer listed on a republished date keeps no stale file. A failed write leaves no folder behind."""
    with followup_lock(folder.parent), replaced_folder(folder) as tmp:
        for name, (columns, rows) in sorted(files.items()):
            with os.fdopen(create_new(tmp / name, PRIVATE_FILE), "w", encoding=CSV_ENCODING, newline="") as fh:
                writer = csv.writer(fh, lineterminator="\r\n")
                writer.writerow([spreadsheet_text(words(label)) for label in columns.values()])
                writer.writerows([spreadsheet_text(row[key]) for key in columns] for row in rows)
