"""planning.group_files: the night's batch files in bounded groups, one mapped task each."""

from __future__ import annotations

from datetime import date

from ektp.ingest.landing import LandedFile
from ektp.ingest.planning import group_files, slice_files
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


def _batch_files(sizes: list[int]) -> list[LandedFile]:
    return [LandedFile(f"batches/2026-11-02/f{i:03d}.csv", "batch", date(2026, 11, 2), size)
            for i, size in enumerate(sizes)]


@given(st.lists(st.integers(1, 5000), max_size=80), st.integers(2_000, 40_000))
def test_slices_keep_order_and_bounds(sizes, slice_bytes):
    files = _batch_files(sizes)
    slices = slice_files(files, slice_bytes)

    assert [f for s in slices for f in s] == files  # every file once, in order
    assert all(s for s in slices)
    assert all(sum(f.size for f in s) <= slice_bytes + max(sizes) for s in slices)  # a share plus one file
    if sum(sizes) <= slice_bytes // 2:
        assert len(slices) <= 1  # under half a slice: one suite run


@given(st.lists(st.integers(1, 1000), min_size=1, max_size=400), st.integers(10_000, 60_000))
def test_small_files_end_with_the_smallest_slice(sizes, slice_bytes):
    """Batch files are small beside a slice (33 KB to 16 MiB): the write nothing overlaps is then the least."""
    sizes_of = [sum(f.size for f in s) for s in slice_files(_batch_files(sizes), slice_bytes)]
    if len(sizes_of) > 1:
        assert sizes_of[-1] <= min(sizes_of[:-1])
        assert sizes_of[-1] <= slice_bytes * 3 // 5


def test_a_national_night_ends_with_a_half_slice():
    files = [LandedFile(f"batches/2026-11-02/f{i:04d}.csv", "batch", date(2026, 11, 2), 33_000) for i in range(1000)]
    assert [len(s) for s in slice_files(files, 16 << 20)] == [400, 400, 200]
