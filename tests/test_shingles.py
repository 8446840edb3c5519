"""Vocabulary encoding and n-gram hashing against straightforward references."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.shingles import Vocabulary

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
