"""One open-items list per site across every report date: what the team was given, and whether it is still open.

Each item of a date's site lists (``ektp.outputs.site_lists``) is kept in ``ektp_quarantine.followup_item``
when the lists are written, with whether it is still in its date's lists (``listed``). Its status:

* ``fixed`` when the file was corrected and loaded again: the next run reloads a file re-uploaded at the same
  path, republishes its date and writes its lists again, without the item;
* ``fixed`` when a later accepted recording of the resident (the row's NIK, or the best suggested resident's)
  matched SIAK;
* ``open`` otherwise.

``<report_dir>/followup/open_items/<site>.csv``: every item of the site, open ones first, with the status in
words, when it was fixed and how, and the row as it was listed. Rewritten after every run that writes lists;
items of a withdrawn date, or older than the quarantine's retention, are dropped with their lists.
Remembering what was given is what makes "fixed" possible: a fresh run over corrected files has nothing left
to show for them, so this list is the one output that depends on the history of runs (docs/decisions.md).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ektp.core.texts import N_, Texts
from ektp.outputs.followup import FOLLOWUP_DIR, _iso, _wib
from ektp.outputs.site_lists import COLUMNS, best_suggestion, item_nik, render, write_site_folder

log = logging.getLogger(__name__)

OPEN_ITEMS_DIR = "open_items"
STATUS = {"open": N_("open"), "fixed": N_("fixed")}
FIXED_HOW = {"file_corrected": N_("the file was corrected and loaded again"),
             "resident_matched": N_("a later recording of this resident matched SIAK")}
ITEM_COLUMNS = [("status", N_("Status")), ("status_detail", N_("How it was fixed")), *COLUMNS]


def record_listed(conn, report_date: date, rows: list[dict[str, Any]], listed_at: datetime) -> None:
    """Record the items of ``report_date``'s lists (in the transaction that writes them)."""
    from ektp import warehouse as wh

    wh.run_sql(conn, "followup/unlist_followup_items", {"report_date": report_date})
    wh.run_sql_many(conn, "followup/upsert_followup_item", [{
        "report_date": report_date, "item_kind": r["kind"], "file_path": r["file_path"],
        "row_number": r["row_number"], "site_code": r["site_code"], "nik": item_nik(r),
        "suggested_nik": best_suggestion(r), "listed_at": listed_at, "shown": json.dumps(r, default=str),
    } for r in rows])


def write_open_items(engine, report_dir: Path, texts: Texts) -> dict:
    """Decide every item's status again and write each site's open-items list."""
    from ektp import warehouse as wh

    with wh.transaction(engine) as conn:
        wh.run_sql(conn, "followup/update_followup_item_status", {"checked_at": datetime.now(UTC)})
        items = wh.query(conn, "followup/select_followup_items")
    by_site: dict[str, list[dict[str, str]]] = {}
    counts = {"open": 0, "fixed": 0}
    for item in items:
        cells = render(json.loads(item.shown), texts)
        cells["status"] = texts(STATUS[item.status])
        if item.status == "fixed":
            when = (_wib(item.fixed_at) or "")[:10]
            cells["status_detail"] = f"{texts(FIXED_HOW[item.fixed_how])} ({when})" if when else \
                texts(FIXED_HOW[item.fixed_how])
        else:
            cells["status_detail"] = ""
        cells["report_date"] = _iso(item.report_date) or ""
        by_site.setdefault(item.site_code, []).append(cells)
        counts[item.status] += 1
    folder = Path(report_dir) / FOLLOWUP_DIR / OPEN_ITEMS_DIR
    files = write_site_folder(folder, by_site, [texts(t) for _, t in ITEM_COLUMNS], [k for k, _ in ITEM_COLUMNS],
                              by_site)
    log.info("open items: %d open, %d fixed, in %d site lists", counts["open"], counts["fixed"], len(files))
    return {"open_items": counts["open"], "fixed_items": counts["fixed"], "open_item_files": len(files)}
