"""Verification of candidate pairs: set overlap and TF-IDF cosine, computed for pairs only.

Scores are row-wise dot products computed pair by pair in a compiled loop, so the cost is
linear in the number of candidates and nothing but the result is allocated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import partial

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.preprocessing import normalize as normalize_rows

from ._arrays import code_blocks, flatten, sorted_csr, sorted_positions, sorted_unique
from ._kernels import (
    in_chunks,
    intersection_sizes_kernel,
    listed_neighbours_kernel,
    map_threads,
    offer_neighbours_kernel,
    rowwise_dot_kernel,
    two_step_codes_kernel,
    workers,
)

__all__ = [
    "code_cosine",
    "code_cosine_blocks",
    "code_neighbours",
    "neighbour_codes",
    "neighbour_smoothing",
    "pair_cosine",
    "pair_overlap",
    "top_neighbours",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]


def _rowwise_dots(
    matrix: sp.csr_matrix, blocks: Iterable[tuple[int, int, I64]], size: int, n_jobs: int
) -> F64:
    """Row-wise dot products of ``size`` pairs given block by block (``start, stop, pairs``),
    in one array (see :func:`_block_dots`)."""
    out = np.empty(size, dtype=np.float64)
    for _ in _block_dots(matrix, blocks, n_jobs, out):
        pass
    return out


def _block_dots(
    matrix: sp.csr_matrix,
    blocks: Iterable[tuple[int, int, I64]],
    n_jobs: int,
    out: F64 | None = None,
) -> Iterator[tuple[int, int, I64, F64]]:
    """Row-wise dot products of pairs given block by block (``start, stop, pairs``), as
    ``(start, stop, pairs, dots)`` a block at a time (``dots`` a view of ``out[start:stop]``
    when given); the matrix is made ready once for all blocks.

    A compiled loop over chunks of pairs on ``n_jobs`` threads; each pair is one sequential sum,
    so the result depends neither on ``n_jobs`` nor on the order of the pairs or of the
    matrix's stored columns.
    """
    csr = sorted_csr(matrix)
    indptr = csr.indptr.astype(np.int64, copy=False)
    data = csr.data.astype(np.float64, copy=False)
    for start, stop, block in blocks:
        pairs = np.ascontiguousarray(block, dtype=np.int64)
        dots = np.empty(len(pairs)) if out is None else out[start:stop]

        def chunk(a: int, b: int, pairs: I64 = pairs, dots: F64 = dots) -> None:
            rowwise_dot_kernel(
                indptr, csr.indices, data, pairs[a:b], dots[a:b], np.zeros(csr.shape[1])
            )

        in_chunks(len(pairs), n_jobs, chunk)
        yield start, stop, pairs, dots


def pair_overlap(hash_sets: Sequence[U32], pairs: I64, *, n_jobs: int = 1) -> tuple[F64, F64]:
    """Exact Jaccard and containment (overlap / smaller set) of each pair's sorted distinct sets."""
    flat, offsets = flatten(hash_sets, np.uint32)
    sizes = np.diff(offsets)
    pairs = np.ascontiguousarray(pairs, dtype=np.int64)
    common = np.empty(len(pairs), dtype=np.int64)
    in_chunks(
        len(pairs),
        n_jobs,
        lambda a, b: intersection_sizes_kernel(flat, offsets, pairs[a:b], common[a:b]),
    )
    inter = common.astype(np.float64)
    a, b = sizes[pairs[:, 0]].astype(np.float64), sizes[pairs[:, 1]].astype(np.float64)
    union = a + b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, inter / union, 0.0)
        containment = np.where(np.minimum(a, b) > 0, inter / np.minimum(a, b), 0.0)
    return jaccard, containment


def pair_cosine(vectors: sp.csr_matrix, pairs: I64, *, n_jobs: int = 1) -> F64:
    """Cosine of each pair's rows of an L2-normalized matrix (clipped to [0, 1])."""
    dots = _rowwise_dots(vectors, [(0, len(pairs), pairs)], len(pairs), n_jobs)
    return np.clip(dots, 0.0, 1.0, out=dots)  # in place: a batch scores tens of millions


def code_cosine(vectors: sp.csr_matrix, codes: I64, n: int, *, n_jobs: int = 1) -> F64:
    """:func:`pair_cosine` of pairs given as pair codes of ``n`` nodes, decoded a block at a
    time: a batch's tens of millions of candidates are never also held as pairs (16 bytes
    each)."""
    dots = _rowwise_dots(vectors, code_blocks(codes, n), codes.size, n_jobs)
    return np.clip(dots, 0.0, 1.0, out=dots)


def code_cosine_blocks(
    vectors: sp.csr_matrix, codes: I64, n: int, *, n_jobs: int = 1
) -> Iterator[tuple[int, int, I64, F64]]:
    """:func:`code_cosine` a block at a time, ``(start, stop, pairs, cosine)``: for callers
    that keep only some of the cosines."""
    for start, stop, pairs, dots in _block_dots(vectors, code_blocks(codes, n), n_jobs):
        yield start, stop, pairs, np.clip(dots, 0.0, 1.0, out=dots)


def top_neighbours(pairs: I64, sims: F64, k: int) -> tuple[I64, I64, F64]:
    """Each node's ``k`` most similar partners among ``pairs``: ``(source, target, sim)`` arrays.

    Sorted by source, most similar first; ties go to the smaller target index.
    """
    if len(pairs) == 0 or k == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0, dtype=np.float64)
    pairs = np.ascontiguousarray(pairs, dtype=np.int64)
    degree = np.bincount(pairs.ravel())
    lists = _empty_lists(degree.size, min(k, int(degree.max())))  # no longer than any needs
    offer_neighbours_kernel(pairs, np.asarray(sims, np.float64), *lists, 0, degree.size)
    source, target, best = listed_neighbours_kernel(*lists)
    return source, target, best


def code_neighbours(
    codes: I64, n: int, sims: F64, k: int, *, n_jobs: int = 1
) -> tuple[I64, I64, F64]:
    """:func:`top_neighbours` of pairs given as sorted pair codes of ``n`` nodes, read a block
    at a time; each block offered on ``n_jobs`` threads, each to the lists of its own range of
    nodes (the offers are most of the time, and the lists do not depend on their order)."""
    if codes.size == 0 or k == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0, dtype=np.float64)
    lists = _empty_lists(n, k)
    bounds = np.linspace(0, n, workers(n_jobs) + 1).astype(np.int64).tolist()
    for start, stop, pairs in code_blocks(codes, n):
        block_sims = np.asarray(sims[start:stop], np.float64)
        offer = partial(_offer_to_range, pairs, block_sims, lists, bounds)
        map_threads(offer, len(bounds) - 1, n_jobs)
    source, target, best = listed_neighbours_kernel(*lists)
    return source, target, best


def _offer_to_range(
    pairs: I64, sims: F64, lists: tuple[I64, F64, I64], bounds: list[int], part: int
) -> None:
    offer_neighbours_kernel(pairs, sims, *lists, bounds[part], bounds[part + 1])


def neighbour_codes(codes: I64, n: int, sims: F64, k: int, *, n_jobs: int = 1) -> I64:
    """New pairs two steps apart among each node's ``k`` best partners (friends of friends).

    Rewrites of one story that LSH did not pair are usually both close to a third report:
    pairing the top partners of each node with each other and with their own top partners
    recovers them at a cost linear in the number of nodes (about ``1.5 * k**2`` per node).
    Pairs are pair codes of ``n`` nodes (see :func:`dedupe_news._arrays.pair_codes`); ``codes``
    must be sorted. Returns the sorted distinct codes of pairs not already in ``codes`` (sorted
    on ``n_jobs`` threads).
    """
    if codes.size == 0 or k == 0:
        return np.empty(0, dtype=np.int64)
    source, target, _ = code_neighbours(codes, n, sims, k, n_jobs=n_jobs)
    first = np.searchsorted(source, np.arange(n + 1))  # source is sorted
    new: I64 = sorted_unique(two_step_codes_kernel(first, target, n), overwrite=True, n_jobs=n_jobs)
    return new[sorted_positions(codes, new) < 0]


def _empty_lists(n: int, k: int) -> tuple[I64, F64, I64]:
    """Each node's list of ``k`` best partners (their indices and similarities) and its length,
    as :func:`dedupe_news._kernels.offer_neighbours_kernel` fills them."""
    return (
        np.empty((n, k), dtype=np.int64),
        np.empty((n, k), dtype=np.float64),
        np.zeros(n, dtype=np.int64),
    )


def neighbour_smoothing(
    vectors: sp.csr_matrix,
    codes: I64,
    cosine: F64,
    *,
    neighbours: int,
    weight: float,
    node_weights: I64,
    n_jobs: int = 1,
) -> sp.csr_matrix:
    """Blend each article's vector with its closest candidates' (second-order similarity).

    Two rewrites of one story may share few words with each other yet both resemble a third
    report; adding ``weight * (cos_ij - mu_i) * v_j`` for the ``neighbours`` most similar
    candidates ``j`` (then re-normalizing) lets such pairs meet. ``mu_i`` is the article's mean
    cosine to every article of the batch, computed exactly from the centroid: only neighbours
    that stand out from that background count, so in a small batch on one topic an article is
    not pulled into the story it merely shares the topic with.

    The candidates are sorted pair codes of the matrix's rows (see
    :func:`dedupe_news._arrays.pair_codes`) with their ``cosine``.
    """
    n = vectors.shape[0]
    if neighbours == 0 or weight == 0 or codes.size == 0:
        return vectors
    total = float(node_weights.sum())
    centroid = np.asarray(vectors.T @ node_weights.astype(np.float64)).ravel()
    background = (vectors @ centroid - 1.0) / max(total - 1.0, 1.0)

    source, target, sims = code_neighbours(codes, n, cosine, neighbours, n_jobs=n_jobs)
    lift = np.maximum(sims - background[source], 0.0)
    blend = sp.csr_matrix((weight * lift, (source, target)), shape=(n, n))
    smoothed: sp.csr_matrix = normalize_rows((vectors + blend @ vectors).tocsr(), copy=False)
    smoothed.sort_indices()  # in place, once: the compiled loops read columns in order
    return smoothed
