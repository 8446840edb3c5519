"""Pair scoring and candidate expansion against straightforward references."""

from __future__ import annotations

import itertools
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import dedupe_news._arrays
from conftest import reversed_columns
from dedupe_news._arrays import code_pairs, pair_codes
from dedupe_news.similarity import (
    code_cosine,
    code_neighbours,
    neighbour_codes,
    pair_cosine,
    pair_overlap,
    top_neighbours,
)


def _small_blocks() -> mock._patch[int]:
    """Pair codes decoded a few at a time, so a small test crosses many blocks."""
    return mock.patch.object(dedupe_news._arrays, "_CODE_BLOCK", 7)


def _random_pairs(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    codes = np.unique(rng.integers(0, n * n, m))
    i, j = codes // n, codes % n
    keep = i < j
    return np.stack([i[keep], j[keep]], axis=1)


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_pair_cosine_matches_dense_products_whatever_the_threads_and_orders(n_jobs: int) -> None:
    rng = np.random.default_rng(1)
    matrix = sp.random(60, 40, density=0.2, random_state=2, format="csr")
    matrix = sp.csr_matrix(matrix / np.sqrt(matrix.multiply(matrix).sum(axis=1)).clip(1e-9))
    pairs = _random_pairs(rng, 60, 400)
    dense = matrix.toarray()
    expected = np.clip((dense[pairs[:, 0]] * dense[pairs[:, 1]]).sum(axis=1), 0, 1)
    got = pair_cosine(matrix, pairs, n_jobs=n_jobs)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    # The same bits with one thread, with the pairs shuffled and with the columns stored in
    # another order: each pair is one sum in column order.
    assert np.array_equal(got, pair_cosine(matrix, pairs, n_jobs=1))
    shuffled = rng.permutation(len(pairs))
    assert np.array_equal(got[shuffled], pair_cosine(matrix, pairs[shuffled], n_jobs=n_jobs))
    assert np.array_equal(got, pair_cosine(reversed_columns(matrix), pairs, n_jobs=n_jobs))
    assert pair_cosine(matrix, pairs[:0]).shape == (0,)
    # Given as pair codes, decoded block by block: the same bits.
    with _small_blocks():
        assert np.array_equal(got, code_cosine(matrix, pair_codes(pairs, 60), 60, n_jobs=n_jobs))
    assert code_cosine(matrix, np.empty(0, dtype=np.int64), 60).shape == (0,)


def test_pair_cosine_of_empty_rows_at_the_matrix_end() -> None:
    """The rows read ahead of each pair may be empty ones past the last stored entry."""
    matrix = sp.csr_matrix(np.array([[0.6, 0.8, 0.0], [1.0, 0.0, 0.0], [0.0] * 3, [0.0] * 3]))
    pairs = np.array([(0, 1), (0, 2), (1, 3), (2, 3)] * 5)
    want = np.array([0.6, 0.0, 0.0, 0.0] * 5)
    np.testing.assert_allclose(pair_cosine(matrix, pairs), want, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), k=st.integers(1, 4))
def test_neighbour_codes_are_the_two_step_pairs_not_yet_known(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = _random_pairs(rng, 15, 30)
    if len(pairs) == 0:
        return
    sims = rng.random(len(pairs)).round(1)  # ties on purpose
    source, target, _ = top_neighbours(pairs, sims, k)
    best: dict[int, set[int]] = {}
    for s, t in zip(source.tolist(), target.tolist(), strict=True):
        best.setdefault(s, set()).add(t)
    expected = set()
    for i, partners in best.items():
        for j in partners:  # a partner's partners, reached from the smaller index
            expected |= {(i, t) for t in best.get(j, set()) if i < t}
        expected |= set(itertools.combinations(sorted(partners), 2))  # siblings
    expected -= {tuple(p) for p in pairs.tolist()}
    with _small_blocks():
        got = code_pairs(neighbour_codes(pair_codes(pairs, 15), 15, sims, k, n_jobs=2), 15)
    assert [tuple(p) for p in got.tolist()] == sorted(expected)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 10**6), k=st.integers(0, 5))
def test_top_neighbours_matches_sorting_each_node(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = _random_pairs(rng, 12, 40)
    sims = rng.random(len(pairs)).round(1)  # many ties
    expected = []
    for node in range(12):
        partners = [
            (-s, int(b if a == node else a))
            for (a, b), s in zip(pairs.tolist(), sims.tolist(), strict=True)
            if node in (a, b)
        ]
        expected += [(node, t, -neg) for neg, t in sorted(partners)[:k]]
    source, target, got = top_neighbours(pairs, sims, k)
    assert list(zip(source.tolist(), target.tolist(), got.tolist(), strict=True)) == expected
    shuffled = rng.permutation(len(pairs))  # the pairs' order does not matter
    again = top_neighbours(pairs[shuffled], sims[shuffled], k)
    assert [a.tolist() for a in again] == [source.tolist(), target.tolist(), got.tolist()]


@given(seed=st.integers(0, 10**6), k=st.integers(0, 5), n_jobs=st.sampled_from([1, 2, 5]))
def test_code_neighbours_are_top_neighbours_of_the_pairs(seed: int, k: int, n_jobs: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = _random_pairs(rng, 12, 40)
    codes = pair_codes(pairs, 12)
    order = np.argsort(codes)
    sims = rng.random(len(pairs)).round(1)[order]  # many ties
    want = top_neighbours(pairs[order], sims, k)
    with _small_blocks():
        got = code_neighbours(codes[order], 12, sims, k, n_jobs=n_jobs)  # nodes split up
    assert [a.tolist() for a in got] == [a.tolist() for a in want]


@settings(max_examples=100, deadline=None)
@given(
    sets=st.lists(st.sets(st.integers(0, 30), max_size=12), min_size=2, max_size=10),
    n_jobs=st.sampled_from([1, 2]),
)
def test_pair_overlap_matches_python_sets(sets: list[set[int]], n_jobs: int) -> None:
    hash_sets = [np.array(sorted(s), dtype=np.uint32) for s in sets]
    pairs = np.array(list(itertools.combinations(range(len(sets)), 2)), dtype=np.int64)
    jaccard, containment = pair_overlap(hash_sets, pairs, n_jobs=n_jobs)
    for (i, j), jac, con in zip(pairs.tolist(), jaccard, containment, strict=True):
        a, b = sets[i], sets[j]
        assert jac == (len(a & b) / len(a | b) if a | b else 0.0)
        assert con == (len(a & b) / min(len(a), len(b)) if a and b else 0.0)
