"""planning.group_files: the night's batch files in bounded groups, one mapped task each."""

from __future__ import annotations

from datetime import date

from ektp.landing import LandedFile
from ektp.planning import group_files
from hypothesis import given
from hypothesis import strategies as st


@given(st.lists(st.integers(0, 5000), max_size=60), st.integers(1, 8), st.integers(1, 12_000))
def test_groups_keep_order_and_bounds_and_are_as_few_as_greedy_filling_allows(sizes, max_files, max_bytes):
    files = [LandedFile(f"batches/2026-11-02/f{i:03d}.csv", "batch", date(2026, 11, 2), size)
             for i, size in enumerate(sizes)]
    groups = group_files(files, max_files, max_bytes)

    assert [f for g in groups for f in g] == files  # every file once, in order
    assert all(g for g in groups)
    for g in groups:
        assert len(g) <= max_files
        assert sum(f.size for f in g) <= max_bytes or len(g) == 1  # only a file over the limit stands alone
    for g, following in zip(groups, groups[1:], strict=False):  # closed only when the next file would not fit
        assert len(g) == max_files or sum(f.size for f in g) + following[0].size > max_bytes


def test_a_national_night_of_small_files_is_a_few_groups():
    files = [LandedFile(f"batches/2026-11-02/f{i:04d}.csv", "batch", date(2026, 11, 2), 37_000) for i in range(1000)]
    assert [len(g) for g in group_files(files, 1000, 16 << 20)] == [453, 453, 94]
