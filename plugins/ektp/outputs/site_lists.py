"""Follow-up lists a field team works through: one CSV per outreach site and report date, in the reader's language.

``<report_dir>/followup/<D>/<site>.csv`` holds every item of site S for the recordings of D: rows to record
again (``followup_redo``), identities that differ from SIAK (``followup_identity_mismatch``), NIKs not in the
extract (``followup_not_in_extract``) and the site's batch files rejected whole (``files_daily``, outcome
``rejected``: "send the file again"). Every row says where it is (file, batch, line), what is wrong in words,
and how to fix it: correct the file and upload it again at the same path, which the next run loads in place of
the old one (contract §2.1). Rows a resident can be found for carry the best suggestion, or "no likely match:
ask for the KTP/KK". Headers, reasons and instructions come from the message catalogue (``ektp.core.texts``);
codes stay beside the words. Every cell goes through ``spreadsheet_text``.

A file rejected whole cannot be read, so its site is not known from its rows: it goes to the site whose code
begins the file's name (``RW12-TEBET-TIMUR_TAB01.csv``: ``RW12-TEBET-TIMUR``), the longest such code of the
sites that ever loaded a file; otherwise to the list without a site (``_no_site.csv``).
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from ektp.core.file_modes import PRIVATE_FILE, create_new, replaced_folder
from ektp.core.reasons import describe
from ektp.core.regions import code_lists
from ektp.core.texts import N_, Texts
from ektp.outputs.followup import (
    CSV_ENCODING,
    NIK_REASONS,
    _iso,
    _kelurahan,
    _normalised_nik,
    _wib,
    followup_lock,
    site_file_name,
    spreadsheet_text,
)

#: what a team does with an item, by kind
KINDS = {
    "resend_file": N_("Send the file again"),
    "redo": N_("Correct the row"),
    "identity_mismatch": N_("Check the identity"),
    "not_in_extract": N_("Check the NIK"),
}

#: how to fix each reason, in plain words (the upload sentence follows where the file is to be sent again)
INSTRUCTIONS = {
    # whole files (contract §4, files_daily)
    "not_utf8": N_("Save the file again as \"CSV UTF-8\" from the spreadsheet or the recording application."),
    "bad_header": N_("The first line must be the header with the column names, each name once. Export the file "
                     "again from the recording application."),
    "missing_column": N_("A required column is missing. Export the file again from the recording application with "
                         "every column: batch_id, site_code, site_name, operator_id, recorded_at, nik, full_name, "
                         "birth_date, sex."),
    # rows (contract §2.2)
    "malformed_row": N_("This line has more or fewer fields than the header (often a comma in a name that is not "
                        "in quotes). Fix the line."),
    "missing_value": N_("Fill in the empty field: batch, site, operator, time, NIK, name, birth date and sex are "
                        "all required."),
    "nik_format": N_("Check the NIK against the resident's KTP or KK and correct it (16 digits)."),
    "nik_region": N_("Check the NIK against the resident's KTP or KK and correct it (16 digits)."),
    "nik_birthdate": N_("Check the NIK against the resident's KTP or KK and correct it (16 digits)."),
    "nik_serial": N_("Check the NIK against the resident's KTP or KK and correct it (16 digits)."),
    "bad_birth_date": N_("Correct the birth date from the KTP or KK, written as YYYY-MM-DD."),
    "bad_sex": N_("Write sex as L (male) or P (female)."),
    "bad_recorded_at": N_("Correct the recording time (with +07:00), or put the file in the folder of the day it "
                          "was recorded."),
    # accepted rows that do not match (contract §3)
    "identity_mismatch": N_("The NIK is in SIAK with another birth date or sex. Check the KTP or KK: if the "
                            "recording is wrong, correct the row; if SIAK is wrong, report it to Dukcapil for a "
                            "data update."),
    "not_in_extract": N_("The NIK is not among the residents to record in SIAK. Compare it with the suggested "
                         "resident and the KTP or KK: if the NIK was mistyped, correct it in the row."),
}
RESEND = N_("Then upload the corrected file again at the same path, with the same name: {file_path}")
NO_MATCH = N_("no likely match: ask for the KTP/KK")
AS_RECEIVED = N_("as received")

#: (key, header) of a site list's columns, in order
COLUMNS = [
    ("item", N_("What to do")), ("reason", N_("Reason")), ("instruction", N_("How to fix it")),
    ("report_date", N_("Recording date")), ("site_code", N_("Site code")), ("site_name", N_("Site name")),
    ("file_path", N_("File")), ("batch_id", N_("Batch")), ("line_number", N_("Line in the file")),
    ("recorded_at", N_("Recorded at (WIB)")), ("operator_id", N_("Operator")), ("nik", N_("NIK as recorded")),
    ("full_name", N_("Name")), ("birth_date", N_("Birth date")), ("sex", N_("Sex")),
    ("kelurahan_code", N_("Kelurahan code")), ("kelurahan_name", N_("Kelurahan")),
    ("kecamatan_code", N_("Kecamatan code")), ("kecamatan_name", N_("Kecamatan")),
    ("siak_full_name", N_("Name in SIAK")), ("siak_birth_date", N_("Birth date in SIAK")),
    ("siak_sex", N_("Sex in SIAK")), ("suggestion", N_("Suggested resident")),
    ("suggestion_nik", N_("Suggested NIK")), ("suggestion_score", N_("Match score")),
    ("other_suggestions", N_("Other possible residents")), ("reason_code", N_("Reason code")),
]

Row = dict[str, Any]


def read_rows(conn, report_date: date) -> dict[str, Any]:
    """The date's items, by site (codes and values, not yet words), and every site that loaded a file that day."""
    from ektp import warehouse as wh

    params = {"report_date": report_date}
    day = report_date.isoformat()
    suggestions: dict[tuple[str, int], list] = defaultdict(list)
    for s in wh.query(conn, "followup/select_suggestions", params):
        suggestions[(s.file_path, s.row_number)].append(
            {"nik": s.nik, "full_name": s.full_name or "", "birth_date": _iso(s.birth_date), "sex": s.sex,
             "kelurahan_code": s.kelurahan_code, "score": float(s.score)})
    known = [(r.site_code, r.site_name) for r in wh.query(conn, "followup/select_known_sites")]
    rows: list[Row] = []
    for f in wh.query(conn, "followup/select_resend_files", params):
        site, name = file_site(f.file_path, known)
        rows.append({"kind": "resend_file", "report_date": day, "site_code": site, "site_name": name,
                     "file_path": f.file_path, "row_number": 0, "reason_code": f.reason_code})
    for r in wh.query(conn, "followup/select_redo_list", params):
        rows.append({
            "kind": "redo", "report_date": day, "site_code": r.site_code, "site_name": r.site_name,
            "file_path": r.file_path, "row_number": r.row_number, "line_number": r.line_number,
            "batch_id": r.batch_id, "recorded_at": r.recorded_at, "operator_id": r.operator_id, "nik": r.nik,
            "full_name": r.full_name, "birth_date": r.birth_date, "sex": r.sex,
            "kelurahan_code": _kelurahan(r.kelurahan_code), "reason_code": r.first_reason,
            "captured_text": r.captured_text,
            "suggestions": suggestions.get((r.file_path, r.row_number), []) if r.first_reason in NIK_REASONS
            else None,
        })
    for r in wh.query(conn, "followup/select_team_identity_mismatch", params):
        rows.append({
            "kind": "identity_mismatch", "report_date": day, "site_code": r.site_code, "site_name": r.site_name,
            "file_path": r.file_path, "row_number": r.row_number, "line_number": r.line_number,
            "batch_id": r.batch_id, "recorded_at": _wib(r.recorded_at), "operator_id": r.operator_id, "nik": r.nik,
            "full_name": r.full_name, "birth_date": _iso(r.birth_date), "sex": r.sex,
            "kelurahan_code": r.extract_kelurahan_code, "reason_code": "identity_mismatch",
            "siak_full_name": r.extract_full_name, "siak_birth_date": _iso(r.extract_birth_date),
            "siak_sex": r.extract_sex,
        })
    for r in wh.query(conn, "followup/select_team_not_in_extract", params):
        rows.append({
            "kind": "not_in_extract", "report_date": day, "site_code": r.site_code, "site_name": r.site_name,
            "file_path": r.file_path, "row_number": r.row_number, "line_number": r.line_number,
            "batch_id": r.batch_id, "recorded_at": _wib(r.recorded_at), "operator_id": r.operator_id, "nik": r.nik,
            "full_name": r.full_name, "birth_date": _iso(r.birth_date), "sex": r.sex,
            "kelurahan_code": _kelurahan(r.kelurahan_code_captured), "reason_code": "not_in_extract",
            "suggestions": suggestions.get((r.file_path, r.row_number), []),
        })
    sites = {r.site_code for r in wh.query(conn, "followup/select_site_list", params)}
    return {"sites": sorted(sites | {r["site_code"] for r in rows}), "rows": rows}


def item_nik(row: Row) -> str | None:
    """The row's NIK, normalised (what a later recording of the same resident carries)."""
    return _normalised_nik(row.get("nik")) or None


def best_suggestion(row: Row) -> str | None:
    return row["suggestions"][0]["nik"] if row.get("suggestions") else None


def file_site(file_path: str, known: Iterable[tuple[str, str | None]]) -> tuple[str, str | None]:
    """The site a file rejected whole belongs to: the longest known code that begins its name and is followed by
    the end of the name or a character that is not a letter or digit; ``("", None)`` if none does."""
    stem = file_path.rsplit("/", 1)[-1]
    stem = stem[:-4] if stem.lower().endswith(".csv") else stem
    best: tuple[str, str | None] = ("", None)
    for code, name in known:
        if (stem.upper().startswith(code.upper()) and len(code) > len(best[0])
                and (len(stem) == len(code) or not stem[len(code)].isalnum())):
            best = (code, name)
    return best


def render(row: Row, texts: Texts) -> dict[str, str]:
    """A row's cells in ``texts``' language: codes stay beside the words."""
    regions = code_lists().current
    kelurahan = row.get("kelurahan_code") or ""
    kecamatan = kelurahan.rsplit(".", 1)[0] if kelurahan.count(".") == 3 else ""
    reason = row.get("reason_code") or ""
    instruction = texts(INSTRUCTIONS[reason]) if reason in INSTRUCTIONS else ""
    instruction = f"{instruction} {texts(RESEND, file_path=row['file_path'])}".strip()
    if row["kind"] == "redo" and row.get("captured_text") is not None:
        instruction = f"{instruction} ({texts(AS_RECEIVED)}: {row['captured_text']})"
    cells = {key: "" for key, _ in COLUMNS}
    cells.update({
        "item": texts(KINDS[row["kind"]]), "reason": describe(reason, texts) if reason else "",
        "instruction": instruction, "reason_code": reason,
        "kelurahan_code": kelurahan, "kelurahan_name": regions.get(kelurahan, ("", 0))[0] if kelurahan else "",
        "kecamatan_code": kecamatan, "kecamatan_name": regions.get(kecamatan, ("", 0))[0] if kecamatan else "",
    })
    for key in ("report_date", "site_code", "site_name", "file_path", "batch_id", "line_number", "recorded_at",
                "operator_id", "nik", "full_name", "birth_date", "sex", "siak_full_name", "siak_birth_date",
                "siak_sex"):
        value = row.get(key)
        cells[key] = "" if value is None else str(value)
    suggestions = row.get("suggestions")
    if suggestions is not None:
        if suggestions:
            best, *others = suggestions
            cells["suggestion"] = _resident(best, regions)
            cells["suggestion_nik"] = best["nik"]
            cells["suggestion_score"] = texts.number(best["score"], 1)
            cells["other_suggestions"] = "; ".join(f"{_resident(s, regions)} ({texts.number(s['score'], 1)})"
                                                   for s in others)
        else:
            cells["suggestion"] = texts(NO_MATCH)
    return cells


def _resident(s: dict, regions: dict) -> str:
    kelurahan = regions.get(s["kelurahan_code"], (s["kelurahan_code"], 0))[0]
    return f"{s['nik']} {s['full_name']}, {s['birth_date']}, {s['sex']}, {kelurahan}"


def header(texts: Texts, columns=COLUMNS) -> list[str]:
    return [texts(title) for _, title in columns]


def write_site_lists(folder: Path, lists: dict[str, Any], texts: Texts) -> list[Path]:
    """One CSV per site of the date (every site with a loaded file that day, and any site with an item)."""
    by_site: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in lists["rows"]:
        by_site[row["site_code"]].append(render(row, texts))
    return write_site_folder(folder, lists["sites"], header(texts), [k for k, _ in COLUMNS], by_site)


def write_site_folder(folder: Path, sites: Iterable[str], titles: list[str], keys: list[str],
                      by_site: dict[str, list[dict[str, str]]]) -> list[Path]:
    """One CSV per site in ``folder``: the header ``titles``, then the site's rows (cells by ``keys``).

    Written into a new folder that then replaces the old one, so a reader never sees half of it, and a site
    without items any more does not keep a stale file. NIKs inside: folders and files are for their owner
    only, and a failed write leaves no folder behind.
    """
    with followup_lock(folder.parent), replaced_folder(folder) as tmp:
        written = []
        for code in sorted(set(sites) | set(by_site)):
            name = site_file_name(code)
            with os.fdopen(create_new(tmp / name, PRIVATE_FILE), "w", encoding=CSV_ENCODING, newline="") as fh:
                w = csv.writer(fh, lineterminator="\r\n")
                w.writerow([spreadsheet_text(t) for t in titles])
                for row in by_site.get(code, []):
                    w.writerow([spreadsheet_text(row[k]) for k in keys])
            written.append(folder / name)
    return written
