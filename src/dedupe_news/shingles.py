"""Feature sets as stable hashes: tokens become ids once, n-grams are combined in numpy.

Hashes must be stable across processes and machines (never Python's salted ``hash()``), so each
distinct token is hashed once with BLAKE2b and n-grams are mixed from those 64-bit values with
array arithmetic.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from ._arrays import flatten
from ._kernels import in_chunks, ngram_hashes_kernel
from .minhash import ngram_oph_signatures

__all__ = [
    "ShingleSets",
    "Vocabulary",
    "fmix64",
    "ngram_hash_sets",
    "ngram_hashes",
    "token_hashes",
]

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


def fmix64(values: U64) -> U64:
    """MurmurHash3's 64-bit finalizer: an avalanching bijection on uint64 (wrapping arithmetic)."""
    h: U64 = values ^ (values >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return np.asarray(h ^ (h >> np.uint64(33)), dtype=np.uint64)


def token_hashes(tokens: Sequence[str]) -> U64:
    """Stable 64-bit hash of each token (BLAKE2b of its UTF-8 bytes)."""
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little")
            for t in tokens
        ),
        dtype=np.uint64,
        count=len(tokens),
    )


class Vocabulary:
    """Maps tokens to dense ids, in first-seen order, and keeps their stable hashes."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self._tokens: list[str] = []

    @classmethod
    def from_tokens(cls, tokens: Sequence[str]) -> Vocabulary:
        """A vocabulary whose ids are the positions of ``tokens`` (which must be distinct)."""
        vocabulary = cls()
        vocabulary.encode_many([tokens])
        if len(vocabulary) != len(tokens):
            raise ValueError("tokens must be distinct")
        return vocabulary

    def encode(self, tokens: Sequence[str]) -> I64:
        """Token ids of one document, adding unseen tokens."""
        return self.encode_many([tokens])[0]

    def encode_many(self, documents: Sequence[Sequence[str]]) -> list[I64]:
        """Token ids of each document, adding unseen tokens in first-seen order.

        Works on the whole batch with C-level dict operations (``dict.fromkeys``, ``map``)
        instead of a Python step per token.
        """
        index = self.index
        flat = list(chain.from_iterable(documents))
        new = [t for t in dict.fromkeys(flat) if t not in index]
        index.update(zip(new, range(len(index), len(index) + len(new)), strict=True))
        self._tokens.extend(new)
        ids = np.fromiter(map(index.__getitem__, flat), dtype=np.int64, count=len(flat))
        if not documents:
            return []
        bounds = np.cumsum([len(d) for d in documents])[:-1]
        return list(np.split(ids, bounds))

    def lookup(self, tokens: Sequence[str]) -> I64:
        """Token ids without adding anything: ``-1`` for unseen tokens."""
        get = self.index.get
        return np.fromiter((get(t, -1) for t in tokens), dtype=np.int64, count=len(tokens))

    @property
    def tokens(self) -> list[str]:
        """Tokens by id (ids are dense and in first-seen order)."""
        return self._tokens

    def hashes(self) -> U64:
        return token_hashes(self.tokens)

    def __len__(self) -> int:
        return len(self.index)


def ngram_hashes(ids: I64, hashes: U64, n: int) -> U32:
    """Sorted distinct 32-bit hashes of the word ``n``-grams of one document.

    A document shorter than ``n`` tokens yields one shingle of all its tokens; an empty one
    yields none. An n-gram's hash chains its tokens' 64-bit hashes (``h * MIX + next``), then
    mixes them (MurmurHash3's finalizer) and keeps the high 32 bits.
    """
    return ngram_hash_sets([ids], hashes, n)[0]


def ngram_hash_sets(documents: Sequence[I64], hashes: U64, n: int, *, n_jobs: int = 1) -> list[U32]:
    """:func:`ngram_hashes` of each document, in one compiled pass (on ``n_jobs`` threads)."""
    ids, offsets = flatten(documents, np.int64)
    return ShingleSets(ids, offsets[:-1], offsets[1:], hashes, n, n_jobs=n_jobs).sets


class ShingleSets(Sequence[U32]):
    """:func:`ngram_hashes` of each document ``ids[starts[d]:ends[d]]`` of one token array
    (ranges that do not overlap, read in place), made when first read.

    The copy channel signs the n-grams straight from the tokens (:meth:`oph_signatures`), so
    only evidence (shingle overlap, explanations) reads the sets themselves, and most runs
    never sort them: the sets and their signatures took a sixth of a 20,000-article run.
    """

    def __init__(
        self,
        ids: npt.NDArray[np.integer[Any]],
        starts: I64,
        ends: I64,
        hashes: U64,
        n: int,
        *,
        n_jobs: int = 1,
    ) -> None:
        self.ids, self.starts, self.ends, self.hashes = ids, starts, ends, hashes
        self.n, self.n_jobs = n, n_jobs

    @functools.cached_property
    def sets(self) -> list[U32]:
        """The sets, in one compiled pass on ``n_jobs`` threads."""
        ids, starts, ends, n = self.ids, self.starts, self.ends, self.n
        hashes = np.asarray(self.hashes, dtype=np.uint64)
        out = np.empty(ids.size, dtype=np.uint32)
        lengths = np.empty(starts.size, dtype=np.int64)
        in_chunks(
            starts.size,
            self.n_jobs,
            lambda a, b: ngram_hashes_kernel(
                ids, starts, ends, hashes, n, np.arange(a, b), out, lengths
            ),
        )
        return [
            out[start : start + size]
            for start, size in zip(starts.tolist(), lengths.tolist(), strict=True)
        ]

    def oph_signatures(self, num_perm: int, seed: int) -> U32:
        """:func:`dedupe_news.minhash.oph_signatures` of the sets, without making them."""
        return ngram_oph_signatures(
            self.ids,
            self.starts,
            self.ends,
            self.hashes,
            self.n,
            num_perm,
            seed,
            n_jobs=self.n_jobs,
        )

    def __len__(self) -> int:
        return int(self.starts.size)

    def __iter__(self) -> Iterator[U32]:
        return iter(self.sets)

    @overload
    def __getitem__(self, k: int) -> U32: ...

    @overload
    def __getitem__(self, k: slice) -> list[U32]: ...

    def __getitem__(self, k: int | slice) -> U32 | list[U32]:
        return self.sets[k]
