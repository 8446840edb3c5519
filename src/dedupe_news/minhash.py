"""MinHash signature matrices: datasketch-compatible ``affine32``, and one-permutation hashing.

:func:`signatures` is bit-identical to datasketch's ``affine32`` scheme. For input hashes ``h``
(uint32), datasketch 2.x with ``scheme="affine32"`` pre-mixes ``h`` with the 32-bit MurmurHash3
finalizer and applies ``a_k * h + b_k mod 2**32`` per permutation, keeping the minimum; ``a_k``
(odd) and ``b_k`` come from ``numpy.random.RandomState(seed)``. We do the same for a whole batch of
documents at once, so signatures interoperate with datasketch's LSH indexes and storage (see
:func:`to_datasketch`). It costs ``num_perm`` hash evaluations per element.

:func:`oph_signatures` is one-permutation hashing with optimal densification (Shrivastava, ICML
2017): one hash per element splits the set into ``num_perm`` bins and keeps each bin's minimum; an
empty bin borrows the value of a non-empty bin chosen by a fixed probe sequence. It estimates
Jaccard similarity as MinHash does at about ``1/num_perm`` of the cost, which matters for long
shingle sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._arrays import flatten
from ._kernels import in_chunks, minhash_kernel, ngram_oph_kernel, oph_kernel

if TYPE_CHECKING:
    from datasketch import MinHash

__all__ = [
    "EMPTY",
    "fmix32",
    "ngram_oph_signatures",
    "oph_signatures",
    "permutations",
    "signatures",
    "to_datasketch",
]

U32 = npt.NDArray[np.uint32]
EMPTY = np.uint32(0xFFFFFFFF)
"""Signature value of an empty set (datasketch's sentinel)."""


def fmix32(h: U32) -> U32:
    """MurmurHash3's 32-bit finalizer (wrapping uint32 arithmetic)."""
    h = np.asarray(h ^ (h >> np.uint32(16)), dtype=np.uint32)
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return np.asarray(h ^ (h >> np.uint32(16)), dtype=np.uint32)


@lru_cache(maxsize=16)  # pure; a stream asks for the same ones per article
def permutations(num_perm: int, seed: int) -> tuple[U32, U32]:
    """The ``(a, b)`` affine parameters datasketch draws for ``num_perm`` and ``seed``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = b.flags.writeable = False  # cached: shared by every caller
    return a, b


def signatures(hash_sets: Sequence[U32], num_perm: int, seed: int) -> U32:
    """MinHash signature matrix of shape ``(len(hash_sets), num_perm)``, dtype uint32.

    ``hash_sets[i]`` holds the 32-bit hashes of document ``i`` (duplicates allowed). Empty sets
    get the all-``EMPTY`` signature, as datasketch gives an un-updated ``MinHash``.
    """
    a, b = permutations(num_perm, seed)
    flat, offsets = flatten(hash_sets, np.uint32)
    out: U32 = minhash_kernel(flat, offsets, a, b)
    return out


def _bins(values: U32, num_perm: int) -> npt.NDArray[np.int64]:
    """Bin of each 32-bit value: its high bits scaled to ``[0, num_perm)``."""
    scaled = (values.astype(np.uint64) * np.uint64(num_perm)) >> np.uint64(32)
    return np.asarray(scaled, dtype=np.int64)


@lru_cache(maxsize=16)
def _oph_key(seed: int) -> int:
    """The seed's 32-bit mixing key for one-permutation hashing."""
    return int(np.random.RandomState(seed).randint(0, 1 << 32, dtype=np.uint64))


def oph_signatures(hash_sets: Sequence[U32], num_perm: int, seed: int) -> U32:
    """One-permutation-hashing signatures, densified, of shape ``(len(hash_sets), num_perm)``.

    Each element is re-mixed with a seed-dependent key, binned by its high bits, and each bin
    keeps its minimum. Empty sets get the all-``EMPTY`` signature. A document's signature
    depends on its own set only (not on the batch), like :func:`signatures`.
    """
    flat, offsets = flatten(hash_sets, np.uint32)
    out = np.full((len(hash_sets), num_perm), EMPTY, dtype=np.uint32)
    oph_kernel(flat, offsets, _oph_key(seed), out)
    return _densify(out)


def ngram_oph_signatures(
    ids: npt.NDArray[np.integer[Any]],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    hashes: npt.NDArray[np.uint64],
    n: int,
    num_perm: int,
    seed: int,
    *,
    n_jobs: int = 1,
) -> U32:
    """:func:`oph_signatures` of the word ``n``-gram sets of the documents
    ``ids[starts[d]:ends[d]]`` (see :class:`dedupe_news.shingles.ShingleSets`), made from
    the tokens in one compiled pass on ``n_jobs`` threads, without the sets: a third of the
    time of making and signing them."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    out = np.full((starts.size, num_perm), EMPTY, dtype=np.uint32)
    key = _oph_key(seed)
    in_chunks(
        starts.size,
        n_jobs,
        lambda a, b: ngram_oph_kernel(ids, starts, ends, hashes, n, key, np.arange(a, b), out),
    )
    return _densify(out)


_MAX_PROBES = 4096


def _densify(sig: U32) -> U32:
    """Fill each empty bin of a non-empty row from the bin its probe sequence first finds full.

    Bin ``j`` probes bins ``bin(fmix32(j * P + t))`` for ``t = 1, 2, ...``, the same sequence in
    every row, so two rows with the same set stay identical and bins empty in both rows tend to
    borrow from the same place (what keeps the Jaccard estimate sharp).
    """
    num_perm = sig.shape[1]
    empty = sig == EMPTY
    rows, cols = np.nonzero(empty & ~empty.all(axis=1, keepdims=True))
    original = sig.copy()
    for probe in range(1, _MAX_PROBES + 1):
        if rows.size == 0:
            return sig
        with np.errstate(over="ignore"):
            mixed = fmix32(cols.astype(np.uint32) * np.uint32(0x9E3779B1) + np.uint32(probe))
        found = original[rows, _bins(mixed, num_perm)]
        hit = found != EMPTY
        sig[rows[hit], cols[hit]] = found[hit]
        rows, cols = rows[~hit], cols[~hit]
    # Astronomically rare (a row with one full bin misses it 4096 times): take the first full bin.
    first_full = np.argmax(~empty[rows], axis=1)
    sig[rows, cols] = original[rows, first_full]
    return sig


def to_datasketch(signature: U32, seed: int) -> MinHash:
    """Wrap one signature row as a ``datasketch.MinHash`` (``scheme="affine32"``).

    The result can be inserted into ``datasketch.MinHashLSH`` or any of its storage backends.
    """
    from datasketch import MinHash

    return MinHash(
        num_perm=len(signature),
        seed=seed,
        hashvalues=np.asarray(signature, dtype=np.uint32),
        scheme="affine32",
    )
