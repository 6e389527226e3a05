"""Conservation (contract §2.5) on generated data with every kind of error, after real DAG runs.

For every loaded batch file, the data rows counted here from the file itself equal the rows the
warehouse holds for it, rejected + duplicate + accepted; every rejected row is in the quarantine
whole (its raw_record has the file's own columns and values). The generator's answer key (labels)
then says what must have become of each injected error, so the counts are not only consistent
but right. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import pytest

from tests.conftest import fetch, run_dag_test
from tools.sample_data import Rates, generate

pytestmark = pytest.mark.slow

# label -> a reason the row must be rejected with. Not always the first: a device clock on 2000-01-01
# (recorded_at_wrong_day) also puts birth_date after the recording date, so bad_birth_date comes first.
MUST_REJECT = {
    "nik_length": "nik_format",
    "birth_date_invalid": "bad_birth_date",
    "birth_date_future": "bad_birth_date",
    "missing_value": "missing_value",
    "sex_invalid": "bad_sex",
    "recorded_at_no_offset": "bad_recorded_at",
    "recorded_at_wrong_day": "bad_recorded_at",
    "malformed_row": "malformed_row",
}
VALID_QUIRKS = {"nik_separators", "sex_lowercase", "recorded_at_utc"}
POPULATION = {"not_in_extract", "identity_mismatch", "new_in_second_extract"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path]:
    """Three days, two extracts (with extract errors), five times the default batch error rates."""
    root = tmp_path_factory.mktemp("conservation")
    generate(root / "landing", seed=11, days=3, residents=1200, recordings_per_day=300, files_per_day=6,
             error_rate=0.2, second_extract=True, rates=Rates(extract_errors=0.01), labels_path=root / "labels.csv",
             progress=False)
    return root / "landing", root / "labels.csv"


def data_records(path: Path) -> dict[int, list[str]]:
    """Row number -> fields, read here with the csv module: empty or blank lines and the header are not rows."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        records = list(csv.reader(fh))
    rows = [r for r in records[1:] if r and not (len(r) == 1 and not r[0].strip())]
    return dict(enumerate(rows, start=1))


def read_labels(path: Path) -> tuple[dict[tuple[str, int], set[str]], dict[str, set[str]]]:
    rows, files = defaultdict(set), defaultdict(set)
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["row"]:
                rows[(r["file"], int(r["row"]))].add(r["label"])
            else:
                files[r["file"]].add(r["label"])
    return rows, files


def test_every_row_of_every_file_is_accounted_for(coverage_dag, generated, warehouse_url, monkeypatch):
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")  # tests/integration/test_data_docs.py covers them
    monkeypatch.setenv("EKTP_REPORTS", "off")  # reports are not what this test is about
    landing, labels_path = generated
    for day in ("2026-11-02", "2026-11-03", "2026-11-04"):
        assert run_dag_test(coverage_dag, day, landing, warehouse_url).state == "success", day
    check_batch_files(landing, labels_path, warehouse_url)
    check_extracts(landing, labels_path, warehouse_url)


def check_batch_files(landing: Path, labels_path: Path, warehouse_url: str) -> None:

    manifest = {r[0]: r[1:] for r in fetch(warehouse_url, "SELECT file_path, file_kind, status, row_count, "
                                           "rows_rejected, sha256, duplicate_of FROM ektp_ingest.file_manifest")}
    rejected = defaultdict(dict)
    for path, row, first, reasons, raw, line in fetch(
            warehouse_url, "SELECT file_path, row_number, first_reason, reasons, raw_record, line_number "
            "FROM ektp_quarantine.rejected_row"):
        rejected[path][row] = (first, reasons.split(","), json.loads(raw), line)
    recorded = defaultdict(dict)
    for path, row, status in fetch(warehouse_url, "SELECT file_path, row_number, duplicate_status "
                                   "FROM ektp_ingest.recording"):
        recorded[path][row] = status

    # every landed file has a manifest entry, with the bytes it was judged on
    landed = sorted(p.relative_to(landing).as_posix() for p in landing.rglob("*.csv"))
    assert sorted(manifest) == landed
    for path, (_, _, _, _, sha, _) in manifest.items():
        assert sha == hashlib.sha256((landing / path).read_bytes()).hexdigest(), path

    label_rows, label_files = read_labels(labels_path)
    loaded_batches = [p for p, m in manifest.items() if m[0] == "batch" and m[1] == "loaded"]
    assert len(loaded_batches) >= 15
    totals = defaultdict(int)
    for path in loaded_batches:
        records = data_records(landing / path)
        with (landing / path).open(encoding="utf-8-sig", newline="") as fh:
            header = [c.strip().lower() for c in next(csv.reader(fh))]
        lines = (landing / path).read_text(encoding="utf-8-sig").splitlines()
        quarantined, statuses = rejected.get(path, {}), recorded.get(path, {})
        duplicates = sum(1 for s in statuses.values() if s in ("duplicate_in_batch", "already_recorded"))
        accepted = sum(1 for s in statuses.values() if s == "accepted")
        # conservation: rows received = rejected + duplicate + accepted; no row twice, none lost
        assert len(records) == len(quarantined) + duplicates + accepted, path
        assert set(quarantined) | set(statuses) == set(records) and not set(quarantined) & set(statuses), path
        assert manifest[path][2:4] == (len(records), len(quarantined)), path
        assert all(s in ("accepted", "duplicate_in_batch", "already_recorded") for s in statuses.values()), path
        # every rejected row is kept whole, with the file's own columns and values
        for row, (first, reasons, raw, line) in quarantined.items():
            fields = records[row]
            if first == "malformed_row":
                assert raw == {"_fields": fields} and len(fields) != len(header), (path, row)
            else:
                assert raw == dict(zip(header, fields, strict=True)), (path, row)
            assert reasons[0] == first, (path, row)
            assert lines[line - 1].startswith(fields[0]), (path, row)  # line_number: where the record starts
            totals[first] += 1
        totals["duplicate"] += duplicates
        totals["accepted"] += accepted

        # the answer key: what each injected error and clean row must have become
        for row in records:
            kinds = label_rows.get((path, row), set())
            errors = kinds & set(MUST_REJECT)
            if errors:
                (kind,) = errors
                assert row in quarantined and MUST_REJECT[kind] in quarantined[row][1], (path, row, kind)
            elif not kinds - VALID_QUIRKS - POPULATION - {"duplicate_in_batch", "recorded_again_later"}:
                assert row not in quarantined, (path, row, kinds, quarantined.get(row))
                if "recorded_again_later" in kinds:
                    assert statuses[row] == "already_recorded", (path, row)
                elif "duplicate_in_batch" in kinds:
                    assert statuses[row] == "duplicate_in_batch", (path, row)

    # files never loaded: their rows are nowhere
    for path, (_, status, row_count, _, _, duplicate_of) in manifest.items():
        if status == "loaded":
            continue
        assert path not in rejected and path not in recorded and row_count is None, path
        if status == "duplicate_delivery":
            assert label_files[path] == {"duplicate_delivery"} and duplicate_of < path
            assert manifest[duplicate_of][4] == manifest[path][4] and manifest[duplicate_of][1] == "loaded"
        else:
            assert status == "rejected_file" and any(x.startswith("missing_column:") for x in label_files[path])

    # the generated data did exercise every rejection reason and both kinds of duplicate
    assert set(totals) >= {"malformed_row", "missing_value", "nik_format", "bad_birth_date", "bad_sex",
                           "bad_recorded_at", "duplicate", "accepted"}
    assert {"nik_region", "nik_birthdate", "nik_serial"} & set(totals)  # from NIK typos
    statuses = {s for per_file in recorded.values() for s in per_file.values()}
    assert statuses == {"accepted", "duplicate_in_batch", "already_recorded"}

    # the published site_daily carries the same conservation, per date
    for day, received, bad, dup, ok in fetch(warehouse_url, "SELECT report_date, sum(rows_received), "
                                             "sum(rows_rejected), sum(rows_duplicate), sum(rows_accepted) "
                                             "FROM ektp_coverage.site_daily GROUP BY report_date"):
        files = [p for p in loaded_batches if p.split("/")[1] == str(day)]
        assert received == sum(len(data_records(landing / p)) for p in files) == bad + dup + ok, day


def check_extracts(landing: Path, labels_path: Path, warehouse_url: str) -> None:
    """Registry extracts: rows received = rejected + target residents, with the answer key's errors rejected."""
    label_rows, _ = read_labels(labels_path)
    expected_first = {"extract_bad_kelurahan": "bad_kelurahan", "extract_bad_sex": "bad_sex",
                      "extract_bad_birth_date": "bad_birth_date", "extract_duplicate_nik": "duplicate_nik"}
    extracts = fetch(warehouse_url, "SELECT extract_date, file_path, rows_received, rows_rejected, target_residents "
                     "FROM ektp_ingest.registry_extract ORDER BY extract_date")
    assert len(extracts) == 2
    for extract_date, path, received, rejected_count, targets in extracts:
        records = data_records(landing / path)
        quarantined = {r[0]: r[1:] for r in fetch(
            warehouse_url, "SELECT row_number, first_reason, reasons, raw_record FROM ektp_quarantine.rejected_row "
            "WHERE file_path = :p", p=path)}
        residents = {r[0] for r in fetch(warehouse_url, "SELECT row_number FROM ektp_ingest.registry_resident "
                                         "WHERE extract_date = :d", d=extract_date)}
        assert received == len(records) == len(quarantined) + len(residents), path
        assert (rejected_count, targets) == (len(quarantined), len(residents)), path
        assert set(quarantined) | residents == set(records), path
        with (landing / path).open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh))
        for row, (_, _, raw) in quarantined.items():
            assert json.loads(raw) == dict(zip(header, records[row], strict=True)), (path, row)
        if extract_date != extracts[0][0]:
            continue  # the answer key labels the first extract's rows only (the second one inherits them unlabelled)
        for row in records:
            kinds = {k for k in label_rows.get((path, row), set()) if k in expected_first}
            if kinds:
                assert row in quarantined, (path, row, kinds)
                assert {expected_first[k] for k in kinds} <= set(quarantined[row][1].split(",")), (path, row)
            else:
                assert row in residents, (path, row, quarantined.get(row))


#: card-event labels (tools/sample_data/card_events.py) -> the reason the row must be rejected with
CARD_MUST_REJECT = {f"card_{reason}": reason for reason in (
    "malformed_row", "missing_value", "nik_format", "nik_region", "nik_birthdate", "nik_serial", "bad_event",
    "bad_event_at")}


@pytest.fixture(scope="module")
def generated_cards(tmp_path_factory) -> tuple[Path, Path]:
    """Three days with card events (an earlier wave, every card-event error), five times the default error rates."""
    root = tmp_path_factory.mktemp("conservation_cards")
    generate(root / "landing", seed=5, days=3, residents=600, recordings_per_day=120, files_per_day=3,
             error_rate=0.2, card_events=True, labels_path=root / "labels.csv", progress=False)
    return root / "landing", root / "labels.csv"


def test_every_card_event_row_is_accounted_for(coverage_dag, generated_cards, warehouse_url, monkeypatch):
    """Card-event files (contract §6.1): rows received = stored (linked or not) + quarantined, for every loaded
    file; every rejected row whole with the answer key's reason; copies recorded and not loaded; and the
    published card_events_daily adds up to the rows of each date's loaded files."""
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    monkeypatch.setenv("EKTP_REPORTS", "off")
    landing, labels_path = generated_cards
    days = sorted(p.name for p in (landing / "batches").iterdir())[-3:]
    for day in days:
        assert run_dag_test(coverage_dag, day, landing, warehouse_url).state == "success", day

    manifest = {r[0]: r[1:] for r in fetch(warehouse_url, "SELECT file_path, status, row_count, rows_rejected, "
                                           "duplicate_of FROM ektp_ingest.file_manifest "
                                           "WHERE file_kind = 'card_events'")}
    landed = sorted(p.relative_to(landing).as_posix() for p in landing.glob("cards/*/*.csv")
                    if p.parent.name <= days[-1])
    assert sorted(manifest) == landed and len(landed) >= 10
    stored = defaultdict(set)
    for path, row in fetch(warehouse_url, "SELECT file_path, row_number FROM ektp_ingest.card_event"):
        stored[path].add(row)
    rejected = defaultdict(dict)
    for path, row, first, reasons, raw, kind in fetch(
            warehouse_url, "SELECT file_path, row_number, first_reason, reasons, raw_record, file_kind "
            "FROM ektp_quarantine.rejected_row WHERE file_path LIKE 'cards/%'"):
        assert kind == "card_events"
        rejected[path][row] = (first, reasons.split(","), json.loads(raw))
    label_rows, label_files = read_labels(labels_path)
    seen_reasons = set()
    for path, (status, row_count, rows_rejected, duplicate_of) in manifest.items():
        if status != "loaded":
            assert status == "duplicate_delivery" and label_files[path] == {"duplicate_delivery"}, path
            assert manifest[duplicate_of][0] == "loaded" and path not in stored and path not in rejected, path
            continue
        records = data_records(landing / path)
        with (landing / path).open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh))
        quarantined = rejected.get(path, {})
        # conservation: no row twice, none lost, and the manifest's counts are the file's
        assert set(quarantined) | stored[path] == set(records) and not set(quarantined) & stored[path], path
        assert (row_count, rows_rejected) == (len(records), len(quarantined)), path
        for row in records:
            errors = label_rows.get((path, row), set()) & set(CARD_MUST_REJECT)
            if errors:
                (kind,) = errors
                assert row in quarantined and CARD_MUST_REJECT[kind] in quarantined[row][1], (path, row, kind)
            else:
                assert row in stored[path], (path, row, label_rows.get((path, row)), quarantined.get(row))
        for row, (first, reasons, raw) in quarantined.items():
            assert reasons[0] == first
            expected = {"_fields": records[row]} if first == "malformed_row" else dict(zip(header, records[row],
                                                                                           strict=True))
            assert raw == expected, (path, row)
            seen_reasons.add(first)
    assert seen_reasons == set(CARD_MUST_REJECT.values())  # the sample exercises every reason of §6.1

    # card_events_daily: the outcomes of each published date add up to its loaded files' rows
    published = defaultdict(dict)
    for day, outcome, rows in fetch(warehouse_url, "SELECT report_date, outcome, rows FROM "
                                    "ektp_coverage.card_events_daily"):
        published[str(day)][outcome] = rows
    for day in days:
        files = [p for p, m in manifest.items() if m[0] == "loaded" and p.split("/")[1] == day]
        assert sum(published[day].values()) == sum(len(data_records(landing / p)) for p in files), day
        assert published[day].get("linked", 0) + published[day].get("unlinked", 0) \
            == sum(len(stored[p]) for p in files), day
    assert any(outcomes.get("unlinked") for outcomes in published.values())  # the sample has unlinked events
