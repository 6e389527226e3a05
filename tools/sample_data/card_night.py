"""A night of card events for the benchmark (``card_night=N``, ``--card-night N``): exactly N card-event rows dated
the sample's one day L, about one event per lifecycle step, for people recorded on the four weeks before it.

Those people's recordings, and their card events before L, are the **history**: clean batch and card files dated
L-30 .. L-2, before the extract (dated L-1), so that a benchmark loads them before the measured night with a run
dated L-2 (one dated L-1 would validate the extract again). Their residents are not in the extract: they were
recorded before it was taken (``no_extract``).

Tonight's events, in the shares of a steady flow through the lifecycle (``card_events``' rules):

* **deduplication**: people recorded two or three days before L get their ``prr``, or ``biometric_duplicate``
  for ``BIOMETRIC_DUPLICATE_SHARE`` of them;
* **printing**: people recorded 4 to 30 days before L, whose ``prr`` (history) came one to three days after
  their recording and at least two days before L, get ``printed`` (the backlog of the blank-card shortage);
* **hand-over**: people recorded at a site one to four weeks before L (the team comes back each week on the
  weekday it recorded there), whose card was printed (history) after its last visit before L, are handed it there
  (``delivered``, with the site's code) and ``ACTIVATES`` of them activate the digital ID at once;
* **unlinked**: ``UNLINKED_SHARE`` of the rows (at least ``OFFICE_ENROLMENTS``): ``prr`` of people enrolled at
  the Dukcapil office, never recorded here (``card_no_recording``).

The rows that go wrong are those of ``card_events.write_card_files`` (every rejection reason of contract §6.1,
scaled by the error rate; valid quirks) and one print-office file is delivered twice; the history has no errors.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tools.sample_data.batches import plan_files, write_batch
from tools.sample_data.card_events import (
    ACTIVATES,
    BIOMETRIC_DUPLICATE_SHARE,
    HOUR,
    OFFICE_ENROLMENTS,
    CardEvent,
    CardFiles,
    write_card_files,
)
from tools.sample_data.injected_errors import BatchWriter
from tools.sample_data.people import People
from tools.sample_data.rows import Row, person_row
from tools.sample_data.sites import Site

UNLINKED_SHARE = 0.002  # of tonight's rows
HISTORY_DAYS = 30  # the oldest recording printed tonight
HANDOVER_WEEKS = 4  # the oldest recording handed over tonight
ROWS_PER_FILE = 250  # history batch files: an upload's size in the benchmark's nights


@dataclass
class Night:
    """What was written: tonight's card files, and the history (batch and card files dated before L)."""

    cards: CardFiles = field(default_factory=CardFiles)
    history_batch_files: list[Path] = field(default_factory=list)
    history_batch_rows: int = 0
    history_card_files: list[Path] = field(default_factory=list)
    history_card_rows: int = 0


def step_counts(rows: int) -> dict[str, int]:
    """Tonight's rows per step, summing to ``rows``: as many hand-overs as cards printed as people deduplicated,
    ``ACTIVATES`` of the hand-overs activated, the unlinked rows, and the rounding left to deduplication."""
    unlinked = min(rows, max(OFFICE_ENROLMENTS, round(UNLINKED_SHARE * rows)))
    handed = int((rows - unlinked) / (3 + ACTIVATES))
    activated = round(ACTIVATES * handed)
    return {"dedup": rows - unlinked - 2 * handed - activated, "printed": handed, "handover": handed,
            "activated": activated, "unlinked": unlinked}


def write_card_night(landing_dir: Path, people: People, sites: list[Site], last_day: date, rows: int,
                     error_factor: float, rng: random.Random, labels: list[tuple[str, int | str, str]]) -> Night:
    """Write the history and tonight's ``rows`` card events (see the module docstring)."""
    counts = step_counts(rows)
    # who is recorded on which history day, by the step tonight brings them to
    plan: dict[date, list[str]] = {}
    for _ in range(counts["dedup"]):
        plan.setdefault(last_day - timedelta(days=rng.randint(2, 3)), []).append("dedup")
    for _ in range(counts["printed"]):
        plan.setdefault(last_day - timedelta(days=rng.randint(4, HISTORY_DAYS)), []).append("printed")
    for _ in range(counts["handover"]):
        plan.setdefault(last_day - timedelta(weeks=rng.randint(1, HANDOVER_WEEKS)), []).append("handover")
    night = Night()
    recorded: list[tuple[date, str, Row, str]] = []  # (day, site, row, step)
    visits: dict[str, set[date]] = {}
    for day in sorted(plan):
        steps = plan[day]
        rng.shuffle(steps)
        status = "no_extract"
        day_rows = [person_row(p, day, False, [status]) for p in people.stream(len(steps), day)]
        step_of = {id(r): s for r, s in zip(day_rows, steps, strict=True)}
        writer = BatchWriter(rng, day)
        for slot, frows in plan_files(day_rows, sites, max(1, round(len(day_rows) / ROWS_PER_FILE)), rng):
            if not frows:
                continue
            frows.sort(key=lambda r: r.sec)
            path = landing_dir / "batches" / day.isoformat() / slot["name"]
            write_batch(path, slot, frows, writer, None)
            rel = path.relative_to(landing_dir).as_posix()
            labels.extend((rel, j, status) for j in range(1, len(frows) + 1))
            night.history_batch_files.append(path)
            night.history_batch_rows += len(frows)
            visits.setdefault(slot["site"].code, set()).add(day)
            recorded += [(day, slot["site"].code, r, step_of[id(r)]) for r in frows]

    earlier: list[CardEvent] = []
    tonight: list[CardEvent] = []
    for day, site, row, step in recorded:
        at = rng.randrange(8 * HOUR, 20 * HOUR)
        if step == "dedup":
            event = "biometric_duplicate" if rng.random() < BIOMETRIC_DUPLICATE_SHARE else "prr"
            tonight.append(CardEvent(row.nik, event, last_day, at))
            continue
        prr = min(day + timedelta(days=rng.randint(1, 3)), last_day - timedelta(days=2))
        earlier.append(CardEvent(row.nik, "prr", prr, at))
        printed_at = rng.randrange(9 * HOUR, 16 * HOUR)
        if step == "printed":
            tonight.append(CardEvent(row.nik, "printed", last_day, printed_at))
            continue
        # printed after the site's last visit before tonight (that visit could not hand the card over), before
        # the extract's date like the whole history
        first = max(prr + timedelta(days=2), max(visits[site]))
        printed = first + timedelta(days=rng.randint(0, (last_day - timedelta(days=2) - first).days))
        earlier.append(CardEvent(row.nik, "printed", printed, printed_at))
        at = rng.randrange(8 * HOUR, 14 * HOUR)
        tonight.append(CardEvent(row.nik, "delivered", last_day, at, site))
    # exactly counts["activated"] of the hand-overs activate at once
    delivered = [e for e in tonight if e.event == "delivered"]
    for e in rng.sample(delivered, min(counts["activated"], len(delivered))):
        tonight.append(CardEvent(e.nik, "activated", last_day, e.sec + rng.randint(120, 1200), e.site_code))
    office = people.stream(counts["unlinked"], last_day)
    tonight += [CardEvent(p[0], "prr", last_day, rng.randrange(8 * HOUR, 20 * HOUR), labels=["card_no_recording"])
                for p in office]

    history = write_card_files(landing_dir, earlier, 0.0, rng, labels, resend=False)
    night.history_card_files, night.history_card_rows = history.files, history.rows
    night.cards = write_card_files(landing_dir, tonight, error_factor, rng, labels)
    return night
