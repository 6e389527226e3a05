"""Batch files: a day's rows spread over the devices' upload files, and each file written (contract §1)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from tools.sample_data.injected_errors import BatchWriter
from tools.sample_data.rows import Row
from tools.sample_data.sites import Site, weighted_order

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
SCHOOL_START = 7 * 3600  # recordings happen 07:00-15:00 WIB
SCHOOL_END = 15 * 3600


def plan_files(rows: list[Row], sites: list[Site], n_files: int, rng: random.Random):
    """Spread a day's rows over upload files: students to schools, adults to RW halls."""
    n_students = sum(r.student for r in rows)
    n_school = round(n_files * n_students / len(rows)) if rows else n_files
    if n_files >= 2:
        n_school = min(max(n_school, 1 if n_students else 0), n_files - (1 if n_students < len(rows) else 0))
    slots: list[dict] = []
    for kind, want in (("school", n_school), ("hall", n_files - n_school)):
        pool = weighted_order([s for s in sites if s.kind == kind], rng)
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
    files: list[tuple[dict, list[Row]]] = [(s, []) for s in slots]
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


def write_batch(path: Path, slot: dict, rows: list[Row], writer: BatchWriter, drop: str | None) -> None:
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
