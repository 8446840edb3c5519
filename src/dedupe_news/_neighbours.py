"""The index's neighbour lists: each article's closest articles, best first, by article seq.

A call reads the lists of thousands of articles (friends of friends, second-order vectors) and
offers its newcomers to as many: as fixed-width arrays, those are array operations rather than
a Python step per entry. The order is total (most similar first, ties to the smaller seq), so
a list does not depend on the order in which its entries were offered.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ._arrays import sorted_unique
from ._rows import ranks

__all__ = ["NeighbourTable"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


class NeighbourTable:
    """Up to ``width`` closest articles per seq, with their similarities."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._seqs: I64 = np.full((0, width), -1, dtype=np.int64)
        self._sims: F64 = np.zeros((0, width), dtype=np.float64)
        self._sizes: I64 = np.zeros(0, dtype=np.int64)

    def reserve(self, n: int) -> None:
        """Room for seqs below ``n`` (capacity doubles, so growing one seq at a time is cheap)."""
        if n <= self._sizes.size:
            return
        extra = max(n, 2 * self._sizes.size, 1024) - self._sizes.size
        self._seqs = np.concatenate((self._seqs, np.full((extra, self.width), -1, np.int64)))
        self._sims = np.concatenate((self._sims, np.zeros((extra, self.width))))
        self._sizes = np.concatenate((self._sizes, np.zeros(extra, np.int64)))

    def get(self, seq: int) -> tuple[I64, F64]:
        """The list of ``seq``: neighbours and similarities, best first."""
        if seq >= self._sizes.size:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
        size = int(self._sizes[seq])
        return self._seqs[seq, :size], self._sims[seq, :size]

    def put(self, seq: int, neighbours: npt.ArrayLike, similarity: npt.ArrayLike) -> None:
        """Set the list of ``seq`` (already in order, at most ``width`` entries)."""
        near, sims = np.asarray(neighbours, np.int64), np.asarray(similarity, np.float64)
        if near.size > self.width or sims.size != near.size:
            raise ValueError(f"a list holds up to {self.width} neighbours with a similarity each")
        self.reserve(seq + 1)
        self._seqs[seq] = -1
        self._sims[seq] = 0.0
        self._seqs[seq, : near.size] = near
        self._sims[seq, : near.size] = sims
        self._sizes[seq] = near.size

    def fill(self, seqs: I64, neighbours: Sequence[I64], similarity: Sequence[F64]) -> None:
        """Set the lists of ``seqs`` (each in order, of at most ``width`` entries) at once."""
        seqs = np.asarray(seqs, dtype=np.int64)
        sizes = np.fromiter(map(len, neighbours), dtype=np.int64, count=len(neighbours))
        if sizes.size and (sizes.max() > self.width or seqs.size != sizes.size):
            raise ValueError(f"a list holds up to {self.width} neighbours with a similarity each")
        self.reserve(int(seqs.max(initial=-1)) + 1)
        self._seqs[seqs] = -1
        self._sims[seqs] = 0.0
        rows, columns = np.repeat(seqs, sizes), ranks(sizes)
        if rows.size:
            self._seqs[rows, columns] = np.concatenate(neighbours)
            self._sims[rows, columns] = np.concatenate(similarity)
        self._sizes[seqs] = sizes

    def entries(self, seqs: I64, most: int | None = None) -> tuple[I64, I64, F64]:
        """The first ``most`` (default all) entries of the lists of ``seqs``, list by list:
        ``(position in seqs, neighbour, similarity)``."""
        seqs = np.asarray(seqs, dtype=np.int64)
        most = self.width if most is None else min(most, self.width)
        sizes = np.zeros(seqs.size, dtype=np.int64)
        held = seqs < self._sizes.size
        sizes[held] = self._sizes[seqs[held]]
        counts = np.minimum(sizes, most)
        owner = np.repeat(np.arange(seqs.size), counts)
        column = ranks(counts)
        return owner, self._seqs[seqs[owner], column], self._sims[seqs[owner], column]

    def offer(self, seqs: I64, neighbours: I64, similarity: F64) -> I64:
        """Offer ``neighbours[i]`` to the list of ``seqs[i]`` (none already in it): each list
        keeps its best ``width``. Returns the seqs whose lists changed, sorted."""
        seqs = np.asarray(seqs, dtype=np.int64)
        self.reserve(int(seqs.max(initial=-1)) + 1)
        # Only an offer better than a full list's last entry gets in: most are dropped here,
        # in bulk.
        full = self._sizes[seqs] == self.width
        floor = np.where(full, self._sims[seqs, self.width - 1], -np.inf)
        last = self._seqs[seqs, self.width - 1]
        wanted = (similarity > floor) | ((similarity == floor) & (neighbours < last))
        seqs, neighbours, similarity = seqs[wanted], neighbours[wanted], similarity[wanted]
        changed = sorted_unique(seqs)
        owner, near, sims = self.entries(changed)
        every_seq = np.concatenate((changed[owner], seqs))
        every_near = np.concatenate((near, neighbours))
        every_sim = np.concatenate((sims, similarity))
        order = np.lexsort((every_near, -every_sim, every_seq))
        every_seq, every_near, every_sim = every_seq[order], every_near[order], every_sim[order]
        counts = np.diff(np.searchsorted(every_seq, changed, side="left"), append=every_seq.size)
        column = ranks(counts)
        kept = column < self.width
        self._seqs[changed] = -1
        self._sims[changed] = 0.0
        self._seqs[every_seq[kept], column[kept]] = every_near[kept]
        self._sims[every_seq[kept], column[kept]] = every_sim[kept]
        self._sizes[changed] = np.minimum(counts, self.width)
        return changed

    def drop(self, seq: int) -> I64:
        """Take ``seq`` out of every list; returns the seqs whose lists held it."""
        holders, columns = np.nonzero(self._seqs == seq)
        for holder, column in zip(holders.tolist(), columns.tolist(), strict=True):
            self._seqs[holder, column:-1] = self._seqs[holder, column + 1 :].copy()
            self._sims[holder, column:-1] = self._sims[holder, column + 1 :].copy()
            self._seqs[holder, -1], self._sims[holder, -1] = -1, 0.0
            self._sizes[holder] -= 1
        return holders
