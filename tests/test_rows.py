"""The index's sparse-row helpers against plain dense arithmetic."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dedupe_news._kernels import weigh_rows_kernel
from dedupe_news._rows import Rows, blend, distinct_pairs, ranks


def _random_rows(seed: int, n: int = 40, width: int = 60) -> tuple[Rows, np.ndarray]:
    rng = np.random.default_rng(seed)
    dense = rng.random((n, width)) * (rng.random((n, width)) < 0.2)
    dense[3] = 0.0  # an empty row
    matrix = sp.csr_matrix(dense)
    matrix.indices = matrix.indices[::-1].copy()  # unsorted columns are fine too
    matrix.data = matrix.data[::-1].copy()
    matrix.indptr = (matrix.nnz - matrix.indptr[::-1]).copy()
    rows = Rows.from_matrix(matrix)
    return rows, dense[::-1].copy()


def test_pair_dots_match_dense_dot_products() -> None:
    for seed in range(5):
        rows, dense = _random_rows(seed)
        rng = np.random.default_rng(seed + 100)
        pairs = rng.integers(0, len(rows), size=(300, 2))
        scratch = np.zeros(dense.shape[1])
        got = rows.pair_dots(pairs, scratch)
        want = np.einsum("ij,ij->i", dense[pairs[:, 0]], dense[pairs[:, 1]])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        assert not scratch.any()  # left zeroed for the next caller
    assert rows.pair_dots(np.empty((0, 2), dtype=np.int64), scratch).size == 0


def test_blend_is_the_normalized_weighted_sum() -> None:
    rows, dense = _random_rows(7)
    out_row = np.array([0, 0, 1, 2, 2, 2])
    source = np.array([0, 5, 1, 2, 9, 3])
    weight = np.array([1.0, 0.5, 1.0, 1.0, 0.25, 2.0])
    mixed = blend(rows, out_row, source, weight, 3)
    want = np.zeros((3, dense.shape[1]))
    np.add.at(want, out_row, weight[:, None] * dense[source])
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    np.testing.assert_allclose(mixed.matrix(dense.shape[1]).toarray(), want, atol=1e-12)


def test_distinct_pairs_and_ranks() -> None:
    pairs = np.array([[3, 1], [0, 2], [3, 1], [2**31 - 1, 0], [0, 2]])
    assert distinct_pairs(pairs).tolist() == [[0, 2], [3, 1], [2**31 - 1, 0]]
    assert ranks(np.array([2, 0, 3])).tolist() == [0, 1, 0, 1, 2]


def test_norms_subset_and_unit_rows() -> None:
    rows, dense = _random_rows(11)
    np.testing.assert_allclose(rows.norms(), np.linalg.norm(dense, axis=1), atol=1e-12)
    chosen = [5, 0, 5, 39]
    part = rows.subset(chosen)
    np.testing.assert_allclose(part.matrix(dense.shape[1]).toarray(), dense[chosen], atol=1e-12)
    unit = rows.unit().norms()
    np.testing.assert_allclose(unit, (np.linalg.norm(dense, axis=1) > 0).astype(float))


def test_nonzero_drops_zero_entries_and_keeps_every_row() -> None:
    rows, dense = _random_rows(12)
    rows.values[::3] = 0.0  # stored zeros, as terms that weigh nothing give
    dense = rows.matrix(dense.shape[1]).toarray()
    kept = rows.nonzero()
    assert len(kept) == len(rows)
    assert np.all(kept.values != 0)
    assert kept.values.size == np.count_nonzero(rows.values)
    np.testing.assert_array_equal(kept.matrix(dense.shape[1]).toarray(), dense)
    full = kept.nonzero()
    assert full is kept  # nothing to drop: no copy


def test_weighing_rows_in_place_matches_numpy() -> None:
    rows, dense = _random_rows(13)
    rows.values[::4] = 0.0
    table = np.random.default_rng(3).random(dense.shape[1])
    table[::5] = 0.0  # terms that weigh nothing now
    expected = Rows(rows.indptr, rows.terms, rows.values * table[rows.terms]).nonzero()
    terms, values = rows.terms.copy(), rows.values.copy()
    indptr = weigh_rows_kernel(rows.indptr, terms, values, table)
    end = indptr[-1]
    np.testing.assert_array_equal(indptr, expected.indptr)
    np.testing.assert_array_equal(terms[:end], expected.terms)
    np.testing.assert_array_equal(values[:end], expected.values)  # the same products, bit for bit
