"""SuiteResult.warning_strings: every row's warnings, comma-separated in the suite's (contract) order."""

from __future__ import annotations

import numpy as np
from ektp.ingest.validation import LoadedSuite, SuiteResult
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

NAMES = ["nik_dob_mismatch", "nik_sex_mismatch", "nik_prefix_unlisted", "nit", "under_17"]


@settings(max_examples=200, deadline=None)
@given(arrays(bool, st.tuples(st.integers(0, 60), st.just(len(NAMES)))), st.data())
def test_each_row_lists_its_warnings_in_contract_order(matrix: np.ndarray, data: st.DataObject):
    suite = LoadedSuite("field_batch", None, [], NAMES)
    result = SuiteResult(np.zeros((len(matrix), 0), dtype=bool), matrix, [], suite)
    mask = data.draw(arrays(bool, len(matrix)))
    expected = [",".join(n for n, on in zip(NAMES, row, strict=True) if on) or None for row in matrix[mask]]
    assert result.warning_strings(mask) == expected
