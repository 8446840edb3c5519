"""dedupe_news.plot: each function returns a Figure with the expected artists, and the sweep
numbers equal what ``cluster`` + ``evaluate`` give at the same thresholds."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

import dedupe_news
from dedupe_news import Article, Config, InputError, plot
from dedupe_news.lsh import collision_probability, optimal_bands


@pytest.fixture(scope="module")
def seed_result(seed_articles: list[Article]) -> dedupe_news.Clustering:
    return dedupe_news.cluster(seed_articles)


def test_s_curve_rewrite_follows_the_configured_bands() -> None:
    config = Config(salient_bands=16, salient_rows=2)
    fig = plot.s_curve(config)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    curve, mark = ax.get_lines()
    x, y = curve.get_data()
    np.testing.assert_allclose(y, collision_probability(np.asarray(x), 16, 2))
    assert mark.get_xdata()[0] == pytest.approx((1 / 16) ** (1 / 2))
    assert "16 bands x 2 rows" in ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()


def test_s_curve_copy_uses_the_optimal_bands_and_marks_copy_threshold() -> None:
    config = Config(copy_threshold=0.5, num_perm=64)
    bands, rows = optimal_bands(0.5, 64)
    ax = plot.s_curve(config, channel="copy").axes[0]
    curve, mark = ax.get_lines()
    x, y = curve.get_data()
    np.testing.assert_allclose(y, collision_probability(np.asarray(x), bands, rows))
    assert mark.get_xdata()[0] == pytest.approx(0.5)
    assert f"{bands} bands x {rows} rows" in ax.get_title()


def test_s_curve_rejects_an_unknown_channel() -> None:
    with pytest.raises(ValueError, match="channel must be 'rewrite' or 'copy'"):
        plot.s_curve(channel="shingles")  # type: ignore[arg-type]


def test_functions_draw_on_a_given_axes(seed_result: dedupe_news.Clustering) -> None:
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot.s_curve(ax=left) is fig
    assert plot.score_distribution(seed_result, ax=right) is fig
    assert len(left.get_lines()) == 2
    assert len(right.containers) == 2


def test_score_distribution_splits_kept_and_rejected(
    seed_articles: list[Article],
) -> None:
    # edge_threshold 0.3 rejects some of the seeds' candidate pairs
    result = dedupe_news.cluster(seed_articles, edge_threshold=0.3)
    assert result.evidence is not None
    keep = result.evidence.verified.keep
    assert 0 < keep.sum() < keep.size
    ax = plot.score_distribution(result).axes[0]
    kept, rejected = ax.containers  # stacked histogram: one bar container per group
    assert sum(bar.get_height() for bar in kept) == keep.sum()
    assert sum(bar.get_height() for bar in rejected) == (~keep).sum()
    marks = sorted(line.get_xdata()[0] for line in ax.get_lines())
    assert marks == [0.29, 0.3]  # threshold and edge_threshold
    assert ax.get_xlabel().startswith("candidate pair score")


def test_score_distribution_needs_evidence(seed_result: dedupe_news.Clustering) -> None:
    stored = dataclasses.replace(seed_result, evidence=None)
    with pytest.raises(InputError, match="evidence"):
        plot.score_distribution(stored)


def test_sweep_agrees_with_cluster_and_evaluate(
    seed_articles: list[Article], seed_labels: dict[str, Any]
) -> None:
    reordered = seed_articles[::-1]  # input order must not matter
    truth = [seed_labels["event"][a.id] for a in reordered]
    thresholds = [dedupe_news.EVENT_THRESHOLD, 0.29]
    fig = plot.threshold_sweep(reordered, truth, thresholds)
    points = fig.sweep  # type: ignore[attr-defined]
    assert [p.threshold for p in points] == sorted(thresholds)
    for point in points:
        expected = dedupe_news.cluster(reordered, threshold=point.threshold)
        expected_scores = dedupe_news.evaluate(truth, expected.labels).to_dict()
        assert point.evaluation.to_dict() == pytest.approx(expected_scores, rel=1e-12)
        assert point.stories == len(expected.stories)
    assert [p.stories for p in points] == [2, 3]  # story grouping, then event grouping
    ax = fig.axes[0]
    ari, f1, default = ax.get_lines()
    assert list(ari.get_ydata()) == [p.evaluation.ari for p in points]
    assert list(f1.get_ydata()) == [p.evaluation.pair_f1 for p in points]
    assert default.get_xdata()[0] == Config().threshold
    assert ax.get_xlabel() == "threshold"


def test_sweep_defaults_include_the_configured_threshold(
    seed_articles: list[Article], seed_labels: dict[str, Any]
) -> None:
    truth = [seed_labels["story"][a.id] for a in seed_articles]
    points = plot.sweep_thresholds(seed_articles, truth, config=Config(threshold=0.33))
    thresholds = [p.threshold for p in points]
    assert thresholds == sorted(thresholds)
    assert 0.33 in thresholds
    assert {"threshold", "stories", "ari", "pair_f1"} <= set(points[0].to_dict())


def test_sweep_validates_before_work(seed_articles: list[Article]) -> None:
    with pytest.raises(InputError, match="one label per article"):
        plot.sweep_thresholds(seed_articles, ["a", "b"])
    with pytest.raises(dedupe_news.ConfigError, match="threshold"):
        plot.sweep_thresholds(seed_articles, list("abcde"), [0.3, 1.5])


def test_story_graph_draws_members_and_their_edges(
    seed_result: dedupe_news.Clustering,
) -> None:
    story = seed_result.stories[0]
    fig = plot.story_graph(seed_result, story.id)
    ax = fig.axes[0]  # fig.axes[1] is the colour bar
    (edges,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    inside = [e for e in seed_result.edges if {e.a, e.b} <= set(story.ids)]
    assert len(edges.get_segments()) == len(inside) == 6
    widths = edges.get_linewidths()
    strongest = int(np.argmax([e.score for e in inside]))
    assert widths[strongest] == max(widths)
    labels = [t.get_text() for t in ax.texts]
    assert len(labels) == story.size
    assert all(
        article_id.startswith(label.rstrip("…"))
        for label, article_id in zip(labels, story.ids, strict=True)
    )


def test_story_graph_of_a_singleton_and_a_bad_id(seed_result: dedupe_news.Clustering) -> None:
    ax = plot.story_graph(seed_result, 1).axes[0]
    (edges,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(edges.get_segments()) == 0
    assert [t.get_text() for t in ax.texts] == ["004_7d1b6…"]
    with pytest.raises(InputError, match="story_id"):
        plot.story_graph(seed_result, 2)


def test_missing_matplotlib_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, seed_result: dedupe_news.Clustering
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)  # makes ``import`` raise ImportError
    for call in (plot.s_curve, lambda: plot.story_graph(seed_result, 0)):
        with pytest.raises(ImportError, match=r"pip install 'dedupe-news\[plot\]'"):
            call()
