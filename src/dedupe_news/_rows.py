"""Sparse rows as flat arrays, for the index's many small comparisons.

:class:`dedupe_news.StoryIndex` compares a few articles with a few hundred others, call after
call; these helpers keep CSR rows as plain arrays and do the arithmetic with NumPy, turning to
scipy only where its kernels win (products of many rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._arrays import kept_indptr, sorted_unique
from ._kernels import rowwise_dot_kernel

__all__ = ["Rows", "blend", "distinct_pairs", "ranks", "row_norms", "unit_rows"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def row_norms(values: F64, indptr: I64) -> F64:
    """L2 norm of each CSR row (0 for an empty row)."""
    lengths = np.diff(indptr)
    if values.size == 0:
        return np.zeros(lengths.size)
    squares = np.add.reduceat(values * values, np.minimum(indptr[:-1], values.size - 1))
    return np.sqrt(np.where(lengths > 0, squares, 0.0))


def unit_rows(values: F64, indptr: I64) -> F64:
    """CSR row values scaled to unit L2 norm (all-zero rows stay zero)."""
    if values.size == 0:
        return values
    norms = row_norms(values, indptr)
    return np.asarray(values / np.repeat(np.where(norms > 0, norms, 1.0), np.diff(indptr)))


@dataclass
class Rows:
    """Sparse rows as flat arrays: CSR without a matrix object. The index compares one article
    with a few hundred others, thousands of times; scipy's per-matrix checks would cost more
    than the arithmetic."""

    indptr: I64
    terms: npt.NDArray[np.int32]  # an article's row lists its terms in order
    values: F64

    def __len__(self) -> int:
        return self.indptr.size - 1

    def row(self, k: int) -> tuple[npt.NDArray[np.int32], F64]:
        start, end = self.indptr[k], self.indptr[k + 1]
        return self.terms[start:end], self.values[start:end]

    def unit(self) -> Rows:
        """The rows scaled to unit L2 norm."""
        return Rows(self.indptr, self.terms, unit_rows(self.values, self.indptr))

    def nonzero(self) -> Rows:
        """The rows without their zero entries (terms that weigh nothing in the current
        statistics: every later sum over the rows would walk them for nothing)."""
        keep = self.values != 0
        if keep.all():
            return self
        return Rows(kept_indptr(self.indptr, keep), self.terms[keep], self.values[keep])

    def norms(self) -> F64:
        """Each row's L2 norm."""
        return row_norms(self.values, self.indptr)

    def entries(self, rows: I64) -> tuple[I64, I64]:
        """Positions of the given rows' entries (row after row), and each row's length."""
        lengths = self.indptr[rows + 1] - self.indptr[rows]
        return np.repeat(self.indptr[rows], lengths) + ranks(lengths), lengths

    def subset(self, rows: list[int]) -> Rows:
        """The given rows, in that order."""
        entries, lengths = self.entries(np.asarray(rows, dtype=np.int64))
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return Rows(indptr, self.terms[entries], self.values[entries])

    def row_of_entries(self) -> I64:
        return np.repeat(np.arange(len(self)), np.diff(self.indptr))

    def dots(self, dense: F64) -> F64:
        """Each row's dot product with a dense vector."""
        products = dense[self.terms] * self.values
        dots = np.bincount(self.row_of_entries(), weights=products, minlength=len(self))
        return np.asarray(dots, dtype=np.float64)  # (already float64: typing only)

    def dots_with(self, terms: npt.NDArray[np.int32], values: F64, scratch: F64) -> F64:
        """Each row's dot product with one sparse row, through a zeroed dense scratch vector."""
        scratch[terms] = values
        try:
            return self.dots(scratch)
        finally:
            scratch[terms] = 0.0

    def pair_dots(self, pairs: I64, scratch: F64) -> F64:
        """Dot product of each pair ``(i, j)`` of rows, through a zeroed dense scratch vector.

        Pairs are taken by their first row: each distinct ``i`` is spread into ``scratch``
        once and met by all its partners in one gather, so put the row with many partners
        first (a newcomer and its candidates). Cheaper than scipy's row indexing for the few
        hundred pairs of one article, and no dearer for a batch.
        """
        order = np.argsort(pairs[:, 0], kind="stable")
        found = np.empty(len(pairs), dtype=np.float64)
        rowwise_dot_kernel(self.indptr, self.terms, self.values, pairs[order], found, scratch)
        out = np.empty(len(pairs), dtype=np.float64)
        out[order] = found
        return out

    @classmethod
    def empty(cls) -> Rows:
        return cls(np.zeros(1, np.int64), np.empty(0, np.int32), np.empty(0))

    @classmethod
    def from_matrix(cls, matrix: sp.csr_matrix) -> Rows:
        """The rows of a CSR matrix (without duplicate columns within a row)."""
        return cls(
            matrix.indptr.astype(np.int64),
            matrix.indices.astype(np.int32),
            matrix.data.astype(np.float64),
        )

    def matrix(self, width: int) -> sp.csr_matrix:
        """The rows as a scipy matrix of ``width`` columns (sharing the arrays)."""
        return sp.csr_matrix((self.values, self.terms, self.indptr), shape=(len(self), width))

    def total(self, size: int) -> F64:
        """The rows' sum, dense."""
        total = np.bincount(self.terms, weights=self.values, minlength=size)
        return np.asarray(total, dtype=np.float64)


def blend(raw: Rows, out_row: I64, source: I64, weight: F64, n_rows: int) -> Rows:
    """Rows ``sum(weight * raw[source])`` grouped by ``out_row``, L2-normalized.

    A sparse matrix product: scipy's kernel accumulates without sorting, which beats any
    NumPy formulation here.
    """
    matrix = raw.matrix(int(raw.terms.max()) + 1 if raw.terms.size else 0)
    mix = sp.csr_matrix((weight, (out_row, source)), shape=(n_rows, len(raw)))
    blended = (mix @ matrix).tocsr()
    indptr = blended.indptr.astype(np.int64)
    return Rows(indptr, blended.indices.astype(np.int32), unit_rows(blended.data, indptr))


def distinct_pairs(pairs: I64) -> I64:
    """Distinct rows of an ``(m, 2)`` array of non-negative ints below 2**31, sorted."""
    codes = sorted_unique((pairs[:, 0] << 32) | pairs[:, 1])
    return np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1)


def ranks(sizes: I64) -> I64:
    """``0 .. size - 1`` for each size, concatenated."""
    return np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
