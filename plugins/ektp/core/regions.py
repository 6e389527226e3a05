"""Pinned Kemendagri region code lists, loaded once per process.

Provenance and licence: ``reference/README.md`` and ``reference/LICENSE-kode-wilayah.txt``.
Codes are kept in two spellings: dotted (``31.74.01``, how the registry writes them) and
plain digits (``317401``, how a NIK embeds them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ektp.core.settings import REFERENCE_DIR

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


def _read(path) -> dict[str, list]:
    """A reference CSV's columns as lists of text (Arrow: the csv module was several times slower)."""
    from pyarrow import csv as pa_csv

    with path.open("rb") as fh:
        header = fh.readline().decode("utf-8").strip().split(",")
    table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(header, "string")))
    return table.to_pydict()


@cache
def code_lists() -> CodeLists:
    by_level: dict[int, set[str]] = {1: set(), 2: set(), 3: set()}
    history = _read(PREFIX_HISTORY)
    for code, level in zip(history["kode"], history["level"], strict=True):
        by_level[int(level)].add(code.replace(".", ""))
    names = _read(CURRENT_LIST)
    current = {code: (name, int(level)) for code, name, level in zip(names["kode"], names["nama"], names["level"],
                                                                     strict=True)}
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
