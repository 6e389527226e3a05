"""Every NIK of a landing area, and where one turns up in text (for the no-leak checks)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

_DIGITS = re.compile(rb"(?<![0-9])[0-9]{16}(?![0-9])")
_RUNS = re.compile(r"[0-9]{16,}")
_NOISE = re.compile(r"[\s.\-]+")


def landing_niks(landing: Path) -> set[str]:
    """Every 16-digit run in the landed files, and every nik field as normalised by the contract."""
    niks: set[str] = set()
    for path in landing.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        niks |= {m.decode() for m in _DIGITS.findall(data)}
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"), newline=""), strict=False)
        header = [h.strip().lower() for h in next(rows, [])]
        if "nik" in header:
            at = header.index("nik")
            for row in rows:
                if len(row) > at:
                    value = _NOISE.sub("", row[at])
                    if len(value) == 16 and value.isascii() and value.isdigit():
                        niks.add(value)
    return niks


def niks_in(text: str, niks: set[str]) -> set[str]:
    """The NIKs of ``niks`` that occur in ``text`` (also inside longer digit runs)."""
    found = set()
    for variant in (text, _NOISE.sub("", text)):  # also as written with spaces, dots or dashes
        for run in _RUNS.findall(variant):
            found |= {run[i:i + 16] for i in range(len(run) - 15)} & niks
    return found


def texts_of_files(paths: Iterable[Path]) -> Iterable[tuple[str, str]]:
    for path in paths:
        if path.is_file():
            yield str(path), path.read_bytes().decode("utf-8", "replace")
