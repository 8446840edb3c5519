"""The shared array helpers against NumPy's own formulations."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedupe_news._arrays import (
    code_pairs,
    dense_unique,
    index_of,
    is_in,
    kept_indptr,
    merge_sorted,
    pair_codes,
    sort_in_place,
    sorted_positions,
    sorted_unique,
)
from dedupe_news._kernels import partition_kernel

VALUES = st.sets(st.integers(-50, 50), max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 20), max_size=40),
    members=st.lists(st.integers(0, 20) | st.integers(0, 2**64 - 1), max_size=10),
)
def test_is_in_is_isin(values: list[int], members: list[int]) -> None:
    queries, keys = np.asarray(values, dtype=np.uint64), np.asarray(members, dtype=np.uint64)
    np.testing.assert_array_equal(is_in(queries, keys), np.isin(queries, keys))


@settings(max_examples=200, deadline=None)
@given(base=VALUES, new=VALUES, owned=st.booleans())
def test_merge_sorted_lays_out_the_sorted_union_with_its_columns(
    base: set[int], new: set[int], owned: bool
) -> None:
    keys = np.array(sorted(base), dtype=np.int64)
    more = np.array(sorted(new - base), dtype=np.int64)
    values = keys * 10.0
    if not owned:  # views into other arrays are copied, not resized
        keys, values = np.concatenate((keys, [99]))[:-1], np.concatenate((values, [0.0]))[:-1]
    union, column, flags = merge_sorted(
        keys, more, (values, more * 10.0), (np.zeros(keys.size, np.uint8), 1)
    )
    assert union.tolist() == sorted(base | new)
    assert column.tolist() == [k * 10.0 for k in sorted(base | new)]
    assert flags.tolist() == [int(k not in base) for k in sorted(base | new)]
    assert (union is keys) == owned  # an array of its own grows in place


@settings(max_examples=200, deadline=None)
@given(base=VALUES, values=st.lists(st.integers(-50, 50), max_size=30))
def test_sorted_positions_finds_each_value_or_minus_one(base: set[int], values: list[int]) -> None:
    base_array = np.array(sorted(base), dtype=np.int64)
    ordered = sorted(values)
    expected = [sorted(base).index(v) if v in base else -1 for v in ordered]
    assert sorted_positions(base_array, np.array(ordered, dtype=np.int64)).tolist() == expected


def test_pair_codes_round_trip_in_pair_order() -> None:
    pairs = np.array([[0, 3], [1, 2], [0, 1], [2, 3]], dtype=np.int64)
    codes = pair_codes(pairs, 4)
    np.testing.assert_array_equal(code_pairs(codes, 4), pairs)
    assert np.argsort(codes).tolist() == np.lexsort((pairs[:, 1], pairs[:, 0])).tolist()


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 9),
    pairs=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=30),
    ordered=st.booleans(),
)
def test_code_pairs_decode_codes_in_any_order(
    n: int, pairs: list[tuple[int, int]], ordered: bool
) -> None:
    kept = [(i, j) for i, j in pairs if i < n and j < n]
    array = np.array(sorted(kept) if ordered else kept, dtype=np.int64).reshape(-1, 2)
    np.testing.assert_array_equal(code_pairs(pair_codes(array, n), n), array)


@settings(max_examples=200, deadline=None)
@given(base=st.sets(st.integers(0, 2**64 - 1)), values=st.lists(st.integers(0, 2**64 - 1)))
def test_index_of_finds_each_value_in_any_order_or_minus_one(
    base: set[int], values: list[int]
) -> None:
    listed = list(base)
    values += listed[:3]
    got = index_of(np.array(listed, dtype=np.uint64), np.array(values, dtype=np.uint64))
    assert got.tolist() == [listed.index(v) if v in base else -1 for v in values]


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(-50, 50), max_size=40), owned=st.booleans())
def test_sorted_unique_in_place_is_np_unique(values: list[int], owned: bool) -> None:
    array = np.array(values, dtype=np.int64)
    expected = np.unique(array)
    np.testing.assert_array_equal(sorted_unique(array.copy()), expected)
    scratch = array.copy() if owned else np.concatenate((array, [7]))[: array.size]  # a view
    np.testing.assert_array_equal(sorted_unique(scratch, overwrite=True), expected)


# Rows of (column, value): distinct columns, values on a coarse grid so that ties are common.
ROWS = st.lists(
    st.dictionaries(st.integers(0, 30), st.integers(-2, 3).map(float), max_size=12), max_size=8
)


@settings(max_examples=200, deadline=None)
@given(rows=ROWS, k=st.integers(1, 6))
def test_top_terms_are_each_rows_largest_ties_to_the_smaller_column(
    rows: list[dict[int, float]], k: int
) -> None:
    from dedupe_news._kernels import top_terms_kernel

    indptr = np.cumsum([0, *map(len, rows)])
    columns = np.array([c for row in rows for c in row], dtype=np.int32)  # in the given order
    values = np.array([v for row in rows for v in row.values()], dtype=np.float64)
    got_ptr, got = top_terms_kernel(indptr, columns, values, k)
    expected = [sorted(sorted(row, key=lambda c: (-row[c], c))[:k]) for row in rows]
    assert [got[a:b].tolist() for a, b in pairwise(got_ptr.tolist())] == expected


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(0, 60), max_size=40), shape=st.sampled_from([(-1,), (-1, 2)]))
def test_dense_unique_is_unique_with_inverse(values: list[int], shape: tuple[int, ...]) -> None:
    array = np.array(values[: len(values) // 2 * 2], dtype=np.int64).reshape(shape)
    distinct, position = dense_unique(array)
    expected, inverse = np.unique(array, return_inverse=True)
    np.testing.assert_array_equal(distinct, expected)
    np.testing.assert_array_equal(position, inverse.reshape(array.shape))


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.integers(0, 6), max_size=12), seed=st.integers(0, 2**16))
def test_kept_indptr_counts_each_rows_kept_entries(lengths: list[int], seed: int) -> None:
    indptr = np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))
    keep = np.random.default_rng(seed).random(int(indptr[-1])) < 0.5
    expected = [int(keep[a:b].sum()) for a, b in pairwise(indptr.tolist())]
    kept = kept_indptr(indptr, keep)
    assert kept[0] == 0
    assert np.diff(kept).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(-20, 20), max_size=40), pivot=st.integers(-25, 25))
def test_partition_puts_the_values_below_the_pivot_first(values: list[int], pivot: int) -> None:
    array = np.array(values, dtype=np.int64)
    below = int(partition_kernel(array, pivot))
    assert below == sum(v < pivot for v in values)
    assert (array[:below] < pivot).all() and (array[below:] >= pivot).all()
    assert sorted(array.tolist()) == sorted(values)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.integers(-(2**62), 2**62) | st.integers(0, 5), max_size=60),
    n_jobs=st.sampled_from([1, 2, 3, -1]),
)
def test_sorting_on_threads_is_sorting(
    monkeypatch: pytest.MonkeyPatch, values: list[int], n_jobs: int
) -> None:
    monkeypatch.setattr("dedupe_news._arrays._PARALLEL_SORT_FROM", 4)  # threads, small arrays
    array = np.array(values, dtype=np.int64)
    sort_in_place(array, n_jobs)
    assert array.tolist() == sorted(values)
    assert sorted_unique(
        np.array(values, dtype=np.int64), overwrite=True, n_jobs=n_jobs
    ).tolist() == sorted(set(values))
