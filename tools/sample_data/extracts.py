"""SIAK extracts of unrecorded residents: streamed to disk a chunk at a time (5.4 million rows nationally)."""

from __future__ import annotations

import csv
import io
import random
import sys
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tools.sample_data.injected_errors import bad_birth_date
from tools.sample_data.people import People
from tools.sample_data.rates import EXTRACT_ERRORS
from tools.sample_data.regions import digits

REGISTRY_COLUMNS = ("nik", "full_name", "birth_date", "sex", "kelurahan_code")
REGISTRY_FILE = "unrecorded_residents.csv"


def write_extract(
    path: Path,
    people: People,
    residents: int,
    extract_day: date,
    want: int,
    sample: list[str],
    error_rate: float,
    sel_seed: int,
    err_seed: int,
    labels: list,
    landing_dir: Path,
    show: bool,
) -> int:
    """Stream the extract to disk chunk by chunk; keep only the residents selected for recording.

    The selection is a bitmap of ``want`` random row numbers (1 byte a row),
    so the sample is exact-size without holding the extract.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rel = path.relative_to(landing_dir).as_posix()
    selected = np.zeros(residents, dtype=bool)
    if want:
        selected[
            np.random.default_rng(sel_seed).choice(residents, size=want, replace=False, shuffle=False)
        ] = True
    # extract errors at exact positions, never on a selected row (a recorded resident is a valid target)
    err = random.Random(err_seed)
    err_at: dict[int, str] = {}
    if error_rate > 0 and residents:
        free = np.flatnonzero(~selected)
        n_err = min(len(free), max(len(EXTRACT_ERRORS), round(error_rate * residents)))
        picked = np.random.default_rng(err_seed).choice(free, size=n_err, replace=False)
        for i, t in enumerate(sorted(picked.tolist())):
            err_at[t] = EXTRACT_ERRORS[i] if i < len(EXTRACT_ERRORS) else err.choice(EXTRACT_ERRORS)
        del free
    ref_ord = extract_day.toordinal()
    written = 0
    last_free: tuple[int, str] | None = None  # (row, NIK) of the latest unselected row
    with (
        open(path, "w", encoding="utf-8", newline="") as fh,
        tqdm(
            total=residents, desc="registry", unit="row", unit_scale=True, disable=not show, file=sys.stderr
        ) as bar,
    ):
        fh.write(",".join(REGISTRY_COLUMNS) + "\n")
        while written < residents:
            m = min(residents - written, people.CHUNK)
            niks, names, births, sexes, kels = people.chunk(m, ref_ord)
            sel = selected[written : written + m]
            for j in np.flatnonzero(sel).tolist():
                sample.append(f"{niks[j]}\x1f{names[j]}\x1f{births[j]}\x1f{sexes[j]}\x1f{kels[j]}")
            free_rows = np.flatnonzero(~sel)
            for t in (x for x in err_at if written <= x < written + m):
                j = t - written
                bad = err_at[t]
                k = int(np.searchsorted(free_rows, j)) - 1  # the latest unselected row before this one
                prev = (written + int(free_rows[k]), niks[free_rows[k]]) if k >= 0 else last_free
                if bad == "duplicate_nik" and prev is None:
                    bad = "bad_sex"
                if bad == "duplicate_nik":
                    niks[j] = prev[1]
                    labels.append((rel, prev[0] + 1, "extract_duplicate_nik"))  # that row is rejected too
                elif bad == "bad_kelurahan":
                    kels[j] = err.choice((kels[j][:8] + ".9999", digits(kels[j]), "31.74.99.1001"))
                elif bad == "bad_sex":
                    sexes[j] = err.choice(("X", "-", "Laki-laki"))
                else:
                    births[j] = bad_birth_date(births[j], err)
                labels.append((rel, t + 1, f"extract_{bad}"))
            if len(free_rows):
                last_free = (written + int(free_rows[-1]), niks[free_rows[-1]])
            fh.write(
                "".join(
                    f"{a},{_csv_field(b)},{c},{d},{e}\n"
                    for a, b, c, d, e in zip(niks, names, births, sexes, kels, strict=True)
                )
            )
            written += m
            bar.update(m)
    return written


def _csv_field(text: str) -> str:
    """Quote like the csv module (QUOTE_MINIMAL), without its per-row call overhead."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def write_second_extract(
    src: Path, dest: Path, removed: set[str], new_rows: list[tuple[str, ...]], show: bool
) -> int:
    """Copy the first extract line by line, skipping recorded residents; then add the new ones."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with (
        open(src, encoding="utf-8", newline="") as fin,
        open(dest, "w", encoding="utf-8", newline="") as fout,
        tqdm(desc="second extract", unit="row", unit_scale=True, disable=not show, file=sys.stderr) as bar,
    ):
        fout.write(fin.readline())
        buf = io.StringIO()
        for n, line in enumerate(fin, start=1):
            if line[: line.find(",")] not in removed:
                buf.write(line)
                written += 1
            if n % 100_000 == 0:
                fout.write(buf.getvalue())
                buf = io.StringIO()
                bar.update(100_000)
        fout.write(buf.getvalue())
        w = csv.writer(fout, lineterminator="\n")
        w.writerows(new_rows)
        written += len(new_rows)
    return written
