"""The index's bucket store against a dict of lists."""

from __future__ import annotations

import numpy as np
import pytest

import dedupe_news._buckets as buckets_module
from dedupe_news._buckets import Buckets


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
