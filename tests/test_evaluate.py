"""Tests for dedupe_news.evaluate: worked examples, sklearn cross-checks, properties, errors."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics.cluster import pair_confusion_matrix

from dedupe_news import Evaluation, evaluate
from dedupe_news.errors import InputError

FIELDS = [
    "pair_precision",
    "pair_recall",
    "pair_f1",
    "bcubed_precision",
    "bcubed_recall",
    "bcubed_f1",
    "ari",
    "n_articles",
    "n_true_clusters",
    "n_predicted_clusters",
]


def scores(ev: Evaluation) -> list[float]:
    """The seven float scores of an Evaluation."""
    return list(ev.to_dict().values())[:7]


def assert_same(got: Evaluation, want: Evaluation) -> None:
    """Equal up to float rounding (summation order may follow label order)."""
    assert got.to_dict() == pytest.approx(want.to_dict(), abs=1e-12)


def bcubed_reference(true: Sequence[Any], pred: Sequence[Any]) -> tuple[float, float]:
    """B-cubed precision and recall straight from the definition, O(n^2)."""
    n = len(true)
    precision = recall = 0.0
    for i in range(n):
        same_pred = {j for j in range(n) if pred[j] == pred[i]}
        same_true = {j for j in range(n) if true[j] == true[i]}
        both = len(same_pred & same_true)
        precision += both / len(same_pred)
        recall += both / len(same_true)
    return precision / n, recall / n


# --- worked examples ---------------------------------------------------------------------------


def test_worked_example() -> None:
    # true {0,1,2} {3,4}; predicted {0,1} {2,3,4}
    # Pairs together in true: (0,1) (0,2) (1,2) (3,4) = 4
    # Pairs together in pred: (0,1) (2,3) (2,4) (3,4) = 4; in both: (0,1) (3,4) = 2
    # pair P = 2/4, R = 2/4, F1 = 0.5
    # B-cubed per article, |pred ∩ true| / |pred| and / |true|:
    #   0, 1: 2/2 and 2/3;  2: 1/3 and 1/3;  3, 4: 2/3 and 2/2
    #   P = (1 + 1 + 1/3 + 2/3 + 2/3) / 5 = 11/15, R = (2/3 + 2/3 + 1/3 + 1 + 1) / 5 = 11/15
    # ARI: index 2, expected 4 * 4 / C(5,2) = 1.6, max (4 + 4) / 2 = 4
    #   -> (2 - 1.6) / (4 - 1.6) = 1/6
    ev = evaluate([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])
    assert ev.to_dict() == pytest.approx(
        {
            "pair_precision": 0.5,
            "pair_recall": 0.5,
            "pair_f1": 0.5,
            "bcubed_precision": 11 / 15,
            "bcubed_recall": 11 / 15,
            "bcubed_f1": 11 / 15,
            "ari": 1 / 6,
            "n_articles": 5,
            "n_true_clusters": 2,
            "n_predicted_clusters": 2,
        }
    )


def test_all_singletons_predicted_as_one_cluster() -> None:
    # 4 singletons in truth, one predicted cluster: 6 predicted pairs, none true.
    # pair P = 0/6 = 0; no true pairs -> R = 1.0 by convention; F1 = 0.
    # B-cubed: each article's predicted cluster has 4 members, 1 correct -> P = 1/4, R = 1
    #   F1 = 2 * 0.25 * 1 / 1.25 = 0.4
    # ARI: tp = fn = tn = 0, fp = 6 -> 0 / (6 * 6) = 0 (as sklearn).
    ev = evaluate(["a", "b", "c", "d"], [7, 7, 7, 7])
    assert (ev.pair_precision, ev.pair_recall, ev.pair_f1) == (0.0, 1.0, 0.0)
    assert (ev.bcubed_precision, ev.bcubed_recall) == (0.25, 1.0)
    assert ev.bcubed_f1 == pytest.approx(0.4)
    assert ev.ari == 0.0
    assert (ev.n_true_clusters, ev.n_predicted_clusters) == (4, 1)


def test_one_cluster_predicted_as_all_singletons() -> None:
    # The mirror image: no predicted pairs -> P = 1.0 by convention, R = 0/6 = 0.
    ev = evaluate([7, 7, 7, 7], ["a", "b", "c", "d"])
    assert (ev.pair_precision, ev.pair_recall, ev.pair_f1) == (1.0, 0.0, 0.0)
    assert (ev.bcubed_precision, ev.bcubed_recall) == (1.0, 0.25)
    assert ev.bcubed_f1 == pytest.approx(0.4)
    assert ev.ari == 0.0


@pytest.mark.parametrize(
    "labels",
    [[0, 0, 1, 2, 2, 2], [0, 1, 2, 3], [5, 5, 5], [None], ["x", 1, None, "x", 1]],
    ids=["mixed sizes", "all singletons", "one cluster", "one article", "mixed types"],
)
def test_identical_partitions_score_one(labels: list[Any]) -> None:
    ev = evaluate(labels, labels)
    assert scores(ev) == [1.0] * 7
    assert ev.n_true_clusters == ev.n_predicted_clusters == len(set(labels))


def test_empty_input_scores_one_with_no_clusters() -> None:
    ev = evaluate([], [])
    assert scores(ev) == [1.0] * 7
    assert (ev.n_articles, ev.n_true_clusters, ev.n_predicted_clusters) == (0, 0, 0)
    assert adjusted_rand_score([], []) == ev.ari


def test_label_names_and_types_do_not_matter() -> None:
    expected = evaluate([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])
    assert_same(evaluate(["b", "b", "b", "a", "a"], [9, 9, 3, 3, 3]), expected)
    assert_same(evaluate([None, None, None, "x", "x"], [(1, 2), (1, 2), 0.5, 0.5, 0.5]), expected)
    assert_same(evaluate([1, 1, 1, "1", "1"], [None, None, "None", "None", "None"]), expected)


@pytest.mark.parametrize(
    "convert",
    [list, tuple, np.array, lambda x: np.array(x, dtype=object), lambda x: np.array(x).astype(str)],
    ids=["list", "tuple", "int array", "object array", "str array"],
)
def test_container_types_agree(convert: Any) -> None:
    true, pred = [3, 3, 3, 1, 1, 8], [0, 0, 2, 2, 2, 2]
    assert_same(evaluate(convert(true), convert(pred)), evaluate(true, pred))


def test_pandas_series_are_read_by_position() -> None:
    pd = pytest.importorskip("pandas")
    true, pred = [3, 3, 3, 1, 1, 8], [0, 0, 2, 2, 2, 2]
    expected = evaluate(true, pred)
    index = [10, 4, 7, 0, 2, 1]  # a shuffled index must not reorder the articles
    assert_same(evaluate(pd.Series(true, index=index), pd.Series(pred)), expected)
    as_text = pd.Series([str(t) for t in true])
    assert_same(evaluate(as_text, pd.Series(pred, dtype="category")), expected)
    with_missing = pd.Series([None, None, None, 1, 1, 8], dtype="Int64")
    assert_same(evaluate(with_missing, pred), expected)


def test_wide_and_small_integer_dtypes() -> None:
    expected = evaluate([0, 0, 1], [0, 1, 1])
    assert_same(evaluate(np.array([-(2**62), -(2**62), 2**62]), [0, 1, 1]), expected)
    assert_same(evaluate(np.array([-100, -100, 100], dtype=np.int8), [0, 1, 1]), expected)
    assert_same(evaluate(np.array([2**64 - 1, 2**64 - 1, 0], dtype=np.uint64), [0, 1, 1]), expected)
    assert_same(evaluate(np.array([True, True, False]), [0, 1, 1]), expected)
    assert_same(evaluate([2**70, 2**70, 1], [0, 1, 1]), expected)


def test_nan_labels_form_one_cluster() -> None:
    # Distinct NaN objects are unequal, but NaN means the same label in every container.
    nans = [float("nan"), float("nan"), 1.0]
    expected = evaluate([0, 0, 1], [5, 5, 5])
    assert_same(evaluate(nans, [5, 5, 5]), expected)
    assert_same(evaluate(np.array(nans), [5, 5, 5]), expected)
    assert_same(evaluate([np.nan, float("nan"), None], [5, 5, 5]), expected)


# --- the Evaluation object ---------------------------------------------------------------------


def test_evaluation_is_a_frozen_record() -> None:
    ev = evaluate([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])
    assert [f.name for f in dataclasses.fields(Evaluation)] == FIELDS
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.ari = 1.0  # type: ignore[misc]
    as_dict = ev.to_dict()
    assert list(as_dict) == FIELDS
    assert as_dict["pair_precision"] == 0.5
    assert all(type(value) is float for value in list(as_dict.values())[:7])
    assert all(type(value) is int for value in list(as_dict.values())[7:])


def test_str_and_html_summaries() -> None:
    ev = evaluate([0, 0, 0, 1, 1], [0, 0, 1, 1, 1])
    text = str(ev)
    assert "\n" not in text
    for part in ["ARI 0.167", "0.50/0.50/0.50", "F1 0.73", "2 true / 2 predicted", "5 articles"]:
        assert part in text
    page = ev._repr_html_()
    assert page.startswith("<table>") and page.endswith("</table>")
    assert "0.733" in page and "0.167" in page and "5 articles" in page


def test_docstring_example() -> None:
    # importlib: `dedupe_news.evaluate` as an attribute is the function, not the module.
    module = importlib.import_module("dedupe_news.evaluate")
    assert doctest.testmod(module).failed == 0


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("true", "pred", "message_parts"),
    [
        ([0, 1, 2], [0, 1], ["same length", "3 and 2"]),
        ("aab", [0, 0, 1], ["true_labels", "bare str", "list"]),
        ([0, 0, 1], b"aab", ["predicted_labels", "bare bytes"]),
        (None, [0, 1], ["true_labels", "got None", "sequence of hashable labels"]),
        ([0, 1], None, ["predicted_labels", "got None"]),
        (5, [0], ["true_labels", "got int"]),
        ({0, 1}, [0, 1], ["set", "no article order"]),
        ({"a": 0}, [0], ["dict", "no article order"]),
        ((i for i in range(2)), [0, 1], ["generator", "list()"]),
        (np.zeros((2, 2)), [0, 1], ["1-D", "(2, 2)"]),
        ([0, [1, 2], 3], [0, 1, 2], ["true_labels[1]", "unhashable list", "hashable"]),
        ([0, 1], [{"a": 1}, 2], ["predicted_labels[0]", "unhashable dict"]),
        (np.array([0, {}], dtype=object), [0, 1], ["true_labels[1]", "unhashable dict"]),
    ],
)
def test_bad_input_raises_input_error(true: Any, pred: Any, message_parts: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        evaluate(true, pred)
    assert isinstance(caught.value, ValueError)
    for part in message_parts:
        assert part in str(caught.value)


# --- cross-checks and properties ---------------------------------------------------------------

small_labelings = st.integers(min_value=0, max_value=25).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
    )
)


@given(small_labelings)
def test_matches_sklearn_and_bcubed_reference(labelings: tuple[list[int], list[int]]) -> None:
    true, pred = labelings
    ev = evaluate(true, pred)
    assert ev.ari == pytest.approx(adjusted_rand_score(true, pred), abs=1e-12)

    (_, fp), (fn, tp) = pair_confusion_matrix(true, pred).tolist()  # ordered-pair counts
    assert ev.pair_precision == pytest.approx(tp / (tp + fp) if tp + fp else 1.0, abs=1e-12)
    assert ev.pair_recall == pytest.approx(tp / (tp + fn) if tp + fn else 1.0, abs=1e-12)

    if true:
        precision, recall = bcubed_reference(true, pred)
        assert ev.bcubed_precision == pytest.approx(precision, abs=1e-12)
        assert ev.bcubed_recall == pytest.approx(recall, abs=1e-12)

    for p, r, f1 in [
        (ev.pair_precision, ev.pair_recall, ev.pair_f1),
        (ev.bcubed_precision, ev.bcubed_recall, ev.bcubed_f1),
    ]:
        assert f1 == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)
    assert (ev.n_articles, ev.n_true_clusters, ev.n_predicted_clusters) == (
        len(true),
        len(set(true)),
        len(set(pred)),
    )


@given(small_labelings)
def test_swapping_arguments_swaps_precision_and_recall(
    labelings: tuple[list[int], list[int]],
) -> None:
    true, pred = labelings
    ev, swapped = evaluate(true, pred), evaluate(pred, true)
    assert (swapped.pair_precision, swapped.pair_recall) == (ev.pair_recall, ev.pair_precision)
    assert swapped.bcubed_precision == pytest.approx(ev.bcubed_recall)
    assert swapped.bcubed_recall == pytest.approx(ev.bcubed_precision)
    assert swapped.ari == pytest.approx(ev.ari, abs=1e-12)
    assert swapped.n_true_clusters == ev.n_predicted_clusters


any_label = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["a", "b", ""]), st.booleans())


@given(small_labelings, st.lists(any_label, min_size=6, max_size=6, unique=True), st.randoms())
def test_invariant_to_renaming_labels_and_reordering_articles(
    labelings: tuple[list[int], list[int]], names: list[Any], rng: random.Random
) -> None:
    # `unique` compares with ==, so True/1 and False/0 are never both drawn as names.
    true, pred = labelings
    expected = evaluate(true, pred)
    assert_same(evaluate([names[t] for t in true], [names[-1 - p] for p in pred]), expected)

    order = list(range(len(true)))
    rng.shuffle(order)
    assert_same(evaluate([true[i] for i in order], [pred[i] for i in order]), expected)


def test_one_million_articles() -> None:
    rng = np.random.default_rng(2024)
    n = 1_000_000
    true = rng.integers(0, 100_000, size=n)
    # Keep 90% of articles in their true story, scatter the rest at random.
    pred = np.where(rng.random(n) < 0.9, true, rng.integers(0, 500_000, size=n))
    ev = evaluate(true, pred)
    assert ev.n_articles == n
    assert ev.ari == pytest.approx(adjusted_rand_score(true, pred), abs=1e-12)
    assert 0.7 < ev.pair_recall < ev.pair_precision < 1.0
    assert_same(evaluate(true.tolist(), pred.tolist()), ev)
