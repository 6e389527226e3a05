"""Pinned Kemendagri region code lists, loaded once per process.

Provenance and licence: ``reference/README.md`` and ``reference/LICENSE-kode-wilayah.txt``.
Codes are kept in two spellings: dotted (``31.74.01``, how the registry writes them) and
plain digits (``317401``, how a NIK embeds them).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from ektp.config import REFERENCE_DIR

CURRENT_LIST = REFERENCE_DIR / "kode_wilayah_2025.csv"
PREFIX_HISTORY = REFERENCE_DIR / "kode_wilayah_prefix_history.csv"


@dataclass(frozen=True)
class CodeLists:
    #: digits of every province (2), kabupaten/kota (4) and kecamatan (6) code in ANY list since 2016,
    #: because a NIK keeps the codes of its place of first issue
    provinces: frozenset[str]
    regencies: frozenset[str]
    districts: frozenset[str]
    #: current list: dotted code -> (name, level)
    current: dict[str, tuple[str, int]]

    def villages(self) -> frozenset[str]:
        return frozenset(code for code, (_, level) in self.current.items() if level == 4)


@cache
def code_lists() -> CodeLists:
    by_level: dict[int, set[str]] = {1: set(), 2: set(), 3: set()}
    with PREFIX_HISTORY.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_level[int(row["level"])].add(row["kode"].replace(".", ""))
    with CURRENT_LIST.open(encoding="utf-8", newline="") as fh:
        current = {row["kode"]: (row["nama"], int(row["level"])) for row in csv.DictReader(fh)}
    return CodeLists(
        provinces=frozenset(by_level[1]),
        regencies=frozenset(by_level[2]),
        districts=frozenset(by_level[3]),
        current=current,
    )


@cache
def village_codes() -> frozenset[str]:
    """Dotted level-4 (desa/kelurahan) codes of the current list."""
    return code_lists().villages()


def region_rows() -> list[dict[str, object]]:
    """The current list as rows for the warehouse's region table (names for published tables)."""
    return [
        {"region_code": code, "region_name": name, "region_level": level}
        for code, (name, level) in sorted(code_lists().current.items())
    ]
