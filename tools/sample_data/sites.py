"""Outreach sites: senior high schools for students, RW halls for adults, each with one to three devices."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from tools.sample_data.people import People
from tools.sample_data.regions import JAKARTA_SELATAN, Reference, digits

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


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    kind: str  # "school" or "hall"
    area: str  # kecamatan (jakarta-selatan scope) or kab/kota code (national)
    weight: float
    devices: tuple[tuple[str, str], ...]  # (device_id, operator_id)


def build_sites(ref: Reference, scope: str, people: People, rng: random.Random) -> list[Site]:
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
    sites: list[Site] = []
    seen: set[str] = set()
    for code, name, kind, kec, w in specs:
        if code in seen:
            code = f"{code}-{digits(kec)}"
        seen.add(code)
        ndev = rng.randint(2, 3) if kind == "school" else rng.randint(1, 2)
        first_op = rng.randint(1, 400)
        devices = tuple((f"TAB{d:02d}", f"OPR-{digits(kec)}-{first_op + d:03d}") for d in range(1, ndev + 1))
        area = kec if scope == "jakarta-selatan" else kec[:5]
        sites.append(Site(code, name, kind, area, w, devices))
    return sites


def weighted_order(sites: list[Site], rng: random.Random) -> list[Site]:
    """Weighted random order without replacement (Efraimidis-Spirakis keys)."""
    keyed = [(rng.random() ** (1.0 / s.weight), i) for i, s in enumerate(sites)]
    keyed.sort(reverse=True)
    return [sites[i] for _, i in keyed]


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.upper())
    return "-".join(p for p in out.split("-") if p)


def _short_kabkota(name: str) -> str:
    for prefix in ("Kabupaten Administrasi ", "Kota Administrasi ", "Kabupaten ", "Kota "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name.title()
