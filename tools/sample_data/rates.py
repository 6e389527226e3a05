"""The kinds of injected error and population quirk, and how often each occurs (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Rates:
    """Per-kind rates; the error kinds are scaled by ``error_rate / DEFAULT_ERROR_RATE``."""

    # batch row errors and quirks (share of batch rows)
    nik_typo: float = 0.005
    nik_spreadsheet: float = 0.003
    nik_separators: float = 0.006
    nik_length: float = 0.002
    birth_date_invalid: float = 0.002
    birth_date_future: float = 0.001
    missing_value: float = 0.003
    sex_lowercase: float = 0.005
    sex_invalid: float = 0.001
    recorded_at_utc: float = 0.002
    recorded_at_no_offset: float = 0.001
    recorded_at_wrong_day: float = 0.001
    malformed_row: float = 0.001
    duplicate_in_batch: float = 0.004
    recorded_again_later: float = 0.003
    # file level (share of batch files)
    duplicate_delivery: float = 0.01
    missing_column: float = 0.005
    # population mix, never scaled
    not_in_extract: float = 0.06
    identity_mismatch: float = 0.015
    blank_kelurahan: float = 0.02
    extract_errors: float = 0.0

    def scaled(self, factor: float) -> Rates:
        """Scale the error kinds only: the population mix is not an error."""
        return replace(self, **{k: getattr(self, k) * factor for k in ROW_ERRORS + FILE_ERRORS})


ROW_ERRORS = (
    "nik_typo",
    "nik_spreadsheet",
    "nik_separators",
    "nik_length",
    "birth_date_invalid",
    "birth_date_future",
    "missing_value",
    "sex_lowercase",
    "sex_invalid",
    "recorded_at_utc",
    "recorded_at_no_offset",
    "recorded_at_wrong_day",
    "malformed_row",
    "duplicate_in_batch",
    "recorded_again_later",
)
FILE_ERRORS = ("duplicate_delivery", "missing_column")
EXTRACT_ERRORS = ("duplicate_nik", "bad_kelurahan", "bad_sex", "bad_birth_date")
VALID_QUIRKS = ("nik_separators", "sex_lowercase", "recorded_at_utc")
# kinds applied to a row's own values; the other two add rows
VALUE_ERRORS = tuple(k for k in ROW_ERRORS if k not in ("duplicate_in_batch", "recorded_again_later"))
DEFAULT_ERROR_RATE = round(sum(getattr(Rates(), k) for k in ROW_ERRORS), 10)
