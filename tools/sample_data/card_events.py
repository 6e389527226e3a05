"""Card events (contract §6.1): what the deduplication system (ABIS), the print office and the outreach teams
export each day about the people recorded, from deduplication to the activated digital ID (IKD).

How a recorded person's card moves (the choices are in docs/decisions.md):

* deduplication one to three days after the recording: ``prr``, or ``biometric_duplicate`` for 1.5 % of
  the people (no card);
* printing two to seven days after the ``prr``, first come first served, at most ``PRINT_CAPACITY`` x
  recordings_per_day cards a day; blank cards run out ``SHORTAGE_AFTER`` days after the first recording
  until two days before the last sample day, so a backlog waits (recordings older than 14 days without a card);
* the card goes back to the site where the person was recorded, at the site's next visit after printing (an
  outreach day there, or the weekly hand-over visit on the weekday of the site's first outreach day): handed to
  the resident if present (``PRESENT``, else at the following visit), who activates the digital ID there
  (``ACTIVATES``);
* only events dated up to the last sample day are written.

Besides: a prr and a biometric_duplicate at the same instant (a tie), a biometric_duplicate overridden by a
later prr and a prr overridden by a later biometric_duplicate, a prr dated the day before its recording, events
of people enrolled at the Dukcapil office (no outreach recording) and of people whose batch row carries a
mistyped NIK (the enrolment itself reached ABIS with the right one): those events are unlinked. Every rejection
reason of contract §6.1 is injected into some rows (labelled ``card_<reason>``), and valid quirks too.

Files: ``cards/<day>/abis_<yyyymmdd>.csv`` (prr, biometric_duplicate), ``print_office_<yyyymmdd>.csv``
(printed), ``outreach_<site>_<yyyymmdd>.csv`` (delivered, activated, with the site's code), and one repeated
delivery of a print-office file (``_resend``).
"""

from __future__ import annotations

import csv
import random
import shutil
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

CARD_COLUMNS = ("nik", "event", "event_at", "site_code")
BIOMETRIC_DUPLICATE_SHARE = 0.015
PRINT_CAPACITY = 0.25  # cards a day, as a share of recordings_per_day
SHORTAGE_AFTER = 10  # days after the first recording that blank cards run out
PRESENT = 0.9  # residents at the site when their card comes back
ACTIVATES = 0.85  # of those handed a card: activate the digital ID at once
OFFICE_ENROLMENTS = 5
#: injected errors, share of card-event rows (scaled like the batch errors; each occurs at least once)
CARD_ERRORS = {
    "card_malformed_row": 0.0005, "card_missing_value": 0.0005, "card_nik_format": 0.0005,
    "card_nik_region": 0.0005, "card_nik_birthdate": 0.0005, "card_nik_serial": 0.0005,
    "card_bad_event": 0.0005, "card_bad_event_at": 0.0005,
}
#: valid quirks, share of card-event rows: upper-case or padded events, NIKs with separators, UTC timestamps
CARD_QUIRKS = {"card_event_case": 0.01, "card_nik_separators": 0.005, "card_event_at_utc": 0.01}
BAD_EVENTS = ("print", "PRINTED OK", "diserahkan", "aktivasi IKD", "prr?")
WIB = timezone(timedelta(hours=7))
HOUR = 3600


@dataclass(frozen=True)
class Enrolment:
    """A person whose biometrics reached ABIS: recorded at an outreach site (``site``) or at the office (None)."""

    nik: str
    day: date
    sec: int
    site: str | None
    label: str | None = None  # set on every event of a person without an accepted recording


@dataclass
class CardEvent:
    nik: str
    event: str
    day: date
    sec: int  # seconds after midnight WIB
    site_code: str = ""
    labels: list[str] = field(default_factory=list)


@dataclass
class CardFiles:
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    copies: list[Path] = field(default_factory=list)


def site_visits(outreach_days: dict[str, set[date]], last_day: date) -> dict[str, list[date]]:
    """Each site's visits: its outreach days, and a hand-over visit every week after its first outreach day."""
    visits = {}
    for site, days in outreach_days.items():
        weekly = {min(days) + timedelta(weeks=k) for k in range(1, (last_day - min(days)).days // 7 + 1)}
        visits[site] = sorted(days | weekly)
    return visits


def card_events(enrolments: list[Enrolment], visits: dict[str, list[date]], main_start: date, last_day: date,
                capacity: int, rng: random.Random) -> list[CardEvent]:
    """Every card event of these people dated up to ``last_day``; ``main_start``: the sample's first day."""
    people = sorted(enrolments, key=lambda e: (e.day, e.sec, e.nik))
    if not people:
        return []
    kind = ["normal"] * len(people)
    for i in rng.sample(range(len(people)), round(BIOMETRIC_DUPLICATE_SHARE * len(people))):
        kind[i] = "duplicate"
    first_day = people[0].day
    accepted_first_day = [i for i, e in enumerate(people) if e.day == first_day and e.site and not e.label
                          and kind[i] == "normal"]
    for i, scenario in zip(rng.sample(accepted_first_day, min(3, len(accepted_first_day))),
                           ("card_tie", "card_override_to_prr", "card_override_to_duplicate"), strict=False):
        kind[i] = scenario
    events: list[CardEvent] = []
    to_print: list[tuple[date, int, int]] = []  # (due day, prr time, person)
    for i, person in enumerate(people):
        decided = person.day + timedelta(days=rng.randint(1, 3))
        at = rng.randrange(8 * HOUR, 20 * HOUR)
        labels = [person.label] if person.label else []
        ready = None
        if kind[i] == "duplicate":
            events.append(CardEvent(person.nik, "biometric_duplicate", decided, at, labels=labels))
        elif kind[i] == "card_tie":  # both results exported for one transaction: biometric_duplicate wins
            events += [CardEvent(person.nik, "prr", decided, at, labels=["card_tie"]),
                       CardEvent(person.nik, "biometric_duplicate", decided, at, labels=["card_tie"])]
        elif kind[i] == "card_override_to_duplicate":  # a later ABIS match withdraws the print-ready record
            events += [CardEvent(person.nik, "prr", decided, at, labels=[kind[i]]),
                       CardEvent(person.nik, "biometric_duplicate", decided + timedelta(days=2),
                                 rng.randrange(8 * HOUR, 20 * HOUR), labels=[kind[i]])]
        elif kind[i] == "card_override_to_prr":  # a manual check clears the biometric duplicate
            ready = decided + timedelta(days=2)
            events += [CardEvent(person.nik, "biometric_duplicate", decided, at, labels=[kind[i]]),
                       CardEvent(person.nik, "prr", ready, at, labels=[kind[i]])]
        else:
            ready = decided
            events.append(CardEvent(person.nik, "prr", ready, at, labels=labels))
        if ready is not None:
            to_print.append((ready + timedelta(days=rng.randint(2, 7)), at, i))
    printed = _print_days(to_print, first_day + timedelta(days=SHORTAGE_AFTER), last_day - timedelta(days=2),
                          last_day, capacity)
    for i, day in printed:
        person = people[i]
        labels = [person.label] if person.label else []
        events.append(CardEvent(person.nik, "printed", day, rng.randrange(9 * HOUR, 16 * HOUR), labels=labels))
        for visit in (v for v in visits.get(person.site or "", []) if v > day):
            if rng.random() < PRESENT:
                at = rng.randrange(8 * HOUR, 14 * HOUR)
                events.append(CardEvent(person.nik, "delivered", visit, at, person.site or "", list(labels)))
                if rng.random() < ACTIVATES:
                    events.append(CardEvent(person.nik, "activated", visit, at + rng.randint(120, 1200),
                                            person.site or "", list(labels)))
                break
    # a resident enrolled at the office the day before the school recorded them: ABIS answered that enrolment
    later = [p for p in people if p.day > main_start and p.site and not p.label]
    for person in rng.sample(later, min(2, len(later))):
        events.append(CardEvent(person.nik, "prr", person.day - timedelta(days=1),
                                rng.randrange(8 * HOUR, 20 * HOUR), labels=["card_before_recording"]))
    return [e for e in events if e.day <= last_day]


def _print_days(due: list[tuple[date, int, int]], shortage_from: date, shortage_to: date, last_day: date,
                capacity: int) -> list[tuple[int, date]]:
    """First come first served, ``capacity`` cards a day, none while blank cards are out: (person, print day)."""
    due = sorted(due)
    queue: deque[int] = deque()
    printed, k = [], 0
    day = due[0][0] if due else last_day + timedelta(days=1)
    while day <= last_day:
        while k < len(due) and due[k][0] <= day:
            queue.append(due[k][2])
            k += 1
        for _ in range(0 if shortage_from <= day <= shortage_to else min(capacity, len(queue))):
            printed.append((queue.popleft(), day))
        day += timedelta(days=1)
    return printed


def write_card_files(landing_dir: Path, events: list[CardEvent], error_factor: float, rng: random.Random,
                     labels: list[tuple[str, int | str, str]], resend: bool = True) -> CardFiles:
    """One file per source and day; errors and quirks on distinct rows that carry no scenario; labels; with
    ``resend``, one print-office file delivered twice."""
    by_file: dict[str, list[CardEvent]] = {}
    for e in events:
        stamp = e.day.strftime("%Y%m%d")
        name = {"prr": "abis", "biometric_duplicate": "abis", "printed": "print_office"}.get(e.event)
        rel = f"cards/{e.day.isoformat()}/{name or f'outreach_{e.site_code}'}_{stamp}.csv"
        by_file.setdefault(rel, []).append(e)
    files = sorted(by_file)
    for rel in files:
        by_file[rel].sort(key=lambda e: (e.sec, e.nik, e.event))
    plain = [(rel, j) for rel in files for j, e in enumerate(by_file[rel]) if not e.labels]
    injected: dict[tuple[str, int], str] = {}
    for kind, rate in [*CARD_ERRORS.items(), *CARD_QUIRKS.items()]:
        share = rate * error_factor if kind in CARD_ERRORS else rate
        count = int(share * len(plain) + rng.random()) if share > 0 else 0
        if kind in CARD_ERRORS and share > 0:
            count = max(count, 2 if kind == "card_bad_event_at" else 1)  # no offset, and another WIB day
        free = [place for place in plain if place not in injected]
        for place in rng.sample(free, min(count, len(free))):
            injected[place] = kind
    out = CardFiles()
    timestamps_off = 0
    for rel in files:
        path = landing_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(CARD_COLUMNS)
            for j, e in enumerate(by_file[rel]):
                kind = injected.get((rel, j))
                if kind == "card_bad_event_at":
                    timestamps_off += 1
                row = _fields(e, kind, rng, timestamps_off)
                if isinstance(row, str):
                    fh.write(row)
                else:
                    writer.writerow(row)
                labels.extend((rel, j + 1, label) for label in [*e.labels, *([kind] if kind else [])])
        out.files.append(path)
        out.rows += len(by_file[rel])
    prints = [p for p in out.files if p.name.startswith("print_office_")]
    if prints and resend:  # the print office sends one day's file twice
        copy = prints[0].with_name(f"{prints[0].stem}_resend.csv")
        shutil.copyfile(prints[0], copy)
        out.copies.append(copy)
        labels.append((copy.relative_to(landing_dir).as_posix(), "", "duplicate_delivery"))
    return out


def _fields(e: CardEvent, kind: str | None, rng: random.Random, timestamps_off: int) -> list[str] | str:
    """A row's four fields, or a raw line for a malformed row; ``kind``: its injected error or quirk."""
    wib = datetime.combine(e.day, datetime.min.time(), WIB) + timedelta(seconds=e.sec)
    nik, event, at = e.nik, e.event, wib.isoformat()
    if kind == "card_malformed_row":
        if rng.random() < 0.5:
            return f"{nik},{event},{at}\n"  # the site_code field is missing
        return f"{nik},{event},{at},{e.site_code},{e.site_code}\n"  # a field too many
    if kind == "card_missing_value":
        values = [nik, event, at]
        values[rng.randrange(3)] = rng.choice(("", " "))
        nik, event, at = values
    elif kind == "card_nik_format":
        nik = nik[:-1] if rng.random() < 0.5 else f"{int(nik) / 1e15:.5f}".rstrip("0") + "E+15"
    elif kind == "card_nik_region":
        nik = nik[:4] + "00" + nik[6:]  # kecamatan 00
    elif kind == "card_nik_birthdate":
        nik = nik[:8] + "13" + nik[10:]  # month 13
    elif kind == "card_nik_serial":
        nik = nik[:12] + "0000"
    elif kind == "card_bad_event":
        event = rng.choice(BAD_EVENTS)
    elif kind == "card_bad_event_at":
        # first the exporting machine's local time without its offset, then an event of the day before
        # exported again in today's file (another WIB day)
        at = wib.replace(tzinfo=None).isoformat() if timestamps_off % 2 else (wib - timedelta(days=1)).isoformat()
    elif kind == "card_event_case":
        event = rng.choice((event.upper(), f" {event.title()} "))
    elif kind == "card_nik_separators":
        nik = rng.choice((f"{nik[:6]}.{nik[6:12]}.{nik[12:]}", f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}"))
    elif kind == "card_event_at_utc":
        at = wib.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [nik, event, at, e.site_code]
