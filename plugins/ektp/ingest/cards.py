"""The card-event path (contract §6.1): validate a group of ``cards/<event_date>/*.csv`` files in slices and
replace their rows, in one transaction, with the file rules of batch files (``file_groups.load_group``).

Valid rows go to ``ektp_ingest.card_event`` whether or not they link to a recording: linking is decided when
publishing, from everything loaded (``sql/shared/card_stages.sql``), so a late batch links them.
Rejected rows go to the quarantine whole, with every reason, as batch rows do.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from ektp.core.settings import setting
from ektp.ingest.file_groups import RowKind, load_group
from ektp.ingest.landing import CARD_EVENTS, LandedFile
from ektp.ingest.loading import FileOutcome
from ektp.ingest.validation import CARD_REQUIRED, SuiteResult, format_datetimes, prepare_cards

CARD_EVENT_COLUMNS = ["file_path", "row_number", "event_date", "nik", "event", "event_at", "site_code"]


def load_card_files(engine: Engine, root: Path, files: list[LandedFile], run_id: str, chunk_rows: int,
                    slice_bytes: int | None = None) -> list[FileOutcome]:
    """Validate a group of card-event files and replace their rows, in one transaction."""
    return load_group(engine, root, files, run_id, CARD_ROWS, chunk_rows, slice_bytes or setting("slice_bytes"))


def _valid_events(rows: pd.DataFrame, prepared: pd.DataFrame, result: SuiteResult) -> pd.DataFrame:
    ok = ~result.rejected()
    p = prepared[ok]
    return pd.DataFrame({
        "file_path": rows["_file_path"][ok],
        "row_number": rows["_row_number"][ok],
        "event_date": p["folder_date"],
        "nik": p["nik"], "event": p["event"],
        # fixed-width UTC text, as recording.recorded_at: SQLite orders it as PostgreSQL orders the instants
        "event_at": format_datetimes(p["event_utc"], "%Y-%m-%d %H:%M:%S.%f+00:00"),
        "site_code": p["site_code"],
    })


CARD_ROWS = RowKind(CARD_EVENTS, "cards", CARD_REQUIRED, "card_events", prepare_cards, _valid_events,
                    "ektp_ingest.card_event", CARD_EVENT_COLUMNS)
