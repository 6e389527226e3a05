"""The whole landing area: the extract(s), a number of days of batches, duplicate deliveries, the answer key."""

from __future__ import annotations

import csv
import gc
import hashlib
import random
import shutil
import sys
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from tqdm import tqdm

from tools.sample_data.batches import BATCH_REQUIRED, SCHOOL_END, SCHOOL_START, plan_files, write_batch
from tools.sample_data.card_events import (
    OFFICE_ENROLMENTS,
    PRINT_CAPACITY,
    Enrolment,
    card_events,
    site_visits,
    write_card_files,
)
from tools.sample_data.card_night import write_card_night
from tools.sample_data.earlier_wave import wave_days, write_earlier_wave
from tools.sample_data.extracts import REGISTRY_FILE, write_extract, write_second_extract
from tools.sample_data.injected_errors import BatchWriter, identity_mismatch
from tools.sample_data.people import People
from tools.sample_data.rates import DEFAULT_ERROR_RATE, FILE_ERRORS, ROW_ERRORS, VALID_QUIRKS, VALUE_ERRORS, Rates
from tools.sample_data.regions import load_reference
from tools.sample_data.rows import Row, person_row
from tools.sample_data.sites import build_sites

SCOPES = ("jakarta-selatan", "national")
LARGE_RUN = 200_000  # residents above which progress bars are shown by default
NEW_RESIDENT_SHARE = 0.01  # of `residents`, added by the second extract


@dataclass
class GenerationSummary:
    """What was written, for callers and the CLI."""

    landing_dir: Path
    registry_files: list[Path] = field(default_factory=list)
    extract_rows: dict[str, int] = field(default_factory=dict)  # extract_date -> data rows
    batch_files: list[Path] = field(default_factory=list)  # originals, not the duplicate copies
    duplicate_copies: list[Path] = field(default_factory=list)
    batch_rows: int = 0  # data rows in batch_files (copies not counted)
    injected: dict[str, int] = field(default_factory=dict)  # label -> rows (files for file-level)
    labels_file: Path | None = None
    card_files: list[Path] = field(default_factory=list)  # card_events only: originals, not the copy
    card_rows: int = 0  # data rows in card_files
    card_copies: list[Path] = field(default_factory=list)
    # card_night only: the recordings and card events before the night, dated before start_date (card_night)
    history_batch_files: list[Path] = field(default_factory=list)
    history_batch_rows: int = 0
    history_card_files: list[Path] = field(default_factory=list)
    history_card_rows: int = 0


def generate(
    landing_dir: Path,
    *,
    seed: int = 42,
    start_date: date = date(2026, 11, 2),
    days: int = 3,
    residents: int = 3000,
    recordings_per_day: int = 600,
    files_per_day: int = 8,
    scope: str = "jakarta-selatan",
    second_extract: bool = False,
    error_rate: float = DEFAULT_ERROR_RATE,
    progress: bool | None = None,
    rates: Rates | None = None,
    labels_path: Path | None = None,
    card_events: bool = False,
    card_night: int = 0,
) -> GenerationSummary:
    """Write a landing area; see the module docstring for what goes into it.

    ``card_events``: also an earlier outreach wave and the card events of every recording (``earlier_wave``,
    ``card_events``); the other files are the same bytes either way.

    ``card_night``: instead, exactly this many card-event rows dated the one day (``days`` must be 1) for people
    recorded before it, whose batch and card files (the history) are dated before ``start_date`` and counted apart
    (``history_*``): the benchmark's night with card events (``card_night``).

    ``progress=None`` shows tqdm bars on stderr only for large runs.  Existing
    files with the same paths are overwritten; nothing else is removed.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
    if days < 1 or residents < 0 or recordings_per_day < 0 or files_per_day < 1:
        raise ValueError("days and files_per_day must be >= 1, sizes >= 0")
    if second_extract and days < 2:
        raise ValueError("second_extract needs days >= 2 (it is dated start_date + days // 2)")
    if error_rate < 0:
        raise ValueError("error_rate must be >= 0")
    if card_night < 0 or (card_night and (days != 1 or card_events)):
        raise ValueError("card_night needs days == 1, no card_events, and a count >= 0")
    # Millions of small, acyclic objects: the cyclic GC would rescan them over and over (3x slower).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(
            Path(landing_dir),
            seed=seed,
            start_date=start_date,
            days=days,
            residents=residents,
            recordings_per_day=recordings_per_day,
            files_per_day=files_per_day,
            scope=scope,
            second_extract=second_extract,
            rates=(rates or Rates()).scaled(error_rate / DEFAULT_ERROR_RATE),
            show=residents > LARGE_RUN if progress is None else progress,
            labels_path=labels_path,
            with_cards=card_events,
            card_night=card_night,
            card_error_factor=error_rate / DEFAULT_ERROR_RATE,
        )
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(
    landing_dir: Path,
    *,
    seed: int,
    start_date: date,
    days: int,
    residents: int,
    recordings_per_day: int,
    files_per_day: int,
    scope: str,
    second_extract: bool,
    rates: Rates,
    show: bool,
    labels_path: Path | None,
    with_cards: bool,
    card_night: int,
    card_error_factor: float,
) -> GenerationSummary:

    def stream_rng(name: str) -> random.Random:
        return random.Random(_seed_int(seed, name))

    ref = load_reference()
    extract_day = start_date - timedelta(days=1)
    people = People(ref, scope, _seed_int(seed, "people"), start_date)
    summary = GenerationSummary(landing_dir=landing_dir, labels_file=labels_path)
    labels: list[tuple[str, int | str, str]] = []

    # 1. the first extract, streamed; an exact-size sample of it is kept for recording
    total_rec = days * recordings_per_day
    want = min(residents, round(total_rec * (1 - rates.not_in_extract)))
    sample: list[str] = []  # "\x1f"-joined rows: compact
    path1 = landing_dir / "registry" / extract_day.isoformat() / REGISTRY_FILE
    rows1 = write_extract(
        path1,
        people,
        residents,
        extract_day,
        want,
        sample,
        rates.extract_errors,
        _seed_int(seed, "select"),
        _seed_int(seed, "extract-errors"),
        labels,
        landing_dir,
        show,
    )
    summary.registry_files.append(path1)
    summary.extract_rows[extract_day.isoformat()] = rows1

    mid_idx = days // 2
    new_residents: list[tuple[str, ...]] = []
    if second_extract:
        mid_day = start_date + timedelta(days=mid_idx)
        n_new = max(1, round(residents * NEW_RESIDENT_SHARE)) if residents else 0
        new_residents = list(people.stream(n_new, mid_day))

    # 2. batches, day by day
    site_rng = stream_rng("sites")
    sites = build_sites(ref, scope, people, site_rng)
    day_rng = stream_rng("batches")
    removed: set[str] = set()  # true NIKs of extract residents recorded before the second extract
    again_pool: list[Row] = []  # clean rows of earlier days, for "recorded again later"
    seen_clean = 0
    sample_pos = 0
    recordable_new = new_residents[: len(new_residents) // 3]
    written: list[tuple[Path, bool]] = []  # (path, missing a column)
    recorded: list[tuple[date, str, Path, list[Row], bool]] = []  # with_cards: (day, site, path, rows, missing)
    first_seen: dict[str, bool] = {}
    bar = tqdm(total=days, desc="batches", unit="day", disable=not show, file=sys.stderr)
    for d in range(days):
        day = start_date + timedelta(days=d)
        n = recordings_per_day
        counts = {}
        for k in ROW_ERRORS:
            rate = getattr(rates, k)
            c = _stochastic_round(rate * n, day_rng)
            eligible = k != "recorded_again_later" or (d > 0 and again_pool)
            if not eligible:
                c = 0
            elif rate > 0 and not first_seen.get(k):
                c = max(1, c)
            if c:
                first_seen[k] = True
            counts[k] = c
        n_again = min(counts.pop("recorded_again_later"), len(again_pool))
        n_dup = counts.pop("duplicate_in_batch")
        n_base = max(0, n - n_again - n_dup)

        rows: list[Row] = []
        # new residents of the second extract, recorded from its date on
        if second_extract and d >= mid_idx and recordable_new:
            per_day = -(-len(recordable_new) // (days - mid_idx))
            take = recordable_new[(d - mid_idx) * per_day : (d - mid_idx + 1) * per_day][:n_base]
            for p in take:
                rows.append(person_row(p, day, True, ["new_in_second_extract"]))
        n_not = _stochastic_round(rates.not_in_extract * n_base, day_rng)
        n_res = max(0, n_base - n_not - len(rows))
        chunk = sample[sample_pos : sample_pos + n_res]
        sample_pos += len(chunk)
        n_not = n_base - len(rows) - len(chunk)
        n_mis = _stochastic_round(rates.identity_mismatch * len(chunk), day_rng)
        mis = set(day_rng.sample(range(len(chunk)), min(n_mis, len(chunk))))
        for i, packed in enumerate(chunk):
            row = person_row(tuple(packed.split("\x1f")), day, True, [])
            if i in mis:
                identity_mismatch(row, day_rng)
            rows.append(row)
        for p in people.stream(n_not, day):
            rows.append(person_row(p, day, False, ["not_in_extract"]))
        day_rng.shuffle(rows)
        for r in rows:
            if r.kel and day_rng.random() < rates.blank_kelurahan:
                r.kel = ""
        files = plan_files(rows, sites, files_per_day, day_rng)
        # files lacking a required column, chosen first: every other kind then lands in a loadable file
        n_missing = _stochastic_round(rates.missing_column * len(files), day_rng)
        if rates.missing_column > 0 and not first_seen.get("missing_column"):
            n_missing = max(1, n_missing)
        missing_idx = set(day_rng.sample(range(len(files)), min(n_missing, len(files))))
        if missing_idx:
            first_seen["missing_column"] = True
        ok_files = [fi for fi in range(len(files)) if fi not in missing_idx]
        # value errors on distinct rows
        places = [(fi, j) for fi in ok_files for j in range(len(files[fi][1]))]
        kinds = [k for k in VALUE_ERRORS for _ in range(counts[k])][: len(places)]
        for (fi, j), k in zip(day_rng.sample(places, len(kinds)), kinds, strict=True):
            files[fi][1][j].error = k
            files[fi][1][j].labels.append(k)
        # persons recorded on an earlier day, recorded again
        again = [
            replace(r, labels=[*(x for x in r.labels if x != "duplicate_in_batch"), "recorded_again_later"])
            for r in day_rng.sample(again_pool, n_again if ok_files else 0)
        ]
        for r in again:
            r.sec = day_rng.randrange(SCHOOL_START, SCHOOL_END)
            files[ok_files[int(day_rng.random() * len(ok_files))]][1].append(r)
        again_nik = {r.nik for r in again}
        again_pool = [r for r in again_pool if r.nik not in again_nik]
        # duplicate rows inside one file: a clean row captured twice
        clean = [(fi, j) for fi in ok_files for j, r in enumerate(files[fi][1]) if r.error is None]
        for fi, j in day_rng.sample(clean, min(n_dup, len(clean))):
            orig = files[fi][1][j]
            dup = replace(orig, sec=min(orig.sec + day_rng.randint(60, 1200), SCHOOL_END + 3599))
            dup.labels = [*orig.labels, "duplicate_in_batch"]
            files[fi][1].append(dup)

        writer = BatchWriter(day_rng, day)
        for fi, (slot, frows) in enumerate(files):
            frows.sort(key=lambda r: r.sec)
            drop = None
            if fi in missing_idx:
                drop = "sex" if not summary.injected.get("missing_column") else day_rng.choice(BATCH_REQUIRED)
                summary.injected["missing_column"] = summary.injected.get("missing_column", 0) + 1
            path = landing_dir / "batches" / day.isoformat() / slot["name"]
            rel = path.relative_to(landing_dir).as_posix()
            write_batch(path, slot, frows, writer, drop)
            if drop:
                labels.append((rel, "", f"missing_column:{drop}"))
            for j, r in enumerate(frows, start=1):
                for lab in r.labels:
                    labels.append((rel, j, lab))
            summary.batch_rows += len(frows)
            written.append((path, drop is not None))
            if with_cards:
                recorded.append((day, slot["site"].code, path, frows, drop is not None))
            summary.batch_files.append(path)
            if d < mid_idx:
                removed.update(r.nik for r in frows if r.from_extract)
            if drop is None:
                for r in frows:
                    if r.error is None and r.from_extract and "duplicate_in_batch" not in r.labels:
                        seen_clean += 1  # reservoir sample, bounded for national runs
                        if len(again_pool) < 20_000:
                            again_pool.append(r)
                        else:
                            k = day_rng.randrange(seen_clean)
                            if k < 20_000:
                                again_pool[k] = r
        del rows, files, clean  # the day is on disk: free it before building the next one
        bar.update(1)
    bar.close()

    # 3. duplicate deliveries: identical bytes under a second name and/or in a later date folder
    _copy_duplicate_deliveries(written, rates, day_rng, start_date, days, landing_dir, summary, labels)
    summary.injected["duplicate_delivery"] = len(summary.duplicate_copies)

    # 4. the second extract: the first minus residents recorded before it, plus new residents
    if second_extract:
        mid_day = start_date + timedelta(days=mid_idx)
        path2 = landing_dir / "registry" / mid_day.isoformat() / REGISTRY_FILE
        rows2 = write_second_extract(path1, path2, removed, new_residents, show)
        summary.registry_files.append(path2)
        summary.extract_rows[mid_day.isoformat()] = rows2

    # 5. an earlier wave and the card events of every recording
    if with_cards:
        wave = write_earlier_wave(landing_dir, people, sites, start_date, days, recordings_per_day, files_per_day,
                                  stream_rng("earlier-wave"), labels)
        summary.batch_files += wave.files
        summary.batch_rows += wave.rows
        recorded = [(day, site, path, rows, False) for day, site, path, rows in wave.recorded] + recorded
        cards_rng = stream_rng("cards")
        office_day = wave_days(start_date, days)[0]
        office = [Enrolment(p[0], office_day + timedelta(days=k), 10 * 3600, None, "card_no_recording")
                  for k, p in enumerate(people.stream(OFFICE_ENROLMENTS, office_day))]
        last_day = start_date + timedelta(days=days - 1)
        events = card_events(_enrolments(recorded) + office, site_visits(_outreach_days(recorded), last_day),
                             start_date, last_day, max(1, round(PRINT_CAPACITY * recordings_per_day)), cards_rng)
        cards = write_card_files(landing_dir, events, card_error_factor, cards_rng, labels)
        summary.card_files, summary.card_rows, summary.card_copies = cards.files, cards.rows, cards.copies
        summary.injected["duplicate_delivery"] += len(cards.copies)
    elif card_night:
        night = write_card_night(landing_dir, people, sites, start_date, card_night, card_error_factor,
                                 stream_rng("card-night"), labels)
        summary.card_files, summary.card_rows, summary.card_copies = (night.cards.files, night.cards.rows,
                                                                      night.cards.copies)
        summary.history_batch_files, summary.history_batch_rows = night.history_batch_files, night.history_batch_rows
        summary.history_card_files, summary.history_card_rows = night.history_card_files, night.history_card_rows
        summary.injected["duplicate_delivery"] += len(night.cards.copies)

    for _, _, lab in labels:
        key = lab.split(":", 1)[0]
        if key not in FILE_ERRORS:
            summary.injected[key] = summary.injected.get(key, 0) + 1
    summary.injected = dict(sorted(summary.injected.items()))
    if labels_path is not None:
        _write_labels(Path(labels_path), labels)
    return summary


#: a batch row with a mistyped NIK (rejected, or accepted under the wrong NIK): the enrolment reached ABIS with the
#: right one, whose events are then unlinked
_NIK_ERRORS = ("nik_typo", "nik_spreadsheet", "nik_length")


def _enrolments(recorded: list[tuple[date, str, Path, list[Row], bool]]) -> list[Enrolment]:
    """Each NIK's accepted recording (contract §2.3: first by recorded_at, file, row), and the people recorded
    only under a mistyped NIK."""
    first: dict[str, tuple[tuple, Enrolment]] = {}
    mistyped: dict[str, Enrolment] = {}
    for day, site, path, rows, missing in recorded:
        if missing:
            continue
        for j, r in enumerate(rows, start=1):
            if r.error is None or r.error in VALID_QUIRKS:
                key = (day, r.sec, path.as_posix(), j)
                if r.nik not in first or key < first[r.nik][0]:
                    first[r.nik] = (key, Enrolment(r.nik, day, r.sec, site))
            elif r.error in _NIK_ERRORS:
                mistyped.setdefault(r.nik, Enrolment(r.nik, day, r.sec, site, "card_mistyped_recording"))
    return [e for _, e in first.values()] + [e for nik, e in mistyped.items() if nik not in first]


def _outreach_days(recorded: list[tuple[date, str, Path, list[Row], bool]]) -> dict[str, set[date]]:
    days: dict[str, set[date]] = {}
    for day, site, *_ in recorded:
        days.setdefault(site, set()).add(day)
    return days


def _copy_duplicate_deliveries(
    written: list[tuple[Path, bool]],
    rates: Rates,
    day_rng: random.Random,
    start_date: date,
    days: int,
    landing_dir: Path,
    summary: GenerationSummary,
    labels: list[tuple[str, int | str, str]],
) -> None:
    """Copy some loadable batch files, byte for byte, under a ``_resend`` name and/or into a later date folder."""
    candidates = [p for p, missing in written if not missing]
    n_copies = _stochastic_round(rates.duplicate_delivery * len(written), day_rng)
    if rates.duplicate_delivery > 0:
        n_copies = max(1, n_copies)
    end_day = start_date + timedelta(days=days - 1)
    sources = day_rng.sample(candidates, min(n_copies, len(candidates)))
    early = [p for p in candidates if p.parent.name < end_day.isoformat() and p not in sources]
    if sources and early and sources[0].parent.name == end_day.isoformat():
        sources[0] = day_rng.choice(early)  # the first copy can then also go to a later folder
    for i, src in enumerate(sources):
        src_day = date.fromisoformat(src.parent.name)
        later = [src_day + timedelta(days=k) for k in range(1, (end_day - src_day).days + 1)]
        variant = (2, 0, 1)[i % 3] if later else 0  # the first copy shows both kinds at once
        targets = []
        if variant in (0, 2):  # "_resend" sorts after the original: the original stays the loaded one
            targets.append(src.with_name(f"{src.stem}_resend.csv"))
        if variant in (1, 2):
            targets.append(landing_dir / "batches" / day_rng.choice(later).isoformat() / src.name)
        for dest in targets:
            while dest.exists():  # never overwrite an original (same site and device on another day)
                dest = dest.with_name(f"{dest.stem}_resend.csv")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            summary.duplicate_copies.append(dest)
            labels.append((dest.relative_to(landing_dir).as_posix(), "", "duplicate_delivery"))


def _write_labels(labels_path: Path, labels: list[tuple[str, int | str, str]]) -> None:
    """The answer key: ``file,row,label``, sorted (a file-level label has no row and sorts first)."""
    labels_path.parent.mkdir(parents=True, exist_ok=True)
    with open(labels_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("file", "row", "label"))
        w.writerows(sorted(labels, key=lambda t: (t[0], t[1] if t[1] != "" else 0, t[2])))


def _seed_int(seed: int, stream: str) -> int:
    """Independent, stable seed per stream: changing the batches leaves the extract alone."""
    return int.from_bytes(hashlib.sha256(f"ektp-sample:{seed}:{stream}".encode()).digest()[:8], "big")


def _stochastic_round(x: float, rng: random.Random) -> int:
    n = int(x)
    return n + (1 if rng.random() < x - n else 0)
