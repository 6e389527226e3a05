"""What a run for report date D must (re)load: contract §2.1 and §5.

A run loads every new or changed file dated on or before its horizon, re-validates D's own
files, records duplicate deliveries, and forgets files that left the landing area. The horizon
is D, or the latest published date if that is later: a backfill of an early date must not leave
a later published date built on files it has not seen (the contract's invariant).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from ektp import warehouse as wh
from ektp.core.safe_text import escaped
from ektp.ingest.landing import (
    BATCH,
    CARD_EVENTS,
    REGISTRY,
    LandedFile,
    RefusedFile,
    VanishedFile,
    fingerprint_unless_unchanged,
    scan_landing,
)
from ektp.ingest.plausibility import IMPLAUSIBLE, Verdict, stale
from ektp.ingest.work_items import Retimed, WorkItem, WorkKind

log = logging.getLogger(__name__)


@dataclass
class LoadPlan:
    report_date: date
    horizon: date
    batch_groups: list[list[LandedFile]] = field(default_factory=list)
    card_groups: list[list[LandedFile]] = field(default_factory=list)  # card-event files (contract §6.1)
    registry_files: list[LandedFile] = field(default_factory=list)
    duplicates: list[tuple[LandedFile, str]] = field(default_factory=list)  # (copy, the delivery it repeats)
    refused: list[tuple[LandedFile, str]] = field(default_factory=list)  # (file, why it cannot be read safely)
    removed: list[tuple[str, date]] = field(default_factory=list)
    #: unchanged bytes whose times the manifest has otherwise (touched, chmod-ed, or recorded before ctimes
    #: were): their times are recorded, or every later run would read them again
    retimed: list[LandedFile] = field(default_factory=list)
    #: extracts whose recorded plausibility verdict no longer follows from the chain (ektp.ingest.plausibility)
    stale_verdicts: list[date] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unchanged: int = 0

    def work_items(self) -> list[WorkItem]:
        """One item per mapped load task (paths, dates and hashes only: never row content).

        Extracts come first, all in one item: each one's plausibility depends on the earlier ones, so they are
        judged in date order in one transaction, with the registry files that became duplicates, cannot be read
        safely or left the landing area. Batch files and card-event files come in bounded groups of one kind.
        """
        items: list[WorkItem] = []
        batch, registry = self._skipped(registry=False), self._skipped(registry=True)
        if any(batch) or self.retimed:
            items.append(WorkItem(WorkKind.RECORD_SKIPPED, *([], *batch), retimed=[
                Retimed(f.path, f.sha256, f.modified_ns, f.changed_ns) for f in self.retimed]))
        if self.registry_files or any(registry) or self.stale_verdicts:
            items.append(WorkItem(WorkKind.LOAD_REGISTRY, list(self.registry_files), *registry))
        items += [WorkItem(WorkKind.LOAD_BATCHES, list(g)) for g in self.batch_groups]
        items += [WorkItem(WorkKind.LOAD_CARDS, list(g)) for g in self.card_groups]
        return items

    def _skipped(self, registry: bool) -> tuple[list, list, list]:
        """The duplicate deliveries, removed files and refused files of one kind: registry files, or the others
        (batch and card-event files)."""
        return ([(f, of) for f, of in self.duplicates if (f.kind == REGISTRY) == registry],
                [(p, d) for p, d in self.removed if p.startswith(f"{REGISTRY}/") == registry],
                [(f, why) for f, why in self.refused if (f.kind == REGISTRY) == registry])


def group_files(files: list[LandedFile], max_files: int, max_bytes: int) -> list[list[LandedFile]]:
    """Consecutive files, in their order, in groups of at most ``max_files`` files and ``max_bytes`` bytes
    (a file larger than that is a group of its own). Every group is one mapped task: few enough tasks that
    each one's fixed cost (a process, importing Great Expectations) stays small, and a bounded size, so that
    a task's memory does not grow with the night."""
    groups: list[list[LandedFile]] = []
    current: list[LandedFile] = []
    size = 0
    for landed in files:
        if current and (len(current) >= max_files or size + landed.size > max_bytes):
            groups.append(current)
            current, size = [], 0
        current.append(landed)
        size += landed.size
    if current:
        groups.append(current)
    return groups


def slice_files(files: list[LandedFile], slice_bytes: int) -> list[list[LandedFile]]:
    """A group's files in consecutive slices of about ``slice_bytes`` at most, the last about half the others.

    Each slice is written while the next one is validated (``warehouse.WriteBehind``); the last slice's
    write is the only one nothing overlaps, so a small last slice ends the task sooner. The group is cut
    into ``n - 1/2`` equal shares, ``n`` the fewest that keep a share within ``slice_bytes``, and each file
    goes to the share its middle byte falls in: a national night of 33 MB is 13, 13 and 7 MB, not 16, 16
    and 1 MB, whose second write had only the last megabyte's validation to overlap. A slice holds
    at most a share plus one file. A group under half a slice stays one slice (a suite run has a fixed cost
    whatever its size)."""
    total = sum(f.size for f in files)
    parts = math.ceil(total / slice_bytes + 0.5)
    if parts <= 1:
        return [files] if files else []
    share = total / (parts - 0.5)
    slices: list[list[LandedFile]] = [[] for _ in range(parts)]
    done = 0
    for landed in files:
        slices[min(parts - 1, int((done + landed.size / 2) // share))].append(landed)
        done += landed.size
    return [s for s in slices if s]


def _fingerprint(root: Path, landed: LandedFile, seen) -> LandedFile:
    """Read the file only if it changed since the manifest recorded it (``fingerprint_unless_unchanged``)."""
    if seen is None:
        return fingerprint_unless_unchanged(root, landed, None)
    recorded = LandedFile(landed.path, landed.kind, landed.file_date, seen.size_bytes, seen.sha256, seen.modified_ns,
                          seen.changed_ns)
    return fingerprint_unless_unchanged(root, landed, recorded)


def plan_loads(engine: Engine, root: Path, report_date: date, files_per_group: int, group_bytes: int,
               accept_dates: frozenset[date] = frozenset()) -> LoadPlan:
    """``accept_dates``: EKTP_ACCEPT_EXTRACT (a change to it can change the verdicts on extracts)."""
    with engine.connect() as conn:
        manifest = {r.file_path: r for r in wh.query(conn, "plan/select_file_manifest")}
        latest = wh.query(conn, "plan/select_latest_published_date")[0].latest
    latest = date.fromisoformat(latest) if isinstance(latest, str) else latest
    horizon = max(report_date, latest) if latest else report_date

    scanned = scan_landing(root)
    for path in scanned.ignored:
        log.info("ignored (not a batch or registry file of the landing layout): %s", path)
    plan = LoadPlan(report_date, horizon, ignored=scanned.ignored)
    landed: list[LandedFile] = []
    present: set[str] = set()
    for f in scanned.files:
        if f.file_date > horizon:
            continue
        try:
            landed.append(_fingerprint(root, f, manifest.get(f.path)))
        except VanishedFile:
            continue  # gone since the scan: as if it had never landed
        except RefusedFile as exc:
            _plan_refused(plan, f, exc.reason, manifest.get(f.path))
        present.add(f.path)

    # Identical bytes are one delivery: the smallest relative path is it (contract §2.1).
    first_by_hash: dict[str, str] = {}
    for f in landed:  # sorted by path
        first_by_hash.setdefault(f.sha256, f.path)

    to_load: list[LandedFile] = []
    for f in landed:
        seen = manifest.get(f.path)
        original = first_by_hash[f.sha256]
        if original != f.path:
            if seen is None or seen.sha256 != f.sha256 or seen.status != "duplicate_delivery" \
                    or seen.duplicate_of != original:
                plan.duplicates.append((f, original))
            else:
                _plan_unchanged(plan, f, seen)
            continue
        unchanged = seen is not None and seen.sha256 == f.sha256 and seen.status != "duplicate_delivery"
        if unchanged and f.file_date != report_date:
            _plan_unchanged(plan, f, seen)
        else:
            to_load.append(f)

    unlisted = tuple(f"{folder}/" for folder in scanned.unlisted)
    for path, seen in manifest.items():
        seen_date = date.fromisoformat(seen.file_date) if isinstance(seen.file_date, str) else seen.file_date
        if seen_date <= horizon and path not in present and not path.startswith(unlisted):
            plan.removed.append((path, seen_date))

    plan.stale_verdicts = stale([_verdict(r) for r in manifest.values() if _judged(r)], accept_dates)
    batches = [f for f in to_load if f.kind == BATCH]
    cards = [f for f in to_load if f.kind == CARD_EVENTS]
    plan.registry_files = [f for f in to_load if f.kind == REGISTRY]
    plan.batch_groups = group_files(batches, files_per_group, group_bytes)
    plan.card_groups = group_files(cards, files_per_group, group_bytes)
    log.info("plan for %s (horizon %s): %d batch files in %d groups, %d card-event files in %d groups, %d extracts, "
             "%d duplicate deliveries, %d refused, %d removed, %d unchanged, %d ignored", report_date, horizon,
             len(batches), len(plan.batch_groups), len(cards), len(plan.card_groups), len(plan.registry_files),
             len(plan.duplicates), len(plan.refused),
             len(plan.removed), plan.unchanged, len(plan.ignored))
    if plan.stale_verdicts:
        log.info("extracts to judge again for plausibility: %s", ", ".join(d.isoformat() for d in plan.stale_verdicts))
    return plan


def _plan_unchanged(plan: LoadPlan, landed: LandedFile, seen) -> None:
    plan.unchanged += 1
    if (seen.modified_ns, seen.changed_ns) != (landed.modified_ns, landed.changed_ns):
        plan.retimed.append(landed)


def _plan_refused(plan: LoadPlan, landed: LandedFile, reason: str, seen) -> None:
    """A file that cannot be read safely is a rejected file; recorded again only when that is news."""
    log.warning("rejected file %s: %s", escaped(landed.path), reason)
    if seen is not None and seen.status == "rejected_file" and seen.reason == reason and not seen.sha256:
        plan.unchanged += 1
    else:
        plan.refused.append((landed, reason))


def _judged(row) -> bool:
    """An extract with a plausibility verdict: loaded, or refused as implausible."""
    return row.file_kind == REGISTRY and (row.status == "loaded" or (
        row.status == "rejected_file" and (row.reason or "").startswith(IMPLAUSIBLE)))


def _verdict(row) -> Verdict:
    day = date.fromisoformat(row.file_date) if isinstance(row.file_date, str) else row.file_date
    return Verdict(day, row.row_count - row.rows_rejected, row.status == "loaded")
