"""The work items between planning and loading: one per mapped load task, passed as an XCom.

An item carries paths, dates, sizes, times and hashes only, never row content. ``to_xcom`` gives plain JSON
and ``from_xcom`` reads it back, so that what the planner meant is what the load task does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from ektp.ingest.landing import LandedFile


class WorkKind(StrEnum):
    #: batch files that are not loaded: duplicate deliveries, files refused or gone, unchanged files newly timed
    RECORD_SKIPPED = "record_skipped"
    #: every extract change of the run, judged in date order in one transaction
    LOAD_REGISTRY = "load_registry"
    #: a bounded group of batch files to validate and load
    LOAD_BATCHES = "load_batches"
    #: a bounded group of card-event files to validate and load
    LOAD_CARDS = "load_cards"


#: the kinds that load a group of files, and what the UI calls their files
_GROUPS = {WorkKind.LOAD_BATCHES: "batch", WorkKind.LOAD_CARDS: "card-event"}


class Retimed(NamedTuple):
    """A file whose bytes are unchanged but whose times are not the manifest's: its new times are recorded."""

    path: str
    sha256: str
    modified_ns: int | None
    changed_ns: int | None


@dataclass(frozen=True)
class WorkItem:
    kind: WorkKind
    files: list[LandedFile] = field(default_factory=list)
    duplicates: list[tuple[LandedFile, str]] = field(default_factory=list)  # (copy, the delivery it repeats)
    removed: list[tuple[str, date]] = field(default_factory=list)  # (path, its date)
    refused: list[tuple[LandedFile, str]] = field(default_factory=list)  # (file, why it cannot be read safely)
    retimed: list[Retimed] = field(default_factory=list)

    def to_xcom(self) -> dict:
        data: dict = {"action": self.kind.value}
        if self.kind not in _GROUPS:
            data |= {"duplicates": [[f.to_xcom(), of] for f, of in self.duplicates],
                     "removed": [[p, d.isoformat()] for p, d in self.removed],
                     "refused": [[f.to_xcom(), why] for f, why in self.refused]}
        if self.kind == WorkKind.RECORD_SKIPPED:
            data["retimed"] = [list(r) for r in self.retimed]
        else:
            data["files"] = [f.to_xcom() for f in self.files]
        return data

    @classmethod
    def from_xcom(cls, data: dict) -> WorkItem:
        kind = WorkKind(data["action"])  # an unknown action is a ValueError
        return cls(kind, files=[LandedFile.from_xcom(f) for f in data.get("files", [])],
                   duplicates=[(LandedFile.from_xcom(f), of) for f, of in data.get("duplicates", [])],
                   removed=[(p, date.fromisoformat(d)) for p, d in data.get("removed", [])],
                   refused=[(LandedFile.from_xcom(f), why) for f, why in data.get("refused", [])],
                   retimed=[Retimed(*r) for r in data.get("retimed", [])])

    def label(self) -> str:
        """A short label for the Airflow UI's mapped task list."""
        if self.kind in _GROUPS:
            return f"{len(self.files)} {_GROUPS[self.kind]} files {self.files[0].file_date}..{self.files[-1].file_date}"
        if self.kind == WorkKind.LOAD_REGISTRY:
            dates = ", ".join(f.file_date.isoformat() for f in self.files)
            return f"extracts {dates}" if dates else "extract verdicts"
        return "duplicate deliveries and removed files"
