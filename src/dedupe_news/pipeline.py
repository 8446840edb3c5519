"""``cluster()``: articles in, stories out. Wires the stages; each stage is a plain function.

Stages (see the README's "How it works"):

1. prepare: canonical (id) order, normalize, strip boilerplate, tokenize once, collapse
   identical texts into one weighted node;
2. build_features: word-shingle hash sets (copies), TF-IDF vectors built from the token ids,
   and each article's salient-term set (rewrites);
3. find_candidates: MinHash signatures and LSH banding, one channel per feature set, then
   friends of friends among each node's best candidates;
4. verify: shingle Jaccard/containment and the second-order cosine of candidate pairs only;
5. link: average linkage along the verified edges, with exact means (no chaining).

The canonical order makes every tie-break independent of input order.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfTransformer
from sklearn.preprocessing import normalize as normalize_rows
from tqdm import tqdm

from .articles import Article, coerce_articles
from .clustering import average_linkage
from .config import Config
from .lsh import candidate_pairs
from .minhash import oph_signatures, signatures
from .result import Clustering, EdgeTable, Stats, Story
from .shingles import Vocabulary, ngram_hashes
from .similarity import (
    neighbour_pairs,
    neighbour_smoothing,
    pair_cosine,
    pair_overlap,
    set_matrix,
)
from .text import normalize, split_title, strip_boilerplate, tokenize

__all__ = [
    "Candidates",
    "Evidence",
    "Features",
    "Prepared",
    "Verified",
    "build_features",
    "channel_names",
    "cluster",
    "find_candidates",
    "link",
    "prepare",
    "verify",
]

logger = logging.getLogger("dedupe_news")

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U32 = npt.NDArray[np.uint32]

MAX_DF_FLOOR = 20  # a term is never "too common" in fewer articles than this
COPY, REWRITE, NEIGHBOUR = 1, 2, 4  # candidate channel bits
_CHANNELS = ((COPY, "copy"), (REWRITE, "rewrite"), (NEIGHBOUR, "neighbour"))


@dataclass
class Prepared:
    """Articles in canonical order, tokenized once, with identical texts collapsed into nodes."""

    articles: list[Article]  # canonical (id) order
    input_position: I64  # canonical index -> position in the caller's input
    title_ids: list[I64]  # per node
    body_ids: list[I64]  # per node
    node_of: I64  # canonical article index -> node index
    node_weight: I64  # articles per node
    node_days: F64  # per node: days since epoch, NaN when undated
    short: npt.NDArray[np.bool_]  # per node: fewer than min_tokens tokens (stays a singleton)
    vocabulary: Vocabulary
    boilerplate_lines: int

    @property
    def n_nodes(self) -> int:
        return len(self.body_ids)


@dataclass
class Features:
    """Per-node feature sets and vectors."""

    shingles: list[U32]
    salient: list[U32]
    tfidf: sp.csr_matrix


def _days(date: str | None) -> float:
    if date is None:
        return float("nan")
    parsed = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=None).timestamp() / 86400.0


def prepare(articles: list[Article], config: Config) -> Prepared:
    """Normalize, strip boilerplate, tokenize, and collapse identical articles into nodes."""
    order = sorted(range(len(articles)), key=lambda i: articles[i].id)
    canonical = [articles[i] for i in order]
    titles, bodies = [], []
    for article in canonical:
        body = normalize(article.text)
        if article.title is None:
            title, body = split_title(body)
        else:
            title = normalize(article.title)
        titles.append(title)
        bodies.append(body)
    report = strip_boilerplate(
        bodies,
        [a.source for a in canonical],
        min_articles=config.boilerplate_min_articles,
        min_share=config.boilerplate_min_share,
        min_source_articles=config.boilerplate_min_source_articles,
        max_line_words=config.boilerplate_max_line_words,
    )
    vocabulary = Vocabulary()
    node_key: dict[tuple[bytes, bytes], int] = {}
    node_of = np.empty(len(canonical), dtype=np.int64)
    title_ids: list[I64] = []
    body_ids: list[I64] = []
    weights: list[int] = []
    days: list[float] = []
    short: list[bool] = []
    ids = vocabulary.encode_many(
        [
            words
            for title, body in zip(titles, report.tokens, strict=True)
            for words in (tokenize(title), body)
        ]
    )
    for k, article in enumerate(canonical):
        t_ids, b_ids = ids[2 * k], ids[2 * k + 1]
        is_short = t_ids.size + b_ids.size < config.min_tokens
        # Identical texts share a node; short ones never do (two empty scrapes are no story).
        key = (str(k).encode(), b"") if is_short else (t_ids.tobytes(), b_ids.tobytes())
        node = node_key.setdefault(key, len(node_key))
        node_of[k] = node
        if node == len(weights):
            title_ids.append(t_ids)
            body_ids.append(b_ids)
            weights.append(0)
            days.append(_days(article.date))
            short.append(is_short)
        weights[node] += 1
    return Prepared(
        articles=canonical,
        input_position=np.asarray(order, dtype=np.int64),
        title_ids=title_ids,
        body_ids=body_ids,
        node_of=node_of,
        node_weight=np.asarray(weights, dtype=np.int64),
        node_days=np.asarray(days, dtype=np.float64),
        short=np.asarray(short, dtype=bool),
        vocabulary=vocabulary,
        boilerplate_lines=sum(report.lines_removed),
    )


def term_weight(token: str, number_weight: float) -> float:
    """Weight of a token as a TF-IDF term: 0 for stop words and single characters."""
    if len(token) < 2 or token in ENGLISH_STOP_WORDS:
        return 0.0
    return number_weight if any(ch.isdigit() for ch in token) else 1.0


def _term_weights(vocabulary: Vocabulary, number_weight: float) -> F64:
    return np.fromiter(
        (term_weight(t, number_weight) for t in vocabulary.tokens),
        dtype=np.float64,
        count=len(vocabulary),
    )


def hash32(hashes: npt.NDArray[np.uint64]) -> U32:
    """32-bit term hashes (the salient-term sets' elements) from the 64-bit token hashes."""
    return np.asarray(hashes ^ (hashes >> np.uint64(32)), dtype=np.uint64).astype(np.uint32)


def _count_matrix(prep: Prepared, title_weight: float, lead_tokens: int) -> sp.csr_matrix:
    """Term counts per node: the body's lead plus ``title_weight`` times the title."""
    rows, cols, vals = [], [], []
    for node, (t_ids, b_ids) in enumerate(zip(prep.title_ids, prep.body_ids, strict=True)):
        if lead_tokens:
            b_ids = b_ids[:lead_tokens]
        rows.append(np.full(b_ids.size + t_ids.size, node, dtype=np.int64))
        cols.append(np.concatenate((b_ids, t_ids)))
        vals.append(np.concatenate((np.ones(b_ids.size), np.full(t_ids.size, title_weight))))
    shape = (prep.n_nodes, len(prep.vocabulary))
    if not rows:
        return sp.csr_matrix(shape, dtype=np.float64)
    counts = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )
    counts.sum_duplicates()
    return counts


def _top_terms(tfidf: sp.csr_matrix, k: int) -> list[I64]:
    """Column ids of each row's ``k`` largest entries (ties broken by column id)."""
    out = []
    for row in range(tfidf.shape[0]):
        start, end = tfidf.indptr[row], tfidf.indptr[row + 1]
        cols, vals = tfidf.indices[start:end], tfidf.data[start:end]
        if cols.size > k:
            top = np.lexsort((cols, -vals))[:k]
            cols = cols[top]
        out.append(np.sort(cols).astype(np.int64))
    return out


def build_features(prep: Prepared, config: Config) -> Features:
    """Shingle hash sets, TF-IDF vectors (from token ids, no re-tokenizing) and salient sets."""
    hashes = prep.vocabulary.hashes()
    shingles = [
        ngram_hashes(np.concatenate((t, b)), hashes, config.shingle_size)
        for t, b in zip(prep.title_ids, prep.body_ids, strict=True)
    ]
    counts = _count_matrix(prep, config.title_weight, config.lead_tokens)
    term_weights = _term_weights(prep.vocabulary, config.number_weight)
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    too_common = document_frequency > max(config.max_df * prep.n_nodes, MAX_DF_FLOOR)
    term_weights = np.where(too_common, 0.0, term_weights)
    counts = (counts @ sp.diags((term_weights > 0).astype(np.float64))).tocsr()
    counts.eliminate_zeros()
    tfidf = _tfidf(counts, term_weights, config.idf_power)
    term_hash32 = hash32(hashes)
    salient = [term_hash32[cols] for cols in _top_terms(tfidf, config.salient_terms)]
    return Features(shingles=shingles, salient=salient, tfidf=tfidf)


def _tfidf(counts: sp.csr_matrix, term_weights: F64, idf_power: float) -> sp.csr_matrix:
    """Sublinear TF-IDF (scikit-learn), times the term weights, rows L2-normalized."""
    if counts.nnz == 0:  # nothing scoreable in the batch (e.g. only empty articles)
        return sp.csr_matrix(counts.shape, dtype=np.float64)
    transformer = TfidfTransformer(sublinear_tf=True, norm=None)
    weighted = transformer.fit_transform(counts)
    if idf_power != 1.0:
        term_weights = term_weights * transformer.idf_ ** (idf_power - 1.0)
    normalized: sp.csr_matrix = normalize_rows((weighted @ sp.diags(term_weights)).tocsr())
    return normalized


@dataclass
class Candidates:
    """Candidate node pairs ``(i, j)``, ``i < j``, the channels that proposed each, and cosine."""

    pairs: I64
    channels: npt.NDArray[np.uint8]
    cosine: F64


def _merge(
    groups: list[tuple[I64, npt.NDArray[np.uint8]]], n: int
) -> tuple[I64, npt.NDArray[np.uint8]]:
    """Union of pair arrays, with the OR of the channel bits that proposed each pair."""
    codes = np.concatenate([p[:, 0] * n + p[:, 1] for p, _ in groups])
    bits = np.concatenate([b for _, b in groups])
    unique, inverse = np.unique(codes, return_inverse=True)
    channels = np.zeros(unique.size, dtype=np.uint8)
    np.bitwise_or.at(channels, inverse.ravel(), bits)
    return np.stack([unique // n, unique % n], axis=1), channels


def lsh_signatures(sets: Sequence[U32], channel: Literal["rewrite", "copy"], config: Config) -> U32:
    """Signatures of a candidate channel's feature sets, in the scheme the channel uses."""
    if channel == "copy" and config.copy_signature == "oph":
        return oph_signatures(sets, config.num_perm, config.seed)
    return signatures(sets, config.num_perm, config.seed)


def find_candidates(prep: Prepared, features: Features, config: Config) -> Candidates:
    """Candidate node pairs: both LSH channels, then friends of friends among the best pairs."""
    n = prep.n_nodes
    found: list[tuple[I64, npt.NDArray[np.uint8]]] = []
    for channel, sets, (bands, rows) in (
        (COPY, features.shingles, config.lsh_bands("copy")),
        (REWRITE, features.salient, config.lsh_bands("rewrite")),
    ):
        sig = lsh_signatures(sets, "copy" if channel == COPY else "rewrite", config)
        pairs = candidate_pairs(sig, bands, rows, skip=prep.short, max_partners=config.max_partners)
        found.append((pairs, np.full(len(pairs), channel, dtype=np.uint8)))
    pairs, channels = _merge(found, n)
    cosine = pair_cosine(features.tfidf, pairs, n_jobs=config.n_jobs)
    extra = neighbour_pairs(pairs, cosine, config.expand_neighbours)  # disjoint from pairs
    if len(extra):
        both = np.concatenate((pairs, extra))
        order = np.argsort(both[:, 0] * n + both[:, 1], kind="stable")  # back to code order
        pairs = both[order]
        channels = np.concatenate((channels, np.full(len(extra), NEIGHBOUR, np.uint8)))[order]
        extra_cosine = pair_cosine(features.tfidf, extra, n_jobs=config.n_jobs)
        cosine = np.concatenate((cosine, extra_cosine))[order]
    return Candidates(pairs, channels, cosine)


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
    jaccard: F64  # word-shingle Jaccard of edges; NaN for candidates that are not edges
    containment: F64  # word-shingle containment (overlap / smaller set), as ``jaccard``
    vectors: sp.csr_matrix  # TF-IDF blended with close neighbours, L2-normalized
    score: F64  # cosine of the blended vectors
    keep: npt.NDArray[np.bool_]  # which candidates are edges


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
        codes = self._pair_codes  # sorted: candidate pairs are kept in code order
        at = int(np.searchsorted(codes, code))
        if at < codes.size and codes[at] == code:
            return channel_names(int(self.verified.candidates.channels[at]))
        return ()

    @cached_property
    def _pair_codes(self) -> I64:
        pairs = self.verified.candidates.pairs
        return np.asarray(pairs[:, 0] * self.prep.n_nodes + pairs[:, 1], dtype=np.int64)


def verify(prep: Prepared, features: Features, found: Candidates, config: Config) -> Verified:
    """Score candidate pairs only: the second-order cosine, then the shingle overlap of edges.

    The overlap is evidence for users (copy or rewrite), not a criterion, so it is computed for
    the edges alone: they are a small share of the candidates and long shingle sets are costly.
    """
    pairs = found.pairs
    vectors = neighbour_smoothing(
        features.tfidf,
        pairs,
        found.cosine,
        neighbours=config.neighbours,
        weight=config.neighbour_weight,
        node_weights=prep.node_weight,
    )
    score = pair_cosine(vectors, pairs, n_jobs=config.n_jobs)
    keep = score >= config.edge_threshold
    if config.max_days is not None:
        gap = np.abs(prep.node_days[pairs[:, 0]] - prep.node_days[pairs[:, 1]])
        keep &= ~(gap > config.max_days)  # NaN (undated) never excludes
    jaccard = np.full(len(pairs), np.nan)
    containment = np.full(len(pairs), np.nan)
    jaccard[keep], containment[keep] = pair_overlap(
        set_matrix(features.shingles), pairs[keep], n_jobs=config.n_jobs
    )
    return Verified(found, jaccard, containment, vectors, score, keep)


def link(prep: Prepared, verified: Verified, config: Config) -> I64:
    """Cluster label per node: average linkage along the verified edges."""
    keep = verified.keep
    return average_linkage(
        verified.vectors,
        verified.candidates.pairs[keep],
        verified.score[keep],
        config.threshold,
        prep.node_weight,
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a run.

    The stages allocate millions of small objects (tokens, lists) and no reference cycles; the
    collector's full passes over that growing heap cost a quarter of a large run.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    cfg = (config or Config()).with_overrides(**overrides) if overrides else (config or Config())
    items = coerce_articles(articles)
    with (
        _collector_paused(),
        tqdm(total=5, desc="dedupe-news", unit="stage", disable=not cfg.progress) as bar,
    ):
        bar.set_postfix_str("prepare")
        prep = prepare(items, cfg)
        bar.update()
        bar.set_postfix_str("features")
        features = build_features(prep, cfg)
        bar.update()
        bar.set_postfix_str("candidates")
        found = find_candidates(prep, features, cfg)
        bar.update()
        logger.debug("%d nodes, %d candidate pairs", prep.n_nodes, len(found.pairs))
        bar.set_postfix_str("verify")
        verified = verify(prep, features, found, cfg)
        bar.update()
        bar.set_postfix_str("cluster")
        node_labels = link(prep, verified, cfg)
        bar.update()
    return _assemble(items, Evidence(prep, features, verified, node_labels), cfg)


def _assemble(items: list[Article], evidence: Evidence, cfg: Config) -> Clustering:
    """Number stories canonically, pick representatives and map everything back to input order."""
    prep, verified, node_labels = evidence.prep, evidence.verified, evidence.node_labels
    n = len(prep.articles)
    pairs, channels, keep = verified.candidates.pairs, verified.candidates.channels, verified.keep
    article_root = node_labels[prep.node_of]  # canonical article -> cluster root
    members: dict[int, list[int]] = {}
    for k, root in enumerate(article_root.tolist()):
        members.setdefault(root, []).append(k)
    groups = sorted(members.values(), key=lambda m: (-len(m), prep.articles[m[0]].id))

    edge_pairs = pairs[keep]
    node_sim = _node_similarity_within(
        edge_pairs, verified.score[keep], node_labels, prep.node_weight
    )
    canonical_labels = np.empty(n, dtype=np.int64)
    stories: list[Story] = []
    for story_id, group in enumerate(groups):
        canonical_labels[group] = story_id
        if len(group) == 1:
            sims = [1.0]
        else:
            nodes = prep.node_of[group]
            sims = ((node_sim[nodes] + prep.node_weight[nodes] - 1) / (len(group) - 1)).tolist()
        ranked = sorted(range(len(group)), key=lambda m: (-sims[m], prep.articles[group[m]].id))
        story_articles = tuple(prep.articles[group[m]] for m in ranked)
        story_sims = tuple(sims[m] for m in ranked)
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
    edges = EdgeTable(
        node_id,
        edge_pairs,
        {
            "score": verified.score[keep],
            "cosine": verified.candidates.cosine[keep],
            "jaccard": verified.jaccard[keep],
            "containment": verified.containment[keep],
            "channels": channels[keep],
        },
        _CHANNEL_NAMES,
    )
    stats = Stats(
        articles=n,
        short_articles=int(prep.node_weight[prep.short].sum()),
        identical_articles=int(n - prep.n_nodes),
        boilerplate_lines=prep.boilerplate_lines,
        candidates=len(pairs),
        candidates_copy=int(np.count_nonzero(channels & COPY)),
        candidates_rewrite=int(np.count_nonzero(channels & REWRITE)),
        candidates_neighbour=int(np.count_nonzero(channels & NEIGHBOUR)),
        edges=len(edges),
        stories=len(stories),
        singletons=sum(1 for s in stories if s.size == 1),
    )
    return Clustering(
        articles=items,
        labels=labels,
        stories=stories,
        edges=edges,
        stats=stats,
        config=cfg,
        evidence=evidence,
    )


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
