"""Synthetic landing area for the e-KTP outreach pipeline (CONTRACT.md §1).

Writes what SIAK and the field devices would deliver, so the pipeline can be
developed, demonstrated and load-tested without personal data:

* ``<landing>/registry/<start_date - 1>/unrecorded_residents.csv``: the SIAK
  extract, streamed row by row (5.4 million rows at national scale), and with
  ``second_extract`` a second one dated ``start_date + days // 2``: the first
  minus every extract resident recorded before that date (whatever happened
  to the batch row: the capture itself took place) plus about 1 % new
  residents, some of whom are then recorded.
* ``<landing>/batches/<date>/<site>_<device>[_u<n>].csv``: one file per upload
  of one device at one outreach site (senior high schools and RW halls;
  students are routed to schools, adults to RW halls, preferably in their own
  kecamatan, or kab/kota at national scope).

Population mix (not errors, not scaled by ``error_rate``): about 6 % of the
recorded persons are not in the extract (``not_in_extract``), 1.5 % carry a
birth date or sex differing from the extract (``identity_mismatch``), 2 %
have an empty kelurahan_code (optional column).  About 5 % of NIKs were issued
in another region (a kecamatan from the prefix history, one in ten of them
from a code that only exists in old lists, e.g. ``92.01.04``).

Injected batch errors, default share of batch rows (they sum to
``DEFAULT_ERROR_RATE`` = 4 %; ``error_rate`` scales all of them, and the two
file-level kinds, proportionally; ``Rates`` / ``--rate KIND=RATE`` sets one).
Each day gets ``rate x rows`` of a kind (stochastically rounded), on distinct
rows.  Kinds marked *valid* must be accepted by the pipeline after
normalisation:

=========================  =======  =========================================
kind                       default  what
=========================  =======  =========================================
nik_typo                   0.5 %    one digit changed or two adjacent swapped
nik_spreadsheet            0.3 %    ``3.17401E+15``, or 16th digit zeroed
nik_separators (valid)     0.6 %    ``3174 0155 ...``, dots, dashes, padding
nik_length                 0.2 %    a digit dropped or added
birth_date_invalid         0.2 %    ``2008-02-30``, ``2008-13-05``, ``05/09/2008``
birth_date_future          0.1 %    birth date after the recording date
missing_value              0.3 %    a required field empty or blank
sex_lowercase (valid)      0.5 %    ``l`` / ``p``
sex_invalid                0.1 %    ``X``, ``M``, ``F``, ``W``
recorded_at_utc (valid)    0.2 %    same instant written with ``+00:00``
recorded_at_no_offset      0.1 %    ``2026-11-02T09:15:00`` (no UTC offset)
recorded_at_wrong_day      0.1 %    device clock on another day
malformed_row              0.1 %    an unquoted comma in the name, or a truncated line
duplicate_in_batch         0.4 %    the same person again later in the same file
recorded_again_later       0.3 %    a person recorded on an earlier day, again
duplicate_delivery         1 %      of files: identical bytes under a second
                                    name (``_resend``) and/or a later date folder
missing_column             0.5 %    of files: a required column (``sex`` first) absent
=========================  =======  =========================================

Every kind with a non-zero rate occurs at least once per run (on its first
eligible day) and, apart from ``missing_column`` itself, in a loadable file,
so a small run always exercises every rule.  Registry extract errors
(``Rates.extract_errors``, a share of extract rows: duplicate NIK - both rows
then rejected -, bad kelurahan code, bad sex, impossible birth date; at least
one of each) are OFF by default: extract NIKs are then unique and every
extract row is valid.  They never hit a resident picked for recording.

Optionally (``labels_path``, ``--labels``) an answer key is written outside
the landing area: ``file,row,label``, row = 1-based data row (header not
counted; empty for a file-level label).  Labels: the kinds above,
``not_in_extract``, ``identity_mismatch``, ``new_in_second_extract``,
``missing_column:<column>``, ``duplicate_delivery`` (on the copy, whose path
sorts after the original's) and ``extract_<kind>``.

Deterministic: the same arguments give byte-identical files (numpy and
``random`` streams seeded from SHA-256 of seed and stream name, no clock, no
set iteration).  Without extract errors the extract does not depend on the
batch arguments.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gc
import hashlib
import io
import random
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from faker import Faker
from tqdm import tqdm

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
REGISTRY_COLUMNS = ("nik", "full_name", "birth_date", "sex", "kelurahan_code")
BATCH_COLUMNS = (
    "batch_id",
    "site_code",
    "site_name",
    "operator_id",
    "recorded_at",
    "nik",
    "full_name",
    "birth_date",
    "sex",
    "kelurahan_code",
)
BATCH_REQUIRED = BATCH_COLUMNS[:-1]
REGISTRY_FILE = "unrecorded_residents.csv"
JAKARTA_SELATAN = "31.74"
SCOPES = ("jakarta-selatan", "national")
LARGE_RUN = 200_000  # residents above which progress bars are shown by default

SCHOOL_START = 7 * 3600  # recordings happen 07:00-15:00 WIB
SCHOOL_END = 15 * 3600
OTHER_REGION_SHARE = 0.05  # NIKs issued outside the domicile kecamatan
OLD_CODE_SHARE = 0.10  # of those: a kecamatan that is only in old code lists
STUDENT_SHARE = 0.70  # extract residents aged 16-20; the rest are adults 21-75
NEW_RESIDENT_SHARE = 0.01  # of `residents`, added by the second extract
_BUCKETS = 4_194_301  # prime; NIK serial counters (see _People)
_SERIALS = [f"{i:04d}" for i in range(10_000)]


@dataclass(frozen=True)
class Rates:
    """Per-kind rates; the error kinds are scaled by ``error_rate / DEFAULT_ERROR_RATE``."""

    # batch row errors and quirks (share of batch rows)
    nik_typo: float = 0.005
    nik_spreadsheet: float = 0.003
    nik_separators: float = 0.006
    nik_length: float = 0.002
    birth_date_invalid: float = 0.002
    birth_date_future: float = 0.001
    missing_value: float = 0.003
    sex_lowercase: float = 0.005
    sex_invalid: float = 0.001
    recorded_at_utc: float = 0.002
    recorded_at_no_offset: float = 0.001
    recorded_at_wrong_day: float = 0.001
    malformed_row: float = 0.001
    duplicate_in_batch: float = 0.004
    recorded_again_later: float = 0.003
    # file level (share of batch files)
    duplicate_delivery: float = 0.01
    missing_column: float = 0.005
    # population mix, never scaled
    not_in_extract: float = 0.06
    identity_mismatch: float = 0.015
    blank_kelurahan: float = 0.02
    extract_errors: float = 0.0

    def scaled(self, factor: float) -> Rates:
        """Scale the error kinds only: the population mix is not an error."""
        return replace(self, **{k: getattr(self, k) * factor for k in ROW_ERRORS + FILE_ERRORS})


ROW_ERRORS = (
    "nik_typo",
    "nik_spreadsheet",
    "nik_separators",
    "nik_length",
    "birth_date_invalid",
    "birth_date_future",
    "missing_value",
    "sex_lowercase",
    "sex_invalid",
    "recorded_at_utc",
    "recorded_at_no_offset",
    "recorded_at_wrong_day",
    "malformed_row",
    "duplicate_in_batch",
    "recorded_again_later",
)
FILE_ERRORS = ("duplicate_delivery", "missing_column")
EXTRACT_ERRORS = ("duplicate_nik", "bad_kelurahan", "bad_sex", "bad_birth_date")
VALID_QUIRKS = ("nik_separators", "sex_lowercase", "recorded_at_utc")
# kinds applied to a row's own values; the other two add rows
_VALUE_ERRORS = tuple(k for k in ROW_ERRORS if k not in ("duplicate_in_batch", "recorded_again_later"))
DEFAULT_ERROR_RATE = round(sum(getattr(Rates(), k) for k in ROW_ERRORS), 10)

# Senior high schools in Kota Jakarta Selatan, with an approximate kecamatan
# (used only to route students to a nearby site).
_JS_SCHOOLS = (
    ("SMAN-3-JAKARTA", "SMA Negeri 3 Jakarta", "31.74.02"),
    ("SMAN-6-JAKARTA", "SMA Negeri 6 Jakarta", "31.74.07"),
    ("SMAN-8-JAKARTA", "SMA Negeri 8 Jakarta", "31.74.01"),
    ("SMAN-26-JAKARTA", "SMA Negeri 26 Jakarta", "31.74.01"),
    ("SMAN-28-JAKARTA", "SMA Negeri 28 Jakarta", "31.74.04"),
    ("SMAN-29-JAKARTA", "SMA Negeri 29 Jakarta", "31.74.05"),
    ("SMAN-34-JAKARTA", "SMA Negeri 34 Jakarta", "31.74.06"),
    ("SMAN-37-JAKARTA", "SMA Negeri 37 Jakarta", "31.74.01"),
    ("SMAN-38-JAKARTA", "SMA Negeri 38 Jakarta", "31.74.09"),
    ("SMAN-46-JAKARTA", "SMA Negeri 46 Jakarta", "31.74.07"),
    ("SMAN-47-JAKARTA", "SMA Negeri 47 Jakarta", "31.74.05"),
    ("SMAN-55-JAKARTA", "SMA Negeri 55 Jakarta", "31.74.04"),
    ("SMAN-60-JAKARTA", "SMA Negeri 60 Jakarta", "31.74.08"),
    ("SMAN-63-JAKARTA", "SMA Negeri 63 Jakarta", "31.74.10"),
    ("SMAN-66-JAKARTA", "SMA Negeri 66 Jakarta", "31.74.06"),
    ("SMAN-70-JAKARTA", "SMA Negeri 70 Jakarta", "31.74.07"),
    ("SMAN-74-JAKARTA", "SMA Negeri 74 Jakarta", "31.74.05"),
    ("SMAN-79-JAKARTA", "SMA Negeri 79 Jakarta", "31.74.03"),
    ("SMAN-86-JAKARTA", "SMA Negeri 86 Jakarta", "31.74.10"),
    ("SMAN-97-JAKARTA", "SMA Negeri 97 Jakarta", "31.74.09"),
    ("SMAN-109-JAKARTA", "SMA Negeri 109 Jakarta", "31.74.09"),
    ("SMA-LABSCHOOL-KEBAYORAN", "SMA Labschool Kebayoran", "31.74.07"),
)

# Rough provincial population in millions (national scope weights only).
_PROVINCE_WEIGHT = {
    "11": 5.6, "12": 15.6, "13": 5.8, "14": 7.0, "15": 3.7, "16": 8.8, "17": 2.1, "18": 9.4,
    "19": 1.5, "21": 2.2, "31": 10.7, "32": 50.3, "33": 37.9, "34": 3.7, "35": 41.6, "36": 12.4,
    "51": 4.4, "52": 5.6, "53": 5.6, "61": 5.6, "62": 2.8, "63": 4.2, "64": 4.0, "65": 0.7,
    "71": 2.7, "72": 3.1, "73": 9.4, "74": 2.8, "75": 1.2, "76": 1.5, "81": 1.9, "82": 1.3,
    "91": 1.0, "92": 0.6, "93": 0.5, "94": 1.4, "95": 1.4, "96": 0.6,
}  # fmt: skip


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


# --------------------------------------------------------------------------- reference data


@dataclass
class _Reference:
    kelurahan: list[tuple[str, str]]  # (code, name) level 4, sorted
    names: dict[str, str]  # every current code -> name
    kec_current: list[str]  # prefix-history kecamatan codes in the 2025 list
    kec_old: list[str]  # prefix-history kecamatan codes only in older lists


@functools.cache
def _load_reference(ref_dir: Path = REFERENCE_DIR) -> _Reference:
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
    return _Reference(sorted(kelurahan), names, sorted(kec_current), sorted(kec_old))


def _digits(code: str) -> str:
    return code.replace(".", "")


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.upper())
    return "-".join(p for p in out.split("-") if p)


def _short_kabkota(name: str) -> str:
    for prefix in ("Kabupaten Administrasi ", "Kota Administrasi ", "Kabupaten ", "Kota "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name.title()


# --------------------------------------------------------------------------- people


class _People:
    """Generates residents with NIKs consistent with birth date, sex and place of issue.

    Vectorised with numpy in chunks: a pure-Python loop is ~10 µs a row, too
    slow for 5.4 million.  NIK serials must be unique without remembering
    every NIK: each 12-digit NIK prefix (kecamatan + DDMMYY) is hashed to one
    of ~4 million 16-bit counters and a serial is the bucket's counter after a
    small random step.  Residents with the same prefix share a bucket, so their
    serials differ: uniqueness holds by construction, in 8 MB.
    """

    CHUNK = 65_536

    def __init__(self, ref: _Reference, scope: str, seed: int, anchor: date):
        self.gen = np.random.default_rng(seed)
        kel = ref.kelurahan
        if scope == "jakarta-selatan":
            kel = [k for k in kel if k[0].startswith(JAKARTA_SELATAN + ".")]
            self.weights = [1.0] * len(kel)
        else:
            per_prov = Counter(code[:2] for code, _ in kel)
            self.weights = [_PROVINCE_WEIGHT.get(code[:2], 1.0) / per_prov[code[:2]] for code, _ in kel]
        self.cum = np.cumsum(np.array(self.weights))
        self.kel_codes = [code for code, _ in kel]
        self.kel_kec6 = np.array([int(_digits(code[:8])) for code in self.kel_codes], dtype=np.int64)
        self.kec_current = np.array([int(_digits(c)) for c in ref.kec_current], dtype=np.int64)
        self.kec_old = np.array([int(_digits(c)) for c in ref.kec_old or ref.kec_current], dtype=np.int64)
        self.counters = np.zeros(_BUCKETS, dtype=np.uint16)

        fk = Faker("id_ID")
        fk.seed_instance(seed)

        def pool(make, n: int) -> list[str]:  # unique, in Faker's (deterministic) order, CSV-safe
            return [x for x in dict.fromkeys(make() for _ in range(n)) if not set(x) & set(',"\r\n')]

        first_m, first_f = pool(fk.first_name_male, 3000), pool(fk.first_name_female, 3000)
        last_m, last_f = pool(fk.last_name_male, 2000), pool(fk.last_name_female, 2000)
        # name parts, each index 0 = absent; men and women draw from their own ranges
        self.nfm, self.nff, self.nlm, self.nlf = len(first_m), len(first_f), len(last_m), len(last_f)
        self.honorific = ["", "Muhammad ", "Ahmad ", "Siti ", "Nur "]
        self.first = first_m + first_f
        self.middle = [""] + [" " + x for x in first_m + first_f]
        self.last = [""] + [" " + x for x in last_m + last_f]
        self.suffix = [""] + [", " + x for x in pool(fk.suffix, 300)]  # academic titles: a comma

        # date tables: ordinal - base -> ISO text; NIK date digits (DDMMYY, day+40 for women)
        self.base = (anchor - timedelta(days=80 * 366)).toordinal()
        span = (anchor + timedelta(days=400)).toordinal() - self.base + 1
        self.span = span
        self.iso: list[str] = []
        ddmmyy: list[str] = []
        for o in range(self.base, self.base + span):
            d = date.fromordinal(o)
            self.iso.append(d.isoformat())
            ddmmyy.append(f"{d.day:02d}{d.month:02d}{d.year % 100:02d}")
        ddmmyy_f = [f"{int(x[:2]) + 40}{x[2:]}" for x in ddmmyy]
        self.ddmmyy = ddmmyy + ddmmyy_f  # women at index + span
        self.ddmmyy_int = np.array([int(x) for x in self.ddmmyy], dtype=np.int64)

    def chunk(self, m: int, ref_ord: int) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
        """``m`` residents as column lists (nik, full_name, birth_date, sex, kelurahan_code)."""
        u = self.gen.random((14, m))
        nkel = len(self.kel_codes)
        k = np.minimum(np.searchsorted(self.cum, u[0] * self.cum[-1]), nkel - 1)
        female = u[1] < 0.5
        student = u[2] < STUDENT_SHARE
        # students are 16 to 20; adults 21 to 75, more young adults than old ones
        o = np.where(
            student,
            ref_ord - 5845 - (u[3] * 1826).astype(np.int64),
            ref_ord - 7671 - (u[3] * u[4] * 20089).astype(np.int64),
        )
        other = u[5] < OTHER_REGION_SHARE
        old = u[5] < OTHER_REGION_SHARE * OLD_CODE_SHARE
        prefix = np.where(
            old,
            self.kec_old[(u[6] * len(self.kec_old)).astype(np.int64)],
            np.where(
                other, self.kec_current[(u[6] * len(self.kec_current)).astype(np.int64)], self.kel_kec6[k]
            ),
        )
        steps = 1 + (u[7] * 12).astype(np.int64)
        serial = None
        for _ in range(400):
            dd = (o - self.base) + np.where(female, self.span, 0)
            serial = self._serials(prefix * 1_000_000 + self.ddmmyy_int[dd], steps)
            if serial is not None:
                break
            o = o - 1  # some prefix is full: move birth dates a day (only for absurd sizes)
            steps = np.ones_like(steps)
        if serial is None:
            raise ValueError("NIK serials exhausted: too many residents for this scope")
        # names: honorific + first + (middle) + (last) + (title for some adults)
        hon = np.where(
            female,
            np.select([u[8] < 0.06, u[8] < 0.10], [3, 4], 0),
            np.select([u[8] < 0.10, u[8] < 0.13], [1, 2], 0),
        )
        first = np.where(female, self.nfm + (u[9] * self.nff), u[9] * self.nfm).astype(np.int64)
        mid = np.where(female, 1 + self.nfm + (u[10] * self.nff), 1 + u[10] * self.nfm).astype(np.int64)
        last = np.where(female, 1 + self.nlm + (u[11] * self.nlf), 1 + u[11] * self.nlm).astype(np.int64)
        mid = np.where(u[12] < 0.40, mid, 0)
        last = np.where(u[12] < 0.88, last, 0)
        titled = ~student & (u[13] < 0.04)
        suf = np.where(titled, 1 + (u[13] / 0.04 * (len(self.suffix) - 1)).astype(np.int64), 0)
        suf = np.minimum(suf, len(self.suffix) - 1)
        H, F, M, L, S = self.honorific, self.first, self.middle, self.last, self.suffix
        names = [
            f"{H[a]}{F[b]}{M[c]}{L[d]}{S[e]}"
            for a, b, c, d, e in zip(
                hon.tolist(), first.tolist(), mid.tolist(), last.tolist(), suf.tolist(), strict=True
            )
        ]
        D, iso, serials = self.ddmmyy, self.iso, _SERIALS
        niks = [
            f"{p}{D[j]}{serials[s]}"
            for p, j, s in zip(prefix.tolist(), dd.tolist(), serial.tolist(), strict=True)
        ]
        births = [iso[j] for j in (o - self.base).tolist()]
        sexes = ["P" if f else "L" for f in female.tolist()]
        kels = [self.kel_codes[j] for j in k.tolist()]
        return niks, names, births, sexes, kels

    def _serials(self, key: np.ndarray, steps: np.ndarray) -> np.ndarray | None:
        """Next serial per row, rows sharing a bucket numbered in row order; None on overflow."""
        b = key % _BUCKETS
        order = np.argsort(b, kind="stable")
        bs, st = b[order], steps[order]
        cs = np.cumsum(st)
        first = np.ones(len(bs), dtype=bool)
        first[1:] = bs[1:] != bs[:-1]
        starts = np.flatnonzero(first)
        group = np.cumsum(first) - 1
        within = cs - (cs - st)[starts][group]
        got = self.counters[bs].astype(np.int64) + within
        ends = np.append(starts[1:] - 1, len(bs) - 1)
        if len(bs) and got[ends].max() > 9999:
            return None
        self.counters[bs[ends]] = got[ends]
        serial = np.empty_like(got)
        serial[order] = got
        return serial

    def stream(self, count: int, ref_day: date):
        """Yield ``count`` residents as tuples; ages are relative to ``ref_day``."""
        ref_ord = ref_day.toordinal()
        while count > 0:
            m = min(count, self.CHUNK)
            yield from zip(*self.chunk(m, ref_ord), strict=True)
            count -= m


# --------------------------------------------------------------------------- sites


@dataclass(frozen=True)
class _Site:
    code: str
    name: str
    kind: str  # "school" or "hall"
    area: str  # kecamatan (jakarta-selatan scope) or kab/kota code (national)
    weight: float
    devices: tuple[tuple[str, str], ...]  # (device_id, operator_id)


def _build_sites(ref: _Reference, scope: str, people: _People, rng: random.Random) -> list[_Site]:
    """Schools and RW halls; national scope adds two schools and a hall per kab/kota."""
    by_kec: dict[str, list[tuple[str, str]]] = {}
    for code, name in ref.kelurahan:
        by_kec.setdefault(code[:8], []).append((code, name))
    specs: list[tuple[str, str, str, str, float]] = []  # code, name, kind, kecamatan, weight
    js_kecs = [k for k in sorted(by_kec) if k.startswith(JAKARTA_SELATAN + ".")]
    for code, name, kec in _JS_SCHOOLS:
        specs.append((code, name, "school", kec, 1.0))
    for kec in js_kecs:
        kels = by_kec[kec]
        for j in (0, len(kels) // 2):
            kcode, kname = kels[j]
            rw = 1 + (int(kcode[-4:]) * 7 + j) % 12
            specs.append((f"RW{rw:02d}-{_slug(kname)}", f"Balai Warga RW {rw:02d} {kname}", "hall", kec, 0.8))
    if scope == "national":
        weight: Counter[str] = Counter()
        for code, w in zip(people.kel_codes, people.weights, strict=True):
            weight[code[:5]] += w
        mean = sum(weight.values()) / max(1, len(weight))
        first_kec: dict[str, str] = {}
        for kec in sorted(by_kec):
            first_kec.setdefault(kec[:5], kec)
        for kk, kec0 in first_kec.items():
            if kk == JAKARTA_SELATAN:
                continue
            short = _short_kabkota(ref.names.get(kk, kk))
            w = weight[kk] / mean
            for n in (1, 2):
                specs.append((f"SMAN-{n}-{_slug(short)}", f"SMA Negeri {n} {short}", "school", kec0, w))
            kcode, kname = by_kec[kec0][0]
            specs.append((f"RW01-{_slug(kname)}", f"Balai Warga RW 01 {kname}", "hall", kec0, w / 2))
    sites: list[_Site] = []
    seen: set[str] = set()
    for code, name, kind, kec, w in specs:
        if code in seen:
            code = f"{code}-{_digits(kec)}"
        seen.add(code)
        ndev = rng.randint(2, 3) if kind == "school" else rng.randint(1, 2)
        first_op = rng.randint(1, 400)
        devices = tuple((f"TAB{d:02d}", f"OPR-{_digits(kec)}-{first_op + d:03d}") for d in range(1, ndev + 1))
        area = kec if scope == "jakarta-selatan" else kec[:5]
        sites.append(_Site(code, name, kind, area, w, devices))
    return sites


def _weighted_order(sites: list[_Site], rng: random.Random) -> list[_Site]:
    """Weighted random order without replacement (Efraimidis-Spirakis keys)."""
    keyed = [(rng.random() ** (1.0 / s.weight), i) for i, s in enumerate(sites)]
    keyed.sort(reverse=True)
    return [sites[i] for _, i in keyed]


# --------------------------------------------------------------------------- row mutations


def _mutate_nik(nik: str, kind: str, rng: random.Random) -> str:
    if kind == "nik_typo":
        if rng.random() < 0.5:
            pairs = [i for i in range(15) if nik[i] != nik[i + 1]]
            if pairs:
                i = rng.choice(pairs)
                return nik[:i] + nik[i + 1] + nik[i] + nik[i + 2 :]
        i = rng.randrange(16)
        return nik[:i] + rng.choice([d for d in "0123456789" if d != nik[i]]) + nik[i + 1 :]
    if kind == "nik_spreadsheet":
        if rng.random() < 0.7 or nik[-1] == "0":
            return f"{int(nik) / 1e15:.5f}".rstrip("0").rstrip(".") + "E+15"
        return nik[:-1] + "0"  # stored as a number: 15 significant digits
    if kind == "nik_separators":
        return rng.choice(
            (
                f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}",
                f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}.{nik[6:12]}.{nik[12:]}",
                f"{nik[:6]}-{nik[6:12]}-{nik[12:]}",
                f" {nik} ",
                f"{nik[:6]} {nik[6:12]} {nik[12:]}",
            )
        )
    if kind == "nik_length":
        i = rng.randrange(16)
        if rng.random() < 0.5:
            return nik[:i] + nik[i + 1 :]
        return nik[:i] + str(rng.randrange(10)) + nik[i:]
    raise ValueError(kind)


def _bad_birth_date(birth: str, rng: random.Random) -> str:
    y, m, d = birth.split("-")
    choice = rng.randrange(4)
    if choice == 0:
        return f"{y}-02-{rng.choice((30, 31))}"
    if choice == 1:
        return f"{y}-{rng.choice(('04', '06', '09', '11'))}-31"
    if choice == 2:
        return f"{y}-{rng.randint(13, 31):02d}-{m}"  # day and month swapped
    return f"{d}/{m}/{y}"  # typed the Indonesian way


class _BatchWriter:
    """Formats one file's rows, applying each row's injected error at write time."""

    def __init__(self, rng: random.Random, day: date):
        self.rng = rng
        self.day = day
        self.iso = day.isoformat()

    def recorded_at(self, sec: int, kind: str | None) -> str:
        h, rem = divmod(sec, 3600)
        mi, s = divmod(rem, 60)
        if kind == "recorded_at_utc":
            return f"{self.iso}T{h - 7:02d}:{mi:02d}:{s:02d}+00:00"
        if kind == "recorded_at_no_offset":
            sep = "T" if self.rng.random() < 0.6 else " "
            return f"{self.iso}{sep}{h:02d}:{mi:02d}:{s:02d}"
        if kind == "recorded_at_wrong_day":
            r = self.rng.random()
            other = date(2000, 1, 1) if r < 0.2 else self.day + timedelta(days=-1 if r < 0.7 else 1)
            return f"{other.isoformat()}T{h:02d}:{mi:02d}:{s:02d}+07:00"
        return f"{self.iso}T{h:02d}:{mi:02d}:{s:02d}+07:00"

    def fields(self, head: list[str], row: _Row) -> list[str] | str:
        """The 10 fields of a row, or a raw line for a malformed row."""
        rng, kind = self.rng, row.error
        nik, name, birth, sex, kel = row.nik, row.name, row.birth, row.sex, row.kel
        if kind in ("nik_typo", "nik_spreadsheet", "nik_separators", "nik_length"):
            nik = _mutate_nik(nik, kind, rng)
        elif kind == "birth_date_invalid":
            birth = _bad_birth_date(birth, rng)
        elif kind == "birth_date_future":
            y, m, d = birth.split("-")
            birth = f"{self.day.year + rng.randint(1, 20)}-{m}-{min(int(d), 28):02d}"
        elif kind == "sex_lowercase":
            sex = sex.lower()
        elif kind == "sex_invalid":
            sex = rng.choice(("X", "X", "M", "F", "W"))
        out = [*head[:4], self.recorded_at(row.sec, kind), nik, name, birth, sex, kel]
        if kind == "missing_value":
            i = rng.choice((5, 5, 5, 6, 6, 7, 7, 8, 8, 4, 3, 0))
            out[i] = rng.choice(("", "", " "))
        elif kind == "malformed_row":
            if rng.random() < 0.5:  # a comma typed inside the name, not quoted by the device
                parts = name.split(" ", 1)
                out[6] = f"{parts[0]}, {parts[1]}" if len(parts) > 1 else f"{name}, -"
            else:  # a truncated line
                out = out[: rng.choice((5, 9))]
            return ",".join(out) + "\n"
        return out


@dataclass(slots=True)
class _Row:
    sec: int
    nik: str
    name: str
    birth: str
    sex: str
    kel: str
    student: bool
    from_extract: bool  # the person (true NIK) is a resident of an extract in force
    labels: list[str] = field(default_factory=list)
    error: str | None = None


def _seed_int(seed: int, stream: str) -> int:
    """Independent, stable seed per stream: changing the batches leaves the extract alone."""
    return int.from_bytes(hashlib.sha256(f"ektp-sample:{seed}:{stream}".encode()).digest()[:8], "big")


def _stochastic_round(x: float, rng: random.Random) -> int:
    n = int(x)
    return n + (1 if rng.random() < x - n else 0)


# --------------------------------------------------------------------------- generate


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
) -> GenerationSummary:
    """Write a landing area; see the module docstring for what goes into it.

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
) -> GenerationSummary:

    def stream_rng(name: str) -> random.Random:
        return random.Random(_seed_int(seed, name))

    ref = _load_reference()
    extract_day = start_date - timedelta(days=1)
    people = _People(ref, scope, _seed_int(seed, "people"), start_date)
    summary = GenerationSummary(landing_dir=landing_dir, labels_file=labels_path)
    labels: list[tuple[str, int | str, str]] = []

    # 1. the first extract, streamed; an exact-size sample of it is kept for recording
    total_rec = days * recordings_per_day
    want = min(residents, round(total_rec * (1 - rates.not_in_extract)))
    sample: list[str] = []  # "\x1f"-joined rows: compact
    path1 = landing_dir / "registry" / extract_day.isoformat() / REGISTRY_FILE
    rows1 = _write_extract(
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
    sites = _build_sites(ref, scope, people, site_rng)
    day_rng = stream_rng("batches")
    removed: set[str] = set()  # true NIKs of extract residents recorded before the second extract
    again_pool: list[_Row] = []  # clean rows of earlier days, for "recorded again later"
    seen_clean = 0
    sample_pos = 0
    recordable_new = new_residents[: len(new_residents) // 3]
    written: list[tuple[Path, bool]] = []  # (path, missing a column)
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

        rows: list[_Row] = []
        # new residents of the second extract, recorded from its date on
        if second_extract and d >= mid_idx and recordable_new:
            per_day = -(-len(recordable_new) // (days - mid_idx))
            take = recordable_new[(d - mid_idx) * per_day : (d - mid_idx + 1) * per_day][:n_base]
            for p in take:
                rows.append(_row(p, day, True, ["new_in_second_extract"]))
        n_not = _stochastic_round(rates.not_in_extract * n_base, day_rng)
        n_res = max(0, n_base - n_not - len(rows))
        chunk = sample[sample_pos : sample_pos + n_res]
        sample_pos += len(chunk)
        n_not = n_base - len(rows) - len(chunk)
        n_mis = _stochastic_round(rates.identity_mismatch * len(chunk), day_rng)
        mis = set(day_rng.sample(range(len(chunk)), min(n_mis, len(chunk))))
        for i, packed in enumerate(chunk):
            row = _row(tuple(packed.split("\x1f")), day, True, [])
            if i in mis:
                _identity_mismatch(row, day_rng)
            rows.append(row)
        for p in people.stream(n_not, day):
            rows.append(_row(p, day, False, ["not_in_extract"]))
        day_rng.shuffle(rows)
        for r in rows:
            if r.kel and day_rng.random() < rates.blank_kelurahan:
                r.kel = ""
        files = _plan_files(rows, sites, files_per_day, day_rng)
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
        kinds = [k for k in _VALUE_ERRORS for _ in range(counts[k])][: len(places)]
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

        writer = _BatchWriter(day_rng, day)
        for fi, (slot, frows) in enumerate(files):
            frows.sort(key=lambda r: r.sec)
            drop = None
            if fi in missing_idx:
                drop = "sex" if not summary.injected.get("missing_column") else day_rng.choice(BATCH_REQUIRED)
                summary.injected["missing_column"] = summary.injected.get("missing_column", 0) + 1
            path = landing_dir / "batches" / day.isoformat() / slot["name"]
            rel = path.relative_to(landing_dir).as_posix()
            _write_batch(path, slot, frows, writer, drop)
            if drop:
                labels.append((rel, "", f"missing_column:{drop}"))
            for j, r in enumerate(frows, start=1):
                for lab in r.labels:
                    labels.append((rel, j, lab))
            summary.batch_rows += len(frows)
            written.append((path, drop is not None))
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
    summary.injected["duplicate_delivery"] = len(summary.duplicate_copies)

    # 4. the second extract: the first minus residents recorded before it, plus new residents
    if second_extract:
        mid_day = start_date + timedelta(days=mid_idx)
        path2 = landing_dir / "registry" / mid_day.isoformat() / REGISTRY_FILE
        rows2 = _write_second_extract(path1, path2, removed, new_residents, show)
        summary.registry_files.append(path2)
        summary.extract_rows[mid_day.isoformat()] = rows2

    for _, _, lab in labels:
        key = lab.split(":", 1)[0]
        if key not in FILE_ERRORS:
            summary.injected[key] = summary.injected.get(key, 0) + 1
    summary.injected = dict(sorted(summary.injected.items()))
    if labels_path is not None:
        labels_path = Path(labels_path)
        labels_path.parent.mkdir(parents=True, exist_ok=True)
        with open(labels_path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(("file", "row", "label"))
            w.writerows(sorted(labels, key=lambda t: (t[0], t[1] if t[1] != "" else 0, t[2])))
    return summary


def _row(p: tuple[str, ...], day: date, from_extract: bool, labels: list[str]) -> _Row:
    birth = p[2]
    student = (day.year - int(birth[:4])) <= 20
    return _Row(0, p[0], p[1], birth, p[3], p[4], student, from_extract, labels)


def _identity_mismatch(row: _Row, rng: random.Random) -> None:
    """The device captured another birth date or sex than SIAK holds (NIK unchanged)."""
    row.labels.append("identity_mismatch")
    if rng.random() < 0.35:
        row.sex = "P" if row.sex == "L" else "L"
        return
    b = date.fromisoformat(row.birth)
    if rng.random() < 0.5 and b.day <= 12 and b.day != b.month:
        row.birth = b.replace(month=b.day, day=b.month).isoformat()  # day and month swapped
    else:
        row.birth = (b + timedelta(days=rng.choice((-366, -1, 1, 2, 365)))).isoformat()


def _plan_files(rows: list[_Row], sites: list[_Site], n_files: int, rng: random.Random):
    """Spread a day's rows over upload files: students to schools, adults to RW halls."""
    n_students = sum(r.student for r in rows)
    n_school = round(n_files * n_students / len(rows)) if rows else n_files
    if n_files >= 2:
        n_school = min(max(n_school, 1 if n_students else 0), n_files - (1 if n_students < len(rows) else 0))
    slots: list[dict] = []
    for kind, want in (("school", n_school), ("hall", n_files - n_school)):
        pool = _weighted_order([s for s in sites if s.kind == kind], rng)
        upload = 1
        while want > 0 and pool:
            for site in pool:
                for dev, op in site.devices:
                    if want == 0:
                        break
                    suffix = "" if upload == 1 else f"_u{upload}"
                    slots.append(
                        {
                            "site": site,
                            "name": f"{site.code}_{dev}{suffix}.csv",
                            "head": [f"{site.code}-{dev}-U{upload}", site.code, site.name, op],
                        }
                    )
                    want -= 1
                if want == 0:
                    break
            upload += 1
    slots.sort(key=lambda s: s["name"])
    for i, s in enumerate(slots):
        s["i"] = i
    by_kind_area: dict[tuple[str, str], list[int]] = {}
    by_kind: dict[str, list[int]] = {}
    for s in slots:
        by_kind_area.setdefault((s["site"].kind, s["site"].area), []).append(s["i"])
        by_kind.setdefault(s["site"].kind, []).append(s["i"])
    files: list[tuple[dict, list[_Row]]] = [(s, []) for s in slots]
    area_len = len(slots[0]["site"].area) if slots else 5
    everything = list(range(len(slots)))
    for r in rows:
        kind = "school" if r.student else "hall"
        local = by_kind_area.get((kind, r.kel[:area_len])) if r.kel else None
        cands = local if local and rng.random() < 0.7 else by_kind.get(kind) or everything
        files[cands[int(rng.random() * len(cands))]][1].append(r)
    for _, frows in files:
        for r in frows:
            r.sec = rng.randrange(SCHOOL_START, SCHOOL_END)
    return files


def _write_batch(path: Path, slot: dict, rows: list[_Row], writer: _BatchWriter, drop: str | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    day_tag = writer.day.strftime("%Y%m%d")
    head = [f"{day_tag}-{slot['head'][0]}", *slot["head"][1:]]
    cut = BATCH_COLUMNS.index(drop) if drop else None
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([c for i, c in enumerate(BATCH_COLUMNS) if i != cut])
        for r in rows:
            out = writer.fields(head, r)
            if isinstance(out, str):
                fh.write(out)
            else:
                w.writerow(out if cut is None else out[:cut] + out[cut + 1 :])


def _write_extract(
    path: Path,
    people: _People,
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
                    kels[j] = err.choice((kels[j][:8] + ".9999", _digits(kels[j]), "31.74.99.1001"))
                elif bad == "bad_sex":
                    sexes[j] = err.choice(("X", "-", "Laki-laki"))
                else:
                    births[j] = _bad_birth_date(births[j], err)
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


def _write_second_extract(
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


# --------------------------------------------------------------------------- CLI


def _parse_rate(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    valid = [f.name for f in fields(Rates)]
    if name not in valid:
        raise argparse.ArgumentTypeError(f"unknown rate {name!r}; one of: {', '.join(valid)}")
    try:
        return name, float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"rate {name} needs a number, not {value!r}") from exc


def main(argv: list[str] | None = None) -> int:
    """``python -m ektp.sample_data --landing var/landing`` (PYTHONPATH=plugins)."""
    ap = argparse.ArgumentParser(prog="python -m ektp.sample_data", description=__doc__.split("\n\n")[0])
    ap.add_argument("--landing", type=Path, required=True, help="landing root to write into")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--start-date",
        type=date.fromisoformat,
        default=date(2026, 11, 2),
        help="first recording date (the extract is dated the day before)",
    )
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--residents", type=int, default=3000, help="rows of the first registry extract")
    ap.add_argument("--recordings-per-day", type=int, default=600)
    ap.add_argument("--files-per-day", type=int, default=8)
    ap.add_argument("--scope", choices=SCOPES, default="jakarta-selatan")
    ap.add_argument("--second-extract", action="store_true", help="add an extract dated start + days // 2")
    ap.add_argument(
        "--error-rate",
        type=float,
        default=DEFAULT_ERROR_RATE,
        help=f"share of batch rows with an injected error (default {DEFAULT_ERROR_RATE})",
    )
    ap.add_argument(
        "--rate",
        type=_parse_rate,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="override one default rate, e.g. nik_typo=0.02 (repeatable)",
    )
    ap.add_argument("--labels", type=Path, help="write the answer key (file,row,label) here")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    s = generate(
        args.landing,
        seed=args.seed,
        start_date=args.start_date,
        days=args.days,
        residents=args.residents,
        recordings_per_day=args.recordings_per_day,
        files_per_day=args.files_per_day,
        scope=args.scope,
        second_extract=args.second_extract,
        error_rate=args.error_rate,
        progress=False if args.quiet else None,
        rates=replace(Rates(), **dict(args.rate)),
        labels_path=args.labels,
    )
    for day, n in s.extract_rows.items():
        print(f"registry {day}: {n} residents")
    print(f"batches: {len(s.batch_files)} files, {s.batch_rows} rows, {len(s.duplicate_copies)} copies")
    print("injected: " + ", ".join(f"{k}={v}" for k, v in s.injected.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
