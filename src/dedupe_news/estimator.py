"""``StoryClusterer``: the pipeline as a scikit-learn clusterer (``fit_predict``, ``labels_``).

Lets story clustering sit in scikit-learn tooling (``clone``, ``get_params`` / ``set_params``,
parameter sweeps). Parameters left as ``None`` take their value from ``config`` (or the
defaults), so the estimator never duplicates the defaults of :class:`Config`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClusterMixin

from .config import Config
from .pipeline import cluster
from .result import Clustering

__all__ = ["StoryClusterer"]


class StoryClusterer(ClusterMixin, BaseEstimator):  # type: ignore[misc]
    """Cluster news articles into stories, scikit-learn style.

    Parameters
    ----------
    threshold, edge_threshold, seed, num_perm, salient_terms, title_weight, max_days
        Override the same fields of ``config``; ``None`` keeps the config's value.
    config : Config, optional
        Base settings; defaults to ``Config()``.

    Attributes
    ----------
    labels_ : numpy.ndarray of int
        Story id of each article of the last ``fit``.
    clustering_ : Clustering
        The full result of the last ``fit`` (stories, edges, stats).

    Examples
    --------
    >>> from dedupe_news import StoryClusterer, read_articles, seeds_path
    >>> StoryClusterer(threshold=0.45).fit_predict(read_articles(seeds_path())).tolist()
    [0, 0, 1, 1, 2]
    """

    def __init__(
        self,
        threshold: float | None = None,
        edge_threshold: float | None = None,
        seed: int | None = None,
        num_perm: int | None = None,
        salient_terms: int | None = None,
        title_weight: float | None = None,
        max_days: float | None = None,
        config: Config | None = None,
    ) -> None:
        self.threshold = threshold
        self.edge_threshold = edge_threshold
        self.seed = seed
        self.num_perm = num_perm
        self.salient_terms = salient_terms
        self.title_weight = title_weight
        self.max_days = max_days
        self.config = config

    def _config(self) -> Config:
        overrides = {
            name: value
            for name, value in self.get_params(deep=False).items()
            if name != "config" and value is not None
        }
        return (self.config or Config()).with_overrides(**overrides)

    def fit(self, X: Any, y: Any = None) -> StoryClusterer:
        """Cluster ``X`` (anything :func:`dedupe_news.cluster` accepts); ``y`` is ignored."""
        result: Clustering = cluster(X, config=self._config())
        self.clustering_ = result
        self.labels_: npt.NDArray[np.int64] = result.labels
        return self
