"""Every tunable of the pipeline, in one frozen, validated dataclass.

Defaults were tuned on one labelled real-news set and confirmed on another (see the README's
"Quality" section); they are meant to work without per-dataset tuning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from .errors import ConfigError
from .lsh import optimal_bands

__all__ = ["EVENT_THRESHOLD", "Config"]


def _choice(*choices: str) -> Any:
    return {"choices": choices}


def _range(low: float, high: float, *, integer: bool = False, optional: bool = False) -> Any:
    return {"low": low, "high": high, "integer": integer, "optional": optional}


@dataclass(frozen=True)
class Config:
    """Settings of :func:`dedupe_news.cluster`; pass overrides as keywords to ``cluster``.

    Parameters
    ----------
    threshold : float, default 0.29
        Two clusters joined by an edge merge while the mean similarity over all pairs of their
        members is at least this. Higher is stricter: ``EVENT_THRESHOLD`` (0.45) splits the
        seeds' story into its two events.
    edge_threshold : float, default 0.2
        A candidate pair becomes an edge (lets its two clusters be compared) when its
        similarity is at least this. Weaker pairs hardly ever decide a merge: 0.1 gave the
        same stories on ECB+, the news clusters, 20,000 Reuters articles and 100,000
        synthetic ones (two fewer of 112,290 at a million), with a third more edges, which
        cost the linkage a quarter of its time.
    neighbours : int, default 3
        Each article's vector is blended with its this many most similar candidates (0
        turns second-order similarity off).
    neighbour_weight : float, default 1.5
        Weight of the neighbours in that blend, scaled by how far each stands out from the
        article's mean similarity to the whole batch.
    num_perm : int, default 128
        MinHash permutations per signature.
    seed : int, default 1
        Seed of the MinHash permutations (datasketch-compatible).
    shingle_size : int, default 3
        Words per shingle in the copy channel.
    copy_threshold : float, default 0.3
        Jaccard threshold the copy channel's LSH bands are tuned for.
    copy_signature : {"oph", "minhash"}, default "oph"
        Signature scheme of the copy channel's long shingle sets: one-permutation hashing with
        densification (as accurate, about 100 times cheaper), or datasketch-compatible MinHash
        (``affine32``). The rewrite channel's small salient sets always use MinHash.
    salient_terms : int, default 20
        Number of highest-weighted TF-IDF terms per article in the rewrite channel.
    salient_rows : int, default 1
        Signature values per LSH band in the rewrite channel. One row proposes pairs that
        share a salient term; rewrites share few.
    salient_bands : int or None, default 32
        LSH bands of the rewrite channel (``None``: ``num_perm // salient_rows``).
    expand_neighbours : int, default 10
        After LSH, each article's this many most similar candidates are paired with each
        other and with their own best candidates (friends of friends); 0 turns it off.
    max_partners : int, default 8
        In an LSH bucket larger than this, each article is paired with only this many others
        (a fixed shuffle per band), so candidates grow linearly with the batch; big stories
        still connect across bands.
    max_bucket : int or None, default 16
        An LSH bucket of more articles than this is split by further signature values of its
        band (up to three times) before ``max_partners`` applies: that many articles sharing
        one value share a common term, not a story. Unsplit, such buckets gave four
        candidates in five at a million articles and chained the quarterly results of
        different companies into one "story". ``None`` never splits. (A ``StoryIndex`` pairs a
        newcomer with the latest ``max_partners`` of each of its buckets instead.)
    title_weight : float, default 3.0
        How many times title tokens count relative to body tokens in TF-IDF. Articles without
        a title use their first short line.
    max_df : float, default 0.1
        Terms in more than this share of the batch's articles (and in at least 20) carry no
        weight: in templated feeds (earnings reports, bond issues) they would make every
        item of a template one "story".
    idf_power : float, default 1.0
        Exponent of the inverse document frequency; above 1 favours rare terms (names,
        numbers) more.
    number_weight : float, default 2.0
        Weight of terms containing a digit (dates, tolls, scores) relative to words.
    lead_tokens : int, default 300
        Only the first this many body tokens enter TF-IDF: the lead carries the story, the
        tail drifts into background. ``0`` uses the whole body.
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
    n_jobs : int, default -1
        Threads for the compiled loops (tokenizing, pair scoring, shingle overlap): -1 uses
        every CPU, 1 one. Results do not depend on it.
    progress : bool, default False
        Show progress on long runs: a bar in ``cluster()``, stage times in ``dedupe_news.dask``.
    keep_evidence : bool, default True
        Keep what explains a result of ``cluster()`` (feature sets, vectors, every candidate
        pair's scores: about 10 KB an article). False lets each go once no later stage needs
        it, for large batches whose stories and edges are all that is wanted: the result then
        cannot ``explain``, plot scores or give the edges' shingle overlap (NaN).
    """

    threshold: float = field(default=0.29, metadata=_range(0.0, 1.0))
    edge_threshold: float = field(default=0.2, metadata=_range(0.0, 1.0))
    neighbours: int = field(default=3, metadata=_range(0, 1000, integer=True))
    neighbour_weight: float = field(default=1.5, metadata=_range(0.0, 100.0))
    num_perm: int = field(default=128, metadata=_range(2, 1024, integer=True))
    seed: int = field(default=1, metadata=_range(0, 2**32 - 1, integer=True))
    shingle_size: int = field(default=3, metadata=_range(1, 16, integer=True))
    copy_threshold: float = field(default=0.3, metadata=_range(0.01, 1.0))
    copy_signature: Literal["oph", "minhash"] = field(
        default="oph", metadata=_choice("oph", "minhash")
    )
    salient_terms: int = field(default=20, metadata=_range(1, 1000, integer=True))
    salient_rows: int = field(default=1, metadata=_range(1, 1024, integer=True))
    salient_bands: int | None = field(
        default=32, metadata=_range(1, 1024, integer=True, optional=True)
    )
    expand_neighbours: int = field(default=10, metadata=_range(0, 1000, integer=True))
    max_partners: int = field(default=8, metadata=_range(1, 10**9, integer=True))
    max_bucket: int | None = field(
        default=16,
        metadata=_range(1, 10**9, integer=True, optional=True),
    )
    title_weight: float = field(default=3.0, metadata=_range(0.0, 100.0))
    max_df: float = field(default=0.1, metadata=_range(0.0, 1.0))
    idf_power: float = field(default=1.0, metadata=_range(0.0, 10.0))
    number_weight: float = field(default=2.0, metadata=_range(0.0, 100.0))
    lead_tokens: int = field(default=300, metadata=_range(0, 10**9, integer=True))
    min_tokens: int = field(default=5, metadata=_range(0, 1_000_000, integer=True))
    max_days: float | None = field(default=None, metadata=_range(0.0, 1e6, optional=True))
    boilerplate_min_articles: int = field(default=5, metadata=_range(2, 10**9, integer=True))
    boilerplate_min_share: float = field(default=0.02, metadata=_range(0.0, 1.0))
    boilerplate_min_source_articles: int = field(default=3, metadata=_range(2, 10**9, integer=True))
    boilerplate_max_line_words: int = field(default=25, metadata=_range(0, 10**6, integer=True))
    n_jobs: int = field(default=-1, metadata=_range(-(2**16), 2**16, integer=True))
    progress: bool = False
    keep_evidence: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            spec = f.metadata
            if not spec:
                if not isinstance(value, bool):
                    raise ConfigError(f"{f.name} must be True or False, got {value!r}")
                continue
            if "choices" in spec:
                if value not in spec["choices"]:
                    allowed = " or ".join(repr(c) for c in spec["choices"])
                    raise ConfigError(f"{f.name} must be {allowed}, got {value!r}")
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
        if self.n_jobs == 0:
            raise ConfigError(
                "n_jobs must be a positive number of threads or -1 (every CPU), got 0"
            )
        bands, _ = self.lsh_bands("rewrite")
        if bands * self.salient_rows > self.num_perm:
            raise ConfigError(
                f"salient_bands * salient_rows ({bands} * {self.salient_rows}) must not exceed "
                f"num_perm ({self.num_perm})"
            )

    def lsh_bands(self, channel: Literal["rewrite", "copy"]) -> tuple[int, int]:
        """``(bands, rows)`` of an LSH candidate channel, as the pipeline uses them.

        Raises
        ------
        ValueError
            For a channel other than ``"rewrite"`` or ``"copy"``.
        """
        if channel == "copy":
            return optimal_bands(self.copy_threshold, self.num_perm)
        if channel == "rewrite":
            return (self.salient_bands or self.num_perm // self.salient_rows, self.salient_rows)
        raise ValueError(f"channel must be 'rewrite' or 'copy', got {channel!r}")

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with some fields replaced; unknown names raise :class:`ConfigError`."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise ConfigError(
                f"unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}"
            )
        return replace(self, **overrides)


EVENT_THRESHOLD = 0.45
"""A stricter ``threshold`` that groups by event (which remarks an article reports)."""
