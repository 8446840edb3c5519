"""Why two articles matched, and what holds a story together.

Editors trust a story only when they can see its evidence: the quotes both articles carry, the
passages they share word for word, the weighted terms behind the cosine, and which candidate
channel proposed the pair. Everything is recomputed from the stage outputs a result keeps
(:attr:`Clustering.evidence`), so any two articles of a result can be compared, edge or not.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from .articles import Article
from .config import Config
from .errors import InputError
from .pipeline import U32, Features, lsh_signatures
from .similarity import pair_cosine
from .text import normalize, tokenize

if TYPE_CHECKING:
    from .result import Clustering, Edge, Story

__all__ = [
    "PairExplanation",
    "Passage",
    "StoryExplanation",
    "explain_pair",
    "explain_story",
    "highlight",
]

_QUOTE = re.compile(r'"([^"\n]{12,}?)"')
_TOKEN = re.compile(r"\w+")
_MIN_QUOTE_WORDS = 4
_MIN_PASSAGE_WORDS = 6


@dataclass(frozen=True)
class Passage:
    """A run of words both texts share; offsets index the original ``Article.text``."""

    text: str
    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True)
class PairExplanation:
    """The evidence linking two articles (see :meth:`Clustering.explain`)."""

    a: Article
    b: Article
    score: float  # second-order cosine, what the clustering compares
    cosine: float  # TF-IDF cosine
    jaccard: float  # word-shingle Jaccard
    containment: float  # word-shingle overlap / smaller set
    channels: tuple[str, ...]  # candidate channels that proposed the pair; () if none did
    bands: tuple[tuple[str, int], ...]  # (channel, LSH band) where the two signatures collide
    shared_quotes: tuple[str, ...]
    passages: tuple[Passage, ...]  # longest first
    shared_terms: tuple[tuple[str, float], ...]  # term, contribution to the cosine

    def __str__(self) -> str:
        lines = [
            f"{self.a.id} ~ {self.b.id}: score {self.score:.2f} (cosine {self.cosine:.2f}, "
            f"shingle Jaccard {self.jaccard:.2f}, containment {self.containment:.2f}); "
            f"proposed by: {', '.join(self.channels) or 'no channel (not a candidate)'}",
        ]
        if self.bands:
            lines.append(f"  LSH bands shared: {_format_bands(self.bands)}")
        lines += [f'  quote: "{q}"' for q in self.shared_quotes]
        lines += [f"  passage: {p.text!r}" for p in self.passages[:3]]
        terms = ", ".join(term for term, _ in self.shared_terms)
        lines.append(f"  shared terms: {terms or '(none)'}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        left = highlight(self.a.text, [(p.a_start, p.a_end) for p in self.passages])
        right = highlight(self.b.text, [(p.b_start, p.b_end) for p in self.passages])
        quotes = "".join(f"<li>“{html.escape(q)}”</li>" for q in self.shared_quotes)
        cell = 'style="vertical-align:top;text-align:left;white-space:pre-wrap;width:50%"'
        return (
            f"<p>{html.escape(str(self).splitlines()[0])}</p>"
            f"<p>Shared quotes:</p><ul>{quotes or '<li>none</li>'}</ul>"
            f"<table><tr><th>{html.escape(self.a.id)}</th><th>{html.escape(self.b.id)}</th></tr>"
            f"<tr><td {cell}>{left}</td><td {cell}>{right}</td></tr></table>"
        )


@dataclass(frozen=True)
class StoryExplanation:
    """The edges that hold a story together and its weakest member."""

    story: Story
    edges: tuple[Edge, ...]  # within the story, strongest first
    cohesion: float  # mean of the members' similarity to the rest of the story
    weakest: Article  # the member least similar to the rest

    def __str__(self) -> str:
        lines = [
            f"Story {self.story.id}: {self.story.size} articles, cohesion {self.cohesion:.2f}, "
            f"weakest member {self.weakest.id}"
        ]
        lines += [f"  {e.a} ~ {e.b}: {e.score:.2f} ({', '.join(e.channels)})" for e in self.edges]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(e.a)}</td><td>{html.escape(e.b)}</td><td>{e.score:.2f}</td>"
            f"<td>{e.cosine:.2f}</td><td>{html.escape(', '.join(e.channels))}</td></tr>"
            for e in self.edges
        )
        return (
            f"<p>{html.escape(str(self).splitlines()[0])}</p><table><tr><th>a</th><th>b</th>"
            f"<th>score</th><th>cosine</th><th>channels</th></tr>{rows}</table>"
        )


def _format_bands(bands: tuple[tuple[str, int], ...]) -> str:
    by_channel: dict[str, list[str]] = {}
    for channel, band in bands:
        by_channel.setdefault(channel, []).append(str(band))
    return "; ".join(f"{channel} {', '.join(ids)}" for channel, ids in by_channel.items())


def _shared_bands(
    features: Features, config: Config, na: int, nb: int
) -> tuple[tuple[str, int], ...]:
    """LSH bands in which the two nodes' signatures agree on every row, per channel.

    A shared band is where the pair can be proposed; a crowded bucket is split by further
    signature values (``max_bucket``) and capped (``max_partners``), so a pair sharing a
    crowded band may still have met in another one.
    """
    shared: list[tuple[str, int]] = []
    channels: tuple[tuple[Literal["copy", "rewrite"], Sequence[U32]], ...] = (
        ("copy", features.shingles),
        ("rewrite", features.salient),
    )
    for name, sets in channels:
        bands, rows = config.lsh_bands(name)
        sig = lsh_signatures([sets[na], sets[nb]], name, config)
        same = (sig[0, : bands * rows] == sig[1, : bands * rows]).reshape(bands, rows).all(axis=1)
        shared += [(name, int(band)) for band in np.flatnonzero(same)]
    return tuple(shared)


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` HTML-escaped, with the spans (overlapping ones merged) wrapped in ``<mark>``."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        out += [html.escape(text[at:start]), f"<mark>{html.escape(text[start:end])}</mark>"]
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _quotes(text: str) -> list[str]:
    return [q.strip() for q in _QUOTE.findall(normalize(text))]


def _shared_quotes(a: Article, b: Article) -> tuple[str, ...]:
    """Quotes of ``a`` whose words also appear as a quote (or part of one) in ``b``."""
    b_quotes = [f" {' '.join(tokenize(q))} " for q in _quotes(b.text)]
    shared = []
    for quote in _quotes(a.text):
        words = tokenize(quote)
        key = f" {' '.join(words)} "
        if len(words) >= _MIN_QUOTE_WORDS and any(key in q or q in key for q in b_quotes):
            shared.append(quote)
    return tuple(dict.fromkeys(shared))


def _passages(a: Article, b: Article, most: int = 5) -> tuple[Passage, ...]:
    """Longest shared word runs, aligned on both original texts."""
    spans_a = [(m.group().casefold(), m.start(), m.end()) for m in _TOKEN.finditer(a.text)]
    spans_b = [(m.group().casefold(), m.start(), m.end()) for m in _TOKEN.finditer(b.text)]
    matcher = difflib.SequenceMatcher(
        None, [t for t, _, _ in spans_a], [t for t, _, _ in spans_b], autojunk=False
    )
    blocks = [m for m in matcher.get_matching_blocks() if m.size >= _MIN_PASSAGE_WORDS]
    blocks.sort(key=lambda m: -m.size)
    passages = []
    for m in blocks[:most]:
        a_start, a_end = spans_a[m.a][1], spans_a[m.a + m.size - 1][2]
        b_start, b_end = spans_b[m.b][1], spans_b[m.b + m.size - 1][2]
        passages.append(Passage(a.text[a_start:a_end], a_start, a_end, b_start, b_end))
    return tuple(passages)


def explain_pair(clustering: Clustering, id_a: str, id_b: str) -> PairExplanation:
    """Evidence for any two articles of ``clustering`` (see :meth:`Clustering.explain`)."""
    evidence = clustering.evidence
    if evidence is None:
        raise InputError(
            "this result keeps no evidence (built from stored data, or by cluster() with "
            "keep_evidence=False); explanations need a result of cluster() that keeps it"
        )
    prep, features, verified = evidence.prep, evidence.features, evidence.verified
    position = evidence.position
    for article_id in (id_a, id_b):
        if article_id not in position:
            raise InputError(f"unknown article id {article_id!r}")
    a, b = prep.articles[position[id_a]], prep.articles[position[id_b]]
    na, nb = int(prep.node_of[position[id_a]]), int(prep.node_of[position[id_b]])

    pair = np.array([[na, nb]], dtype=np.int64)
    sa, sb = features.shingles[na], features.shingles[nb]
    overlap = np.intersect1d(sa, sb).size
    union = sa.size + sb.size - overlap
    smaller = min(sa.size, sb.size)
    short = bool(prep.short[na] or prep.short[nb])  # short articles take no part in LSH
    products = features.tfidf[na].multiply(features.tfidf[nb]).tocoo()
    tokens = prep.vocabulary.tokens
    order = np.argsort(-products.data, kind="stable")[:10]
    terms = tuple((tokens[products.col[k]], float(products.data[k])) for k in order)
    return PairExplanation(
        a=a,
        b=b,
        score=1.0 if na == nb else float(pair_cosine(verified.vectors, pair)[0]),
        cosine=1.0 if na == nb else float(pair_cosine(features.tfidf, pair)[0]),
        jaccard=overlap / union if union else 0.0,
        containment=overlap / smaller if smaller else 0.0,
        channels=evidence.channels_of(na, nb),
        bands=() if short else _shared_bands(features, clustering.config, na, nb),
        shared_quotes=_shared_quotes(a, b),
        passages=_passages(a, b),
        shared_terms=terms,
    )


def explain_story(clustering: Clustering, story: Story) -> StoryExplanation:
    """The edges inside ``story``, its cohesion and its weakest member."""
    return story_explanation(clustering.edges, story)


def story_explanation(all_edges: Sequence[Edge], story: Story) -> StoryExplanation:
    """:func:`explain_story` from the result's edges alone (what a story keeps of its result)."""
    members = set(story.ids)
    edges = sorted(
        (e for e in all_edges if e.a in members and e.b in members),
        key=lambda e: (-e.score, e.a, e.b),
    )
    weakest = min(zip(story.similarity, story.articles, strict=True), key=lambda t: t[0])[1]
    return StoryExplanation(
        story=story,
        edges=tuple(edges),
        cohesion=float(np.mean(story.similarity)),
        weakest=weakest,
    )
