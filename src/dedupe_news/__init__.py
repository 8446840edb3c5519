"""dedupe_news: group news articles that report the same story.

Copies, reprints and rewrites of one event end up in one :class:`Story`. Start with
:func:`cluster` for a batch (:func:`cluster_file` for files too large to hold with their
texts), or :class:`StoryIndex` for articles that keep arriving; see the README for the data
flow and every setting in :class:`Config`.
"""

from __future__ import annotations

from pathlib import Path

from ._version import __version__
from .articles import Article, read_articles
from .config import EVENT_THRESHOLD, Config
from .errors import ConfigError, DedupeNewsError, InputError
from .estimator import StoryClusterer
from .evaluate import Evaluation, evaluate
from .index import Assignment, Match, StoryIndex, StoryInfo
from .pipeline import cluster, cluster_file
from .result import Clustering, Edge, Stats, Story
from .store import IndexFormatError

__all__ = [
    "EVENT_THRESHOLD",
    "Article",
    "Assignment",
    "Clustering",
    "Config",
    "ConfigError",
    "DedupeNewsError",
    "Edge",
    "Evaluation",
    "IndexFormatError",
    "InputError",
    "Match",
    "Stats",
    "Story",
    "StoryClusterer",
    "StoryIndex",
    "StoryInfo",
    "__version__",
    "cluster",
    "cluster_file",
    "evaluate",
    "read_articles",
    "seeds_path",
]


def seeds_path() -> Path:
    """Folder of the five bundled sample articles (``labels.json`` holds their ground truth)."""
    packaged = Path(__file__).parent / "_seeds"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "seeds"  # source checkout / editable install
