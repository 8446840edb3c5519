"""Quality regressions: the seeds' groupings, and real labelled news when ../shared/data exists.

The floors are the targets of the default configuration (ARI >= 0.85 on both labelled sets);
results are deterministic, so a drop below them is a real regression, not noise.
"""

from __future__ import annotations

from typing import Any

import pytest

import dedupe_news
from conftest import labelled_set
from dedupe_news import EVENT_THRESHOLD, Article, cluster, evaluate


def _partition(labels: dict[str, Any]) -> set[frozenset[str]]:
    groups: dict[Any, set[str]] = {}
    for article_id, label in labels.items():
        groups.setdefault(label, set()).add(article_id)
    return {frozenset(g) for g in groups.values()}


def test_seeds_story_grouping_by_default(
    seed_articles: list[Article], seed_labels: dict[str, Any]
) -> None:
    result = cluster(seed_articles)
    found = {frozenset(story.ids) for story in result.stories}
    assert found == _partition(seed_labels["story"])


def test_seeds_event_grouping_at_event_threshold(
    seed_articles: list[Article], seed_labels: dict[str, Any]
) -> None:
    result = cluster(seed_articles, threshold=EVENT_THRESHOLD)
    found = {frozenset(story.ids) for story in result.stories}
    assert found == _partition(seed_labels["event"])


@pytest.mark.data
@pytest.mark.parametrize("name", ["ecbplus", "newscluster"])
def test_real_news_quality_floor(name: str) -> None:
    records, truth = labelled_set(name)
    result = dedupe_news.cluster(
        [{k: r[k] for k in ("id", "title", "text", "date", "source")} for r in records]
    )
    scores = evaluate(truth, result.labels)
    assert scores.ari >= 0.85, str(scores)
    assert scores.n_articles == len(records)
