"""Whether a registry extract is plausible (contract §2.1).

An extract whose valid rows are fewer than half of those of the latest earlier extract that was not
rejected (a batch file saved under ``registry/``, a truncated export) is rejected as a file, reason
``implausible_extract``, unless ``EKTP_ACCEPT_EXTRACT`` names its date; the earlier extract stays in force.

"Not rejected" means loaded: an extract accepted by the variable counts, one refused as implausible or
rejected for any other reason does not. So an extract's verdict depends on every earlier one, and the
extracts are judged in date order, as a chain: a re-landed or withdrawn extract, or a change to the
variable, can change the verdict of every later one (``ektp.ingest.registry.load_registry_files`` walks the chain;
the planner starts it when the verdicts recorded in the manifest no longer follow).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

IMPLAUSIBLE = "implausible_extract"


@dataclass(frozen=True)
class Verdict:
    """An extract as the manifest records it: its valid rows and whether it was accepted."""

    extract_date: date
    valid_rows: int
    accepted: bool


def accepts(valid_rows: int, previous: Verdict | None, accept_dates: frozenset[date], extract_date: date) -> bool:
    """The verdict on an extract with ``valid_rows``, given the latest earlier accepted extract."""
    plausible = previous is None or 2 * valid_rows >= previous.valid_rows
    return plausible or extract_date in accept_dates


def refusal(valid_rows: int, previous: Verdict) -> str:
    """The rejected_file reason: the code first, then the counts a person checks."""
    return (f"{IMPLAUSIBLE}: {valid_rows} valid rows, fewer than half of the {previous.valid_rows} of extract "
            f"{previous.extract_date.isoformat()}")


def advice(path: str, valid_rows: int, previous: Verdict) -> str:
    """The run log's message for a refused extract: what to check and how to accept it."""
    day = path.split("/")[1]
    return (f"{path} refused as implausible: {valid_rows} valid rows, fewer than half of the "
            f"{previous.valid_rows} of extract {previous.extract_date.isoformat()}, which stays in force. Check "
            f"the file (a batch file saved under registry/? a truncated export? compare its rows with SIAK's "
            f"count); if it is right, set EKTP_ACCEPT_EXTRACT={day} (comma-separated with any dates already "
            f"there) and run the latest date again (docs/runbook.md)")


def stale(recorded: Iterable[Verdict], accept_dates: frozenset[date]) -> list[date]:
    """Extracts whose recorded verdict is not the one the chain gives now (oldest first)."""
    out, previous = [], None
    for verdict in sorted(recorded, key=lambda v: v.extract_date):
        now = accepts(verdict.valid_rows, previous, accept_dates, verdict.extract_date)
        if now != verdict.accepted:
            out.append(verdict.extract_date)
        if now:
            previous = Verdict(verdict.extract_date, verdict.valid_rows, True)
    return out
