"""The index's neighbour table against plain sorted lists."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news._neighbours import NeighbourTable

WIDTH = 3

# Rounds of offers: (list owner, offered neighbour, similarity), similarities on a coarse grid
# so that ties (broken towards the smaller neighbour) are common.
OFFERS = st.lists(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 40), st.integers(0, 4).map(lambda k: k / 4)),
        max_size=25,
    ),
    max_size=4,
)


def _reference(rounds: list[list[tuple[int, int, float]]]) -> dict[int, list[tuple[int, float]]]:
    lists: dict[int, list[tuple[int, float]]] = {}
    for offers in rounds:
        for seq, near, sim in offers:
            entries = lists.setdefault(seq, [])
            if all(near != n for n, _ in entries):
                entries.append((near, sim))
            entries.sort(key=lambda e: (-e[1], e[0]))
            del entries[WIDTH:]
    return lists


@settings(max_examples=200, deadline=None)
@given(rounds=OFFERS)
def test_offers_keep_the_best_entries_of_each_list(
    rounds: list[list[tuple[int, int, float]]],
) -> None:
    table = NeighbourTable(WIDTH)
    offered: set[tuple[int, int]] = set()
    for offers in rounds:
        # The index never offers a neighbour a list has been offered before.
        fresh = {}
        for seq, near, sim in offers:
            if (seq, near) not in offered:
                fresh.setdefault((seq, near), sim)
        offered |= set(fresh)
        before = {seq: table.get(seq)[0].tolist() for seq in range(7)}
        changed = table.offer(
            np.array([k[0] for k in fresh], dtype=np.int64),
            np.array([k[1] for k in fresh], dtype=np.int64),
            np.array(list(fresh.values()), dtype=np.float64),
        )
        after = {seq: table.get(seq)[0].tolist() for seq in range(7)}
        assert set(changed.tolist()) == {s for s in range(7) if before[s] != after[s]}
        assert changed.tolist() == sorted(changed.tolist())
    expected = _reference([[(s, n, sim) for (s, n), sim in _unique(rounds).items()]])
    for seq in range(7):
        near, sims = table.get(seq)
        assert list(zip(near.tolist(), sims.tolist(), strict=True)) == expected.get(seq, [])


def _unique(rounds: list[list[tuple[int, int, float]]]) -> dict[tuple[int, int], float]:
    first: dict[tuple[int, int], float] = {}
    for offers in rounds:
        for seq, near, sim in offers:
            first.setdefault((seq, near), sim)
    return first


def test_entries_put_and_drop() -> None:
    table = NeighbourTable(WIDTH)
    table.put(2, [5, 7, 9], [0.9, 0.5, 0.1])
    table.put(4, [7], [0.3])
    owner, near, sims = table.entries(np.array([4, 2, 3, 5000]), most=2)
    assert owner.tolist() == [0, 1, 1]  # seq 3 has no list, 5000 is past the table
    assert near.tolist() == [7, 5, 7]
    assert sims.tolist() == [0.3, 0.9, 0.5]
    assert sorted(table.drop(7).tolist()) == [2, 4]
    assert table.get(2)[0].tolist() == [5, 9]
    assert table.get(2)[1].tolist() == [0.9, 0.1]
    assert table.get(4)[0].tolist() == []
    with pytest.raises(ValueError, match="up to 3"):
        table.put(1, [1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1])


def test_fill_sets_many_lists_as_put_sets_one() -> None:
    lists = {3: ([4, 1], [0.5, 0.25]), 0: ([], []), 7: ([2, 9, 8], [0.75, 0.5, 0.5])}
    filled, put = NeighbourTable(WIDTH), NeighbourTable(WIDTH)
    put.put(3, [5], [0.9])  # replaced, as put replaces
    filled.put(3, [5], [0.9])
    filled.fill(
        np.array(list(lists)),
        [np.array(n, dtype=np.int64) for n, _ in lists.values()],
        [np.array(s, dtype=np.float64) for _, s in lists.values()],
    )
    for seq, (near, sims) in lists.items():
        put.put(seq, near, sims)
    for seq in range(10):
        assert filled.get(seq)[0].tolist() == put.get(seq)[0].tolist()
        assert filled.get(seq)[1].tolist() == put.get(seq)[1].tolist()
    with pytest.raises(ValueError, match="up to 3"):
        filled.fill(np.array([1]), [np.arange(4)], [np.zeros(4)])
