"""ektp.ingest.data_docs: GE results are cut down to counts before they are stored or rendered."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from ektp.ingest import data_docs
from ektp.ingest.validation import BATCH_COLUMNS, load_suite, prepare_batch, run_suite

NIKS = ["3174011508050001", "3174013208050002", "1001011508050003", "9901011508050004"]


@pytest.fixture(scope="module")
def gx_result():
    """A real COMPLETE result, whose unexpected lists hold NIKs, names' neighbours and dates."""
    rows = []
    for i, value in enumerate(NIKS):
        rows.append({"batch_id": "B", "site_code": "S", "site_name": "Site", "operator_id": "O",
                     "recorded_at": "2026-11-02T09:15:00+07:00" if i else "2026-11-02T09:15:00", "nik": value,
                     "full_name": f"Nama {i}", "birth_date": "2005-08-16", "sex": "LXPL"[i], "kelurahan_code": ""})
    raw = pd.DataFrame(rows, columns=list(BATCH_COLUMNS), dtype="string")
    result = run_suite(load_suite("field_batch"), prepare_batch(raw, pd.Series(["2026-11-02"] * len(raw))))
    assert result.rejected().any()
    return result.gx_result


def test_the_raw_result_does_hold_niks(gx_result):
    """What the scrubbing is for: GE puts the failing values themselves into the result."""
    text = json.dumps(gx_result.to_json_dict())
    assert all(v in text for v in NIKS[1:])


def test_scrub_keeps_counts_only(gx_result):
    scrubbed = data_docs.scrub(gx_result)
    text = json.dumps(scrubbed)
    assert not re.search(r"\d{10}", text)  # no NIK, and no long float either
    assert "Nama" not in text and "2005-08-16" not in text and "160805" not in text
    assert len(scrubbed["results"]) == len(gx_result.results)
    for item, original in zip(scrubbed["results"], gx_result.results, strict=True):
        assert set(item["result"]) <= set(data_docs.RESULT_KEYS)
        assert item["result"]["unexpected_count"] == original.result["unexpected_count"]
        assert item["success"] == original.success
        assert "batch_id" not in item["expectation_config"]["kwargs"]
        assert item["exception_info"]["exception_message"] is None
    assert scrubbed["suite_name"] == "field_batch" and scrubbed["success"] is False


def test_merge_adds_counts(gx_result):
    one = data_docs.scrub(gx_result)
    two = data_docs.merge(one, one)
    for a, b in zip(one["results"], two["results"], strict=True):
        assert b["result"]["element_count"] == 2 * a["result"]["element_count"]
        assert b["result"]["unexpected_count"] == 2 * a["result"]["unexpected_count"]
        assert np.isclose(b["result"].get("unexpected_percent", 0), a["result"].get("unexpected_percent", 0))


def test_docs_are_built_without_values(gx_result, tmp_path):
    docs = data_docs.PendingDocs("manual__2026-11-02T00:00:00+00:00", on=True)
    label = data_docs.batch_label("batches", ["batches/2026-11-02/3174011508050001.csv"], "2026-11-02", "2026-11-02")
    assert "3174011508050001" not in label  # file names are free text: hashed, never shown
    docs.add(label, gx_result)
    docs.add("extract_2026-11-01_1files_0123456789", gx_result)
    docs.add("extract_2026-11-01_1files_0123456789", gx_result)  # a second chunk of the same file
    index = docs.build(tmp_path / "docs")
    assert index == tmp_path / "docs" / "index.html" and index.is_file()
    pages = sorted(p.name for p in (tmp_path / "docs" / "validations").rglob("*.html"))
    assert pages == [f"{label}.html", "extract_2026-11-01_1files_0123456789.html"]
    assert {p.name for p in (tmp_path / "docs" / "expectations").glob("*.html")} == {
        "field_batch.html", "registry_extract.html"}
    for path in (tmp_path / "docs").rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            assert not any(v in text for v in NIKS), path
            assert "Nama 1" not in text, path


def test_docs_can_be_switched_off(gx_result, tmp_path, monkeypatch):
    monkeypatch.setenv("EKTP_DATA_DOCS", "off")
    docs = data_docs.PendingDocs("run")
    docs.add("x", gx_result)
    assert docs.build(tmp_path / "docs") is None
    assert not (tmp_path / "docs").exists()


def test_a_failing_build_does_not_fail_the_load(gx_result, tmp_path, caplog):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    docs = data_docs.PendingDocs("run", on=True)
    docs.add("x", gx_result)
    assert docs.build(blocker) is None
    assert "Data Docs not built" in caplog.text
