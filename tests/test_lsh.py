"""LSH banding: candidate pairs against a brute-force reference, (b, r) choice, the S-curve."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.lsh import (
    SPLIT_LEVELS,
    band_keys,
    band_split_values,
    bucket_pairs,
    candidate_codes,
    candidate_pairs,
    collision_probability,
    optimal_bands,
)
from dedupe_news.shingles import fmix64


def reference_pairs(
    sig: np.ndarray,
    bands: int,
    rows: int,
    skip: np.ndarray | None = None,
    max_bucket: int | None = None,
    max_partners: int | None = None,
) -> set[tuple[int, int]]:
    """Pairs (i < j) of non-skipped rows that agree on every value of at least one band (and,
    with ``max_bucket``, on the values that split their bucket when it is crowded). With
    ``max_partners``, a bucket of more rows than ``max_partners + 1`` pairs each row, in the
    order of a hash of row and band, with the next ``max_partners`` only."""
    active = [i for i in range(sig.shape[0]) if skip is None or not skip[i]]
    blocks = sig.shape[1] // rows

    def block_values(i: int, block: int) -> tuple[int, ...]:
        return tuple(sig[i, block * rows : (block + 1) * rows].tolist())

    found = set()
    for band in range(bands):
        buckets = {i: (block_values(i, band),) for i in active}
        for level in range(1, SPLIT_LEVELS + 1):
            if max_bucket is None:
                break
            sizes = Counter(buckets.values())
            block = (band + level * bands) % blocks
            buckets = {
                i: (*bucket, block_values(i, block)) if sizes[bucket] > max_bucket else bucket
                for i, bucket in buckets.items()
            }
        members: dict[tuple[tuple[int, ...], ...], list[int]] = {}
        for i, bucket in buckets.items():
            members.setdefault(bucket, []).append(i)
        for group in members.values():
            cap = len(group) if max_partners is None else max_partners
            if len(group) > cap + 1:
                group = sorted(group, key=lambda i: _shuffle_key(i, band))
            for at, i in enumerate(group):
                found |= {(min(i, j), max(i, j)) for j in group[at + 1 : at + 1 + cap]}
    return found


def _shuffle_key(node: int, band: int) -> int:
    """Where a crowded bucket puts a row: a hash of its node and band."""
    return _mixed((node * 0x9E3779B97F4A7C15 + band) % 2**64)


def _mixed(value: int) -> int:
    """``fmix64`` of one 64-bit value."""
    return int(fmix64(np.asarray([value], dtype=np.uint64))[0])


BandedCase = tuple[np.ndarray, int, int, np.ndarray]
"""Signatures, bands, rows per band and which rows are skipped."""


@st.composite
def banded_signatures(draw: st.DrawFn) -> BandedCase:
    bands = draw(st.integers(1, 6))
    rows = draw(st.integers(1, 4))
    num_perm = bands * rows + draw(st.integers(0, 3))
    n = draw(st.integers(0, 14))
    alphabet = draw(st.integers(1, 4))  # few distinct values: plenty of collisions
    values = draw(
        st.lists(st.integers(0, alphabet - 1), min_size=n * num_perm, max_size=n * num_perm)
    )
    offset = draw(st.sampled_from([0, 2**32 - 4]))  # also values near the top of uint32
    sig = (np.asarray(values, dtype=np.uint64) + offset).astype(np.uint32).reshape(n, num_perm)
    skip = np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return sig, bands, rows, skip


def as_set(pairs: np.ndarray) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in pairs}


@settings(max_examples=50, deadline=None)
@given(case=banded_signatures())
def test_candidate_pairs_equal_brute_force_banding(
    case: BandedCase,
) -> None:
    sig, bands, rows, _ = case
    got = candidate_pairs(sig, bands, rows)
    assert got.dtype == np.int64
    assert got.ndim == 2
    assert got.shape[1] == 2
    assert as_set(got) == reference_pairs(sig, bands, rows)


@settings(max_examples=50, deadline=None)
@given(case=banded_signatures())
def test_skipped_rows_take_no_part(case: BandedCase) -> None:
    sig, bands, rows, skip = case
    got = candidate_pairs(sig, bands, rows, skip=skip)
    assert as_set(got) == reference_pairs(sig, bands, rows, skip)
    assert not np.isin(got, np.flatnonzero(skip)).any()


@settings(max_examples=50, deadline=None)
@given(case=banded_signatures())
def test_pairs_are_sorted_distinct_and_ordered(
    case: BandedCase,
) -> None:
    sig, bands, rows, skip = case
    got = candidate_pairs(sig, bands, rows, skip=skip)
    assert (got[:, 0] < got[:, 1]).all()
    codes = got[:, 0] * max(len(sig), 1) + got[:, 1]
    assert (np.diff(codes) > 0).all()  # sorted and distinct


@settings(max_examples=50, deadline=None)
@given(case=banded_signatures(), max_partners=st.integers(1, 4))
def test_max_partners_bounds_pairs_and_keeps_small_buckets(
    case: BandedCase, max_partners: int
) -> None:
    sig, bands, rows, skip = case
    full = reference_pairs(sig, bands, rows, skip)
    got = as_set(candidate_pairs(sig, bands, rows, skip=skip, max_partners=max_partners))
    assert got <= full
    # Per band, each row is paired with at most max_partners later rows of its bucket.
    n_active = int((~skip).sum())
    assert len(got) <= bands * n_active * max_partners
    if n_active <= max_partners + 1:  # no bucket can exceed the cap
        assert got == full


@settings(max_examples=60, deadline=None)
@given(case=banded_signatures(), max_bucket=st.integers(1, 4))
def test_crowded_buckets_split_as_a_brute_force_reference(
    case: BandedCase, max_bucket: int
) -> None:
    sig, bands, rows, skip = case
    got = as_set(candidate_pairs(sig, bands, rows, skip=skip, max_bucket=max_bucket))
    assert got == reference_pairs(sig, bands, rows, skip, max_bucket)
    assert got <= reference_pairs(sig, bands, rows, skip)


@settings(max_examples=80, deadline=None)
@given(
    case=banded_signatures(),
    max_bucket=st.integers(1, 4),
    max_partners=st.integers(1, 3),
)
def test_split_and_capped_buckets_pair_as_a_brute_force_reference(
    case: BandedCase, max_bucket: int, max_partners: int
) -> None:
    sig, bands, rows, skip = case
    got = candidate_pairs(
        sig, bands, rows, skip=skip, max_bucket=max_bucket, max_partners=max_partners
    )
    assert as_set(got) == reference_pairs(sig, bands, rows, skip, max_bucket, max_partners)


def _reference_key(values: np.ndarray, key: int) -> int:
    """A bucket key as documented: each value folded in as ``fmix64(key * FNV prime + value)``."""
    for value in values.tolist():
        key = _mixed((key * 0x100000001B3 + value) % 2**64)
    return key


@settings(max_examples=40, deadline=None)
@given(case=banded_signatures())
def test_band_keys_and_split_values_are_the_documented_fold(
    case: BandedCase,
) -> None:
    # A StoryIndex stores band keys: they must never change.
    sig, bands, rows, _ = case
    keys = band_keys(sig, bands, rows)
    splits = band_split_values(sig, bands, rows)
    blocks = sig.shape[1] // rows
    for i in range(sig.shape[0]):
        for band in range(bands):
            assert keys[i, band] == _reference_key(sig[i, band * rows : (band + 1) * rows], band)
            for level in range(1, SPLIT_LEVELS + 1):
                block = (band + level * bands) % blocks
                expected = _reference_key(sig[i, block * rows : (block + 1) * rows], 0)
                assert splits[i, band, level - 1] == expected


def test_band_keys_are_pinned() -> None:
    # The values band keys had when indexes were first stored (NumPy's fold, before the
    # compiled one): an index written then must still find its buckets.
    sig = np.array([[0, 1, 2**32 - 1, 7], [5, 5, 5, 5]], dtype=np.uint32)
    assert band_keys(sig, 2, 2).tolist() == [
        [12994781566227106604, 11511426629487606374],
        [10436699301953658619, 7073079763011645527],
    ]
    assert band_split_values(sig, 2, 2)[:, 1, 0].tolist() == [
        11596378109713904487,
        10436699301953658619,
    ]


@settings(max_examples=40, deadline=None)
@given(
    case=banded_signatures(),
    max_partners=st.integers(1, 4),
    max_bucket=st.integers(1, 4),
)
def test_bucket_pairs_with_split_values_equal_candidate_pairs(
    case: BandedCase, max_partners: int, max_bucket: int
) -> None:
    # The Dask engine sends each entry's split values with its band key; batch reads them
    # from the signatures. Both must find the same pairs.
    sig, bands, rows, skip = case
    active = np.flatnonzero(~skip)
    keys = band_keys(sig[active], bands, rows)
    splits = band_split_values(sig[active], bands, rows).reshape(keys.size, SPLIT_LEVELS)
    pairs = bucket_pairs(
        keys.ravel(),
        np.repeat(active, bands),
        np.tile(np.arange(bands, dtype=np.int64), active.size),
        max_partners,
        splits=splits,
        max_bucket=max_bucket,
    )
    expected = candidate_pairs(
        sig, bands, rows, skip=skip, max_partners=max_partners, max_bucket=max_bucket
    )
    assert as_set(pairs) == as_set(expected)


def test_identical_rows_in_a_big_bucket_stay_connected_with_max_partners() -> None:
    """A big story's members still meet across bands, so the candidate graph is connected."""
    sig = np.zeros((60, 32), dtype=np.uint32)
    pairs = candidate_pairs(sig, 32, 1, max_partners=2)
    assert len(pairs) <= 32 * 60 * 2
    parent = list(range(60))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs.tolist():
        parent[find(i)] = find(j)
    assert len({find(i) for i in range(60)}) == 1


def test_candidate_pairs_is_deterministic() -> None:
    rng = np.random.default_rng(3)
    sig = rng.integers(0, 3, size=(40, 12), dtype=np.uint32)
    a = candidate_pairs(sig, 4, 3, max_partners=2)
    b = candidate_pairs(sig.copy(), 4, 3, max_partners=2)
    np.testing.assert_array_equal(a, b)


@settings(max_examples=25, deadline=None)
@given(case=banded_signatures(), max_partners=st.integers(1, 4))
def test_bands_on_threads_give_the_same_codes(case: BandedCase, max_partners: int) -> None:
    sig, bands, rows, skip = case
    one = candidate_codes(sig, bands, rows, skip=skip, max_partners=max_partners)
    for n_jobs in (2, 3):
        np.testing.assert_array_equal(
            candidate_codes(sig, bands, rows, skip=skip, max_partners=max_partners, n_jobs=n_jobs),
            one,
        )


def test_too_many_bands_for_the_signature_is_an_error() -> None:
    sig = np.zeros((3, 8), dtype=np.uint32)
    with pytest.raises(ValueError, match="exceeds num_perm"):
        candidate_pairs(sig, 3, 3)


def test_empty_signature_matrix_gives_no_pairs() -> None:
    got = candidate_pairs(np.empty((0, 8), dtype=np.uint32), 2, 4)
    assert got.shape == (0, 2)


@pytest.mark.parametrize(
    ("threshold", "num_perm"),
    [(0.1, 128), (0.3, 128), (0.5, 128), (0.7, 64), (0.9, 128), (0.5, 32), (0.8, 16)],
)
def test_optimal_bands_matches_datasketch(threshold: float, num_perm: int) -> None:
    assert optimal_bands(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


def test_optimal_bands_fit_in_the_signature() -> None:
    for threshold in (0.2, 0.6, 0.95):
        bands, rows = optimal_bands(threshold, 100)
        assert bands >= 1
        assert rows >= 1
        assert bands * rows <= 100


def test_stricter_threshold_needs_more_rows_per_band() -> None:
    rows = [optimal_bands(t, 128)[1] for t in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert rows == sorted(rows)
    assert rows[0] < rows[-1]


@settings(max_examples=50, deadline=None)
@given(bands=st.integers(1, 64), rows=st.integers(1, 16))
def test_collision_probability_is_a_monotone_s_curve(bands: int, rows: int) -> None:
    s = np.linspace(0.0, 1.0, 101)
    p = collision_probability(s, bands, rows)
    assert p[0] == 0.0
    assert p[-1] == 1.0
    assert ((p >= 0.0) & (p <= 1.0)).all()
    assert (np.diff(p) >= 0).all()
    # More bands: more chances to collide; more rows per band: stricter.
    assert (collision_probability(s, bands + 1, rows) >= p).all()
    assert (collision_probability(s, bands, rows + 1) <= p).all()


def test_collision_probability_formula() -> None:
    assert float(collision_probability(0.5, 4, 2)) == pytest.approx(1 - (1 - 0.25) ** 4)


# (band, key, node) rows of bucket entries
BUCKET_ROWS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 5), st.integers(0, 60)),
    max_size=60,
    unique_by=lambda r: (r[0], r[2]),  # a node has one key per band
)


def _bucket_columns(rows: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bands = np.array([r[0] for r in rows], dtype=np.int64)
    keys = np.array([r[1] for r in rows], dtype=np.uint64)
    nodes = np.array([r[2] for r in rows], dtype=np.int64)
    return bands, keys, nodes


@settings(max_examples=50, deadline=None)
@given(
    rows=BUCKET_ROWS,
    cut=st.integers(0, 7),
    seed=st.integers(0, 2**16),
)
def test_bucket_pairs_depend_only_on_each_whole_bucket(
    rows: list[tuple[int, int, int]], cut: int, seed: int
) -> None:
    # What the Dask engine relies on: rows in any order, buckets spread over any pieces (each
    # bucket whole in one piece), give the same pairs as all rows together.
    bands, keys, nodes = _bucket_columns(rows)
    rng = np.random.default_rng(seed)
    splits = rng.integers(0, 2, size=(len(rows), SPLIT_LEVELS)).astype(np.uint64)
    whole = {
        tuple(p)
        for p in bucket_pairs(
            keys, nodes, bands, max_partners=2, splits=splits, max_bucket=3
        ).tolist()
    }

    order = rng.permutation(len(rows))
    piece = (bands * 7 + keys.astype(np.int64)) % (cut + 1)  # a bucket's rows share a piece
    spread: set[tuple[int, ...]] = set()
    for p in range(cut + 1):
        mine = order[piece[order] == p]
        pairs = bucket_pairs(
            keys[mine], nodes[mine], bands[mine], max_partners=2, splits=splits[mine], max_bucket=3
        )
        spread |= {tuple(pair) for pair in pairs.tolist()}

    assert spread == whole
    assert all(i < j for i, j in whole)


@settings(max_examples=150, deadline=None)
@given(
    rows=BUCKET_ROWS,
    max_partners=st.integers(1, 4),
)
def test_bucket_pairs_match_a_dict_of_shuffled_buckets(
    rows: list[tuple[int, int, int]], max_partners: int
) -> None:
    bands, keys, nodes = _bucket_columns(rows)
    buckets: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for band, key, node in rows:  # the fixed shuffle: members by a hash of node and band
        buckets.setdefault((band, key), []).append((_shuffle_key(node, band), node))
    expected = set()
    for members in buckets.values():
        ordered = [node for _, node in sorted(members)]
        for at, node in enumerate(ordered):
            for other in ordered[at + 1 : at + 1 + max_partners]:
                expected.add((min(node, other), max(node, other)))
    got = bucket_pairs(keys, nodes, bands, max_partners=max_partners)
    assert {tuple(pair) for pair in got.tolist()} == expected
