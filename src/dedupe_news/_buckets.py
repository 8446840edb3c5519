"""The index's LSH buckets: which articles entered each bucket, in order, as sorted arrays.

A news index holds about fifty band keys per article and most buckets hold a single article:
a dict of lists would spend some 200 bytes per entry and a Python step per lookup. Here the
entries are two parallel arrays sorted by key (16 bytes an entry), newly added entries wait
in a small sorted side table, and the two are merged once the side table grows past an eighth
of the main one, so adding stays cheap and lookups are one ``searchsorted`` for a whole call.

The main arrays keep spare room and the side table is merged into them in place, from the
back: a merge allocating fresh arrays of 45 MB (100,000 articles) made the call that merged
take from 0.1 to 2 s longer on our benchmark machine, whose page faults are slow.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._arrays import grown
from ._kernels import merge_into_kernel
from ._rows import ranks

__all__ = ["Buckets"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

_MIN_MERGE = 100_000  # side-table entries before a merge is worth its sort


def _sorted_by_key(keys: U64, seqs: I64) -> tuple[U64, I64]:
    """Entries sorted by key; equal keys keep their order (insertion order)."""
    order = np.argsort(keys, kind="stable")
    return keys[order], seqs[order]


def _merged(keys: U64, seqs: I64, more_keys: U64, more_seqs: I64) -> tuple[U64, I64]:
    """Two key-sorted tables as one; ``more`` goes after entries of equal key."""
    if keys.size == 0:
        return more_keys, more_seqs
    at = np.searchsorted(keys, more_keys, side="right")
    return np.insert(keys, at, more_keys), np.insert(seqs, at, more_seqs)


class Buckets:
    """Article seqs per bucket key, in the order they were added."""

    def __init__(self) -> None:
        self._all_keys: U64 = np.empty(0, dtype=np.uint64)  # the main table, with spare room
        self._all_seqs: I64 = np.empty(0, dtype=np.int64)
        self._used = 0
        self._new_keys: U64 = np.empty(0, dtype=np.uint64)
        self._new_seqs: I64 = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return self._used + self._new_keys.size

    def add(self, keys: U64, seqs: I64) -> None:
        """Enter ``seqs[i]`` in bucket ``keys[i]``, after everything already there."""
        keys, seqs = _sorted_by_key(keys.astype(np.uint64), seqs.astype(np.int64))
        self._new_keys, self._new_seqs = _merged(self._new_keys, self._new_seqs, keys, seqs)
        if self._new_keys.size > max(_MIN_MERGE, self._used // 8):
            size = self._used + self._new_keys.size
            self._all_keys = grown(self._all_keys, self._used, size)
            self._all_seqs = grown(self._all_seqs, self._used, size)
            merge_into_kernel(
                self._all_keys, self._all_seqs, self._used, self._new_keys, self._new_seqs
            )
            self._used = size
            self._new_keys = self._new_keys[:0]
            self._new_seqs = self._new_seqs[:0]

    def tails(self, keys: U64, most: int) -> tuple[I64, I64]:
        """The last ``most`` seqs of each bucket in ``keys``, oldest first: ``(seqs, sizes)``,
        the seqs of all buckets concatenated in the order of ``keys``."""
        parts = []
        room = np.full(keys.size, most, dtype=np.int64)
        main = (self._all_keys[: self._used], self._all_seqs[: self._used])
        for table_keys, table_seqs in ((self._new_keys, self._new_seqs), main):
            end = np.searchsorted(table_keys, keys, side="right")
            take = np.minimum(end - np.searchsorted(table_keys, keys, side="left"), room)
            room -= take
            parts.append((table_seqs, end, take))
        (new_seqs, new_end, new_take), (old_seqs, old_end, old_take) = parts
        sizes = old_take + new_take
        out = np.empty(int(sizes.sum()), dtype=np.int64)
        offsets = np.cumsum(sizes) - sizes
        # Older entries (main table) first, then the side table's, each in added order.
        out[np.repeat(offsets, old_take) + ranks(old_take)] = old_seqs[
            np.repeat(old_end - old_take, old_take) + ranks(old_take)
        ]
        out[np.repeat(offsets + old_take, new_take) + ranks(new_take)] = new_seqs[
            np.repeat(new_end - new_take, new_take) + ranks(new_take)
        ]
        return out, sizes
