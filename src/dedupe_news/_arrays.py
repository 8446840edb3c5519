"""Small array helpers the hot paths share.

``np.unique`` without ``return_inverse`` takes a hash-table path in NumPy 2.x that is many
times slower than sorting on large integer arrays (and has a high per-call cost on small ones);
a SIMD sort plus a mask gives the same sorted distinct values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._kernels import (
    FirstSeen,
    code_pairs_kernel,
    compact_sorted_kernel,
    map_threads,
    merge_into_kernel,
    partition_kernel,
    sorted_positions_kernel,
    workers,
)

__all__ = [
    "code_blocks",
    "code_pairs",
    "dense_unique",
    "flatten",
    "grown",
    "index_of",
    "is_in",
    "kept_indptr",
    "merge_sorted",
    "pair_codes",
    "positions_in",
    "sort_in_place",
    "sorted_csr",
    "sorted_positions",
    "sorted_unique",
]

A = TypeVar("A", bound=np.ndarray)


def sorted_unique(values: A, *, overwrite: bool = False, n_jobs: int = 1) -> A:
    """Sorted distinct values of a 1-D array (what ``np.unique`` returns).

    With ``overwrite``, an array the caller lets go of is sorted and compacted in place, and
    its front returned (trimmed in place when it owns its memory): no new memory, which at tens
    of millions of pair codes is most of the cost (fresh pages cost more than the sort). Its
    sort then runs on ``n_jobs`` threads (see :func:`sort_in_place`).
    """
    if overwrite and values.ndim == 1:
        sort_in_place(values, n_jobs)
        kept = compact_sorted_kernel(values)
        if values.flags.owndata:
            values.resize(kept, refcheck=False)  # the caller holds no other view
            return values
        return values[:kept]  # type: ignore[return-value]
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered  # type: ignore[return-value]
    distinct = np.empty(ordered.size, dtype=bool)
    distinct[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=distinct[1:])
    return ordered[distinct]  # type: ignore[return-value]


_PARALLEL_SORT_FROM = 1 << 17  # values: from 300,000 on, two threads take 0.6 of the time


def sort_in_place(values: np.ndarray, n_jobs: int = 1) -> None:
    """Sort a 1-D array in place, in ``n_jobs`` ranges of values sorted at once on threads.

    The array is partitioned in place around pivots drawn from a sample (a compiled pass
    each), so the ranges sit one after another, and each is sorted by NumPy, which releases
    the GIL: no memory beyond the array's own, and the same result as ``values.sort()``.
    """
    threads = min(workers(n_jobs), max(1, values.size // _PARALLEL_SORT_FROM))
    if threads <= 1:
        values.sort()
        return
    sample = np.sort(values[:: max(1, values.size // 4096)])
    pivots = sample[(np.arange(1, threads) * sample.size) // threads]
    bounds = [0]
    for pivot in np.unique(pivots).tolist():  # each range starts at a new pivot
        bounds.append(bounds[-1] + int(partition_kernel(values[bounds[-1] :], pivot)))
    bounds.append(values.size)
    map_threads(lambda k: values[bounds[k] : bounds[k + 1]].sort(), len(bounds) - 1, n_jobs)


def dense_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of an array of small non-negative ints (article seqs), and each
    value's position among them: ``np.unique(values, return_inverse=True)`` by a table as long
    as the largest value, with no sort and no search."""
    flat = values.ravel()
    present = np.zeros(int(flat.max()) + 1 if flat.size else 0, dtype=bool)
    present[flat] = True
    distinct = np.flatnonzero(present)
    return distinct, positions_in(distinct, values)


def positions_in(rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's position in ``rows`` (distinct small non-negative ints holding every
    value), through a table as long as the largest row."""
    position = np.empty(int(rows.max()) + 1 if rows.size else 0, dtype=np.int64)
    position[rows] = np.arange(rows.size)  # read only at rows
    found: np.ndarray = position[values]
    return found


def index_of(base: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index in ``base`` (distinct 64-bit hashes, in any order) of each of ``values``, ``-1``
    where absent, through a hash table of ``base``."""
    table = FirstSeen()
    table.ids(base)  # distinct: each value's id is its index
    found: np.ndarray = table.find(values)
    return found


def is_in(values: np.ndarray, members: np.ndarray) -> npt.NDArray[np.bool_]:
    """Whether each of ``values`` is one of ``members`` (64-bit hashes), as ``np.isin``:
    through a hash table of the members, where a binary search in them took 5 to 15 times as
    long (tens of millions of line keys against thousands of boilerplate keys)."""
    table = FirstSeen()
    table.ids(members)
    found: npt.NDArray[np.bool_] = table.find(values) >= 0
    return found


def pair_codes(pairs: np.ndarray, n: int) -> np.ndarray:
    """Node pairs ``(i, j)`` of ``n`` nodes as one int64 code each, ``i * n + j``: sorted codes
    are pairs sorted by ``(i, j)``, in half the memory of the pairs."""
    codes: np.ndarray = np.asarray(pairs[:, 0], dtype=np.int64) * n + pairs[:, 1]
    return codes


def code_pairs(codes: np.ndarray, n: int) -> np.ndarray:
    """The ``(m, 2)`` node pairs of :func:`pair_codes`' codes."""
    pairs = np.empty((codes.size, 2), dtype=np.int64)
    code_pairs_kernel(np.asarray(codes, dtype=np.int64), n, pairs)
    return pairs


_CODE_BLOCK = 1 << 20  # pair codes decoded at a time: 16 MiB of pairs, reused block by block


def code_blocks(codes: np.ndarray, n: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(start, stop, pairs)`` for consecutive blocks of pair codes of ``n`` nodes: what
    compiled loops over pairs read, without ever holding all of a batch's pairs at once."""
    for start in range(0, codes.size, _CODE_BLOCK):
        stop = min(start + _CODE_BLOCK, codes.size)
        yield start, stop, code_pairs(codes[start:stop], n)


def sorted_positions(base: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index in ``base`` of each of ``values`` (both sorted, ``base``'s values distinct), ``-1``
    where absent."""
    out: np.ndarray = sorted_positions_kernel(base, values)
    return out


def merge_sorted(
    keys: np.ndarray, more_keys: np.ndarray, *columns: tuple[np.ndarray, Any]
) -> tuple[np.ndarray, ...]:
    """The sorted union of two sorted arrays of distinct values, none in both, and the columns
    that travel with them, given as ``(base column, more)`` (``more`` an array, or one value
    for all): ``(keys, *columns)`` merged.

    Merged in place, from the back: the base arrays, which the caller gives up (no views into
    them may remain), grow by ``realloc``, which moves the pages of a large array rather than
    copying them. At tens of millions of candidate pairs, fresh memory costs more than the
    merge (a merge into new arrays took twice their size again, in positions).
    """
    used = keys.size
    size = used + more_keys.size
    keys = _enlarged(keys, size)
    merged = []
    for base, more in columns:
        column = _enlarged(base, size)
        more_column = np.broadcast_to(np.asarray(more, dtype=column.dtype), more_keys.shape)
        merge_into_kernel(keys, used, more_keys, column, more_column)
        merged.append(column)
    merge_into_kernel(keys, used, more_keys, keys, more_keys)  # last: the columns read the keys
    return (keys, *merged)


def _enlarged(array: np.ndarray, size: int) -> np.ndarray:
    """``array`` with room for ``size`` entries: resized in place when it owns its memory."""
    if array.flags.owndata and array.flags.writeable and array.ndim == 1:
        array.resize(size, refcheck=False)
        return array
    out = np.empty(size, dtype=array.dtype)
    out[: array.size] = array
    return out


def flatten(parts: Sequence[Any], dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """Ragged parts as one array of ``dtype`` and their offsets (``parts[k]`` is
    ``flat[offsets[k]:offsets[k + 1]]``), the form the compiled loops read."""
    sizes = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    flat: np.ndarray = np.concatenate([np.empty(0, dtype=dtype), *parts]).astype(dtype, copy=False)
    return flat, np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)


def kept_indptr(indptr: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """CSR row pointers once only the entries ``keep`` marks are kept (each row's kept entries
    before its start, counted in one pass)."""
    kept: np.ndarray = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))[indptr]
    return kept


def grown(array: A, used: int, size: int) -> A:
    """``array`` with room for at least ``size`` entries (capacity doubles, zero-filled), its
    first ``used`` kept: for per-term and per-seq tables that grow a little at a time."""
    if size <= array.size:
        return array
    out = np.zeros(max(size, 2 * array.size, 1024), dtype=array.dtype)
    out[:used] = array[:used]
    return out  # type: ignore[return-value]


def sorted_csr(matrix: Any) -> sp.csr_matrix:
    """The matrix as CSR with each row's columns in order, copied only when they are not (the
    compiled loops walk columns in order; ``sorted_indices`` would copy every time)."""
    csr = sp.csr_matrix(matrix)
    return csr if csr.has_sorted_indices else csr.sorted_indices()
