"""MinHash signatures: bit-identical to datasketch's ``affine32`` scheme, and interoperable."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.minhash import EMPTY, oph_signatures, permutations, signatures, to_datasketch

UINT32 = st.integers(min_value=0, max_value=2**32 - 1)
HASH_SETS = st.lists(st.lists(UINT32, max_size=40), min_size=1, max_size=6)
NUM_PERM = st.sampled_from([1, 2, 16, 64, 128, 129])
SEED = st.one_of(st.sampled_from([0, 1, 42]), st.integers(min_value=0, max_value=2**32 - 1))


def datasketch_signature(values: list[int], num_perm: int, seed: int) -> np.ndarray:
    """datasketch's signature of the same 32-bit hashes (identity hash function)."""
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=lambda x: x)
    m.update_batch(values)
    return np.asarray(m.hashvalues)


@settings(max_examples=50, deadline=None)
@given(sets=HASH_SETS, num_perm=NUM_PERM, seed=SEED)
def test_signatures_bit_identical_to_datasketch(
    sets: list[list[int]], num_perm: int, seed: int
) -> None:
    arrays = [np.asarray(s, dtype=np.uint32) for s in sets]
    got = signatures(arrays, num_perm, seed)
    assert got.dtype == np.uint32
    assert got.shape == (len(sets), num_perm)
    for row, values in zip(got, sets, strict=True):
        want = datasketch_signature(values, num_perm, seed)
        assert want.dtype == np.uint32
        np.testing.assert_array_equal(row, want)


@settings(max_examples=25, deadline=None)
@given(values=st.lists(UINT32, min_size=1, max_size=30), seed=SEED)
def test_duplicates_do_not_change_the_signature(values: list[int], seed: int) -> None:
    once = np.asarray(sorted(set(values)), dtype=np.uint32)
    twice = np.asarray(values + values[::-1], dtype=np.uint32)
    sig = signatures([once, twice], 32, seed)
    np.testing.assert_array_equal(sig[0], sig[1])


def test_empty_set_gets_datasketch_sentinel() -> None:
    sig = signatures([np.empty(0, dtype=np.uint32)], 16, 1)
    assert (sig == EMPTY).all()
    fresh = MinHash(num_perm=16, seed=1, scheme="affine32")
    np.testing.assert_array_equal(sig[0], fresh.hashvalues)


def test_no_documents_gives_empty_matrix() -> None:
    sig = signatures([], 8, 1)
    assert sig.shape == (0, 8)
    assert sig.dtype == np.uint32


def test_permutations_match_datasketch() -> None:
    a, b = permutations(64, 7)
    m = MinHash(num_perm=64, seed=7, scheme="affine32")
    want_a, want_b = m.permutations
    np.testing.assert_array_equal(a, np.asarray(want_a))
    np.testing.assert_array_equal(b, np.asarray(want_b))


def test_large_batch_spanning_several_blocks_matches_datasketch() -> None:
    """Blocks of hashes are processed separately; document boundaries must not leak."""
    rng = np.random.default_rng(0)
    sizes = [0, 150_000, 3, 0, 200_000, 1, 50_000]
    arrays = [rng.integers(0, 2**32, size=n, dtype=np.uint32) for n in sizes]
    got = signatures(arrays, 8, 3)
    for row, values in zip(got, arrays, strict=True):
        np.testing.assert_array_equal(row, datasketch_signature(values.tolist(), 8, 3))


def test_similar_sets_have_similar_signatures() -> None:
    base = np.arange(1000, dtype=np.uint32)
    near = np.concatenate((base[:900], np.arange(5000, 5100, dtype=np.uint32)))
    far = np.arange(10_000, 11_000, dtype=np.uint32)
    sig = signatures([base, near, far], 256, 1)
    # Jaccard(base, near) = 900 / 1100 ~ 0.82; (base, far) = 0.
    assert np.mean(sig[0] == sig[1]) == pytest.approx(900 / 1100, abs=0.1)
    assert np.mean(sig[0] == sig[2]) < 0.05


def test_to_datasketch_round_trip_in_minhash_lsh() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**32, size=400, dtype=np.uint32)
    sets = [
        base,
        np.concatenate((base[:380], rng.integers(0, 2**32, size=20, dtype=np.uint32))),
        rng.integers(0, 2**32, size=400, dtype=np.uint32),
    ]
    num_perm, seed = 128, 5
    sig = signatures(sets, num_perm, seed)

    wrapped = [to_datasketch(row, seed) for row in sig]
    for w, row in zip(wrapped, sig, strict=True):
        assert isinstance(w, MinHash)
        assert len(w) == num_perm
        assert w.seed == seed
        np.testing.assert_array_equal(w.hashvalues, row)

    lsh = MinHashLSH(threshold=0.7, num_perm=num_perm)
    for key, w in zip(["a", "b", "c"], wrapped, strict=True):
        lsh.insert(key, w)

    # A MinHash computed by datasketch itself from the same hashes finds our entries.
    native = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=lambda x: x)
    native.update_batch(sets[0].tolist())
    assert sorted(lsh.query(native)) == ["a", "b"]
    assert sorted(lsh.query(wrapped[0])) == ["a", "b"]
    assert lsh.query(wrapped[2]) == ["c"]
    assert wrapped[0].jaccard(native) == 1.0
    assert wrapped[0].jaccard(wrapped[1]) == pytest.approx(380 / 420, abs=0.1)


# ----------------------------------------------------------------- one-permutation hashing


def _oph_reference(values: list[int], num_perm: int, seed: int) -> np.ndarray:
    """One document, bin by bin, with the probe sequence spelled out (no vectorization)."""
    from dedupe_news.minhash import _bins, fmix32

    key = np.uint32(np.random.RandomState(seed).randint(0, 1 << 32, dtype=np.uint64))
    sig = np.full(num_perm, EMPTY, dtype=np.uint32)
    for v in values:
        h = fmix32(np.array([v], dtype=np.uint32) ^ key)
        b = int(_bins(h, num_perm)[0])
        sig[b] = min(sig[b], h[0])
    if not values:
        return sig
    full = sig.copy()
    for j in np.flatnonzero(full == EMPTY):
        for probe in range(1, 10**6):
            with np.errstate(over="ignore"):
                mixed = fmix32(
                    np.array([j * 0x9E3779B1 + probe], dtype=np.uint64).astype(np.uint32)
                )
            source = int(_bins(mixed, num_perm)[0])
            if full[source] != EMPTY:
                sig[j] = full[source]
                break
    return sig


@settings(max_examples=25, deadline=None)
@given(sets=HASH_SETS, num_perm=st.sampled_from([1, 2, 16, 64]), seed=SEED)
def test_oph_matches_the_per_document_reference(
    sets: list[list[int]], num_perm: int, seed: int
) -> None:
    got = oph_signatures([np.asarray(s, dtype=np.uint32) for s in sets], num_perm, seed)
    for row, values in zip(got, sets, strict=True):
        np.testing.assert_array_equal(row, _oph_reference(values, num_perm, seed))


def test_oph_estimates_jaccard_like_minhash() -> None:
    rng = np.random.default_rng(7)
    errors = []
    for size in (5, 30, 400):
        for _ in range(100):
            a = rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32)
            shared = int(rng.integers(0, size + 1))
            fresh = rng.integers(0, 2**32, size - shared, dtype=np.uint64).astype(np.uint32)
            b = np.concatenate((a[:shared], fresh))
            sig = oph_signatures([a, b], 128, 1)
            errors.append(np.mean(sig[0] == sig[1]) - shared / (2 * size - shared))
    assert abs(np.mean(errors)) < 0.01  # unbiased
    assert np.std(errors) < 0.05  # MinHash with 128 permutations: about 0.035


def test_oph_of_a_document_does_not_depend_on_the_batch() -> None:
    rng = np.random.default_rng(3)
    sets = [rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32) for n in (0, 3, 50, 700)]
    together = oph_signatures(sets, 64, 5)
    for k, values in enumerate(sets):
        np.testing.assert_array_equal(together[k], oph_signatures([values], 64, 5)[0])
    assert (together[0] == EMPTY).all() and not (together[1:] == EMPTY).any()
