"""What each outcome code means, in words a field team acts on: one place for the report, the lists and alerts.

The codes are the contract's (§2.1, §2.2, §2.4, §3, §6.1); the words are message ids of the catalogue
(``ektp.core.texts``), translated where they are shown.
"""

from __future__ import annotations

from ektp.core.texts import N_, Texts

#: a rejected row's first reason -> what it means
ROW_REASONS = {
    "malformed_row": N_("wrong number of fields in the row"),
    "missing_value": N_("a required field is empty"),
    "nik_format": N_("the NIK is not 16 digits"),
    "nik_region": N_("the NIK's region digits are in no Kemendagri code list"),
    "nik_birthdate": N_("the NIK's date digits are not a date"),
    "nik_serial": N_("the NIK's serial number is 0000"),
    "bad_birth_date": N_("the birth date is not a valid date, or is after the recording"),
    "bad_sex": N_("sex is not L or P"),
    "bad_recorded_at": N_("the recording time has no time zone, or falls on another day than its folder"),
    "bad_event": N_("the card event is not prr, biometric_duplicate, printed, delivered or activated"),
    "bad_event_at": N_("the event time has no time zone, or falls on another day than its folder"),
    "bad_kelurahan": N_("the kelurahan code is not in the current Kemendagri list"),
    "duplicate_nik": N_("the NIK occurs more than once in the extract"),
}

#: a rejected file's reason (contract §4, files_daily) -> what it means
FILE_REASONS = {
    "not_utf8": N_("the file is not UTF-8 text (save it as CSV UTF-8)"),
    "bad_header": N_("the file is empty, or its first line is not the header, or a column name repeats"),
    "missing_column": N_("a required column is missing from the header"),
    "implausible_extract": N_("fewer than half the residents of the extract before: check it before it is used"),
}

#: what became of a landed file (contract §4, files_daily)
FILE_OUTCOMES = {
    "loaded": N_("loaded"),
    "rejected": N_("rejected whole: send it again, corrected, at the same path"),
    "duplicate_delivery": N_("duplicate delivery: the same file was already received"),
}

#: the kinds of landed files (contract §1, §6.1)
FILE_KINDS = {
    "registry": N_("SIAK extract"),
    "batch": N_("recording batch"),
    "card_events": N_("card events"),
}

#: reconciliation statuses (contract §3) and duplicates (§2.3)
STATUSES = {
    "matched": N_("matched with the SIAK extract (counts as coverage)"),
    "identity_mismatch": N_("NIK found, but birth date or sex differ from SIAK"),
    "not_in_extract": N_("NIK not in the SIAK extract in force"),
    "no_extract": N_("no SIAK extract in force on that date"),
    "duplicate_in_batch": N_("recorded twice in the same file"),
    "already_recorded": N_("already recorded earlier"),
}


def describe(code: str, texts: Texts) -> str:
    """The words for an outcome code in ``texts``' language; an unknown code is shown as it is."""
    for table in (ROW_REASONS, FILE_REASONS, STATUSES, FILE_OUTCOMES, FILE_KINDS):
        if code in table:
            return texts(table[code])
    return code
