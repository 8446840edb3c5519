"""``cluster()``: articles in, stories out. Wires the stages; each stage is a plain function.

Stages (see the README's "How it works"):

1. prepare: canonical (id) order, normalize, strip boilerplate, tokenize once, collapse
   identical texts into one weighted node;
2. build_features: word-shingle hash sets (copies), TF-IDF vectors built from the token ids,
   and each article's salient-term set (rewrites);
3. find_candidates: MinHash signatures and LSH banding, one channel per feature set, then
   friends of friends among each node's best candidates;
4. verify: the second-order cosine of candidate pairs only (the edges' shingle Jaccard and
   containment when first read);
5. link: average linkage along the verified edges, with exact means (no chaining).

The canonical order makes every tie-break independent of input order.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.preprocessing import normalize as normalize_rows
from tqdm import tqdm

from ._arrays import code_pairs, flatten, index_of, merge_sorted, sorted_positions
from ._kernels import (
    content_keys_kernel,
    count_rows_kernel,
    interleave_kernel,
    kept_numbering_kernel,
    lay_out_kept_kernel,
    row_frequency_kernel,
    top_terms_kernel,
)
from ._runtime import batch_runtime
from .articles import Article, coerce_articles, plain_size, read_chunks
from .clustering import average_linkage
from .config import Config
from .errors import ConfigError
from .lsh import candidate_codes
from .minhash import oph_signatures, signatures
from .result import Clustering, EdgeTable, Stats, Story
from .shingles import ShingleSets, Vocabulary
from .similarity import (
    code_cosine,
    code_cosine_blocks,
    neighbour_codes,
    neighbour_smoothing,
    pair_overlap,
)
from .text import (
    Scan,
    ScanBuilder,
    boilerplate_lines,
    chrome_lines,
    first_line,
    normal_characters,
    normal_layout,
    normalize,
    scan_bodies,
    split_title,
    text_digest,
)

__all__ = [
    "Candidates",
    "Evidence",
    "Features",
    "NodeTokens",
    "Prepared",
    "Verified",
    "build_features",
    "channel_names",
    "cluster",
    "cluster_file",
    "find_candidates",
    "link",
    "prepare",
    "verify",
]

logger = logging.getLogger("dedupe_news")

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
I32 = npt.NDArray[np.int32]

MAX_DF_FLOOR = 20  # a term is never "too common" in fewer articles than this
COPY, REWRITE, NEIGHBOUR = 1, 2, 4  # candidate channel bits
_CHANNELS = ((COPY, "copy"), (REWRITE, "rewrite"), (NEIGHBOUR, "neighbour"))


@dataclass
class Prepared:
    """Articles in canonical order, tokenized once, with identical texts collapsed into nodes."""

    articles: list[Article]  # canonical (id) order
    input_position: I64  # canonical index -> position in the caller's input
    tokens: NodeTokens  # per node; empty once cluster() has built the features (drop_tokens)
    node_of: I64  # canonical article index -> node index
    node_weight: I64  # articles per node
    node_days: F64  # per node: days since epoch, NaN when undated
    short: npt.NDArray[np.bool_]  # per node: fewer than min_tokens tokens (stays a singleton)
    vocabulary: Vocabulary
    boilerplate_lines: int

    @property
    def n_nodes(self) -> int:
        return self.node_weight.size

    def drop_tokens(self) -> None:
        """Let the token ids go: only the features are built from them, and they are a
        batch's largest array after the texts (4 bytes a token: 0.65 GB at 300,000
        articles). Every node's title and body are empty afterwards."""
        none = np.zeros(self.n_nodes, dtype=np.int64)
        self.tokens = NodeTokens(np.empty(0, dtype=np.int32), none, none, none)


@dataclass(frozen=True)
class NodeTokens:
    """Token ids of each node in one flat array: node ``k``'s title is
    ``ids[title_start[k]:body_start[k]]`` and its body ``ids[body_start[k]:body_end[k]]``.

    One int32 array (vocabulary ids) rather than an int64 array per title and body: half the
    bytes per token and no array object per part, and what the compiled loops read without
    copying. Ranges do not overlap, need not come in node order, and may skip tokens (those of
    duplicate articles).
    """

    ids: I32
    title_start: I64
    body_start: I64
    body_end: I64

    def __len__(self) -> int:
        return self.title_start.size

    def title(self, k: int) -> I32:
        return self.ids[self.title_start[k] : self.body_start[k]]

    def body(self, k: int) -> I32:
        return self.ids[self.body_start[k] : self.body_end[k]]

    @classmethod
    def from_lengths(cls, ids: I32, lengths: I64) -> NodeTokens:
        """From ids laid out title 0, body 0, title 1, ... with those ``lengths``."""
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        return cls(ids, offsets[:-1:2], offsets[1:-1:2], offsets[2::2])

    @classmethod
    def from_parts(
        cls, titles: Sequence[npt.NDArray[Any]], bodies: Sequence[npt.NDArray[Any]]
    ) -> NodeTokens:
        """From each node's title and body ids."""
        parts = [part for pair in zip(titles, bodies, strict=True) for part in pair]
        ids, offsets = flatten(parts, np.int32)
        return cls.from_lengths(ids, np.diff(offsets))


@dataclass
class Features:
    """Per-node feature sets and vectors."""

    shingles: Sequence[U32]
    salient: list[U32]
    tfidf: sp.csr_matrix

    def sets(self, channel: Literal["copy", "rewrite"]) -> Sequence[U32]:
        """The sets a candidate channel bands: the shingles (copy) or salient terms (rewrite)."""
        return self.shingles if channel == "copy" else self.salient

    def drop_sets(self, channel: Literal["copy", "rewrite"]) -> None:
        """Let a channel's sets go once its signatures are made, where no evidence is kept
        (4 bytes a shingle: 1.8 GB at a million articles)."""
        if channel == "copy":
            self.shingles = []
        else:
            self.salient = []


def day_number(date: str | None) -> float:
    """Days since the epoch (UTC, fractional) of an ISO date; NaN when undated.

    A date with an offset is converted to UTC; a naive one is taken as UTC (never as the
    machine's local time).
    """
    if date is None:
        return float("nan")
    parsed = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return (parsed - _EPOCH).total_seconds() / 86400.0


_EPOCH = dt.datetime(1970, 1, 1)


def sublinear_tf(counts: npt.NDArray[np.floating[Any]]) -> F64:
    """Sublinear term frequency ``1 + log(count)``, for batch and stream alike (in one new
    array: a batch has tens of millions of counts)."""
    tf = counts.astype(np.float64)
    np.log(tf, out=tf)
    tf += 1.0
    return tf


def idf_and_weights(
    document_frequency: npt.NDArray[Any], n_rows: int, term_weights: F64, config: Config
) -> tuple[F64, F64]:
    """Smooth IDF (scikit-learn's) and the effective term weights: 0 for terms in too many
    rows, times ``idf ** (idf_power - 1)``. For any subset of terms, as a stream needs."""
    df = document_frequency.astype(np.float64)
    weights = np.where(df > max(config.max_df * n_rows, MAX_DF_FLOOR), 0.0, term_weights)
    idf = np.log((n_rows + 1) / (df + 1.0)) + 1.0
    if config.idf_power != 1.0:
        weights = weights * idf ** (config.idf_power - 1.0)
    return idf, weights


def prepare(articles: Sequence[Article], config: Config) -> Prepared:
    """Normalize, strip boilerplate, tokenize, and collapse identical articles into nodes."""
    return prepare_chunks([articles], config)


def prepare_chunks(
    chunks: Iterable[Sequence[Article]],
    config: Config,
    *,
    keep_texts: bool = True,
    text_chars: int = 0,
) -> Prepared:
    """:func:`prepare` of articles that come a chunk at a time (a file read in pieces).

    Without ``keep_texts``, each chunk's texts go once it is scanned, and the articles are kept
    without them (see :func:`without_text`): a batch's texts are most of its memory (5.7 GB of
    a million news articles). The tokens, nodes and stories are the same either way.
    ``text_chars`` says about how many characters the bodies hold in all, where that is known
    (see :class:`dedupe_news.text.ScanBuilder`).
    """
    scanned = scan_articles(chunks, config, keep_texts=keep_texts, text_chars=text_chars)
    articles = scanned.articles
    order = np.asarray(sorted(range(len(articles)), key=lambda i: articles[i].id), dtype=np.int64)
    vocabulary, tokens, boilerplate = encode_articles(scanned, order, config)
    del scanned  # tokens from here on
    canonical = [articles[i] for i in order.tolist()]
    short = tokens.body_end - tokens.title_start < config.min_tokens
    node_of, first = assign_nodes(content_keys(tokens), short)
    return Prepared(
        articles=canonical,
        input_position=order,
        tokens=NodeTokens(
            tokens.ids, tokens.title_start[first], tokens.body_start[first], tokens.body_end[first]
        ),
        node_of=node_of,
        node_weight=np.bincount(node_of, minlength=first.size).astype(np.int64),
        node_days=np.asarray(
            [day_number(canonical[k].date) for k in first.tolist()], dtype=np.float64
        ),
        short=short[first],
        vocabulary=vocabulary,
        boilerplate_lines=boilerplate,
    )


def without_text(article: Article) -> Article:
    """The article with no more of its text than a result shows: its first line when it has
    no title (the headline, see :func:`dedupe_news.text.first_line`), else nothing."""
    text = "" if article.title else first_line(article.text)
    return Article(article.id, text, article.title, article.date, article.source, article.url)


@dataclass
class ScannedArticles:
    """Articles (in input order) with their titles' and bodies' scans, each body line's page
    chrome flag, and what tells identical bodies apart (see :func:`boilerplate_lines`); and
    the array the bodies' ids are the start of, with room after them (see
    :func:`kept_token_ids`), if any."""

    articles: list[Article]
    titles: Scan
    bodies: Scan
    chrome: npt.NDArray[np.bool_]
    text_keys: list[Hashable]
    room: I32 | None = None


def scan_articles(
    chunks: Iterable[Sequence[Article]],
    config: Config,
    *,
    keep_texts: bool = True,
    text_chars: int = 0,
) -> ScannedArticles:
    """Each chunk's titles and bodies scanned into batch-wide scans (in input order), with what
    boilerplate needs of their texts: the texts are not needed after their chunk."""
    titles = ScanBuilder(0, n_jobs=config.n_jobs)
    bodies = ScanBuilder(
        config.boilerplate_max_line_words, n_jobs=config.n_jobs, text_chars=text_chars
    )
    articles: list[Article] = []
    chrome: list[npt.NDArray[np.bool_]] = []
    text_keys: list[Hashable] = []
    for chunk in chunks:
        pieces = [title_and_body(a, layout=False) for a in chunk]
        titles.add([t for t, _ in pieces])
        scan, laid = scan_bodies([b for _, b in pieces], bodies)
        del pieces
        chrome.append(chrome_lines(laid, scan))
        text_keys.extend(laid if keep_texts else map(text_digest, laid))
        articles.extend(chunk if keep_texts else map(without_text, chunk))
    return ScannedArticles(
        articles,
        titles.build(),
        bodies.build(),
        np.concatenate(chrome) if chrome else np.zeros(0, dtype=bool),
        text_keys,
        bodies.room,
    )


def title_and_body(article: Article, *, layout: bool = True) -> tuple[str, str]:
    """Normalized title and body; the title is the first short line when none is given.

    With ``layout=False`` the body's characters are normalized but maybe not its layout, which
    a scan reads the same either way (see ``Scan.plain``): most bodies have it already, and
    checking costs more than scanning.
    """
    if article.title is None:
        return split_title(normalize(article.text))
    body = normal_characters(article.text)
    return normalize(article.title), normal_layout(body) if layout else body


def encode_articles(
    scanned: ScannedArticles, order: I64, config: Config
) -> tuple[Vocabulary, NodeTokens, int]:
    """Token ids of each article's title and kept body (one node per article, in ``order``),
    the vocabulary in first-seen order of titles and bodies interleaved (title ``order[0]``,
    its body, title ``order[1]``, ...), and the boilerplate lines removed.

    The same ids as :func:`strip_boilerplate` and ``Vocabulary.encode_many`` on strings give,
    from compiled scans of the texts (see :func:`dedupe_news.text.scan_texts`). The bodies'
    scan is spent: the kept ids may be laid out over its ids (see :func:`kept_token_ids`).
    """
    removed = boilerplate_lines(
        scanned.bodies,
        scanned.chrome,
        scanned.text_keys,
        [a.source for a in scanned.articles],
        min_articles=config.boilerplate_min_articles,
        min_share=config.boilerplate_min_share,
        min_source_articles=config.boilerplate_min_source_articles,
    )
    tokens, words = kept_token_ids(scanned.titles, scanned.bodies, removed, order, scanned.room)
    return Vocabulary.from_tokens(words), tokens, int(removed.sum())


def kept_token_ids(
    title_scan: Scan,
    body_scan: Scan,
    removed: npt.NDArray[np.bool_],
    order: I64,
    room: I32 | None = None,
) -> tuple[NodeTokens, list[str]]:
    """:func:`kept_tokens` of the texts in ``order`` (one node per text), numbered in
    first-seen order (int32); with the token of each id.

    ``room`` is an array whose start is the bodies' ids: where it has room for the kept ids,
    they are laid out in it (the bodies' ids are overwritten), text by text in input order, so
    that no second array holds them (2.2 GB at a million articles, whose preparation peaked at
    6.3 GB with it and at 5.1 GB without).
    """
    n_titled = title_scan.distinct.size
    in_titles = index_of(title_scan.distinct, body_scan.distinct)
    body_key = np.where(in_titles >= 0, in_titles, n_titled + np.arange(in_titles.size))
    title_ends = title_scan.line_first[title_scan.text_first]
    title = (title_scan.ids, np.arange(n_titled), title_ends)
    lines = (body_scan.line_first, removed, body_scan.text_first)
    first_id, key_of = kept_numbering_kernel(
        title, (body_scan.ids, body_key, *lines), order, n_titled + body_scan.distinct.size
    )
    kept_lines = np.where(removed, 0, np.diff(body_scan.line_first))
    kept_before = np.concatenate(([0], np.cumsum(kept_lines)))
    title_lengths = np.diff(title_ends)
    ends = np.concatenate(
        ([0], np.cumsum(title_lengths + np.diff(kept_before[body_scan.text_first])))
    )
    # In place, no text may start before its body: the kept ids are shifted past the furthest.
    shift = max(0, int((body_scan.line_first[body_scan.text_first] - ends).max(initial=0)))
    if room is not None and room.size >= shift + ends[-1]:
        out, source = room, room
    else:
        out, source, shift = np.empty(ends[-1], dtype=np.int32), body_scan.ids, 0
    lay_out_kept_kernel(title, (source, body_key, *lines), first_id, out, ends + shift)
    starts = ends[:-1][order]
    tokens = NodeTokens(
        out[shift : shift + ends[-1]], starts, starts + title_lengths[order], ends[1:][order]
    )
    words = title_scan.words + body_scan.words  # by key
    return tokens, [words[k] for k in key_of.tolist()]


def kept_tokens(
    title_scan: Scan, body_scan: Scan, removed: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.uint64], I64]:
    """Each text's title tokens, then its body's tokens but those of ``removed`` lines, as
    hashes in one array; and the length of each piece (title 0, body 0, title 1, ...)."""
    hashes, lengths = interleave_kernel(
        title_scan.hashes,
        title_scan.line_first[title_scan.text_first],
        body_scan.hashes,
        np.repeat(~removed, np.diff(body_scan.line_first)),
        body_scan.line_first[body_scan.text_first],
    )
    return hashes, lengths


def content_keys(tokens: NodeTokens) -> U64:
    """A 128-bit key (two uint64 lanes) per node of its title's length and its token ids: the
    nodes of equal keys have the same title and body (up to a 128-bit collision, as on the
    Dask engine)."""
    keys: U64 = content_keys_kernel(
        tokens.ids, tokens.title_start, tokens.body_start, tokens.body_end
    )
    return keys


def assign_nodes(keys: U64, short: npt.NDArray[np.bool_]) -> tuple[I64, I64]:
    """Collapse articles (in canonical order) with equal content keys (``(n, 2)`` uint64)
    into nodes.

    Returns each article's node and each node's first article; nodes are numbered in order of
    their first article. Short articles never share a node (two empty scrapes are no story).
    """
    n = short.size
    first_with_key = np.arange(n, dtype=np.int64)  # short ones: themselves
    full = np.flatnonzero(~short)
    if full.size:
        lanes = np.ascontiguousarray(keys[full], dtype=np.uint64)
        _, first, same = np.unique(
            lanes.view(np.dtype((np.void, 16))).ravel(), return_index=True, return_inverse=True
        )
        first_with_key[full] = full[first][same.ravel()]
    firsts, node_of = np.unique(first_with_key, return_inverse=True)  # in order of first
    return node_of.ravel().astype(np.int64, copy=False), firsts


# Attribution and calendar words: every news story has them, none tells two stories apart. A
# large batch discounts them through max_df; a small one (or a young StoryIndex) cannot.
# fmt: off
NEWS_STOP_WORDS = frozenset((
    "said", "says", "say", "told", "stated", "announced", "confirmed", "noted", "added",
    "explained", "reported", "according", "reporters", "sources", "spokesperson", "spokesman",
    "spokeswoman", "statement", "officials", "people", "familiar", "matter", "today", "yesterday",
    "earlier", "later", "week", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday",
))
# fmt: on


def term_weight(token: str, number_weight: float) -> float:
    """Weight of a token as a TF-IDF term: 0 for stop words and single characters."""
    if len(token) < 2 or token in ENGLISH_STOP_WORDS or token in NEWS_STOP_WORDS:
        return 0.0
    if token.isalpha():  # most are: no digit to look for
        return 1.0
    return number_weight if any(ch.isdigit() for ch in token) else 1.0


def vocabulary_weights(vocabulary: Vocabulary, number_weight: float) -> F64:
    return np.fromiter(
        (term_weight(t, number_weight) for t in vocabulary.tokens),
        dtype=np.float64,
        count=len(vocabulary),
    )


def hash32(hashes: npt.NDArray[np.uint64]) -> U32:
    """32-bit term hashes (the salient-term sets' elements) from the 64-bit token hashes."""
    return np.asarray(hashes ^ (hashes >> np.uint64(32)), dtype=np.uint64).astype(np.uint32)


def count_matrix(
    tokens: NodeTokens,
    n_terms: int,
    config: Config,
    counted: npt.NDArray[np.bool_] | None = None,
) -> sp.csr_matrix:
    """Term counts per node: the body's lead plus ``title_weight`` times the title; of the
    terms flagged in ``counted`` only (one flag per term), when given."""
    indptr, indices, data = count_rows_kernel(
        tokens.ids,
        tokens.title_start,
        tokens.body_start,
        tokens.body_end,
        float(config.title_weight),
        config.lead_tokens,
        np.ones(n_terms, dtype=bool) if counted is None else counted,
    )
    return sp.csr_matrix((data, indices, indptr), shape=(len(tokens), n_terms))


def row_frequency(tokens: NodeTokens, n_terms: int, config: Config) -> I64:
    """Per term, the nodes :func:`count_matrix` counts it in (its document frequency)."""
    frequency: I64 = row_frequency_kernel(
        tokens.ids,
        tokens.title_start,
        tokens.body_start,
        tokens.body_end,
        config.lead_tokens,
        n_terms,
    )
    return frequency


def shingle_sets(tokens: NodeTokens, hashes: npt.NDArray[np.uint64], config: Config) -> ShingleSets:
    """Each node's word-shingle hash set (title and body as one text), made when first read."""
    return ShingleSets(
        tokens.ids,
        tokens.title_start,
        tokens.body_end,
        hashes,
        config.shingle_size,
        n_jobs=config.n_jobs,
    )


def node_features(
    tokens: NodeTokens, hashes: npt.NDArray[np.uint64], n_terms: int, config: Config
) -> tuple[ShingleSets, sp.csr_matrix]:
    """Each node's word-shingle hash set and term counts (of every term: a partition's
    counts are summed into the batch's document frequencies)."""
    return shingle_sets(tokens, hashes, config), count_matrix(tokens, n_terms, config)


def build_features(prep: Prepared, config: Config) -> Features:
    """Shingle hash sets, TF-IDF vectors (from token ids, no re-tokenizing) and salient sets.

    The document frequencies come first, so only the terms that carry weight are counted:
    stop words and terms in more than ``max_df`` of the batch are most entries of a count
    matrix (five in six on the synthetic benchmark corpus), and would be dropped from the
    TF-IDF rows at once.
    """
    hashes = prep.vocabulary.hashes()
    n_terms = len(prep.vocabulary)
    weighting = TermWeighting.fit(
        row_frequency(prep.tokens, n_terms, config),
        prep.n_nodes,
        vocabulary_weights(prep.vocabulary, config.number_weight),
        config,
    )
    counts = count_matrix(prep.tokens, n_terms, config, weighting.term_weights > 0)
    tfidf = weighting.transform(counts)
    del counts
    return Features(
        shingles=shingle_sets(prep.tokens, hashes, config),
        salient=salient_sets(tfidf, hashes, config),
        tfidf=tfidf,
    )


def salient_sets(tfidf: sp.csr_matrix, hashes: npt.NDArray[np.uint64], config: Config) -> list[U32]:
    """Each row's salient-term set: the 32-bit hashes of its largest TF-IDF terms."""
    indptr, columns = top_terms_kernel(
        tfidf.indptr, tfidf.indices, tfidf.data, config.salient_terms
    )
    terms = hash32(hashes[columns])
    return [terms[a:b] for a, b in pairwise(indptr.tolist())]  # np.split takes 4 times as long


@dataclass(frozen=True)
class TermWeighting:
    """Sublinear TF-IDF with the batch's document frequencies and the per-term weights.

    Fitted from document frequencies alone, so the counts can be summed over partitions of a
    batch and each partition transformed on its own (the Dask engine does that).
    """

    idf: F64  # smooth IDF, as scikit-learn's TfidfTransformer computes it
    term_weights: F64  # times idf ** (idf_power - 1); 0 for stop words and too-common terms

    @classmethod
    def fit(
        cls, document_frequency: I64, n_rows: int, term_weights: F64, config: Config
    ) -> TermWeighting:
        return cls(*idf_and_weights(document_frequency, n_rows, term_weights, config))

    def transform(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """L2-normalized rows of ``(1 + log tf) * idf * weight``; zero-weight terms dropped.

        Computed in place in one new array of values (``counts`` stays as it was): at tens of
        millions of entries, each temporary costs more than the arithmetic.
        """
        counts = sp.csr_matrix(counts)
        columns = counts.indices
        weight = self.term_weights[columns]
        values = sublinear_tf(counts.data)
        values *= self.idf[columns]
        values *= weight
        values[weight == 0] = 0.0
        del weight
        rows = sp.csr_matrix((values, columns.copy(), counts.indptr.copy()), shape=counts.shape)
        rows.eliminate_zeros()
        if rows.nnz == 0:  # nothing scoreable (e.g. only empty articles, or none at all)
            return sp.csr_matrix(counts.shape, dtype=np.float64)
        normalized: sp.csr_matrix = normalize_rows(rows, copy=False)
        return normalized


@dataclass
class Candidates:
    """Candidate node pairs ``(i, j)``, ``i < j``, of ``n`` nodes, as sorted pair codes
    ``i * n + j`` (see :func:`dedupe_news._arrays.pair_codes`: half the memory of the pairs
    themselves, at tens of millions of candidates), the channels that proposed each, and the
    TF-IDF cosine of each."""

    codes: I64
    n: int
    channels: npt.NDArray[np.uint8]
    cosine: F64  # empty once cluster() has scored them (drop_cosine)

    def __len__(self) -> int:
        return self.codes.size

    def pairs_where(self, which: npt.NDArray[np.bool_]) -> I64:
        """The ``(k, 2)`` pairs of the candidates in ``which``."""
        return code_pairs(self.codes[which], self.n)

    def drop_cosine(self) -> None:
        """Let every candidate's cosine go once the scores are made (the edges keep theirs in
        :attr:`Verified.edge_cosine`): 8 bytes a candidate, half a GB at 300,000 articles."""
        self.cosine = np.empty(0, dtype=np.float64)


def merge_channels(
    groups: list[tuple[I64, npt.NDArray[np.uint8]]],
) -> tuple[I64, npt.NDArray[np.uint8]]:
    """Union of pair-code arrays (any order, repeats allowed) with the OR of their channel bits,
    sorted. The others merge into the largest group in place (see
    :func:`dedupe_news._arrays.merge_sorted`): the groups are the caller's to give up."""
    distinct = sorted((_distinct_codes(*group) for group in groups), key=lambda g: -g[0].size)
    if not distinct:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint8)
    codes, channels = distinct[0]
    for more, more_bits in distinct[1:]:
        at = sorted_positions(codes, more)
        known = at >= 0
        channels[at[known]] |= more_bits[known]
        codes, channels = merge_sorted(codes, more[~known], (channels, more_bits[~known]))
    return codes, channels


def _distinct_codes(codes: I64, bits: npt.NDArray[np.uint8]) -> tuple[I64, npt.NDArray[np.uint8]]:
    """Sorted distinct codes, each with the OR of its bits."""
    if codes.size < 2 or bool(np.all(codes[1:] > codes[:-1])):
        return codes, bits
    order = np.argsort(codes, kind="stable")
    codes, bits = codes[order], bits[order]
    first = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    return codes[first], np.bitwise_or.reduceat(bits, first)


def lsh_signatures(sets: Sequence[U32], channel: Literal["rewrite", "copy"], config: Config) -> U32:
    """Signatures of a candidate channel's feature sets, in the scheme the channel uses."""
    if channel == "copy" and config.copy_signature == "oph":
        if isinstance(sets, ShingleSets):
            return sets.oph_signatures(config.num_perm, config.seed)
        return oph_signatures(sets, config.num_perm, config.seed)
    return signatures(sets, config.num_perm, config.seed)


def find_candidates(prep: Prepared, features: Features, config: Config) -> Candidates:
    """Candidate node pairs: both LSH channels, then friends of friends among the best pairs.

    Pairs travel as codes (``i * n + j``, half the memory of pairs) until they are scored.
    Without ``config.keep_evidence``, each channel's feature sets go once they are signed.
    """
    found: list[tuple[I64, npt.NDArray[np.uint8]]] = []
    for channel in (COPY, REWRITE):
        name: Literal["copy", "rewrite"] = "copy" if channel == COPY else "rewrite"
        sig = lsh_signatures(features.sets(name), name, config)
        if not config.keep_evidence:  # nothing will read the sets again
            features.drop_sets(name)
        bands, rows = config.lsh_bands(name)
        codes = candidate_codes(
            sig,
            bands,
            rows,
            skip=prep.short,
            max_partners=config.max_partners,
            max_bucket=config.max_bucket,
            n_jobs=config.n_jobs,
        )
        del sig
        found.append((codes, np.full(codes.size, channel, dtype=np.uint8)))
    codes, channels = merge_channels(found)
    del found
    return expand_candidates(codes, channels, features.tfidf, config)


def expand_candidates(
    codes: I64, channels: npt.NDArray[np.uint8], tfidf: sp.csr_matrix, config: Config
) -> Candidates:
    """Score the LSH pairs' cosine (given as sorted pair codes, see
    :func:`dedupe_news._arrays.pair_codes`, which this merges into) and add friends of friends
    among each node's best. The pairs themselves are made once, at the end."""
    n = tfidf.shape[0]
    cosine = code_cosine(tfidf, codes, n, n_jobs=config.n_jobs)
    extra = neighbour_codes(  # none in codes
        codes, n, cosine, config.expand_neighbours, n_jobs=config.n_jobs
    )
    if extra.size:
        extra_cosine = code_cosine(tfidf, extra, n, n_jobs=config.n_jobs)
        codes, channels, cosine = merge_sorted(
            codes, extra, (channels, NEIGHBOUR), (cosine, extra_cosine)
        )
    return Candidates(codes, n, channels, cosine)


def channel_names(bits: int) -> tuple[str, ...]:
    """Names of the candidate channels set in ``bits``."""
    return _CHANNEL_NAMES[bits]


_CHANNEL_NAMES = [
    tuple(name for bit, name in _CHANNELS if bits & bit)
    for bits in range((COPY | REWRITE | NEIGHBOUR) + 1)
]


@dataclass
class Verified:
    """Candidates with their evidence, and the vectors the clustering compares."""

    candidates: Candidates
    vectors: sp.csr_matrix  # TF-IDF blended with close neighbours, L2-normalized
    score: F64  # cosine of the blended vectors
    keep: npt.NDArray[np.bool_]  # which candidates are edges
    edge_cosine: F64  # the TF-IDF cosine of the edges
    shingles: Sequence[U32]  # each node's word-shingle set: the edges' overlap, when asked
    candidate_counts: tuple[int, int, int, int]  # all candidates, by copy, rewrite, neighbour
    n_jobs: int = 1

    def overlap(self) -> tuple[F64, F64]:
        """Word-shingle Jaccard and containment (overlap / smaller set) of each edge (the
        candidates in ``keep``), in order. Evidence for users (a copy or a rewrite), not a
        criterion: the result's edge table asks for it when an edge is first read (and keeps
        it), as it would take a tenth of a batch run."""
        return pair_overlap(self.shingles, self.edges, n_jobs=self.n_jobs)

    @cached_property
    def edges(self) -> I64:
        """The ``(k, 2)`` node pairs of the candidates in ``keep``, in order."""
        return self.candidates.pairs_where(self.keep)


@dataclass
class Evidence:
    """Everything the stages computed, kept with a result so it can be explained."""

    prep: Prepared
    features: Features
    verified: Verified
    node_labels: I64

    @cached_property
    def position(self) -> dict[str, int]:
        """Article id -> canonical index, built once for all explanations of a result."""
        return {article.id: k for k, article in enumerate(self.prep.articles)}

    def channels_of(self, a: int, b: int) -> tuple[str, ...]:
        """Candidate channels that proposed the node pair ``(a, b)``; ``()`` if none did."""
        code = min(a, b) * self.prep.n_nodes + max(a, b)
        codes = self.verified.candidates.codes  # sorted
        at = int(np.searchsorted(codes, code))
        if at < codes.size and codes[at] == code:
            return channel_names(int(self.verified.candidates.channels[at]))
        return ()


def verify(prep: Prepared, features: Features, found: Candidates, config: Config) -> Verified:
    """Score candidate pairs only: the second-order cosine, which decides the edges (their
    shingle overlap follows when asked for, see :meth:`Verified.overlap`).

    Without ``config.keep_evidence`` the result holds the edges alone (their codes, channels,
    scores and cosines): the caller can let ``found`` go.
    """
    counts = channel_counts(found.channels)
    vectors, score, keep = score_candidates(
        features.tfidf,
        found,
        prep.node_weight,
        prep.node_days,
        config,
        edges_only=not config.keep_evidence,
    )
    edge_cosine = found.cosine[keep]
    if config.keep_evidence:
        return Verified(
            found, vectors, score, keep, edge_cosine, features.shingles, counts, config.n_jobs
        )
    edges = Candidates(found.codes[keep], found.n, found.channels[keep], edge_cosine)
    return Verified(edges, vectors, score, np.ones(score.size, dtype=bool), edge_cosine, [], counts)


def score_candidates(
    tfidf: sp.csr_matrix,
    found: Candidates,
    node_weight: I64,
    node_days: F64,
    config: Config,
    *,
    edges_only: bool = False,
) -> tuple[sp.csr_matrix, F64, npt.NDArray[np.bool_]]:
    """Second-order vectors, their cosine for each candidate (for each edge alone with
    ``edges_only``: 8 bytes a candidate less), and which candidates are edges."""
    vectors = neighbour_smoothing(
        tfidf,
        found.codes,
        found.cosine,
        neighbours=config.neighbours,
        weight=config.neighbour_weight,
        node_weights=node_weight,
        n_jobs=config.n_jobs,
    )
    keep = np.empty(len(found), dtype=bool)
    score = np.empty(0 if edges_only else len(found), dtype=np.float64)
    edge_scores: list[F64] = []
    for start, stop, pairs, cosine in code_cosine_blocks(
        vectors, found.codes, found.n, n_jobs=config.n_jobs
    ):
        kept = cosine >= config.edge_threshold
        if config.max_days is not None:
            gap = np.abs(node_days[pairs[:, 0]] - node_days[pairs[:, 1]])
            kept &= ~(gap > config.max_days)  # NaN (undated) never excludes
        keep[start:stop] = kept
        if edges_only:
            edge_scores.append(cosine[kept])
        else:
            score[start:stop] = cosine
    if edges_only and edge_scores:
        score = np.concatenate(edge_scores)
    return vectors, score, keep


def link(prep: Prepared, verified: Verified, config: Config) -> I64:
    """Cluster label per node: average linkage along the verified edges."""
    score = verified.score[verified.keep]
    return average_linkage(
        verified.vectors, verified.edges, score, config.threshold, prep.node_weight
    )


def cluster(articles: object, *, config: Config | None = None, **overrides: Any) -> Clustering:
    """Group articles that report the same story.

    Parameters
    ----------
    articles : sequence of str, dict or Article, or pandas.DataFrame
        Dicts need ``"text"``; ``"id"``, ``"title"``, ``"date"``, ``"source"``, ``"url"`` are
        optional. A DataFrame needs a ``text`` column. Ids default to positions.
    config : Config, optional
        Settings; defaults to ``Config()``.
    **overrides
        Individual settings, e.g. ``threshold=0.45``; see :class:`Config`.

    Returns
    -------
    Clustering
        ``labels`` aligned with the input, ``stories``, scored ``edges`` and ``stats``.

    Raises
    ------
    InputError
        Before any work, naming the article and what is allowed.
    ConfigError
        For an unknown or out-of-range setting.

    Examples
    --------
    >>> import dedupe_news
    >>> result = dedupe_news.cluster(dedupe_news.read_articles(dedupe_news.seeds_path()))
    >>> [sorted(story.ids) for story in result.stories]  # doctest: +NORMALIZE_WHITESPACE
    [['000_37b90b4cf2996c06', '001_e7cdae192c6f0a5e', '002_02e38881c9cf7dd8',
      '003_37565cef0e52f10e'], ['004_7d1b65fab962449b']]
    """
    cfg = _settings(config, overrides)
    items = coerce_articles(articles)
    return _run(lambda: prepare(items, cfg), cfg)


def cluster_file(
    path: str | Path | Sequence[str | Path],
    *,
    config: Config | None = None,
    chunk_size: int = 10_000,
    **overrides: Any,
) -> Clustering:
    """:func:`cluster` the articles of files, read ``chunk_size`` articles at a time, without
    holding their texts: for inputs too large for memory with their texts (a million news
    articles take 5.7 GB as Python strings).

    The stories are the same as ``cluster(read_articles(path))`` gives; only the articles in
    the result differ: each holds no more of its text than a result shows (its first line
    when it has no title, see :func:`without_text`), and there is no evidence to explain
    (``keep_evidence`` is False unless set). JSON lines are read as they come; other formats
    are read whole first, as :func:`dedupe_news.read_articles` reads them.

    Parameters
    ----------
    path : str, pathlib.Path or a sequence of them
        As :func:`dedupe_news.read_articles` takes; ids must be unique across all of them.
    config : Config, optional
    chunk_size : int
        Articles read and scanned at a time (their texts are what a run holds at once).
    **overrides
        Individual settings; see :class:`Config`.

    Examples
    --------
    >>> import dedupe_news
    >>> result = dedupe_news.cluster_file(dedupe_news.seeds_path())
    >>> [story.size for story in result.stories]
    [4, 1]
    >>> result.articles[0].text  # no title: the first line is the text it keeps
    "VP Harris says it would be 'huge mistake' for North Korea to give military support to Russia"
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ConfigError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    cfg = _settings(config, {"keep_evidence": False} | overrides)
    paths = [path] if isinstance(path, str | Path) else list(path)
    return _run(
        lambda: prepare_chunks(
            read_chunks(paths, chunk_size), cfg, keep_texts=False, text_chars=plain_size(paths)
        ),
        cfg,
    )


def _settings(config: Config | None, overrides: dict[str, Any]) -> Config:
    base = config or Config()
    return base.with_overrides(**overrides) if overrides else base


def _run(prepare_articles: Callable[[], Prepared], cfg: Config) -> Clustering:
    """The stages after preparing the articles, which comes first."""
    with (
        batch_runtime(),
        tqdm(total=5, desc="dedupe-news", unit="stage", disable=not cfg.progress) as bar,
    ):
        bar.set_postfix_str("prepare")
        prep = prepare_articles()
        bar.update()
        bar.set_postfix_str("features")
        features = build_features(prep, cfg)
        prep.drop_tokens()
        bar.update()
        bar.set_postfix_str("candidates")
        found = find_candidates(prep, features, cfg)
        bar.update()
        logger.debug("%d nodes, %d candidate pairs", prep.n_nodes, len(found))
        bar.set_postfix_str("verify")
        verified = verify(prep, features, found, cfg)
        found.drop_cosine()
        del found  # kept by verified when it is evidence
        bar.update()
        bar.set_postfix_str("cluster")
        node_labels = link(prep, verified, cfg)
        bar.update()
        # The result's objects are made with the collector paused too: its passes over the
        # batch's articles made assembling 100,000 articles' result take 0.5-0.8 s, not 0.4-0.5.
        items = [prep.articles[k] for k in np.argsort(prep.input_position).tolist()]
        return _assemble(items, Evidence(prep, features, verified, node_labels), cfg)


def _assemble(items: list[Article], evidence: Evidence, cfg: Config) -> Clustering:
    """Number stories canonically, pick representatives and map everything back to input order."""
    prep, verified, node_labels = evidence.prep, evidence.verified, evidence.node_labels
    n = len(prep.articles)
    channels, keep, edge_pairs = verified.candidates.channels, verified.keep, verified.edges
    layout = story_layout(
        [a.id for a in prep.articles],
        prep.node_of,
        prep.node_weight,
        node_labels,
        edge_pairs,
        verified.score[keep],
    )
    canonical_labels = np.empty(n, dtype=np.int64)
    stories: list[Story] = []
    for story_id, (group, story_sims) in enumerate(layout):
        canonical_labels[group] = story_id
        story_articles = tuple(prep.articles[k] for k in group)
        reason = (
            "only article of its story"
            if len(group) == 1
            else f"highest mean similarity to the other {len(group) - 1} members "
            f"({story_sims[0]:.2f})"
        )
        stories.append(Story(story_id, story_articles, story_sims, story_articles[0], reason))

    labels = np.empty(n, dtype=np.int64)
    labels[prep.input_position] = canonical_labels

    _, first_article = np.unique(prep.node_of, return_index=True)  # an article per node
    node_id = [prep.articles[k].id for k in first_article.tolist()]
    columns = {"score": verified.score[keep], "cosine": verified.edge_cosine}
    if not cfg.keep_evidence:  # no shingles to compare: the overlap is unknown
        unknown = np.broadcast_to(np.nan, len(edge_pairs))  # a view: no memory per edge
        columns |= dict.fromkeys(("jaccard", "containment"), unknown)
    edges = EdgeTable(
        node_id,
        edge_pairs,
        {**columns, "channels": channels[keep]},
        _CHANNEL_NAMES,
        overlap=verified.overlap if cfg.keep_evidence else None,
    )
    stats = run_stats(
        short_articles=int(prep.node_weight[prep.short].sum()),
        nodes=prep.n_nodes,
        boilerplate_lines=prep.boilerplate_lines,
        candidate_counts=verified.candidate_counts,
        edges=len(edges),
        story_sizes=[s.size for s in stories],
    )
    return Clustering(
        articles=items,
        labels=labels,
        stories=stories,
        edges=edges,
        stats=stats,
        config=cfg,
        evidence=evidence if cfg.keep_evidence else None,
    )


def channel_counts(channels: npt.NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """Candidates in all, and those the copy, rewrite and neighbour channels proposed."""
    return (
        len(channels),
        int(np.count_nonzero(channels & COPY)),
        int(np.count_nonzero(channels & REWRITE)),
        int(np.count_nonzero(channels & NEIGHBOUR)),
    )


def run_stats(
    *,
    short_articles: int,
    nodes: int,
    boilerplate_lines: int,
    candidate_counts: tuple[int, int, int, int],
    edges: int,
    story_sizes: Sequence[int],
) -> Stats:
    """The counts of a run, from its candidates' counts (:func:`channel_counts`) and its
    stories' sizes."""
    articles = int(sum(story_sizes))
    candidates, copy, rewrite, neighbour = candidate_counts
    return Stats(
        articles=articles,
        short_articles=short_articles,
        identical_articles=articles - nodes,
        boilerplate_lines=boilerplate_lines,
        candidates=candidates,
        candidates_copy=copy,
        candidates_rewrite=rewrite,
        candidates_neighbour=neighbour,
        edges=edges,
        stories=len(story_sizes),
        singletons=sum(1 for size in story_sizes if size == 1),
    )


def story_layout(
    ids: Sequence[str],
    node_of: I64,
    node_weight: I64,
    node_labels: I64,
    edges: I64,
    scores: F64,
) -> list[tuple[list[int], tuple[float, ...]]]:
    """Stories in canonical order: each one's articles (canonical indices) and similarities.

    Stories go by size, then by their smallest id; members by their mean similarity to the
    rest of the story (the first is the representative), then by id. Only ids are needed, so
    an engine that keeps the texts elsewhere (Dask) numbers stories exactly as ``cluster()``.
    """
    members: dict[int, list[int]] = {}
    for k, root in enumerate(node_labels[node_of].tolist()):
        members.setdefault(root, []).append(k)
    groups = sorted(members.values(), key=lambda m: (-len(m), ids[m[0]]))
    node_sim = _node_similarity_within(edges, scores, node_labels, node_weight)
    layout = []
    for group in groups:
        if len(group) == 1:
            sims = [1.0]
        else:
            nodes = node_of[group]
            sims = ((node_sim[nodes] + node_weight[nodes] - 1) / (len(group) - 1)).tolist()
        ranked = sorted(range(len(group)), key=lambda m: (-sims[m], ids[group[m]]))
        layout.append(([group[m] for m in ranked], tuple(sims[m] for m in ranked)))
    return layout


def _node_similarity_within(edges: I64, scores: F64, node_labels: I64, weights: I64) -> F64:
    """Per node: summed similarity to the other articles of its story over the edges.

    Copies of one node are identical (similarity 1); callers add those.
    """
    inside = node_labels[edges[:, 0]] == node_labels[edges[:, 1]]
    i, j, s = edges[inside, 0], edges[inside, 1], scores[inside]
    total = np.zeros(weights.size, dtype=np.float64)
    np.add.at(total, i, s * weights[j])
    np.add.at(total, j, s * weights[i])
    return total
