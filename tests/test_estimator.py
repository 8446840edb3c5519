"""``StoryClusterer``: the pipeline as a scikit-learn clusterer."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from corpus import make_corpus
from dedupe_news import Article, Clustering, Config, ConfigError, StoryClusterer, cluster

PARAMS = {
    "threshold": 0.4,
    "edge_threshold": 0.05,
    "seed": 7,
    "num_perm": 64,
    "salient_terms": 15,
    "title_weight": 2.0,
    "max_days": 10.0,
}


def test_default_params_are_none_and_config_decides() -> None:
    params = StoryClusterer().get_params()
    assert set(PARAMS) | {"config"} <= set(params)
    assert all(value is None for value in params.values())


def test_get_set_params_round_trip() -> None:
    est = StoryClusterer(**PARAMS)
    assert {k: est.get_params()[k] for k in PARAMS} == PARAMS
    est.set_params(threshold=0.6, config=Config(seed=2))
    assert est.get_params()["threshold"] == 0.6
    assert est.get_params()["config"] == Config(seed=2)


def test_clone_keeps_params_and_drops_fit_state(seed_articles: list[Article]) -> None:
    est = StoryClusterer(**PARAMS, config=Config(neighbours=2)).fit(seed_articles)
    copy = clone(est)
    assert copy is not est
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "labels_")
    assert not hasattr(copy, "clustering_")


def test_fit_sets_labels_and_clustering(seed_articles: list[Article]) -> None:
    est = StoryClusterer(threshold=0.3)
    assert est.fit(seed_articles) is est
    assert isinstance(est.clustering_, Clustering)
    assert isinstance(est.labels_, np.ndarray)
    assert len(est.labels_) == 5
    np.testing.assert_array_equal(est.labels_, est.clustering_.labels)
    assert est.clustering_.config.threshold == 0.3


def test_fit_ignores_y(seed_articles: list[Article]) -> None:
    a = StoryClusterer().fit(seed_articles, y=[0, 0, 0, 0, 1]).labels_
    b = StoryClusterer().fit(seed_articles).labels_
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("params", [{}, {"threshold": 0.45}, PARAMS])
def test_fit_predict_equals_cluster(params: dict[str, float]) -> None:
    articles, _ = make_corpus(3, 3, 2, seed=4)
    got = StoryClusterer(**params).fit_predict(articles)
    want = cluster(articles, **params).labels
    np.testing.assert_array_equal(got, want)


def test_params_override_config() -> None:
    articles, _ = make_corpus(2, 3, 1, seed=9)
    base = Config(threshold=0.9, seed=5)
    est = StoryClusterer(threshold=0.35, config=base).fit(articles)
    assert est.clustering_.config.threshold == 0.35
    assert est.clustering_.config.seed == 5
    np.testing.assert_array_equal(
        est.labels_, cluster(articles, config=base, threshold=0.35).labels
    )


def test_none_keeps_config_value() -> None:
    articles, _ = make_corpus(2, 3, 1, seed=9)
    est = StoryClusterer(config=Config(threshold=0.45)).fit(articles)
    assert est.clustering_.config.threshold == 0.45


def test_bad_param_raises_config_error_at_fit(seed_articles: list[Article]) -> None:
    est = StoryClusterer(threshold=3.0)  # sklearn convention: no validation in __init__
    with pytest.raises(ConfigError, match="threshold"):
        est.fit(seed_articles)
