"""The index's term rows against a plain dict of arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news._termrows import TermRows

# Calls of rows: (seq gap, terms of each row); seqs increase with gaps, as after removals.
CALLS = st.lists(
    st.lists(st.tuples(st.integers(1, 3), st.lists(st.integers(0, 50), max_size=6)), max_size=5),
    max_size=6,
)


def _append(table: TermRows, seqs: list[int], rows: list[list[int]]) -> None:
    lengths = [len(r) for r in rows]
    terms = np.array([t for r in rows for t in r], dtype=np.int32)
    table.append(
        np.array(seqs, dtype=np.int64),
        np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        terms,
        terms.astype(np.float64) / 10,
    )


@settings(max_examples=200, deadline=None)
@given(
    calls=CALLS,
    probe=st.lists(st.integers(0, 50), max_size=6),
    block=st.integers(1, 8),
    data=st.data(),
)
def test_gathered_rows_are_the_rows_appended(
    calls: list[list[tuple[int, list[int]]]], probe: list[int], block: int, data: st.DataObject
) -> None:
    # Tiny blocks: calls straddle blocks, and rows longer than a block get one of their own.
    table, seq = TermRows(block), -1
    reference: dict[int, list[int]] = {}
    for call in calls:
        seqs = []
        for gap, row in call:
            seq += gap
            seqs.append(seq)
            reference[seq] = row
        _append(table, seqs, [row for _, row in call])
        # A probe's row, taken back: it leaves no trace.
        _append(table, [seq + 1], [probe])
        table.pop(seq + 1)
    stored = sorted(reference)
    wanted = data.draw(st.lists(st.sampled_from(stored), max_size=10)) if stored else []
    indptr, terms, tf = table.gather(np.array(wanted, dtype=np.int64))
    assert np.diff(indptr).tolist() == [len(reference[s]) for s in wanted]
    assert table.lengths(np.array(wanted, dtype=np.int64)).tolist() == np.diff(indptr).tolist()
    assert terms.tolist() == [t for s in wanted for t in reference[s]]
    assert tf.tolist() == [t / 10 for s in wanted for t in reference[s]]


def test_rows_are_appended_in_seq_order_and_only_the_last_is_taken_back() -> None:
    table = TermRows(block=2)
    _append(table, [3, 5], [[1, 2], [4]])
    with pytest.raises(ValueError, match="increasing seq order"):
        _append(table, [5], [[7]])
    with pytest.raises(ValueError, match="increasing seq order"):
        _append(table, [8, 7], [[7], [8]])
    with pytest.raises(ValueError, match="only the last row"):
        table.pop(3)
    table.pop(5)
    _append(table, [5], [[9, 10]])
    indptr, terms, _ = table.gather(np.array([5, 3]))
    assert indptr.tolist() == [0, 2, 4]
    assert terms.tolist() == [9, 10, 1, 2]
