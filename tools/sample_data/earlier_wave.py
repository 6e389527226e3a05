"""An earlier outreach wave, weeks before the sample's extract, so that its cards have had time to be printed,
handed over and activated by the sample's last day (``card_events``).

The wave records residents who are not in the extract: they were recorded before it was taken, so SIAK no
longer lists them as unrecorded (and with no extract in force yet their recordings are ``no_extract``). Its
files are clean (the sample's errors are in the main days), and it opens at SMA Labschool Kebayoran, so the
sample's funnel always shows that school.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from tools.sample_data.batches import plan_files, write_batch
from tools.sample_data.injected_errors import BatchWriter
from tools.sample_data.people import People
from tools.sample_data.rows import Row, person_row
from tools.sample_data.sites import Site

WEEKS_BEFORE = 3  # the wave starts this many weeks before the sample's first day
OPENING_SITE = "SMA-LABSCHOOL-KEBAYORAN"


@dataclass
class Wave:
    """What the wave wrote: its files, and each file's day, site and rows (all valid, one per person)."""

    files: list[Path] = field(default_factory=list)
    rows: int = 0
    recorded: list[tuple[date, str, Path, list[Row]]] = field(default_factory=list)


def wave_days(start_date: date, days: int) -> list[date]:
    first = start_date - timedelta(weeks=WEEKS_BEFORE)
    return [first + timedelta(days=d) for d in range(days)]


def write_earlier_wave(landing_dir: Path, people: People, sites: list[Site], start_date: date, days: int,
                       recordings_per_day: int, files_per_day: int, rng: random.Random,
                       labels: list[tuple[str, int | str, str]]) -> Wave:
    """Write the wave's batch files (``batches/<day>/<site>_<device>.csv``) and label their rows ``no_extract``."""
    wave = Wave()
    for d, day in enumerate(wave_days(start_date, days)):
        rows = [person_row(p, day, False, ["no_extract"]) for p in people.stream(recordings_per_day, day)]
        # the opening day starts at the Labschool: weighted_order puts a heavy site first
        day_sites = [replace(s, weight=1e9) if d == 0 and s.code == OPENING_SITE else s for s in sites]
        writer = BatchWriter(rng, day)
        for slot, frows in plan_files(rows, day_sites, files_per_day, rng):
            frows.sort(key=lambda r: r.sec)
            path = landing_dir / "batches" / day.isoformat() / slot["name"]
            write_batch(path, slot, frows, writer, None)
            rel = path.relative_to(landing_dir).as_posix()
            labels.extend((rel, j, "no_extract") for j in range(1, len(frows) + 1))
            wave.files.append(path)
            wave.rows += len(frows)
            wave.recorded.append((day, slot["site"].code, path, frows))
    return wave
