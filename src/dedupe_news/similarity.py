"""Verification of candidate pairs: set overlap and TF-IDF cosine, computed for pairs only.

Scores are row-wise products of sparse matrices gathered for a chunk of pairs at a time, so the
cost is linear in the number of candidates and memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["pair_cosine", "pair_overlap", "set_matrix"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]

_CHUNK = 20_000


def set_matrix(hash_sets: Sequence[U32]) -> sp.csr_matrix:
    """Binary CSR matrix (documents x distinct hashes) of sorted distinct hash sets."""
    sizes = np.fromiter((len(s) for s in hash_sets), dtype=np.int64, count=len(hash_sets))
    flat = np.concatenate(list(hash_sets)) if len(hash_sets) else np.empty(0, dtype=np.uint32)
    _, columns = np.unique(flat, return_inverse=True)
    indptr = np.concatenate(([0], np.cumsum(sizes)))
    data = np.ones(flat.size, dtype=np.float32)
    width = int(columns.max()) + 1 if columns.size else 0
    return sp.csr_matrix((data, columns.ravel(), indptr), shape=(len(hash_sets), width))


def _rowwise_dot(matrix: sp.csr_matrix, pairs: I64) -> F64:
    out = np.empty(len(pairs), dtype=np.float64)
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        left = matrix[chunk[:, 0]]
        right = matrix[chunk[:, 1]]
        out[start : start + len(chunk)] = np.asarray(left.multiply(right).sum(axis=1)).ravel()
    return out


def pair_overlap(sets: sp.csr_matrix, pairs: I64) -> tuple[F64, F64]:
    """Exact Jaccard and containment (overlap / smaller set) of each pair's sets."""
    inter = _rowwise_dot(sets, pairs)
    sizes = np.diff(sets.indptr).astype(np.float64)
    a, b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    union = a + b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, inter / union, 0.0)
        containment = np.where(np.minimum(a, b) > 0, inter / np.minimum(a, b), 0.0)
    return jaccard, containment


def pair_cosine(vectors: sp.csr_matrix, pairs: I64) -> F64:
    """Cosine of each pair's rows of an L2-normalized matrix (clipped to [0, 1])."""
    return np.clip(_rowwise_dot(vectors, pairs), 0.0, 1.0)
