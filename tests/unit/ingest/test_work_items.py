"""Work items survive the trip through an XCom (JSON) unchanged, and say what they are."""

from __future__ import annotations

import json
from datetime import date

import pytest
from ektp.ingest.landing import LandedFile
from ektp.ingest.work_items import Retimed, WorkItem, WorkKind

A = LandedFile("batches/2026-11-02/a.csv", "batch", date(2026, 11, 2), 10, "aa", 1, 2)
B = LandedFile("batches/2026-11-03/b.csv", "batch", date(2026, 11, 3), 20, "bb", 3, 4, name_escaped=True)
K = LandedFile("cards/2026-11-04/abis.csv", "card_events", date(2026, 11, 4), 40, "kk", 5, 6)
X = LandedFile("registry/2026-11-01/unrecorded_residents.csv", "registry", date(2026, 11, 1), 30, "xx")

ITEMS = [
    WorkItem(WorkKind.RECORD_SKIPPED, duplicates=[(B, A.path)], removed=[("batches/2026-11-01/gone.csv",
                                                                           date(2026, 11, 1))],
             refused=[(A, "a symbolic link loop")], retimed=[Retimed(A.path, "aa", 5, None)]),
    WorkItem(WorkKind.LOAD_REGISTRY, [X], duplicates=[(X, "registry/2026-10-31/unrecorded_residents.csv")]),
    WorkItem(WorkKind.LOAD_REGISTRY),  # verdicts to bring up to date, no file
    WorkItem(WorkKind.LOAD_BATCHES, [A, B]),
    WorkItem(WorkKind.LOAD_CARDS, [K]),
]


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.kind.value)
def test_an_item_is_the_same_after_a_json_round_trip(item):
    assert WorkItem.from_xcom(json.loads(json.dumps(item.to_xcom()))) == item


@pytest.mark.parametrize("item,keys", [
    (ITEMS[0], ["action", "duplicates", "removed", "refused", "retimed"]),
    (ITEMS[1], ["action", "duplicates", "removed", "refused", "files"]),
    (ITEMS[3], ["action", "files"]),
    (ITEMS[4], ["action", "files"]),
])
def test_the_xcom_carries_what_its_kind_needs(item, keys):
    data = item.to_xcom()
    assert list(data) == keys and data["action"] == item.kind.value


@pytest.mark.parametrize("item,label", [
    (ITEMS[0], "duplicate deliveries and removed files"),
    (ITEMS[1], "extracts 2026-11-01"),
    (ITEMS[2], "extract verdicts"),
    (ITEMS[3], "2 batch files 2026-11-02..2026-11-03"),
    (ITEMS[4], "1 card-event files 2026-11-04..2026-11-04"),
])
def test_labels(item, label):
    assert item.label() == label


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError):
        WorkItem.from_xcom({"action": "load_everything"})
