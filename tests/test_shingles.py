"""Vocabulary encoding and n-gram hashing against straightforward references."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.minhash import oph_signatures
from dedupe_news.shingles import (
    ShingleSets,
    Vocabulary,
    fmix64,
    ngram_hash_sets,
    ngram_hashes,
)

DOCS = st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "é", "1", "x y"]), max_size=12))


@settings(max_examples=200, deadline=None)
@given(first=DOCS, second=DOCS)
def test_encode_many_matches_token_by_token_encoding(
    first: list[list[str]], second: list[list[str]]
) -> None:
    reference: dict[str, int] = {}
    expected = [[reference.setdefault(t, len(reference)) for t in doc] for doc in first + second]
    vocabulary = Vocabulary()
    got = vocabulary.encode_many(first) + vocabulary.encode_many(second)  # grows across calls
    assert [ids.tolist() for ids in got] == expected
    assert vocabulary.index == reference
    assert vocabulary.tokens == list(reference)


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(0, 50), max_size=60))
def test_sorted_unique_is_numpy_unique(values: list[int]) -> None:
    import numpy as np

    from dedupe_news._arrays import sorted_unique

    array = np.asarray(values, dtype=np.int64)
    np.testing.assert_array_equal(sorted_unique(array), np.unique(array))


def _reference_ngram_hashes(ids: list[int], hashes: np.ndarray, n: int) -> list[int]:
    """Each n-gram's chained hash (h * MIX + next, mod 2**64) mixed, high 32 bits, distinct."""
    if not ids:
        return []
    width = min(n, len(ids))
    chained = []
    for start in range(len(ids) - width + 1):
        h = 0
        for k, token in enumerate(ids[start : start + width]):
            h = int(hashes[token]) if k == 0 else (h * 0x9E3779B97F4A7C15 + int(hashes[token]))
            h %= 2**64
        chained.append(h)
    mixed = fmix64(np.asarray(chained, dtype=np.uint64)) >> np.uint64(32)
    return sorted(set(mixed.astype(np.uint32).tolist()))


@settings(max_examples=100, deadline=None)
@given(
    documents=st.lists(st.lists(st.integers(0, 9), max_size=12), max_size=6),
    n=st.integers(1, 5),
)
def test_ngram_hash_sets_match_the_reference(documents: list[list[int]], n: int) -> None:
    hashes = fmix64(np.arange(1, 11, dtype=np.uint64))
    arrays = [np.asarray(d, dtype=np.int64) for d in documents]
    got = ngram_hash_sets(arrays, hashes, n)
    assert [g.tolist() for g in got] == [_reference_ngram_hashes(d, hashes, n) for d in documents]
    assert [ngram_hashes(a, hashes, n).tolist() for a in arrays] == [g.tolist() for g in got]


@settings(max_examples=100, deadline=None)
@given(
    documents=st.lists(st.lists(st.integers(0, 9), max_size=12), max_size=6),
    skipped=st.lists(st.integers(0, 4), min_size=7, max_size=7),
    n=st.integers(1, 5),
)
def test_shingle_sets_read_documents_in_place(
    documents: list[list[int]], skipped: list[int], n: int
) -> None:
    # Documents laid out in one int32 array with unused tokens between them, as a batch keeps
    # its nodes (a duplicate article's tokens stay in the array, unread).
    hashes = fmix64(np.arange(1, 11, dtype=np.uint64))
    flat: list[int] = []
    starts, ends = [], []
    for document, gap in zip(documents, skipped, strict=False):
        flat += [9] * gap
        starts.append(len(flat))
        flat += document
        ends.append(len(flat))
    ids = np.asarray(flat, dtype=np.int32)
    got = ShingleSets(
        ids, np.asarray(starts, np.int64), np.asarray(ends, np.int64), hashes, n, n_jobs=2
    )
    assert [g.tolist() for g in got] == [_reference_ngram_hashes(d, hashes, n) for d in documents]


@settings(max_examples=100, deadline=None)
@given(
    documents=st.lists(st.lists(st.integers(0, 9), max_size=40), max_size=8),
    n=st.integers(1, 4),
    num_perm=st.sampled_from([1, 4, 16, 128]),
    seed=st.integers(0, 2**32 - 1),
)
def test_shingle_sets_sign_their_ngrams_without_the_sets(
    documents: list[list[int]], n: int, num_perm: int, seed: int
) -> None:
    hashes = fmix64(np.arange(1, 11, dtype=np.uint64))
    sizes = np.asarray([len(d) for d in documents], dtype=np.int64)
    ends = np.cumsum(sizes)
    ids = np.asarray([t for d in documents for t in d], dtype=np.int32)
    sets = ShingleSets(ids, ends - sizes, ends, hashes, n, n_jobs=2)

    signed = sets.oph_signatures(num_perm, seed)  # before the sets are made

    expected = ShingleSets(ids, ends - sizes, ends, hashes, n).sets
    assert len(sets) == len(documents)
    assert [s.tolist() for s in sets] == [e.tolist() for e in expected]
    np.testing.assert_array_equal(signed, oph_signatures(expected, num_perm, seed))


@settings(max_examples=100, deadline=None)
@given(
    calls=st.lists(st.lists(st.integers(0, 40), max_size=30), max_size=5),
    colliding=st.booleans(),
)
def test_first_seen_ids_match_a_dict_across_calls(calls: list[list[int]], colliding: bool) -> None:
    from dedupe_news._kernels import FirstSeen

    seen, reference = FirstSeen(), {}
    for values in calls:  # the table grows across calls; ids continue
        raw = np.asarray(values, dtype=np.uint64)
        # Equal low bits make every value probe past the others.
        hashes = raw << np.uint64(40) if colliding else fmix64(raw)
        known = seen.find(hashes)  # looks up without adding
        assert known.tolist() == [reference.get(h, -1) for h in hashes.tolist()]
        expected_new = []
        for k, h in enumerate(hashes.tolist()):
            if h not in reference:
                reference[h] = len(reference)
                expected_new.append(k)
        ids, new = seen.ids(hashes)
        assert ids.tolist() == [reference[h] for h in hashes.tolist()]
        assert new.tolist() == expected_new
