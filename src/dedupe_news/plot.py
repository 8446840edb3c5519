"""Plots for notebooks: the LSH S-curve, candidate scores, a threshold sweep and a story's graph.

Needs matplotlib (``pip install 'dedupe-news[plot]'``), imported only when a function is called,
so ``import dedupe_news`` stays light. Every function draws on the ``ax`` it is given (or on a new
figure) and returns the :class:`matplotlib.figure.Figure`. Figures are built with the
object-oriented API, never through ``pyplot``: nothing is registered with a GUI, nothing is shown,
and a notebook displays the returned figure once.

Examples
--------
>>> import dedupe_news
>>> from dedupe_news import plot
>>> fig = plot.s_curve(channel="copy")
>>> fig.axes[0].get_xlabel()
'Jaccard similarity of the two sets'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .articles import coerce_articles
from .config import Config
from .errors import InputError
from .evaluate import Evaluation, evaluate
from .lsh import collision_probability
from .pipeline import build_features, find_candidates, link, prepare, verify
from .result import Clustering

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "SweepPoint",
    "s_curve",
    "score_distribution",
    "story_graph",
    "sweep_thresholds",
    "threshold_sweep",
]

_INSTALL_HINT = "dedupe_news.plot needs matplotlib: pip install 'dedupe-news[plot]'"
_KEPT, _REJECTED, _MARK = "tab:blue", "tab:gray", "tab:red"


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float] = (6.4, 4.0)) -> Figure:
    """The figure of ``ax``, or a new one with one axes (raising the install hint if needed)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        fig.add_subplot()
        return fig
    parent = ax.figure
    return parent if isinstance(parent, Figure) else parent.figure


def _target(fig: Figure, ax: Axes | None) -> Axes:
    return ax if ax is not None else fig.axes[0]


def s_curve(
    config: Config | None = None,
    *,
    channel: Literal["rewrite", "copy"] = "rewrite",
    ax: Axes | None = None,
) -> Figure:
    """Probability that a pair becomes a candidate, against the Jaccard similarity of its sets.

    Shows why a channel finds what it finds: the copy channel (word shingles) is tuned to
    ``copy_threshold``; the rewrite channel (salient terms, one row per band) proposes any pair
    that shares a few salient terms. The dashed line marks the copy channel's
    ``copy_threshold``, or for the rewrite channel the curve's steepest region
    ``(1 / bands) ** (1 / rows)``.

    Parameters
    ----------
    config : Config, optional
        Settings whose bands and rows are drawn; defaults to ``Config()``.
    channel : {"rewrite", "copy"}, default "rewrite"
        Which LSH channel.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    cfg = config or Config()
    bands, rows = cfg.lsh_bands(channel)
    fig = _figure_and_axes(ax)
    axes = _target(fig, ax)
    similarity = np.linspace(0.0, 1.0, 201)
    axes.plot(similarity, collision_probability(similarity, bands, rows), color=_KEPT)
    if channel == "copy":
        mark, name = cfg.copy_threshold, f"copy_threshold = {cfg.copy_threshold:g}"
    else:
        mark = (1.0 / bands) ** (1.0 / rows)
        name = f"(1/bands)^(1/rows) = {mark:.2f}"
    axes.axvline(mark, color=_MARK, linestyle="--", label=name)
    axes.set_xlim(0.0, 1.0)
    axes.set_ylim(0.0, 1.02)
    axes.set_xlabel("Jaccard similarity of the two sets")
    axes.set_ylabel("probability of becoming a candidate")
    sets = "word shingles" if channel == "copy" else "salient terms"
    axes.set_title(f"{channel} channel ({sets}): {bands} bands x {rows} rows")
    axes.legend(loc="lower right")
    return fig


def score_distribution(clustering: Clustering, ax: Axes | None = None) -> Figure:
    """Histogram of the candidate pairs' scores: those kept as edges and those rejected.

    Shows how far the two thresholds sit from the bulk of the scores: pairs below
    ``edge_threshold`` never link, and clusters merge while their mean similarity reaches
    ``threshold``.

    Parameters
    ----------
    clustering : Clustering
        A result of :func:`dedupe_news.cluster` (it carries the candidates' scores).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        When the result has no evidence (it was built from stored data).
    """
    evidence = clustering.evidence
    if evidence is None:
        raise InputError(
            "score_distribution needs a result of dedupe_news.cluster() that keeps its evidence; "
            "this one carries none (built from stored data, or with keep_evidence=False)"
        )
    fig = _figure_and_axes(ax)
    from matplotlib.ticker import MaxNLocator

    axes = _target(fig, ax)
    score, keep = evidence.verified.score, evidence.verified.keep
    axes.hist(
        [score[keep], score[~keep]],
        bins=40,
        range=(0.0, 1.0),
        stacked=True,
        color=[_KEPT, _REJECTED],
        label=[f"edges ({int(keep.sum())})", f"rejected ({int((~keep).sum())})"],
    )
    cfg = clustering.config
    axes.axvline(cfg.edge_threshold, color=_MARK, linestyle=":", label="edge_threshold")
    axes.axvline(cfg.threshold, color=_MARK, linestyle="--", label="threshold")
    axes.set_xlim(0.0, 1.0)
    axes.set_xlabel("candidate pair score (second-order cosine)")
    axes.set_ylabel("candidate pairs")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(f"{len(score)} candidate pairs")
    axes.legend()
    return fig


@dataclass(frozen=True)
class SweepPoint:
    """Quality of the clustering at one ``threshold`` (see :func:`sweep_thresholds`)."""

    threshold: float
    stories: int
    evaluation: Evaluation

    def to_dict(self) -> dict[str, float | int]:
        """Flat dict (threshold, stories and every score), e.g. for ``pandas.DataFrame``."""
        return {"threshold": self.threshold, "stories": self.stories, **self.evaluation.to_dict()}


_DEFAULT_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 17))  # 0.05 .. 0.80


def sweep_thresholds(
    articles: object,
    true_labels: Iterable[Any],
    thresholds: Sequence[float] | None = None,
    *,
    config: Config | None = None,
) -> list[SweepPoint]:
    """Evaluate :func:`dedupe_news.cluster` at several thresholds against the true stories.

    Gives the groupings of ``cluster(articles, threshold=t)`` for each ``t`` (scores equal up
    to float rounding), but only the final linkage depends on the threshold, so features,
    candidates and scores are computed once. Needs no matplotlib.

    Parameters
    ----------
    articles : sequence of str, dict or Article, or pandas.DataFrame
        As for :func:`dedupe_news.cluster`.
    true_labels : sequence of hashable
        The true story of each article, in input order.
    thresholds : sequence of float, optional
        Defaults to 0.05, 0.10, ..., 0.80 plus the configured ``threshold``.
    config : Config, optional
        Every other setting; defaults to ``Config()``.

    Returns
    -------
    list of SweepPoint
        One per threshold, ascending.

    Raises
    ------
    InputError
        When ``true_labels`` does not hold one label per article.
    ConfigError
        For a threshold outside [0, 1].
    """
    cfg = config or Config()
    items = coerce_articles(articles)
    truth = list(true_labels) if isinstance(true_labels, Iterator) else true_labels
    if isinstance(truth, Sized) and len(truth) != len(items):
        raise InputError(
            f"true_labels must hold one label per article: got {len(truth)} labels for "
            f"{len(items)} articles"
        )
    grid = sorted(set(_DEFAULT_THRESHOLDS) | {cfg.threshold}) if thresholds is None else thresholds
    if len(grid) == 0:
        raise InputError("thresholds must hold at least one threshold, got none")
    configs = [cfg.with_overrides(threshold=float(t)) for t in sorted(grid)]  # validate first
    prep = prepare(items, cfg)
    features = build_features(prep, cfg)
    verified = verify(prep, features, find_candidates(prep, features, cfg), cfg)
    points = []
    for c in configs:
        labels = np.empty(len(items), dtype=np.int64)
        labels[prep.input_position] = link(prep, verified, c)[prep.node_of]
        stories = int(np.unique(labels).size)
        points.append(SweepPoint(c.threshold, stories, evaluate(truth, labels)))
    return points


def threshold_sweep(
    articles: object,
    true_labels: Iterable[Any],
    thresholds: Sequence[float] | None = None,
    *,
    config: Config | None = None,
    ax: Axes | None = None,
) -> Figure:
    """ARI and pairwise F1 against the merge ``threshold``, with the configured one marked.

    Shows how sensitive a labelled set is to the one setting most users tune. The numbers
    (:func:`sweep_thresholds`) are kept on the figure as ``fig.sweep``, a list of
    :class:`SweepPoint`.

    Parameters
    ----------
    articles, true_labels, thresholds, config
        As for :func:`sweep_thresholds`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        With a ``sweep`` attribute holding the points.
    """
    fig = _figure_and_axes(ax)  # fail on a missing matplotlib before the work
    points = sweep_thresholds(articles, true_labels, thresholds, config=config)
    axes = _target(fig, ax)
    x = [p.threshold for p in points]
    axes.plot(x, [p.evaluation.ari for p in points], marker="o", label="ARI")
    axes.plot(x, [p.evaluation.pair_f1 for p in points], marker="s", label="pair F1")
    default = (config or Config()).threshold
    axes.axvline(default, color=_MARK, linestyle="--", label=f"threshold = {default:g}")
    axes.set_ylim(0.0, 1.02)
    axes.set_xlabel("threshold")
    axes.set_ylabel("score against the true stories")
    axes.set_title(f"threshold sweep ({points[0].evaluation.n_articles} articles)")
    axes.legend()
    setattr(fig, "sweep", points)  # noqa: B010 - Figure declares no such attribute
    return fig


def _short_id(article_id: str, width: int = 10) -> str:
    return article_id if len(article_id) <= width else article_id[: width - 1] + "…"


def story_graph(clustering: Clustering, story_id: int, ax: Axes | None = None) -> Figure:
    """The similarity graph of one story: its members on a circle, its edges by score.

    Shows whether a story holds together through many edges or hangs on a few. Edges come
    from ``clustering.edges``; identical texts share one node in the pipeline, so a copy of
    another member has no edge of its own.

    Parameters
    ----------
    clustering : Clustering
        A result of :func:`dedupe_news.cluster`.
    story_id : int
        The story's ``id`` (its index in ``clustering.stories``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        For an unknown ``story_id``.
    """
    if not 0 <= story_id < len(clustering.stories):
        raise InputError(
            f"story_id must be in [0, {len(clustering.stories) - 1}], got {story_id!r}"
        )
    story = clustering.stories[story_id]
    fig = _figure_and_axes(ax, figsize=(5.5, 5.0))
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    axes = _target(fig, ax)
    ids = story.ids
    angle = np.pi / 2 - 2 * np.pi * np.arange(len(ids)) / len(ids)
    xy = np.stack([np.cos(angle), np.sin(angle)], axis=1) if len(ids) > 1 else np.zeros((1, 2))
    where = {article_id: k for k, article_id in enumerate(ids)}
    inside = [e for e in clustering.edges if e.a in where and e.b in where]
    cmap, norm = colormaps["viridis"], Normalize(0.0, 1.0)
    scores = np.array([e.score for e in inside], dtype=np.float64)
    axes.add_collection(
        LineCollection(
            [(xy[where[e.a]], xy[where[e.b]]) for e in inside],
            colors=cmap(norm(scores)),
            linewidths=0.5 + 5.0 * scores,
            zorder=1,
        )
    )
    representative = [a == story.representative.id for a in ids]
    axes.scatter(
        xy[:, 0],
        xy[:, 1],
        s=[220 if r else 120 for r in representative],
        c=[_MARK if r else "white" for r in representative],
        edgecolors="black",
        zorder=2,
    )
    for (x, y), article_id in zip(xy.tolist(), ids, strict=True):
        axes.annotate(  # outside the circle, so labels never sit on edges
            _short_id(article_id),
            (x, y),
            xytext=(12 * x, 12 * y if len(ids) > 1 else 12),
            textcoords="offset points",
            ha="left" if x > 0.05 else "right" if x < -0.05 else "center",
            va="bottom" if y > 0.3 or len(ids) == 1 else "top" if y < -0.3 else "center",
        )
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes, label="edge score", shrink=0.7)
    axes.set_xlim(-1.4, 1.4)
    axes.set_ylim(-1.4, 1.4)
    axes.set_aspect("equal")
    axes.set_axis_off()
    axes.set_title(
        f"story {story.id}: {story.size} article{'s' if story.size != 1 else ''}, "
        f"{len(inside)} edge{'s' if len(inside) != 1 else ''} (representative in red)"
    )
    return fig
