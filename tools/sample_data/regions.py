"""Region codes from the project's pinned Kemendagri lists, and how many people live in each province."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from ektp.core.settings import REFERENCE_DIR

JAKARTA_SELATAN = "31.74"

# Rough provincial population in millions (national scope weights only).
PROVINCE_WEIGHT = {
    "11": 5.6, "12": 15.6, "13": 5.8, "14": 7.0, "15": 3.7, "16": 8.8, "17": 2.1, "18": 9.4,
    "19": 1.5, "21": 2.2, "31": 10.7, "32": 50.3, "33": 37.9, "34": 3.7, "35": 41.6, "36": 12.4,
    "51": 4.4, "52": 5.6, "53": 5.6, "61": 5.6, "62": 2.8, "63": 4.2, "64": 4.0, "65": 0.7,
    "71": 2.7, "72": 3.1, "73": 9.4, "74": 2.8, "75": 1.2, "76": 1.5, "81": 1.9, "82": 1.3,
    "91": 1.0, "92": 0.6, "93": 0.5, "94": 1.4, "95": 1.4, "96": 0.6,
}  # fmt: skip


@dataclass
class Reference:
    kelurahan: list[tuple[str, str]]  # (code, name) level 4, sorted
    names: dict[str, str]  # every current code -> name
    kec_current: list[str]  # prefix-history kecamatan codes in the 2025 list
    kec_old: list[str]  # prefix-history kecamatan codes only in older lists


@functools.cache
def load_reference(ref_dir: Path = REFERENCE_DIR) -> Reference:
    """Read once per process (0.3 s); callers never mutate it."""
    names: dict[str, str] = {}
    kelurahan: list[tuple[str, str]] = []
    with open(ref_dir / "kode_wilayah_2025.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            names[row["kode"]] = row["nama"]
            if row["level"] == "4":
                kelurahan.append((row["kode"], row["nama"]))
    kec_current: list[str] = []
    kec_old: list[str] = []
    with open(ref_dir / "kode_wilayah_prefix_history.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["level"] == "3":
                (kec_current if "2025" in row["in_lists"].split() else kec_old).append(row["kode"])
    return Reference(sorted(kelurahan), names, sorted(kec_current), sorted(kec_old))


def digits(code: str) -> str:
    return code.replace(".", "")
