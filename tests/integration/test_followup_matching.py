"""Suggested matches find the right resident for mistyped NIKs, at a measured rate.

Generated data with many NIK typos (one digit changed, or two adjacent digits swapped) and the
generator's answer key. The right resident is found independently of the matcher: the extract
resident with the captured name whose NIK is one such typo away from the captured NIK. A typo row
is either accepted as ``not_in_extract`` or rejected by a NIK rule (``followup_redo``): both get
suggestions. The rates are written to ``var/test-artifacts/followup_match_rate.json``
(docs/reports.md quotes them).
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT, fetch

pytestmark = pytest.mark.slow

DAY = "2026-11-02"


def _one_typo(captured: str, true: str) -> bool:
    """One digit changed, or two adjacent digits swapped (what the generator's nik_typo does)."""
    if len(captured) != len(true):
        return False
    diff = [i for i in range(len(true)) if captured[i] != true[i]]
    return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                              and captured[diff[0]] == true[diff[1]] and captured[diff[1]] == true[diff[0]])


def test_suggestions_find_the_resident_behind_a_mistyped_nik(tmp_path, monkeypatch):
    from ektp.airflow import tasks

    from tools.sample_data import Rates, generate

    landing, labels_path = tmp_path / "landing", tmp_path / "labels.csv"
    generate(landing, seed=7, days=1, residents=3000, recordings_per_day=800, progress=False,
             rates=replace(Rates(), nik_typo=0.2), labels_path=labels_path)
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    monkeypatch.setenv("EKTP_LANDING_DIR", str(landing))
    monkeypatch.setenv("AIRFLOW_CONN_EKTP_WAREHOUSE", url)
    monkeypatch.setenv("EKTP_REPORT_DIR", str(tmp_path / "reports"))
    logical = datetime.fromisoformat(f"{DAY}T00:00:00+00:00")
    for item in tasks.plan_file_loads(logical):  # the DAG's own callables, in order
        tasks.load_file_group(item, "match-rate")
    tasks.write_coverage_report(tasks.publish_coverage(logical, "match-rate"), logical)

    with (landing / "registry" / "2026-11-01" / "unrecorded_residents.csv").open(encoding="utf-8") as fh:
        by_name: dict[str, list[str]] = {}
        for r in csv.DictReader(fh):
            by_name.setdefault(r["full_name"], []).append(r["nik"])
    labels: dict[tuple[str, int], set[str]] = {}
    with labels_path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["row"]:
                labels.setdefault((r["file"], int(r["row"])), set()).add(r["label"])
    batch_rows: dict[str, list[dict]] = {}

    def captured(path: str, row: int) -> dict:
        if path not in batch_rows:
            with (landing / path).open(encoding="utf-8", newline="") as fh:
                batch_rows[path] = list(csv.DictReader(fh))
        return batch_rows[path][row - 1]

    suggested: dict[tuple[str, int], list[str]] = {}
    for path, row, _rank, nik in fetch(url, "SELECT file_path, row_number, suggestion_rank, nik FROM "
                                            "ektp_quarantine.followup_suggestion ORDER BY suggestion_rank"):
        suggested.setdefault((path, row), []).append(nik)
    listed = {(p, r): "not_in_extract" for p, r in fetch(url, "SELECT file_path, row_number "
                                                               "FROM ektp_quarantine.followup_not_in_extract")}
    listed |= {(p, r): reason for p, r, reason in fetch(url, "SELECT file_path, row_number, first_reason "
                                                             "FROM ektp_quarantine.followup_redo")}

    typos = top1 = top3 = 0
    where: dict[str, int] = {}
    strangers = false_leads = 0
    for key, labs in sorted(labels.items()):
        if "nik_typo" in labs and "not_in_extract" not in labs:  # a resident of the extract, NIK mistyped
            row = captured(*key)
            truth = [n for n in by_name.get(row["full_name"], []) if _one_typo(row["nik"], n)]
            assert len(truth) == 1, (key, row["nik"])
            typos += 1
            where[listed.get(key, "not listed")] = where.get(listed.get(key, "not listed"), 0) + 1
            got = suggested.get(key, [])
            top1 += got[:1] == truth
            top3 += truth[0] in got
        elif labs == {"not_in_extract"}:  # a person who is not in the extract at all
            strangers += 1
            false_leads += key in suggested
    rates = {"mistyped_nik_rows": typos, "top1": top1, "top3": top3, "top1_rate": round(top1 / typos, 4),
             "top3_rate": round(top3 / typos, 4), "listed_as": dict(sorted(where.items())),
             "not_in_extract_rows": strangers, "with_a_false_suggestion": false_leads,
             "false_suggestion_rate": round(false_leads / strangers, 4)}
    out = ROOT / "var" / "test-artifacts"
    out.mkdir(parents=True, exist_ok=True)
    (out / "followup_match_rate.json").write_text(json.dumps(rates, indent=2) + "\n", encoding="utf-8")
    print("suggested-match rates:", rates)

    assert typos >= 100 and "not listed" not in where
    assert rates["top1_rate"] >= 0.95
    assert rates["false_suggestion_rate"] <= 0.05
    assert Path(tmp_path / "reports" / f"coverage_{DAY}.html").is_file()
