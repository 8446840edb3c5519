"""The index's LSH buckets: which articles entered each bucket, in order, as sorted arrays.

A news index holds about fifty band keys per article and most buckets hold a single article:
a dict of lists would spend some 200 bytes per entry and a Python step per lookup. Here the
entries are two parallel arrays sorted by key (16 bytes an entry), newly added entries wait
in a small sorted side table, and the two are merged once the side table grows past an eighth
of the main one, so adding stays cheap and lookups are one ``searchsorted`` for a whole call.

Both tables keep spare room, and a merge fills it in place, from the back: merges that
allocated fresh arrays (45 MB for the main table at 100,000 articles) made the call that merged
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


class _Table:
    """Entries sorted by key (equal keys in the order added), in arrays with spare room that a
    merge fills in place, from the back."""

    def __init__(self) -> None:
        self._keys: U64 = np.empty(0, dtype=np.uint64)
        self._seqs: I64 = np.empty(0, dtype=np.int64)
        self.size = 0

    @property
    def keys(self) -> U64:
        return self._keys[: self.size]

    @property
    def seqs(self) -> I64:
        return self._seqs[: self.size]

    def merge(self, keys: U64, seqs: I64) -> None:
        """Merge in key-sorted entries, after the entries of equal key already here."""
        size = self.size + keys.size
        self._keys = grown(self._keys, self.size, size)
        self._seqs = grown(self._seqs, self.size, size)
        merge_into_kernel(self._keys, self.size, keys, self._seqs, seqs)
        merge_into_kernel(self._keys, self.size, keys, self._keys, keys)
        self.size = size

    def clear(self) -> None:
        self.size = 0


class Buckets:
    """Article seqs per bucket key, in the order they were added."""

    def __init__(self) -> None:
        self._main = _Table()
        self._side = _Table()  # the latest entries, merged into the main table now and then

    def __len__(self) -> int:
        return self._main.size + self._side.size

    def add(self, keys: U64, seqs: I64) -> None:
        """Enter ``seqs[i]`` in bucket ``keys[i]``, after everything already there."""
        self._side.merge(*_sorted_by_key(keys.astype(np.uint64), seqs.astype(np.int64)))
        if self._side.size > max(_MIN_MERGE, self._main.size // 8):
            self._main.merge(self._side.keys, self._side.seqs)
            self._side.clear()

    def tails(self, keys: U64, most: int) -> tuple[I64, I64]:
        """The last ``most`` seqs of each bucket in ``keys``, oldest first: ``(seqs, sizes)``,
        the seqs of all buckets concatenated in the order of ``keys``."""
        parts = []
        room = np.full(keys.size, most, dtype=np.int64)
        for table in (self._side, self._main):
            table_keys, table_seqs = table.keys, table.seqs
            end = np.searchsorted(table_keys, keys, side="left")
            # Three keys in four are in no bucket yet: only those found need a second search.
            found = np.flatnonzero(end < table_keys.size)
            found = found[table_keys[end[found]] == keys[found]]
            start = end.copy()
            end[found] = np.searchsorted(table_keys, keys[found], side="right")
            take = np.minimum(end - start, room)
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
