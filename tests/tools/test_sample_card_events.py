"""The generator's card events (``card_events=True``) follow the card lifecycle and contract §6.1.

Real files in tmp directories. The checks re-derive the rules here: the accepted recording of each NIK
from the batch files and the answer key (contract §2.3), each card event's outcome with the card-event
suite, and the lifecycle rules from tools/sample_data/card_events.py's docstring.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ektp.ingest.validation import load_suite, run_suite

from tests.tools.test_sample_data import normalise, read_csv, sha_map
from tests.unit.ingest.test_card_events_suite import prepare
from tools import sample_data as sd
from tools.sample_data import card_night

WIB = timezone(timedelta(hours=7))
START, LAST = date(2026, 11, 2), date(2026, 11, 4)
WAVE = [date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)]
REASONS = ("malformed_row", "missing_value", "nik_format", "nik_region", "nik_birthdate", "nik_serial", "bad_event",
           "bad_event_at")
#: batch labels that reject a row (the others are valid quirks or duplicates of a valid row)
REJECTING = set(sd.ROW_ERRORS) - set(sd.VALID_QUIRKS) - {"duplicate_in_batch", "recorded_again_later"}
UNLINKED = {"card_no_recording", "card_mistyped_recording", "card_before_recording"}
SCENARIOS = {"card_tie", "card_override_to_prr", "card_override_to_duplicate"}


@dataclass(frozen=True)
class Recording:
    day: date
    site: str


@dataclass(frozen=True)
class Event:
    path: str
    row: int
    nik: str
    event: str
    at: datetime
    site_code: str
    labels: frozenset[str]

    @property
    def day(self) -> date:
        return self.at.astimezone(WIB).date()


class Cards:
    """A generated landing area with card events, parsed once."""

    def __init__(self, root: Path, labels: Path, summary: sd.GenerationSummary):
        self.root, self.summary = root, summary
        self.labels: dict[tuple[str, int], set[str]] = defaultdict(set)
        self.file_labels: dict[str, set[str]] = defaultdict(set)
        with open(labels, encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                (self.labels[(r["file"], int(r["row"]))] if r["row"] else self.file_labels[r["file"]]).add(r["label"])
        self.accepted = self._accepted_recordings()
        self.outreach_days: dict[str, set[date]] = defaultdict(set)
        for p in (root / "batches").glob("*/*.csv"):
            if "duplicate_delivery" not in self.file_labels[p.relative_to(root).as_posix()]:
                self.outreach_days[p.stem.rsplit("_", 1)[0]].add(date.fromisoformat(p.parent.name))
        self.files = {p.relative_to(root).as_posix(): read_csv(p) for p in sorted((root / "cards").glob("*/*.csv"))}
        self.outcome = self._validate()
        self.events = list(self._valid_events())

    def _accepted_recordings(self) -> dict[str, Recording]:
        first: dict[str, tuple] = {}
        for p in sorted((self.root / "batches").glob("*/*.csv")):
            rel = p.relative_to(self.root).as_posix()
            if self.file_labels[rel]:
                continue
            header, rows = read_csv(p)
            for i, fields in enumerate(rows, start=1):
                if self.labels[(rel, i)] & REJECTING:
                    continue
                row = dict(zip(header, fields, strict=True))
                key = (datetime.fromisoformat(row["recorded_at"]), rel, i)
                nik = normalise(row["nik"])
                if nik not in first or key < first[nik][0]:
                    first[nik] = (key, Recording(date.fromisoformat(p.parent.name), row["site_code"]))
        return {nik: rec for nik, (_, rec) in first.items()}

    def _validate(self) -> dict[tuple[str, int], list[str]]:
        """Every card row's reasons, by the card-event suite (malformed rows by their field count)."""
        outcome, rows, places, folders = {}, [], [], []
        for rel, (header, data) in self.files.items():
            assert header == list(sd.CARD_COLUMNS), rel
            for i, fields in enumerate(data, start=1):
                if len(fields) != len(header):
                    outcome[(rel, i)] = ["malformed_row"]
                else:
                    rows.append(fields)
                    places.append((rel, i))
                    folders.append(rel.split("/")[1])
        raw = pd.DataFrame(rows, columns=list(sd.CARD_COLUMNS), dtype="string")
        result = run_suite(load_suite("card_events"), prepare(raw, pd.Series(folders)))
        outcome |= dict(zip(places, result.reason_lists(np.ones(len(raw), dtype=bool)), strict=True))
        return outcome

    def _valid_events(self):
        """The valid rows of the card files that are not repeated deliveries."""
        for rel, (_, data) in self.files.items():
            if self.file_labels[rel]:
                continue
            for i, fields in enumerate(data, start=1):
                if self.outcome[(rel, i)]:
                    continue
                nik, event, at, site = fields
                yield Event(rel, i, normalise(nik), event.strip().lower(),
                            datetime.fromisoformat(at.strip().replace("Z", "+00:00")), site,
                            frozenset(self.labels[(rel, i)]))


@pytest.fixture(scope="module")
def cards(tmp_path_factory) -> Cards:
    root = tmp_path_factory.mktemp("cards")
    summary = sd.generate(root / "landing", labels_path=root / "labels.csv", progress=False, card_events=True)
    return Cards(root / "landing", root / "labels.csv", summary)


def by_nik(events) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = defaultdict(list)
    for e in sorted(events, key=lambda e: e.at):
        out[e.nik].append(e)
    return out


# --------------------------------------------------------------------------- layout and errors


def test_card_files_follow_the_layout(cards: Cards):
    folders = sorted({rel.split("/")[1] for rel in cards.files})
    assert folders[0] > WAVE[0].isoformat() and folders[-1] == LAST.isoformat()  # nothing after the last day
    sources = {"abis": {"prr", "biometric_duplicate"}, "print_office": {"printed"},
               "outreach": {"delivered", "activated"}}
    for e in cards.events:
        name = e.path.split("/")[2]
        assert re.fullmatch(r"(abis|print_office|outreach_[A-Z0-9-]+)_\d{8}(_resend)?\.csv", name), name
        assert e.event in sources[name.split("_")[0] if not name.startswith("print") else "print_office"], e
        assert e.day.isoformat() == e.path.split("/")[1]
        assert e.site_code == (name[len("outreach_"):-len("_20261104.csv")] if name.startswith("outreach") else "")
    assert cards.summary.card_rows == sum(len(d) for rel, (_, d) in cards.files.items() if not cards.file_labels[rel])
    copies = [rel for rel in cards.files if cards.file_labels[rel] == {"duplicate_delivery"}]
    assert len(copies) == 1 and sha_map(cards.root / "cards")[copies[0][len("cards/"):]] == sha_map(
        cards.root / "cards")[copies[0][len("cards/"):].replace("_resend", "")]


def test_every_card_error_is_present_and_rejected_for_its_reason(cards: Cards):
    found: Counter[str] = Counter()
    for place, reasons in cards.outcome.items():
        injected = {label[len("card_"):] for label in cards.labels[place]} & set(REASONS)
        assert len(injected) <= 1
        if injected:
            assert reasons[:1] == list(injected), (place, reasons)
            found[reasons[0]] += 1
        else:
            assert reasons == [], (place, reasons)  # valid quirks (case, separators, UTC) are valid
    assert set(found) == set(REASONS)
    assert sum(found.values()) < 0.01 * len(cards.outcome)
    bad_at = [cards.files[rel][1][i - 1][2] for (rel, i), r in cards.outcome.items() if r[:1] == ["bad_event_at"]]
    assert any(datetime.fromisoformat(t).tzinfo is None for t in bad_at)  # no offset
    assert any(datetime.fromisoformat(t).tzinfo is not None for t in bad_at)  # another WIB day
    quirks = Counter(label for place in cards.outcome for label in cards.labels[place])
    assert quirks["card_event_case"] and quirks["card_nik_separators"] and quirks["card_event_at_utc"]


# --------------------------------------------------------------------------- the lifecycle


def test_events_follow_recordings_through_the_lifecycle(cards: Cards):
    checked = 0
    for nik, events in by_nik(cards.events).items():
        if any(e.labels & (UNLINKED | SCENARIOS) for e in events):
            continue
        rec = cards.accepted[nik]  # every other event links to an accepted recording
        kinds = {e.event: e for e in events}
        assert len(kinds) == len(events), events  # one event of each kind per person
        for e in events:
            assert e.day >= rec.day
        decision = kinds.get("prr") or kinds.get("biometric_duplicate")
        if decision:
            assert 1 <= (decision.day - rec.day).days <= 3
        if "biometric_duplicate" in kinds:
            assert set(kinds) == {"biometric_duplicate"}  # no card
            continue
        if "printed" in kinds:
            printed = kinds["printed"]
            assert 3 <= (printed.day - rec.day).days <= 30
            assert decision is None or (printed.day - decision.day).days >= 2
        for handed in (kinds.get("delivered"), kinds.get("activated")):  # either may be a rejected row
            if handed:  # at a visit of the recording's site, after printing
                assert handed.site_code == rec.site
                assert "printed" not in kinds or handed.day > kinds["printed"].day
                first = min(cards.outreach_days[rec.site])
                assert handed.day in cards.outreach_days[rec.site] or (handed.day - first).days % 7 == 0
        if "delivered" in kinds and "activated" in kinds:
            assert kinds["activated"].day == kinds["delivered"].day and kinds["activated"].at > kinds["delivered"].at
        checked += 1
    decided_by_now = [r for r in cards.accepted.values() if r.day <= LAST - timedelta(days=3)]
    assert checked > 0.9 * len(decided_by_now)


def test_shares_and_a_print_backlog(cards: Cards):
    events = by_nik(e for e in cards.events if not e.labels & UNLINKED)
    decided = {nik: [e for e in ev if e.event in ("prr", "biometric_duplicate")] for nik, ev in events.items()}
    decided = {nik: ev for nik, ev in decided.items() if ev}
    duplicates = sum(ev[-1].event == "biometric_duplicate" for ev in decided.values())
    assert 0.01 <= duplicates / len(decided) <= 0.02
    kinds = Counter(e.event for ev in events.values() for e in ev)
    assert 0.75 <= kinds["activated"] / kinds["delivered"] <= 0.95
    assert 0.6 <= kinds["delivered"] / kinds["printed"] <= 0.95  # some cards wait for the site's next visit
    # recorded 14 days or more before the last day, not a biometric duplicate, and not printed: the shortage
    old = [nik for nik, rec in cards.accepted.items() if rec.day <= LAST - timedelta(days=14)]
    printed = {nik for nik in old if any(e.event == "printed" for e in events.get(nik, []))}
    waiting = [nik for nik in old if nik not in printed and decided.get(nik, [None])[-1] is not None
               and decided[nik][-1].event == "prr"]
    assert 0.1 * len(old) < len(waiting) < 0.6 * len(old)
    assert len(printed) > 0.4 * len(old)
    unlinked = [e for e in cards.events if e.labels & UNLINKED]
    assert 0 < len(unlinked) < 0.01 * len(cards.events)  # a few


def test_linking_cases_are_present(cards: Cards):
    def events_labelled(label: str) -> dict[str, list[Event]]:
        return by_nik(e for e in cards.events if label in e.labels)

    (tie,) = events_labelled("card_tie").values()
    assert [e.event for e in tie] in (["prr", "biometric_duplicate"], ["biometric_duplicate", "prr"])
    assert tie[0].at == tie[1].at
    (to_prr,) = events_labelled("card_override_to_prr").values()
    assert [e.event for e in to_prr] == ["biometric_duplicate", "prr"] and to_prr[0].at < to_prr[1].at
    (to_duplicate,) = events_labelled("card_override_to_duplicate").values()
    assert [e.event for e in to_duplicate] == ["prr", "biometric_duplicate"]
    for nik in [*events_labelled("card_tie"), *events_labelled("card_override_to_duplicate")]:
        assert {e.event for e in by_nik(cards.events)[nik]} == {"prr", "biometric_duplicate"}  # no card
    before = events_labelled("card_before_recording")
    assert before and all(e.day < cards.accepted[nik].day for nik, ev in before.items() for e in ev)
    office = events_labelled("card_no_recording")
    assert office and not set(office) & set(cards.accepted)
    mistyped = events_labelled("card_mistyped_recording")
    assert mistyped and not set(mistyped) & set(cards.accepted)


# --------------------------------------------------------------------------- the rest of the landing area


def test_the_earlier_wave_opens_at_the_labschool_and_changes_nothing_else(cards: Cards, tmp_path: Path):
    plain = sd.generate(tmp_path / "plain", progress=False)
    assert not (tmp_path / "plain" / "cards").exists()
    without = sha_map(tmp_path / "plain")
    with_cards = sha_map(cards.root)
    assert {k: v for k, v in with_cards.items() if k in without} == without  # extract and main days: same bytes
    wave = {k for k in with_cards if k.startswith("batches/") and k.split("/")[1] < START.isoformat()}
    assert {k.split("/")[1] for k in wave} == {d.isoformat() for d in WAVE}
    assert set(with_cards) == set(without) | wave | {k for k in with_cards if k.startswith("cards/")}
    assert any(k.startswith(f"batches/{WAVE[0]}/SMA-LABSCHOOL-KEBAYORAN_") for k in wave)
    extract = {r[0] for r in read_csv(cards.root / "registry/2026-11-01/unrecorded_residents.csv")[1]}
    for k in wave:
        header, rows = read_csv(cards.root / k)
        assert header == list(sd.BATCH_COLUMNS)
        for i, fields in enumerate(rows, start=1):
            assert cards.labels[(k, i)] == {"no_extract"}
            assert fields[5] not in extract and re.fullmatch(r"\d{16}", fields[5])
    assert len(plain.batch_files) + len(wave) == len(cards.summary.batch_files)


def test_same_seed_same_card_events(tmp_path: Path):
    kw = {"residents": 600, "recordings_per_day": 120, "files_per_day": 3, "progress": False, "card_events": True}
    sd.generate(tmp_path / "a", seed=5, **kw)
    sd.generate(tmp_path / "b", seed=5, **kw)
    a, b = sha_map(tmp_path / "a"), sha_map(tmp_path / "b")
    assert a == b and any(k.startswith("cards/") for k in a)


def test_no_card_errors_at_error_rate_zero(tmp_path: Path):
    summary = sd.generate(tmp_path / "l", error_rate=0, residents=800, recordings_per_day=150, progress=False,
                          card_events=True, labels_path=tmp_path / "labels.csv")
    assert summary.card_files
    assert not {k for k in summary.injected if k[len("card_"):] in REASONS}


def test_cli_card_events(tmp_path: Path, capsys):
    argv = "--residents 500 --recordings-per-day 100 --files-per-day 3 --card-events --quiet"
    assert sd.main(["--landing", str(tmp_path / "l"), *argv.split()]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^card events: \d+ files, \d+ rows, 1 copies$", out, flags=re.MULTILINE)
    assert (tmp_path / "l" / "cards").is_dir()


# --------------------------------------------------------------------------- the benchmark's night (card_night)

NIGHT = date(2026, 11, 2)


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Cards:
    root = tmp_path_factory.mktemp("night")
    summary = sd.generate(root / "landing", labels_path=root / "labels.csv", progress=False, days=1, residents=3000,
                          recordings_per_day=600, files_per_day=8, card_night=2000)
    return Cards(root / "landing", root / "labels.csv", summary)


@pytest.mark.parametrize("rows", [0, 3, 10, 2000, 250_000, 250_001])
def test_card_night_step_counts_sum_to_the_rows(rows: int):
    counts = card_night.step_counts(rows)
    assert sum(counts.values()) == rows and min(counts.values()) >= 0
    if rows >= 2000:
        assert counts["printed"] == counts["handover"] and abs(counts["dedup"] - counts["printed"]) <= 5
        assert counts["activated"] == round(card_night.ACTIVATES * counts["handover"])


def test_card_night_has_exactly_its_rows_tonight_and_a_history_before_the_extract(night: Cards, tmp_path: Path):
    s = night.summary
    tonight = {rel for rel in night.files if rel.split("/")[1] == NIGHT.isoformat()}
    assert {night.root / rel for rel in tonight if not night.file_labels[rel]} == set(s.card_files)
    assert s.card_rows == 2000 == sum(len(night.files[rel][1]) for rel in tonight if not night.file_labels[rel])
    assert len(s.card_copies) == 1 and "_resend" in s.card_copies[0].name
    history = {rel.split("/")[1] for rel in night.files if rel not in tonight}
    history |= {p.parent.name for p in s.history_batch_files}
    assert max(history) == (NIGHT - timedelta(days=2)).isoformat()  # before the extract, dated the day before
    assert min(history) >= (NIGHT - timedelta(days=card_night.HISTORY_DAYS)).isoformat()
    assert s.history_batch_rows == sum(len(read_csv(p)[1]) for p in s.history_batch_files) > 0.7 * 2000
    assert s.history_card_rows == sum(len(night.files[rel][1]) for rel in night.files if rel not in tonight)
    # history rows are clean and not in the extract; the extract and the night's batches are those of a plain run
    for p in s.history_batch_files:
        rel = p.relative_to(night.root).as_posix()
        assert all(night.labels[(rel, i)] == {"no_extract"} for i in range(1, len(read_csv(p)[1]) + 1))
    plain = sd.generate(tmp_path / "plain", progress=False, days=1, residents=3000, recordings_per_day=600,
                        files_per_day=8)
    without = sha_map(tmp_path / "plain")
    assert {k: v for k, v in sha_map(night.root).items() if k in without} == without
    assert len(plain.batch_files) == len(s.batch_files) and plain.batch_rows == s.batch_rows


def test_card_night_events_follow_the_lifecycle(night: Cards):
    events = by_nik(night.events)
    tonight = Counter()
    for nik, evs in events.items():
        today = [e for e in evs if e.day == NIGHT]
        before = {e.event: e for e in evs if e.day < NIGHT}
        if any("card_no_recording" in e.labels for e in evs):
            assert nik not in night.accepted and {e.event for e in evs} == {"prr"}
            tonight["unlinked"] += len(today)
            continue
        rec = night.accepted[nik]  # every other event links to a recording of the history
        assert rec.day <= NIGHT - timedelta(days=2) and all(e.day >= rec.day for e in evs)
        kinds = [e.event for e in today]
        if not today:
            continue  # its event tonight was a rejected row
        if kinds[0] in ("prr", "biometric_duplicate"):
            assert kinds in (["prr"], ["biometric_duplicate"]) and not before
            assert 2 <= (NIGHT - rec.day).days <= 3
            tonight[kinds[0]] += 1
        elif kinds == ["printed"]:
            assert set(before) <= {"prr"} and 4 <= (NIGHT - rec.day).days <= card_night.HISTORY_DAYS
            if "prr" in before:
                assert 1 <= (before["prr"].day - rec.day).days <= 3 and (NIGHT - before["prr"].day).days >= 2
            tonight["printed"] += 1
        else:
            assert kinds[0] in ("delivered", "activated") and set(kinds) <= {"delivered", "activated"}
            assert (NIGHT - rec.day).days % 7 == 0 and all(e.site_code == rec.site for e in today)
            if "printed" in before:  # after the site's last visit before tonight, which could not hand it over
                assert before["printed"].day >= max(night.outreach_days[rec.site] - {NIGHT})
                assert "prr" not in before or (before["printed"].day - before["prr"].day).days >= 2
            if kinds == ["delivered", "activated"]:
                assert today[0].at < today[1].at
            tonight.update(kinds)
    assert tonight["unlinked"] > 0
    assert 0.8 < tonight["prr"] / tonight["printed"] < 1.2 and 0.8 < tonight["delivered"] / tonight["printed"] < 1.2
    assert 0.75 <= tonight["activated"] / tonight["delivered"] <= 0.95
    assert 0 < tonight["biometric_duplicate"] < 0.05 * tonight["prr"]
    assert sum(tonight.values()) > 0.98 * 2000  # a few rows are rejected


def test_card_night_rejects_each_reason_once_at_least(night: Cards):
    reasons = Counter(r[0] for place, r in night.outcome.items() if r and place[0].split("/")[1] == NIGHT.isoformat())
    assert set(reasons) == set(REASONS) and sum(reasons.values()) < 0.02 * 2000
    assert not [place for place, r in night.outcome.items() if r and place[0].split("/")[1] != NIGHT.isoformat()]


def test_card_night_needs_one_day(tmp_path: Path):
    with pytest.raises(ValueError, match="card_night"):
        sd.generate(tmp_path / "l", days=2, card_night=10, progress=False)
    with pytest.raises(ValueError, match="card_night"):
        sd.generate(tmp_path / "l", days=1, card_night=10, card_events=True, progress=False)


def test_cli_card_night(tmp_path: Path, capsys):
    argv = "--days 1 --residents 500 --recordings-per-day 100 --files-per-day 3 --card-night 300 --quiet"
    assert sd.main(["--landing", str(tmp_path / "l"), *argv.split()]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^history: \d+ batch files, \d+ rows; \d+ card files, \d+ rows$", out, flags=re.MULTILINE)
    assert re.search(r"^card events: \d+ files, 300 rows, 1 copies$", out, flags=re.MULTILINE)
