"""Residents: NIKs consistent with birth date, sex and place of issue, unique without remembering them."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np

from tools.sample_data.names import Names
from tools.sample_data.regions import JAKARTA_SELATAN, PROVINCE_WEIGHT, Reference, digits

OTHER_REGION_SHARE = 0.05  # NIKs issued outside the domicile kecamatan
OLD_CODE_SHARE = 0.10  # of those: a kecamatan that is only in old code lists
STUDENT_SHARE = 0.70  # extract residents aged 16-20; the rest are adults 21-75
_BUCKETS = 4_194_301  # prime; NIK serial counters (see People)
_SERIALS = [f"{i:04d}" for i in range(10_000)]


class People:
    """Generates residents with NIKs consistent with birth date, sex and place of issue.

    Vectorised with numpy in chunks: a pure-Python loop is ~10 µs a row, too
    slow for 5.4 million.  NIK serials must be unique without remembering
    every NIK: each 12-digit NIK prefix (kecamatan + DDMMYY) is hashed to one
    of ~4 million 16-bit counters and a serial is the bucket's counter after a
    small random step.  Residents with the same prefix share a bucket, so their
    serials differ: uniqueness holds by construction, in 8 MB.
    """

    CHUNK = 65_536

    def __init__(self, ref: Reference, scope: str, seed: int, anchor: date):
        self.gen = np.random.default_rng(seed)
        kel = ref.kelurahan
        if scope == "jakarta-selatan":
            kel = [k for k in kel if k[0].startswith(JAKARTA_SELATAN + ".")]
            self.weights = [1.0] * len(kel)
        else:
            per_prov = Counter(code[:2] for code, _ in kel)
            self.weights = [PROVINCE_WEIGHT.get(code[:2], 1.0) / per_prov[code[:2]] for code, _ in kel]
        self.cum = np.cumsum(np.array(self.weights))
        self.kel_codes = [code for code, _ in kel]
        self.kel_kec6 = np.array([int(digits(code[:8])) for code in self.kel_codes], dtype=np.int64)
        self.kec_current = np.array([int(digits(c)) for c in ref.kec_current], dtype=np.int64)
        self.kec_old = np.array([int(digits(c)) for c in ref.kec_old or ref.kec_current], dtype=np.int64)
        self.counters = np.zeros(_BUCKETS, dtype=np.uint16)

        self.names = Names(seed)

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
        names = self.names.draw(female, student, *u[8:14])
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
