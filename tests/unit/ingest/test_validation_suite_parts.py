"""run_suite validates each part of a suite (its expectations on one set of columns) on those columns
only; the unexpected rows of every expectation must be exactly those of one run of the whole suite."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ektp.ingest import file_groups
from ektp.ingest.csv_reader import RejectedFile, open_csv
from ektp.ingest.landing import LandedFile
from ektp.ingest.validation import (
    BATCH_REQUIRED,
    REGISTRY_REQUIRED,
    _expectation_key,
    _gx_batch_definition,
    load_suite,
    prepare_batch,
    prepare_registry,
    run_suite,
)


def _frame(landing: Path, kind: str, required: list[str]):
    tables = []
    for path in sorted(landing.glob(f"{kind}/*/*.csv")):
        landed = LandedFile(str(path.relative_to(landing)), "batch" if kind == "batches" else "registry",
                            date.fromisoformat(path.parent.name))
        try:
            csv_file = open_csv(path, required)
        except RejectedFile:
            continue
        tables += [file_groups.chunk_table(chunk, landed) for chunk in csv_file.chunks(100_000)]
    return file_groups.group_frame(tables)


@pytest.mark.parametrize("name", ["field_batch", "registry_extract"])
def test_parts_find_what_the_whole_suite_finds(sample_landing: Path, name: str):
    if name == "field_batch":
        raw = _frame(sample_landing, "batches", BATCH_REQUIRED)
        prepared = prepare_batch(raw, raw["_folder_date"]).reset_index(drop=True)
    else:
        raw = _frame(sample_landing, "registry", REGISTRY_REQUIRED)
        # the sample extract is clean apart from duplicate NIKs (found in SQL): break a few rows
        for row, (column, value) in enumerate([("nik", "123"), ("sex", "X"), ("kelurahan_code", "99.99.99.9999"),
                                               ("birth_date", "2020-02-30"), ("nik", "3174010000000000")]):
            raw.loc[row, column] = value
        prepared = prepare_registry(raw).reset_index(drop=True)
    suite = load_suite(name)
    assert len(suite.parts) > 1 and sum(len(p.position_of) for p in suite.parts) == len(suite.suite.expectations)

    parts = {_expectation_key(r.expectation_config): r for r in run_suite(suite, prepared).gx_result.results}
    whole = _gx_batch_definition().get_batch(batch_parameters={"dataframe": prepared}).validate(
        suite.suite, result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False})

    assert len(parts) == len(whole.results)
    flagged = 0
    for expected in whole.results:
        got = parts[_expectation_key(expected.expectation_config)]
        unexpected = sorted(expected.result["unexpected_index_list"] or [])
        assert sorted(got.result["unexpected_index_list"] or []) == unexpected
        assert got.result["element_count"] == expected.result["element_count"]
        flagged += len(unexpected)
    assert flagged > 0  # the sample's injected errors are found: the comparison is not of empty lists
