"""The index's bucket store against a dict of lists."""

from __future__ import annotations

import numpy as np
import pytest

import dedupe_news._buckets as buckets_module
from dedupe_news._buckets import Buckets
from dedupe_news._kernels import merge_into_kernel


def test_tails_match_a_dict_of_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buckets_module, "_MIN_MERGE", 50)  # merge often
    rng = np.random.default_rng(3)
    store = Buckets()
    plain: dict[int, list[int]] = {}
    seq = 0
    for _ in range(60):
        n = int(rng.integers(0, 40))
        keys = rng.integers(0, 30, size=n).astype(np.uint64)
        seqs = np.arange(seq, seq + n, dtype=np.int64)
        seq += n
        store.add(keys, seqs)
        for key, s in zip(keys.tolist(), seqs.tolist(), strict=True):
            plain.setdefault(key, []).append(s)
        asked = rng.integers(0, 35, size=12).astype(np.uint64)
        for most in (1, 3, 8):
            got, sizes = store.tails(asked, most)
            want = [plain.get(k, [])[-most:] for k in asked.tolist()]
            assert sizes.tolist() == [len(w) for w in want]
            assert got.tolist() == [s for w in want for s in w]
    assert len(store) == seq


def test_merging_in_place_is_a_stable_merge() -> None:
    rng = np.random.default_rng(8)
    for used, extra in ((0, 5), (7, 0), (30, 12), (12, 30)):
        base_keys = np.sort(rng.integers(0, 10, size=used)).astype(np.uint64)
        more_keys = np.sort(rng.integers(0, 10, size=extra)).astype(np.uint64)
        keys = np.zeros(used + extra + 3, dtype=np.uint64)  # spare room stays untouched
        values = np.full(keys.size, -1, dtype=np.int64)
        keys[:used], values[:used] = base_keys, np.arange(used)
        merge_into_kernel(keys, used, more_keys, values, np.arange(100, 100 + extra))
        merge_into_kernel(keys, used, more_keys, keys, more_keys)  # the keys last
        # A stable sort of base then more: equal keys keep base entries first.
        order = np.argsort(np.concatenate((base_keys, more_keys)), kind="stable")
        expected = np.concatenate((np.arange(used), np.arange(100, 100 + extra)))[order]
        assert keys[: used + extra].tolist() == sorted(base_keys.tolist() + more_keys.tolist())
        assert values[: used + extra].tolist() == expected.tolist()
        assert values[used + extra :].tolist() == [-1, -1, -1]
