"""Clustering on Dask: the same stories from a cluster of machines as from ``cluster()``.

Each stage is the local pipeline's own function, run per partition; Dask only schedules them and
moves the data between them. Everything that ``cluster()`` computes over the whole batch is a
Dask reduction or shuffle here, so the result is the same partition of the articles, numbered
the same way, for any number of partitions and any input order:

===========================  ===============================================================
stage                        where it runs, what moves
===========================  ===============================================================
read, normalize, lines       per partition (the texts never leave their partition)
boilerplate line counts      ``drop_duplicates`` + ``value_counts`` over short lines' keys
canonical order, nodes       client: ids, dates, sources, titles and 16-byte content digests
vocabulary                   each token's first appearance in canonical order (groupby-min)
shingles, counts, signatures per partition; document frequencies by a tree sum
TF-IDF rows, salient terms   per partition
candidate pairs              shuffle of LSH band keys on ``(channel, band, key)``
scoring and linkage          client: TF-IDF rows, candidate pairs, then the local functions
===========================  ===============================================================

The client holds a few hundred bytes per article (ids, titles, digests), the TF-IDF matrix and
the candidate pairs with their scores, and runs the average linkage: about 25 KB per article
measured (``benchmarks/dask_scale.py``), so a 32 GB client serves about a million articles.
The texts, tokens, shingles and signatures, the bulk of the work and memory, stay on the
workers (about 30 KB per article they hold).

Needs the ``dask`` extra: ``pip install 'dedupe-news[dask]'``.
"""

from __future__ import annotations

import hashlib
import html
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

try:
    import dask
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd
    from dask.delayed import Delayed, delayed
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "dedupe_news.dask needs Dask: pip install 'dedupe-news[dask]'"
        f" (could not import {error.name})"
    ) from None

from ._arrays import pair_codes, sorted_unique
from ._runtime import batch_runtime
from .articles import Article, check_text_column, check_unique_ids, coerce_articles
from .clustering import average_linkage
from .config import Config
from .errors import InputError
from .lsh import SPLIT_LEVELS, band_keys, band_split_values, bucket_pairs
from .pipeline import (
    COPY,
    REWRITE,
    NodeTokens,
    TermWeighting,
    assign_nodes,
    channel_counts,
    day_number,
    expand_candidates,
    lsh_signatures,
    merge_channels,
    node_features,
    run_stats,
    salient_sets,
    score_candidates,
    story_layout,
    title_and_body,
    vocabulary_weights,
)
from .result import Stats
from .shingles import Vocabulary
from .text import (
    BoilerplateRules,
    Scan,
    ScanBuilder,
    SourceKeys,
    chrome_lines,
    scan_bodies,
    source_line_keys,
    text_digest,
    tokenize,
)

__all__ = ["DaskClustering", "cluster"]

logger = logging.getLogger("dedupe_news")

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]


# --------------------------------------------------------------------------- per partition


@dataclass
class _Read:
    """A partition's articles, normalized, their bodies scanned into tokens and lines."""

    articles: list[Article]
    titles: list[str]
    bodies: list[str]
    scan: Scan
    source_keys: SourceKeys
    text_digests: list[str]  # of each normalized body: reprints count once as boilerplate


@batch_runtime()  # the process settings of cluster() (see _runtime): many small objects, big arrays
def _read(records: object, start: int, config: Config) -> _Read:
    articles = coerce_articles(records, start=start)
    pieces = [title_and_body(a, layout=False) for a in articles]
    builder = ScanBuilder(config.boilerplate_max_line_words, n_jobs=config.n_jobs)
    scan, bodies = scan_bodies([b for _, b in pieces], builder)
    source_keys = source_line_keys(scan, [a.source for a in articles])
    titles = [t for t, _ in pieces]
    digests = [text_digest(b).hex() for b in bodies]
    return _Read(articles, titles, bodies, scan, source_keys, digests)


def _articles_frame(part: _Read) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [a.id for a in part.articles],
            "date": [a.date for a in part.articles],
            "source": [a.source for a in part.articles],
            "title": part.titles,
            "text": part.text_digests,
        }
    )


_LINES_META = pd.DataFrame(
    {
        "text": pd.Series(dtype=object),
        "key": pd.Series(dtype=np.uint64),
        "source_key": pd.Series(dtype=np.uint64),  # 0 for articles without a source
    }
)


def _lines_frame(part: _Read) -> pd.DataFrame:
    """One row per distinct short line of each article (``Scan.line_key``, and the key within
    the article's source): what boilerplate counts."""
    scan = part.scan
    source_keys, has_source = part.source_keys
    text = np.repeat(np.asarray(part.text_digests, dtype=object), np.diff(scan.text_first))
    keyed = scan.keyed
    return pd.DataFrame(
        {
            "text": text[keyed],
            "key": scan.line_key[keyed],
            "source_key": np.where(has_source, source_keys, np.uint64(0))[keyed],
        },
        columns=list(_LINES_META),
    ).drop_duplicates()  # a line repeated within an article counts once


@dataclass
class _Stripped:
    titles: list[list[str]]  # tokens
    bodies: list[list[str]]  # tokens, boilerplate removed


@batch_runtime()
def _strip(part: _Read, rules: BoilerplateRules, config: Config) -> tuple[_Stripped, pd.DataFrame]:
    scan = part.scan
    removed = rules.removed(scan, part.source_keys, chrome_lines(part.bodies, scan))
    kept = np.repeat(~removed, np.diff(scan.line_first))
    bodies = []
    for t in range(len(part.articles)):
        start, stop = scan.text_tokens(t)
        bodies.append([scan.words[i] for i in scan.ids[start:stop][kept[start:stop]].tolist()])
    removed_before = np.concatenate(([0], np.cumsum(removed)))
    lines_removed = np.diff(removed_before[scan.text_first])
    titles = [tokenize(t) for t in part.titles]
    short = [len(t) + len(b) < config.min_tokens for t, b in zip(titles, bodies, strict=True)]
    keys = [
        hashlib.blake2b(
            "\x1f".join(t).encode() + b"\x1e" + "\x1f".join(b).encode(), digest_size=16
        ).digest()
        for t, b in zip(titles, bodies, strict=True)
    ]
    meta = pd.DataFrame({"key": keys, "short": short, "removed": lines_removed})
    return _Stripped(titles, bodies), meta


@batch_runtime()
def _first_seen(part: _Stripped, ranks: I64) -> pd.DataFrame:
    """Each token of the partition with its first appearance: ``rank << 32 | position``.

    The local vocabulary numbers tokens by first appearance over the canonical order (title,
    then body, article by article); the minimum of this key over partitions gives that order.
    """
    order = np.argsort(ranks, kind="stable")
    documents = [part.titles[k] + part.bodies[k] for k in order.tolist()]
    vocabulary = Vocabulary()
    ids = vocabulary.encode_many(documents)
    if not vocabulary.tokens:
        return pd.DataFrame({"token": pd.Series(dtype=object), "key": pd.Series(dtype=np.int64)})
    sizes = np.fromiter((len(d) for d in documents), dtype=np.int64, count=len(documents))
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    keys = (np.repeat(ranks[order], sizes) << 32) | (np.arange(int(sizes.sum())) - starts)
    _, first = np.unique(np.concatenate(ids), return_index=True)  # ids are 0..V-1
    return pd.DataFrame({"token": vocabulary.tokens, "key": keys[first]})


@dataclass
class _Terms:
    """The batch's vocabulary and token hashes, sent once to every worker."""

    vocabulary: Vocabulary
    hashes: npt.NDArray[np.uint64]


@dataclass
class _Features:
    nodes: I64  # the node of each row; rows are the partition's nodes' first articles
    short: npt.NDArray[np.bool_]
    shingles: Sequence[U32]  # made when first read (the signatures do not read them)
    counts: sp.csr_matrix


@batch_runtime()
def _features(
    part: _Stripped,
    nodes: I64,
    first: npt.NDArray[np.bool_],
    short: npt.NDArray[np.bool_],
    terms: _Terms,
    config: Config,
) -> _Features:
    rows = np.flatnonzero(first)
    rows = rows[np.argsort(nodes[rows], kind="stable")]
    lookup = terms.vocabulary.lookup
    title_ids = [lookup(part.titles[k]) for k in rows.tolist()]
    body_ids = [lookup(part.bodies[k]) for k in rows.tolist()]
    tokens = NodeTokens.from_parts(title_ids, body_ids)
    shingles, counts = node_features(tokens, terms.hashes, len(terms.vocabulary), config)
    return _Features(nodes[rows], short[rows], shingles, counts)


def _document_frequency(part: _Features, n_terms: int) -> I64:
    return np.bincount(part.counts.indices, minlength=n_terms).astype(np.int64)


def _add(a: I64, b: I64) -> I64:
    return a + b


_SPLIT_COLUMNS = [f"split{level}" for level in range(1, SPLIT_LEVELS + 1)]
_BANDS_META = pd.DataFrame(
    {
        "channel": pd.Series(dtype=np.uint8),
        "band": pd.Series(dtype=np.int64),
        "key": pd.Series(dtype=np.uint64),
        "node": pd.Series(dtype=np.int64),
        **{column: pd.Series(dtype=np.uint64) for column in _SPLIT_COLUMNS},
    }
)


@batch_runtime()
def _vectors(
    part: _Features, weighting: TermWeighting, terms: _Terms, config: Config
) -> tuple[I64, sp.csr_matrix, pd.DataFrame]:
    """TF-IDF rows, and the LSH band keys of both channels (short articles take no part)."""
    tfidf = weighting.transform(part.counts)
    salient = salient_sets(tfidf, terms.hashes, config)
    active = ~part.short
    frames = []
    channels: tuple[tuple[Literal["copy", "rewrite"], int, Sequence[U32]], ...] = (
        ("copy", COPY, part.shingles),
        ("rewrite", REWRITE, salient),
    )
    for channel, bit, sets in channels:
        bands, rows = config.lsh_bands(channel)
        signatures = lsh_signatures(sets, channel, config)[active]
        keys = band_keys(signatures, bands, rows)
        # What splits a crowded bucket travels with each entry: a bucket meets whole in one
        # partition, its members' signatures do not.
        splits = (
            band_split_values(signatures, bands, rows).reshape(keys.size, SPLIT_LEVELS)
            if config.max_bucket is not None
            else np.zeros((keys.size, SPLIT_LEVELS), dtype=np.uint64)
        )
        frames.append(
            pd.DataFrame(
                {
                    "channel": np.full(keys.size, bit, dtype=np.uint8),
                    "band": np.tile(np.arange(bands, dtype=np.int64), keys.shape[0]),
                    "key": keys.ravel(),
                    "node": np.repeat(part.nodes[active], bands),
                    **dict(zip(_SPLIT_COLUMNS, splits.T, strict=True)),
                }
            )
        )
    return part.nodes, tfidf, pd.concat(frames, ignore_index=True)


_PAIRS_META = pd.DataFrame(
    {"code": pd.Series(dtype=np.int64), "channel": pd.Series(dtype=np.uint8)}
)


def _bucket_pairs(frame: pd.DataFrame, n_nodes: int, config: Config) -> pd.DataFrame:
    """Candidate pairs of the buckets in this shuffle partition (each bucket is whole here)."""
    out = []
    for bit in (COPY, REWRITE):
        rows = frame[frame["channel"].to_numpy() == bit]
        pairs = bucket_pairs(
            rows["key"].to_numpy(np.uint64),
            rows["node"].to_numpy(np.int64),
            rows["band"].to_numpy(np.int64),
            config.max_partners,
            splits=rows[_SPLIT_COLUMNS].to_numpy(np.uint64),
            max_bucket=config.max_bucket,
        )
        codes = sorted_unique(pair_codes(pairs, n_nodes))
        out.append(pd.DataFrame({"code": codes, "channel": np.full(codes.size, bit, np.uint8)}))
    return pd.concat(out, ignore_index=True)


# --------------------------------------------------------------------------- the result


@dataclass
class DaskClustering:
    """Stories found on Dask.

    Attributes
    ----------
    labels : dask.dataframe.DataFrame
        ``id`` and ``story`` of every input article, partitioned as the input.
    stories : pandas.DataFrame
        One row per story, numbered as ``cluster()`` numbers them (by size, then first id):
        ``story``, ``size``, ``representative`` (id of the most central member), ``title``
        (its title), ``first_date``, ``last_date``, ``sources`` (distinct outlets).
    stats : Stats
        The same counts as ``Clustering.stats``.
    config : Config
        The settings used.
    """

    labels: dd.DataFrame
    stories: pd.DataFrame
    stats: Stats
    config: Config

    def to_parquet(self, path: str | Path) -> Path:
        """Write ``labels/`` (a Parquet dataset) and ``stories.parquet`` under ``path``."""
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        self.labels.to_parquet(str(root / "labels"), write_index=False)
        self.stories.to_parquet(root / "stories.parquet", index=False)
        return root

    def __repr__(self) -> str:
        return (
            f"<DaskClustering: {self.stats.articles} articles in {self.stats.stories} stories "
            f"({self.stats.singletons} singletons), {self.labels.npartitions} partitions>"
        )

    def _repr_html_(self) -> str:
        """Notebooks: the summary and the ten largest stories."""
        top = self.stories.head(10).to_html(index=False, escape=True)
        return f"<p>{html.escape(repr(self))}</p>{top}"


# --------------------------------------------------------------------------- the driver


def _partitions(articles: object) -> list[Delayed]:
    if isinstance(articles, dd.DataFrame):
        check_text_column(articles.columns)
        return list(articles.to_delayed())
    if isinstance(articles, db.Bag):
        return list(articles.to_delayed())
    raise InputError(
        "articles must be a dask.dataframe.DataFrame with a 'text' column or a dask.bag.Bag "
        f"of str or dict, got {type(articles).__name__}; for local data use dedupe_news.cluster()"
    )


class _Clock:
    """Logs each stage's seconds: at INFO level with ``progress=True``, else at DEBUG."""

    def __init__(self, progress: bool) -> None:
        self.level = logging.INFO if progress else logging.DEBUG
        self.start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        logger.log(self.level, "%s done in %.1f s", stage, now - self.start)
        self.start = now


def _tree_sum(items: Sequence[Delayed], empty: Any) -> Any:
    while len(items) > 1:
        items = [
            delayed(_add)(items[k], items[k + 1]) if k + 1 < len(items) else items[k]
            for k in range(0, len(items), 2)
        ]
    return items[0] if items else empty


@batch_runtime()  # the client's share allocates as cluster() does
def cluster(articles: object, *, config: Config | None = None, **overrides: Any) -> DaskClustering:
    """Group articles that report the same story, on Dask: the same stories as ``cluster()``.

    Runs on the current Dask scheduler (a ``dask.distributed.Client`` when one is active).

    Parameters
    ----------
    articles : dask.dataframe.DataFrame or dask.bag.Bag
        A DataFrame with a ``text`` column (``id``, ``title``, ``date``, ``source``, ``url``
        optional), or a Bag of dicts or strings, e.g. from ``dd.read_parquet`` or
        ``db.read_text(...).map(json.loads)``. Ids default to positions in the whole input.
    config : Config, optional
        Settings; defaults to ``Config()``.
    **overrides
        Individual settings, e.g. ``threshold=0.45``.

    Returns
    -------
    DaskClustering
        ``labels`` (a Dask DataFrame of ``id``, ``story``), ``stories`` (summaries) and
        ``stats``. Story numbers equal those of ``dedupe_news.cluster`` on the same articles.

    Raises
    ------
    InputError
        Naming the article and what is allowed, before any clustering work.
    """
    cfg = (config or Config()).with_overrides(**overrides) if overrides else (config or Config())
    clock = _Clock(cfg.progress)
    parts = dask.persist(*_partitions(articles))  # read once: sizes first, for default ids
    sizes = [int(s) for s in dask.compute(*[delayed(len)(p) for p in parts])]
    starts = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    spans = [slice(int(a), int(b)) for a, b in pairwise(starts.tolist())]

    # 1. read and split into lines, per partition; the client gets ids, dates, sources, titles.
    reads = dask.persist(
        *[delayed(_read)(p, int(s), cfg) for p, s in zip(parts, starts[:-1], strict=True)]
    )
    del parts
    meta = pd.concat(dask.compute(*[delayed(_articles_frame)(r) for r in reads]), ignore_index=True)
    for column in ("date", "source"):  # partitions without any come back as NaN
        meta[column] = meta[column].astype(object).where(meta[column].notna(), None)
    ids: list[str] = meta["id"].tolist()
    check_unique_ids(ids)
    if not ids:
        return _result(meta, np.empty(0, np.int64), [], sizes, cfg, Stats(*[0] * 11))
    clock.lap("read")

    # 2. boilerplate, counted over the whole input; then each partition strips its own.
    rules = _boilerplate_rules(reads, int(meta["text"].nunique()), cfg)
    stripped_and_facts = dask.persist(*[delayed(_strip)(r, rules, cfg) for r in reads])
    del reads  # the workers may drop the lines now
    stripped = [s[0] for s in stripped_and_facts]
    facts = pd.concat(dask.compute(*[s[1] for s in stripped_and_facts]), ignore_index=True)
    del stripped_and_facts
    clock.lap("boilerplate")

    # 3. canonical order and nodes (identical texts collapse), on the client.
    nodes = _Nodes.of(ids, meta["date"].tolist(), facts["key"].tolist(), facts["short"])
    clock.lap("nodes")

    # 4. vocabulary: tokens numbered by first appearance in canonical order, as in one batch.
    vocabulary = _vocabulary(
        [delayed(_first_seen)(s, nodes.rank[span]) for s, span in zip(stripped, spans, strict=True)]
    )
    terms = delayed(_Terms(vocabulary, vocabulary.hashes()), traverse=False)
    clock.lap("vocabulary")

    # 5. shingles and term counts of each node, where its first article lives; document
    # frequencies by a tree sum.
    features = dask.persist(
        *[
            delayed(_features)(s, *nodes.of_partition(span), terms, cfg)
            for s, span in zip(stripped, spans, strict=True)
        ]
    )
    del stripped
    frequency = _tree_sum(
        [delayed(_document_frequency)(f, len(vocabulary)) for f in features],
        np.zeros(len(vocabulary), dtype=np.int64),
    )
    (document_frequency,) = dask.compute(frequency)
    weighting = TermWeighting.fit(
        document_frequency, nodes.count, vocabulary_weights(vocabulary, cfg.number_weight), cfg
    )
    clock.lap("features")

    # 6. TF-IDF rows and band keys per partition; 7. candidate pairs by shuffling band keys.
    vectors = dask.persist(*[delayed(_vectors)(f, weighting, terms, cfg) for f in features])
    del features
    pairs, channels = _candidate_pairs([v[2] for v in vectors], nodes.count, cfg)
    (blocks,) = dask.compute([(v[0], v[1]) for v in vectors])
    del vectors  # the workers' part is done
    tfidf = _stack_rows(blocks, nodes.count, len(vocabulary))
    del blocks
    clock.lap("vectors and candidates")

    # 8. on the client: the local pipeline's scoring and linkage, on the same numbers.
    candidates = expand_candidates(pairs, channels, tfidf, cfg)
    smoothed, score, keep = score_candidates(tfidf, candidates, nodes.weight, nodes.days, cfg)
    edges, edge_score = candidates.pairs_where(keep), score[keep]
    node_labels = average_linkage(smoothed, edges, edge_score, cfg.threshold, nodes.weight)
    canonical_ids = [ids[k] for k in nodes.order.tolist()]
    layout = story_layout(
        canonical_ids, nodes.node_of, nodes.weight, node_labels, edges, edge_score
    )
    clock.lap("scoring and linkage")
    stats = run_stats(
        short_articles=int(nodes.short.sum()),
        nodes=nodes.count,
        boilerplate_lines=int(facts["removed"].sum()),
        candidate_counts=channel_counts(candidates.channels),
        edges=len(edges),
        story_sizes=[len(group) for group, _ in layout],
    )
    return _result(meta, nodes.order, layout, sizes, cfg, stats)


@dataclass
class _Nodes:
    """Canonical order and nodes (identical texts collapsed), as ``prepare`` makes them."""

    order: I64  # canonical position -> input position
    rank: I64  # input position -> canonical position
    node_of: I64  # canonical position -> node
    is_first: npt.NDArray[np.bool_]  # input position: the first article of its node
    short: npt.NDArray[np.bool_]  # input position
    weight: I64  # per node: articles
    days: npt.NDArray[np.float64]  # per node: its first article's date, days since the epoch

    @classmethod
    def of(cls, ids: list[str], dates: list[str | None], keys: list[bytes], short: Any) -> _Nodes:
        n = len(ids)
        order = np.asarray(sorted(range(n), key=ids.__getitem__), dtype=np.int64)
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        short = np.asarray(short, dtype=bool)
        lanes = np.frombuffer(b"".join(keys[k] for k in order.tolist()), dtype=np.uint64)
        node_of, first = assign_nodes(lanes.reshape(n, 2), short[order])
        is_first = np.zeros(n, dtype=bool)
        is_first[order[first]] = True
        weight = np.bincount(node_of, minlength=first.size).astype(np.int64)
        days = np.asarray([day_number(dates[k]) for k in order[first].tolist()], dtype=np.float64)
        return cls(order, rank, node_of, is_first, short, weight, days)

    @property
    def count(self) -> int:
        return self.weight.size

    def of_partition(self, span: slice) -> tuple[I64, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Node, first-of-node and short flags of a partition's articles."""
        return self.node_of[self.rank[span]], self.is_first[span], self.short[span]


def _boilerplate_rules(
    reads: Sequence[Delayed], distinct_texts: int, config: Config
) -> BoilerplateRules:
    """Short lines repeated across the input's distinct texts, overall and per source."""
    floor = BoilerplateRules.batch_floor(
        distinct_texts,
        min_articles=config.boilerplate_min_articles,
        min_share=config.boilerplate_min_share,
    )
    lines = dd.from_delayed(
        [delayed(_lines_frame)(r) for r in reads], meta=_LINES_META, verify_meta=False
    )
    # Counted in shuffled pieces (split_out): no worker holds every line of the archive.
    batch = lines[["text", "key"]].drop_duplicates()["key"].value_counts(split_out=True)
    by_source = (
        lines.loc[lines["source_key"] != 0, ["text", "source_key"]]
        .drop_duplicates()["source_key"]
        .value_counts(split_out=True)
    )
    batch, by_source = dask.compute(
        batch[batch >= floor], by_source[by_source >= config.boilerplate_min_source_articles]
    )
    return BoilerplateRules(
        np.sort(batch.index.to_numpy(np.uint64)), np.sort(by_source.index.to_numpy(np.uint64))
    )


def _vocabulary(first_seen: list[Delayed]) -> Vocabulary:
    """Tokens by their first appearance anywhere (each partition's, reduced by minimum)."""
    seen = dd.from_delayed(
        first_seen,
        meta=pd.DataFrame({"token": pd.Series(dtype=object), "key": pd.Series(dtype=np.int64)}),
        verify_meta=False,
    )
    first_key = seen.groupby("token")["key"].min(split_out=True).compute()
    return Vocabulary.from_tokens(first_key.sort_values().index.tolist())


def _candidate_pairs(
    band_frames: list[Delayed], n_nodes: int, config: Config
) -> tuple[I64, npt.NDArray[np.uint8]]:
    """LSH candidate pairs and their channel bits: band keys shuffled so each bucket meets."""
    bands = dd.from_delayed(band_frames, meta=_BANDS_META, verify_meta=False)
    found = bands.shuffle(on=["channel", "band", "key"]).map_partitions(
        _bucket_pairs, n_nodes, config, meta=_PAIRS_META
    )
    frame = found.compute()
    codes = frame["code"].to_numpy(np.int64, copy=True)  # merged in place: not the frame's
    return merge_channels([(codes, frame["channel"].to_numpy(np.uint8, copy=True))])


def _stack_rows(
    blocks: list[tuple[I64, sp.csr_matrix]], n_nodes: int, n_terms: int
) -> sp.csr_matrix:
    """The partitions' TF-IDF rows as one matrix in node order."""
    if not blocks or n_nodes == 0:
        return sp.csr_matrix((n_nodes, n_terms), dtype=np.float64)
    nodes = np.concatenate([b[0] for b in blocks])
    stacked = sp.vstack([b[1] for b in blocks], format="csr")
    position = np.empty(n_nodes, dtype=np.int64)
    position[nodes] = np.arange(nodes.size)
    matrix: sp.csr_matrix = stacked[position]
    return matrix


def _result(
    meta: pd.DataFrame,
    order: I64,
    layout: list[tuple[list[int], tuple[float, ...]]],
    sizes: list[int],
    config: Config,
    stats: Stats,
) -> DaskClustering:
    """Labels in input order, and one summary row per story, computed column by column."""
    story = np.empty(len(meta), dtype=np.int64)
    representative = np.empty(len(layout), dtype=np.int64)  # input position
    for number, (group, _) in enumerate(layout):
        members = order[group]  # input positions, the representative first
        story[members] = number
        representative[number] = members[0]
    articles = pd.DataFrame(
        {
            "story": story,
            "day": [day_number(d) for d in meta["date"]],
            "date": meta["date"],
            "source": meta["source"],
        }
    )
    dated = articles.dropna(subset=["day"]).sort_values(["story", "day"], kind="stable")
    summary = pd.DataFrame(
        {
            "story": np.arange(len(layout), dtype=np.int64),
            "size": np.fromiter((len(g) for g, _ in layout), dtype=np.int64, count=len(layout)),
            "representative": meta["id"].to_numpy()[representative],
            "title": meta["title"].to_numpy()[representative],
        }
    )
    for column, pick in (("first_date", "first"), ("last_date", "last")):
        summary[column] = summary["story"].map(dated.groupby("story")["date"].agg(pick))
    sources = articles.groupby("story")["source"].nunique()
    summary["sources"] = summary["story"].map(sources).fillna(0).astype(np.int64)
    labels = pd.DataFrame({"id": meta["id"], "story": story})
    frame = dd.from_pandas(labels, npartitions=max(len(sizes), 1), sort=False)
    return DaskClustering(frame, summary, stats, config)
