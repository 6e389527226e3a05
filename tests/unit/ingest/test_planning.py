"""plan_loads: which landed files a run for D loads, skips, records as duplicates or forgets (contract §2.1, §5).

Each case is a landing area and what the manifest already knows of it, on an embedded warehouse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from ektp import warehouse as wh
from ektp.ingest.landing import BATCH, CARD_EVENTS, LandedFile, fingerprint
from ektp.ingest.planning import plan_loads

D = date(2026, 11, 3)
HEADER = "batch_id,site_code,site_name,operator_id,recorded_at,nik,full_name,birth_date,sex\n"


@dataclass
class Case:
    #: landed files: path -> a token that makes its bytes (equal tokens: identical bytes)
    landed: dict[str, str]
    #: what the manifest knows: path -> "same" (as landed, same times), "touched" (same bytes, other times),
    #: "other" (other bytes, written since), or "duplicate of <path>"
    known: dict[str, str] = field(default_factory=dict)
    published: date | None = None  # the latest published date
    #: expected: the files loaded, the duplicates (copy, original), the removed paths, unchanged, retimed paths
    load: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    retimed: list[str] = field(default_factory=list)


A, B, C = "batches/2026-11-02/a.csv", "batches/2026-11-02/b.csv", "batches/2026-11-03/c.csv"
LATER = "batches/2026-11-05/later.csv"
K, K2 = "cards/2026-11-02/abis.csv", "cards/2026-11-03/print.csv"

CASES = {
    "a new file is loaded": Case({A: "1"}, load=[A]),
    "an unchanged file is not read again": Case({A: "1"}, {A: "same"}, unchanged=1),
    "an unchanged file of D itself is validated again": Case({C: "1"}, {C: "same"}, load=[C]),
    "a changed file is loaded again": Case({A: "2"}, {A: "other"}, load=[A]),
    "identical bytes are one delivery: the smallest path": Case({A: "1", B: "1"}, load=[A], duplicates=[(B, A)]),
    "a duplicate recorded before is not recorded again": Case({A: "1", B: "1"}, {A: "same", B: f"duplicate of {A}"},
                                                            unchanged=2),
    "a file gone from the landing area is forgotten": Case({}, {A: "same"}, removed=[A]),
    "a file touched but unchanged gets its new times": Case({A: "1"}, {A: "touched"}, unchanged=1, retimed=[A]),
    "a file after D waits for its date": Case({A: "1", LATER: "2"}, load=[A]),
    "after D, up to the latest published date": Case({A: "1", LATER: "2"}, published=date(2026, 11, 5),
                                                     load=[A, LATER]),
    "a file after the horizon is not removed": Case({}, {LATER: "same"}, removed=[]),
    # card-event files follow the same rules (contract §6.1), in groups of their own
    "card-event files are loaded beside batch files": Case({A: "1", K: "2", K2: "3"}, load=[A, K, K2]),
    "an unchanged card-event file is not read again": Case({K: "1", K2: "2"}, {K: "same"}, load=[K2], unchanged=1),
    "identical bytes across kinds are one delivery": Case({A: "1", K: "1"}, load=[A], duplicates=[(K, A)]),
    "identical card-event files are one delivery": Case({K: "1", K2: "1"}, load=[K], duplicates=[(K2, K)]),
    "a card-event file gone is forgotten": Case({}, {K: "same"}, removed=[K]),
}


def _kind(path: str) -> str:
    return CARD_EVENTS if path.startswith("cards/") else BATCH


def _write(root: Path, path: str, token: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(HEADER + f"B{token},S1,Site,OP,2026-11-02T08:00:00+07:00,3174010101900001,Name {token},"
                      "1990-01-01,L\n", encoding="utf-8")


def _manifest_row(landed: LandedFile, how: str) -> dict:
    duplicate_of = how.removeprefix("duplicate of ") if how.startswith("duplicate of ") else None
    sha, times = landed.sha256, (landed.modified_ns, landed.changed_ns)
    if how == "other":  # rewritten since: other bytes, and other times (a file's times tell it changed)
        sha = "0" * 64
    if how in {"touched", "other"}:
        times = (landed.modified_ns - 1_000_000_000, landed.changed_ns - 1_000_000_000)
    return {"file_path": landed.path, "file_kind": landed.kind, "file_date": landed.file_date, "sha256": sha,
            "size_bytes": landed.size, "modified_ns": times[0], "changed_ns": times[1], "row_count": 1,
            "rows_rejected": 0, "status": "duplicate_delivery" if duplicate_of else "loaded", "reason": None,
            "reason_code": None,
            "duplicate_of": duplicate_of, "site_code": "S1", "site_name": "Site",
            "validated_at": datetime.now(UTC), "run_id": "earlier"}


@pytest.mark.parametrize("name", CASES)
def test_plan(name, tmp_path):
    case = CASES[name]
    root = tmp_path / "landing"
    root.mkdir()
    for path, token in case.landed.items():
        _write(root, path, token)
    for path in case.known:  # a file the manifest knows but that is gone: known as it was when it was read
        if path not in case.landed:
            _write(root, path, "gone")
    engine = wh.make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    wh.migrate(engine)
    with wh.transaction(engine) as conn:
        wh.run_sql_many(conn, "load/insert_file_manifest", [
            _manifest_row(fingerprint(root, LandedFile(p, _kind(p), date.fromisoformat(p.split("/")[1]))), how)
            for p, how in case.known.items()])
        if case.published:
            conn.exec_driver_sql(
                "INSERT INTO published_report (report_date, published_at, run_id) VALUES (?, ?, 'earlier')",
                (case.published.isoformat(), datetime.now(UTC).isoformat()))
    for path in case.known:
        if path not in case.landed:
            os.remove(root / path)

    plan = plan_loads(engine, root, D, files_per_group=100, group_bytes=1 << 30)
    engine.dispose()
    assert [f.path for g in plan.batch_groups + plan.card_groups for f in g] == case.load
    assert {f.kind for g in plan.batch_groups for f in g} <= {BATCH}
    assert {f.kind for g in plan.card_groups for f in g} <= {CARD_EVENTS}
    assert [i.kind.value for i in plan.work_items() if i.files and i.files[0].kind == CARD_EVENTS] \
        == ["load_cards"] * len(plan.card_groups)
    assert [(f.path, of) for f, of in plan.duplicates] == case.duplicates
    assert [p for p, _ in plan.removed] == case.removed
    assert (plan.unchanged, [f.path for f in plan.retimed]) == (case.unchanged, case.retimed)
    assert plan.horizon == max(D, case.published or D)
