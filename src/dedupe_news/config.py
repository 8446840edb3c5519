"""Every tunable of the pipeline, in one frozen, validated dataclass.

Defaults were tuned on one labelled real-news set and confirmed on another (see the README's
"Quality" section); they are meant to work without per-dataset tuning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .errors import ConfigError

__all__ = ["Config"]


def _range(low: float, high: float, *, integer: bool = False, optional: bool = False) -> Any:
    return {"low": low, "high": high, "integer": integer, "optional": optional}


@dataclass(frozen=True)
class Config:
    """Settings of :func:`dedupe_news.cluster`; pass overrides as keywords to ``cluster``.

    Parameters
    ----------
    threshold : float, default 0.22
        Two clusters merge while the mean similarity over all pairs of their members (absent
        edges count 0) is at least this. Higher is stricter: ``0.45`` separates the seeds' two
        events of one story.
    edge_threshold : float, default 0.1
        A verified candidate pair becomes an edge when its similarity is at least this; weaker
        pairs count as 0 in the mean.
    num_perm : int, default 128
        MinHash permutations per signature.
    seed : int, default 1
        Seed of the MinHash permutations (datasketch-compatible).
    shingle_size : int, default 3
        Words per shingle in the copy channel.
    copy_threshold : float, default 0.3
        Jaccard threshold the copy channel's LSH bands are tuned for.
    salient_terms : int, default 30
        Number of highest-weighted TF-IDF terms per article in the rewrite channel.
    salient_threshold : float, default 0.1
        Jaccard threshold the rewrite channel's LSH bands are tuned for.
    title_weight : float, default 2.0
        How many times title tokens count relative to body tokens in TF-IDF.
    copy_containment : float, default 0.5
        Shingle containment at or above which a pair counts as a copy whatever its cosine.
    min_tokens : int, default 5
        Articles with fewer tokens (after boilerplate stripping) stay singletons.
    max_days : float or None, default None
        When set, articles whose dates are more than this many days apart never link.
    boilerplate_min_articles : int, default 5
        A short line repeated in at least this many distinct articles of a batch (and at least
        ``boilerplate_min_share`` of them) is boilerplate.
    boilerplate_min_share : float, default 0.02
        See ``boilerplate_min_articles``.
    boilerplate_min_source_articles : int, default 3
        A short line repeated in this many distinct articles of one source is boilerplate.
    boilerplate_max_line_words : int, default 25
        Longer lines are never treated as repeated boilerplate.
    progress : bool, default False
        Show a progress bar for long runs.
    """

    threshold: float = field(default=0.22, metadata=_range(0.0, 1.0))
    edge_threshold: float = field(default=0.1, metadata=_range(0.0, 1.0))
    num_perm: int = field(default=128, metadata=_range(2, 1024, integer=True))
    seed: int = field(default=1, metadata=_range(0, 2**32 - 1, integer=True))
    shingle_size: int = field(default=3, metadata=_range(1, 16, integer=True))
    copy_threshold: float = field(default=0.3, metadata=_range(0.01, 1.0))
    salient_terms: int = field(default=30, metadata=_range(1, 1000, integer=True))
    salient_threshold: float = field(default=0.1, metadata=_range(0.01, 1.0))
    title_weight: float = field(default=2.0, metadata=_range(0.0, 100.0))
    copy_containment: float = field(default=0.5, metadata=_range(0.0, 1.0))
    min_tokens: int = field(default=5, metadata=_range(0, 1_000_000, integer=True))
    max_days: float | None = field(default=None, metadata=_range(0.0, 1e6, optional=True))
    boilerplate_min_articles: int = field(default=5, metadata=_range(2, 10**9, integer=True))
    boilerplate_min_share: float = field(default=0.02, metadata=_range(0.0, 1.0))
    boilerplate_min_source_articles: int = field(default=3, metadata=_range(2, 10**9, integer=True))
    boilerplate_max_line_words: int = field(default=25, metadata=_range(0, 10**6, integer=True))
    progress: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            spec = f.metadata
            if not spec:
                if not isinstance(value, bool):
                    raise ConfigError(f"{f.name} must be True or False, got {value!r}")
                continue
            if value is None and spec["optional"]:
                continue
            kind = "an integer" if spec["integer"] else "a number"
            allowed = f"{kind} in [{spec['low']}, {spec['high']}]"
            if spec["optional"]:
                allowed += " or None"
            wrong_type = isinstance(value, bool) or not isinstance(
                value, int if spec["integer"] else (int, float)
            )
            if (
                wrong_type
                or not (spec["low"] <= value <= spec["high"])
                or (isinstance(value, float) and math.isnan(value))
            ):
                raise ConfigError(f"{f.name} must be {allowed}, got {value!r}")

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with some fields replaced; unknown names raise :class:`ConfigError`."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise ConfigError(
                f"unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}"
            )
        return replace(self, **overrides)
