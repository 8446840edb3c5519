"""The index's term rows: each article's term ids and sublinear term frequencies, by seq.

A call builds the TF-IDF rows of tens of thousands of stored articles (candidates, story
samples, their neighbours). Held in two flat arrays with an offset per seq, gathering them is
one compiled copy rather than a Python step per article, and no array object is kept per
article.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

from ._kernels import gather_rows_kernel

__all__ = ["TermRows"]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
A = TypeVar("A", bound=npt.NDArray[Any])


def _grown(array: A, used: int, size: int) -> A:
    """``array`` with room for at least ``size`` entries (capacity doubles), its first ``used``
    kept. The new room is left untouched (zero, never written), so it costs no memory until
    used."""
    if size <= array.size:
        return array
    grown = np.zeros(max(size, 2 * array.size, 1024), dtype=array.dtype)
    grown[:used] = array[:used]
    return cast(A, grown)


class TermRows:
    """Rows appended in seq order; the last one may be taken back (a query's probe)."""

    def __init__(self) -> None:
        self._start: I64 = np.zeros(0, dtype=np.int64)
        self._length: I64 = np.zeros(0, dtype=np.int64)
        self._terms: I32 = np.empty(0, dtype=np.int32)
        self._tf: F64 = np.empty(0, dtype=np.float64)
        self._used = 0  # entries of the flat arrays in use
        self._last = -1  # rows are appended past this seq

    def append(self, seqs: I64, indptr: I64, terms: I32, tf: F64) -> None:
        """Rows of ``seqs`` (ascending, past every seq appended so far) in CSR form."""
        if seqs.size == 0:
            return
        if seqs[0] <= self._last or np.any(np.diff(seqs) <= 0):
            raise ValueError("term rows are appended in increasing seq order")
        end, rows = self._used + terms.size, self._last + 1
        self._terms = _grown(self._terms, self._used, end)
        self._tf = _grown(self._tf, self._used, end)
        self._start = _grown(self._start, rows, int(seqs[-1]) + 1)
        self._length = _grown(self._length, rows, int(seqs[-1]) + 1)
        self._start[seqs] = self._used + indptr[:-1]
        self._length[seqs] = np.diff(indptr)
        self._terms[self._used : end] = terms
        self._tf[self._used : end] = tf
        self._used, self._last = end, int(seqs[-1])

    def pop(self, seq: int) -> None:
        """Take back the row of ``seq``, the last appended."""
        if seq != self._last:
            raise ValueError(f"only the last row ({self._last}) can be taken back, not {seq}")
        self._used = int(self._start[seq])
        self._length[seq] = 0
        self._last = seq - 1

    def lengths(self, seqs: I64) -> I64:
        """Each row's number of terms."""
        return self._length[seqs]

    def gather(self, seqs: I64) -> tuple[I64, I32, F64]:
        """``indptr, terms, tf`` of the rows of ``seqs``, in that order."""
        indptr, terms, tf = gather_rows_kernel(
            self._start, self._length, np.asarray(seqs, dtype=np.int64), self._terms, self._tf
        )
        return indptr, terms, tf
