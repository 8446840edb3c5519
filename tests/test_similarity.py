"""Pair scoring and candidate expansion against straightforward references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news import similarity
from dedupe_news.similarity import neighbour_pairs, pair_cosine, top_neighbours


def _random_pairs(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    codes = np.unique(rng.integers(0, n * n, m))
    i, j = codes // n, codes % n
    keep = i < j
    return np.stack([i[keep], j[keep]], axis=1)


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_pair_cosine_matches_dense_products_in_any_chunking(
    n_jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(similarity, "_CHUNK", 7)  # many chunks, shared among threads
    rng = np.random.default_rng(1)
    matrix = sp.random(60, 40, density=0.2, random_state=2, format="csr")
    matrix = sp.csr_matrix(matrix / np.sqrt(matrix.multiply(matrix).sum(axis=1)).clip(1e-9))
    pairs = _random_pairs(rng, 60, 400)
    dense = matrix.toarray()
    expected = np.clip((dense[pairs[:, 0]] * dense[pairs[:, 1]]).sum(axis=1), 0, 1)
    np.testing.assert_allclose(pair_cosine(matrix, pairs, n_jobs=n_jobs), expected, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), k=st.integers(1, 4))
def test_neighbour_pairs_are_the_two_step_pairs_not_yet_known(seed: int, k: int) -> None:
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
    got = neighbour_pairs(pairs, sims, k)
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
