"""The index's term rows: each article's term ids and sublinear term frequencies, by seq.

A call builds the TF-IDF rows of tens of thousands of stored articles (candidates, story
samples, their neighbours). Held in flat arrays with an offset per seq, gathering them is one
compiled copy rather than a Python step per article, and no array object is kept per article.

The flat arrays are blocks of a fixed size, never one array that doubles: doubling would copy
every row at once, and one ``add`` in a few would wait for it (about 0.15 s at 100,000
articles on our benchmark machine, growing with the index). A full block is simply followed by
a new one, whose memory is touched row by row as it fills.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._arrays import grown
from ._kernels import copy_rows_kernel

__all__ = ["TermRows"]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

BLOCK = 1 << 22  # entries a block holds (16 MiB of term ids, 32 MiB of frequencies)


class TermRows:
    """Rows appended in seq order; the last one may be taken back (a query's probe)."""

    def __init__(self, block: int = BLOCK) -> None:
        self._block_size = block
        self._term_blocks: list[I32] = []
        self._tf_blocks: list[F64] = []
        self._used = 0  # entries in use in the last block
        self._block: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)  # by seq
        self._start: I64 = np.zeros(0, dtype=np.int64)
        self._length: I64 = np.zeros(0, dtype=np.int64)
        self._last = -1  # rows are appended past this seq

    def _room(self) -> int:
        return int(self._term_blocks[-1].size) - self._used

    def _new_block(self, size: int) -> None:
        self._term_blocks.append(np.empty(size, dtype=np.int32))
        self._tf_blocks.append(np.empty(size, dtype=np.float64))
        self._used = 0

    def append(self, seqs: I64, indptr: I64, terms: I32, tf: F64) -> None:
        """Rows of ``seqs`` (ascending, past every seq appended so far) in CSR form."""
        if seqs.size == 0:
            return
        if seqs[0] <= self._last or np.any(np.diff(seqs) <= 0):
            raise ValueError("term rows are appended in increasing seq order")
        rows = int(seqs[-1]) + 1
        self._block = grown(self._block, self._last + 1, rows)
        self._start = grown(self._start, self._last + 1, rows)
        self._length = grown(self._length, self._last + 1, rows)
        if not self._term_blocks:
            self._new_block(self._block_size)
        first = 0
        while first < seqs.size:  # the rows that fit in the last block, then a new block
            fit = int(np.searchsorted(indptr, indptr[first] + self._room(), side="right")) - 1
            if fit == first:
                self._new_block(max(self._block_size, int(indptr[first + 1] - indptr[first])))
                continue
            a, b = int(indptr[first]), int(indptr[fit])
            here = seqs[first:fit]
            self._block[here] = len(self._term_blocks) - 1
            self._start[here] = self._used + indptr[first:fit] - a
            self._length[here] = np.diff(indptr[first : fit + 1])
            self._term_blocks[-1][self._used : self._used + b - a] = terms[a:b]
            self._tf_blocks[-1][self._used : self._used + b - a] = tf[a:b]
            self._used += b - a
            first = fit
        self._last = int(seqs[-1])

    def pop(self, seq: int) -> None:
        """Take back the row of ``seq``, the last appended."""
        if seq != self._last:
            raise ValueError(f"only the last row ({self._last}) can be taken back, not {seq}")
        if self._length[seq]:  # it is in the last block
            self._used = int(self._start[seq])
        self._length[seq] = 0
        self._last = seq - 1

    def lengths(self, seqs: I64) -> I64:
        """Each row's number of terms."""
        return self._length[seqs]

    def gather(self, seqs: I64) -> tuple[I64, I32, F64]:
        """``indptr, terms, tf`` of the rows of ``seqs``, in that order."""
        seqs = np.asarray(seqs, dtype=np.int64)
        lengths = self._length[seqs]
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        terms = np.empty(int(indptr[-1]), dtype=np.int32)
        tf = np.empty(int(indptr[-1]), dtype=np.float64)
        blocks = np.where(lengths > 0, self._block[seqs], -1)  # empty rows copy nothing
        for block in np.flatnonzero(np.bincount(blocks[blocks >= 0])).tolist():
            rows = np.flatnonzero(blocks == block)
            copy_rows_kernel(
                self._start[seqs[rows]],
                lengths[rows],
                indptr[rows],
                self._term_blocks[block],
                self._tf_blocks[block],
                terms,
                tf,
            )
        return indptr, terms, tf
