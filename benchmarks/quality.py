"""Quality benchmark: dedupe_news with its defaults against simple peers, plus candidate recall.

What it measures
----------------
1. On every labelled set (the bundled seeds with their "story" labels, the seeds with their
   "event" labels at ``dedupe_news.EVENT_THRESHOLD``, ECB+ and the Giveme5W1H news clusters),
   ``dedupe_news.cluster`` runs with its defaults (no tuning) and is scored with
   ``dedupe_news.evaluate`` (ARI, pairwise and B-cubed precision/recall/F1, stories found) and
   timed. Three peers run on the same articles:

   * minhash-lsh (datasketch): word 3-gram shingles, 128-permutation MinHash (affine32),
     ``MinHashLSH`` at thresholds 0.1..0.5, connected components of the LSH candidate pairs;
   * tf-idf exhaustive + connected components: word 1-2 gram TF-IDF of title + text, cosine of
     all pairs, connected components of the pairs at or above a threshold;
   * tf-idf exhaustive + average linkage: the same vectors, exact average-linkage
     agglomerative clustering cut at distance ``1 - threshold``.

   Each peer is shown at its best threshold by ARI, chosen with hindsight on the labels it is
   scored on (dedupe_news gets no such help). A peer's time is one run at that threshold
   (features and clustering), not the sweep. "Recall by regime" then splits the true
   same-story pairs into copies (exact word 3-gram Jaccard >= 0.3) and rewrites (< 0.3) and
   gives the share of each that a method put in one cluster.
2. Candidate recall of dedupe_news' candidate generation (``find_candidates``): reference
   pairs are node pairs whose exhaustive TF-IDF cosine (the library's own vectors) reaches
   ``Config().threshold``; recall is the share of them among the candidates. Run on ECB+, the
   news clusters and the first 5k/10k/20k Reuters-21578 articles, with the growth of the
   candidate count on Reuters (linear: x2.0 per doubling, quadratic: x4.0).

How to run
----------
    .venv/bin/python benchmarks/quality.py [--data DIR] [--out results/quality.json]
        [--skip-peers] [--skip-recall] [--sizes 5000,10000,20000]

Data are read from ``--data`` (default ``../shared/data`` next to the repository); absent sets
are skipped with a message, the seeds always run. Tables are printed as markdown and everything
is written to ``--out`` as JSON. Texts are never written anywhere.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from datasketch import MinHash, MinHashLSH
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

import dedupe_news
from _common import (
    Dataset,
    add_io_arguments,
    full_text,
    jaccard,
    load_dataset,
    load_seeds,
    machine_info,
    machine_line,
    markdown_table,
    stopwatch,
    timed,
    word_shingles,
    write_json,
)
from dedupe_news._arrays import pair_codes
from dedupe_news.articles import coerce_articles
from dedupe_news.pipeline import (
    Candidates,
    Features,
    Prepared,
    build_features,
    find_candidates,
    link,
    prepare,
    verify,
)
from dedupe_news.similarity import code_cosine

Labels = npt.NDArray[np.int64]
Pairs = npt.NDArray[np.int64]

EVENT_THRESHOLD: float = float(getattr(dedupe_news, "EVENT_THRESHOLD", 0.26))
MINHASH_SWEEP = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
TFIDF_SWEEP = tuple(round(0.05 * k, 2) for k in range(1, 17))  # 0.05 .. 0.80
NUM_PERM = 128
COPY_JACCARD = 0.3  # true pairs at or above this word 3-gram Jaccard count as copies
LSH_CHANNELS = 1 | 2  # find_candidates' copy and rewrite channel bits
REFERENCE_CHUNK = 256  # rows per block of the exhaustive reference cosine
AGREEMENT_MAX_NODES = 5_000  # exhaustive-candidate clustering only up to this size
AGREEMENT_MIN_COSINE = 0.02  # "exhaustive": every pair with at least this raw cosine


# --------------------------------------------------------------------------- methods


@dataclass
class MethodResult:
    """One method's clustering of one dataset, scored."""

    name: str
    labels: Labels
    seconds: float
    evaluation: dict[str, Any]
    threshold: float | None = None
    hindsight: bool = False
    sweep: list[dict[str, float]] = field(default_factory=list)
    regime_recall: dict[str, float | None] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.name,
            "threshold": self.threshold,
            "threshold_chosen_with_hindsight": self.hindsight,
            "seconds": self.seconds,
            "evaluation": self.evaluation,
            "recall_by_regime": self.regime_recall,
            "sweep": self.sweep,
            **self.details,
        }


@dataclass
class Peer:
    """A baseline: features computed once, then clustered at any threshold."""

    name: str
    thresholds: Sequence[float]
    features: Callable[[list[str]], Any]
    cluster_at: Callable[[Any, float], Labels]


def components(n: int, pairs: Pairs) -> Labels:
    """Connected-component label of each of ``n`` items linked by ``pairs``."""
    graph = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def minhash_features(texts: list[str]) -> list[MinHash | None]:
    """A datasketch MinHash per text (None for a text without a token)."""
    shingles = [word_shingles(text) for text in texts]
    encoded = [[s.encode("utf-8") for s in sorted(sh)] for sh in shingles]
    sketches = MinHash.bulk(encoded, num_perm=NUM_PERM, seed=1, scheme="affine32")
    return [m if sh else None for m, sh in zip(sketches, shingles, strict=True)]


def minhash_lsh_labels(sketches: list[MinHash | None], threshold: float) -> Labels:
    """Connected components of the pairs a ``MinHashLSH`` index proposes at ``threshold``."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    for k, sketch in enumerate(sketches):
        if sketch is not None:
            lsh.insert(k, sketch)
    found = [
        (k, other)
        for k, sketch in enumerate(sketches)
        if sketch is not None
        for other in lsh.query(sketch)
        if other > k
    ]
    return components(len(sketches), np.asarray(found, dtype=np.int64).reshape(-1, 2))


def tfidf_cosine(texts: list[str]) -> npt.NDArray[np.float64]:
    """Dense all-pairs cosine of word 1-2 gram TF-IDF vectors (small labelled sets only)."""
    vectors = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts)
    return np.asarray((vectors @ vectors.T).toarray(), dtype=np.float64)


def threshold_components(cosine: npt.NDArray[np.float64], threshold: float) -> Labels:
    """Connected components of the pairs with cosine at or above ``threshold``."""
    i, j = np.nonzero(np.triu(cosine >= threshold, k=1))
    return components(cosine.shape[0], np.stack([i, j], axis=1).astype(np.int64))


def average_linkage_tree(cosine: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """Exact average-linkage dendrogram on ``1 - cosine`` (None for fewer than two items)."""
    if cosine.shape[0] < 2:
        return None
    distance = np.clip(1.0 - (cosine + cosine.T) / 2.0, 0.0, None)
    np.fill_diagonal(distance, 0.0)
    return np.asarray(linkage(squareform(distance, checks=False), method="average"))


def cut_tree(tree: npt.NDArray[np.float64], threshold: float) -> Labels:
    """Flat clusters of the dendrogram: merges at mean similarity >= ``threshold``."""
    return np.asarray(fcluster(tree, t=1.0 - threshold, criterion="distance"), dtype=np.int64)


def _tfidf_tree(texts: list[str]) -> tuple[int, npt.NDArray[np.float64] | None]:
    return len(texts), average_linkage_tree(tfidf_cosine(texts))


def _cut(features: tuple[int, npt.NDArray[np.float64] | None], threshold: float) -> Labels:
    n, tree = features
    return np.zeros(n, dtype=np.int64) if tree is None else cut_tree(tree, threshold)


PEERS = (
    Peer("minhash-lsh (datasketch)", MINHASH_SWEEP, minhash_features, minhash_lsh_labels),
    Peer(
        "tf-idf exhaustive + connected components",
        TFIDF_SWEEP,
        tfidf_cosine,
        threshold_components,
    ),
    Peer("tf-idf exhaustive + average linkage", TFIDF_SWEEP, _tfidf_tree, _cut),
)


def score(truth: list[str], labels: Labels) -> dict[str, Any]:
    return dedupe_news.evaluate(truth, labels).to_dict()


def run_dedupe_news(dataset: Dataset, threshold: float | None) -> MethodResult:
    """``dedupe_news.cluster`` with its defaults (or only ``threshold`` overridden), timed."""
    overrides = {} if threshold is None else {"threshold": threshold}
    result, seconds = timed(lambda: dedupe_news.cluster(dataset.records, **overrides))
    name = (
        "dedupe_news (defaults)"
        if threshold is None
        else f"dedupe_news (threshold={threshold:g}, EVENT_THRESHOLD)"
    )
    labels = np.asarray(result.labels, dtype=np.int64)
    assert dataset.labels is not None
    return MethodResult(
        name=name,
        labels=labels,
        seconds=seconds,
        evaluation=score(dataset.labels, labels),
        threshold=float(result.config.threshold),
        details={"stats": _asdict(result.stats)},
    )


def _asdict(value: Any) -> dict[str, Any]:
    """A dataclass (or anything with ``to_dict``) as a plain dict, for the JSON report."""
    if hasattr(value, "to_dict"):
        return dict(value.to_dict())
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else {"repr": repr(value)}


def run_peer(peer: Peer, dataset: Dataset) -> MethodResult:
    """Sweep the peer's thresholds, keep the best ARI, and time one run at that threshold."""
    assert dataset.labels is not None
    texts = [full_text(r) for r in dataset.records]
    features = peer.features(texts)
    sweep = []
    for threshold in peer.thresholds:
        ev = score(dataset.labels, peer.cluster_at(features, threshold))
        sweep.append({"threshold": threshold, **{k: ev[k] for k in ("ari", "pair_f1")}})
    best = max(sweep, key=lambda row: row["ari"])["threshold"]  # first of equals: lowest
    labels, seconds = timed(lambda: peer.cluster_at(peer.features(texts), best))
    return MethodResult(
        name=f"{peer.name}, t={best:g} (hindsight)",
        labels=labels,
        seconds=seconds,
        evaluation=score(dataset.labels, labels),
        threshold=best,
        hindsight=True,
        sweep=sweep,
    )


# --------------------------------------------------------------------------- recall by regime


def true_pairs(labels: list[str]) -> Pairs:
    """All unordered pairs of articles that share a true label."""
    groups: dict[str, list[int]] = {}
    for k, label in enumerate(labels):
        groups.setdefault(label, []).append(k)
    found = [pair for members in groups.values() for pair in itertools.combinations(members, 2)]
    return np.asarray(found, dtype=np.int64).reshape(-1, 2)


def copy_regime(records: list[dict[str, Any]], pairs: Pairs) -> npt.NDArray[np.bool_]:
    """Whether each pair is a copy: exact word 3-gram Jaccard of title + text >= 0.3."""
    shingles = [word_shingles(full_text(r)) for r in records]
    return np.fromiter(
        (jaccard(shingles[i], shingles[j]) >= COPY_JACCARD for i, j in pairs.tolist()),
        dtype=np.bool_,
        count=len(pairs),
    )


def regime_recall(labels: Labels, pairs: Pairs, is_copy: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """Share of the true pairs of each regime that ``labels`` put in one cluster."""
    together = labels[pairs[:, 0]] == labels[pairs[:, 1]]
    out: dict[str, Any] = {}
    for regime, mask in (("copy", is_copy), ("rewrite", ~is_copy)):
        count = int(mask.sum())
        out[regime] = float(together[mask].mean()) if count else None
    return out


# --------------------------------------------------------------------------- labelled sets


def evaluate_dataset(dataset: Dataset, *, peers: bool, threshold: float | None) -> dict[str, Any]:
    """All methods on one labelled set, printed as tables; returns the JSON record."""
    assert dataset.labels is not None
    methods = [run_dedupe_news(dataset, threshold)]
    if peers:
        methods += [run_peer(peer, dataset) for peer in PEERS]
    pairs = true_pairs(dataset.labels)
    is_copy = copy_regime(dataset.records, pairs)
    for method in methods:
        method.regime_recall = regime_recall(method.labels, pairs, is_copy)
    regime_pairs = {"copy": int(is_copy.sum()), "rewrite": int((~is_copy).sum())}
    n_true = len(set(dataset.labels))
    print(f"\n### {dataset.name}: {len(dataset)} articles, {n_true} true stories\n")
    print(quality_table(methods))
    for m in methods:
        if m.sweep and m.threshold in (m.sweep[0]["threshold"], m.sweep[-1]["threshold"]):
            print(f"\nnote: {m.name}: best threshold is at the edge of its sweep")
    print(f"\nRecall by regime ({len(pairs)} true same-story pairs):\n")
    print(regime_table(methods, regime_pairs))
    return {
        "articles": len(dataset),
        "true_stories": n_true,
        "true_pairs": regime_pairs,
        "methods": [m.to_json() for m in methods],
    }


def quality_table(methods: list[MethodResult]) -> str:
    header = ["method", "ARI", "pair P", "pair R", "pair F1", "B³ F1", "stories found", "seconds"]
    rows = []
    for m in methods:
        ev = m.evaluation
        rows.append(
            [
                m.name,
                f"{ev['ari']:.3f}",
                f"{ev['pair_precision']:.3f}",
                f"{ev['pair_recall']:.3f}",
                f"{ev['pair_f1']:.3f}",
                f"{ev['bcubed_f1']:.3f}",
                f"{ev['n_predicted_clusters']} / {ev['n_true_clusters']}",
                f"{m.seconds:.2f}",
            ]
        )
    return markdown_table(header, rows)


def regime_table(methods: list[MethodResult], regime_pairs: dict[str, int]) -> str:
    header = [
        "method",
        f"copy (J ≥ {COPY_JACCARD}, {regime_pairs['copy']} pairs)",
        f"rewrite (J < {COPY_JACCARD}, {regime_pairs['rewrite']} pairs)",
    ]
    rows = [[m.name, *(_share(m.regime_recall[r]) for r in ("copy", "rewrite"))] for m in methods]
    return markdown_table(header, rows)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# --------------------------------------------------------------------------- candidate recall


def reference_pairs(vectors: sp.csr_matrix, threshold: float) -> Pairs:
    """All row pairs ``i < j`` with cosine >= ``threshold``, exhaustively, block by block.

    Each block multiplies ``REFERENCE_CHUNK`` rows by the rows from there on (sparse), so no
    dense n x n matrix is ever built.
    """
    vectors = sp.csr_matrix(vectors)
    n = vectors.shape[0]
    found = []
    for start in range(0, n, REFERENCE_CHUNK):
        stop = min(start + REFERENCE_CHUNK, n)
        block = (vectors[start:stop] @ vectors[start:].T).tocoo()
        keep = (block.col > block.row) & (block.data >= threshold)
        found.append(np.stack([block.row[keep] + start, block.col[keep] + start], axis=1))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    return np.concatenate(found).astype(np.int64)


def candidate_recall(label: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall of ``find_candidates`` against the exhaustive cosine reference, and its cost."""
    config = dedupe_news.Config()
    prep = prepare(coerce_articles(records), config)
    feats = build_features(prep, config)
    found, seconds = timed(lambda: find_candidates(prep, feats, config))
    codes, channels = found.codes, found.channels
    n = prep.n_nodes
    reference = reference_pairs(feats.tfidf, config.threshold)
    ref_codes = pair_codes(reference, n)
    hit = np.isin(ref_codes, codes)
    lsh_codes = codes[(channels & LSH_CHANNELS) != 0]
    lsh_recall = _ratio(int(np.isin(ref_codes, lsh_codes).sum()), len(hit))
    short = prep.short
    eligible = ~(short[reference[:, 0]] | short[reference[:, 1]])
    agreement = (
        exhaustive_agreement(prep, feats, found, config) if n <= AGREEMENT_MAX_NODES else None
    )
    return {
        "agreement_ari_vs_exhaustive": agreement,
        "dataset": label,
        "articles": len(records),
        "nodes": n,
        "threshold": config.threshold,
        "reference_pairs": len(reference),
        "recall": _ratio(int(hit.sum()), len(reference)),
        "recall_lsh_channels_only": lsh_recall,
        "lsh_only_candidates": len(lsh_codes),
        "reference_pairs_with_short_node": int((~eligible).sum()),
        "recall_excluding_short": _ratio(int(hit[eligible].sum()), int(eligible.sum())),
        "candidates": len(codes),
        "candidates_share_of_all_pairs": _ratio(len(codes), n * (n - 1) // 2),
        "candidates_per_article": len(codes) / max(len(records), 1),
        "find_candidates_seconds": seconds,
    }


def exhaustive_agreement(
    prep: Prepared, feats: Features, found: Candidates, config: dedupe_news.Config
) -> float:
    """ARI between the clustering on LSH candidates and on (nearly) all pairs.

    What candidate generation costs the final answer: 1.0 means the stories are exactly those
    an all-pairs candidate set would give.
    """
    n = prep.n_nodes
    everything = np.sort(pair_codes(reference_pairs(feats.tfidf, AGREEMENT_MIN_COSINE), n))
    exhaustive = Candidates(
        everything,
        n,
        np.zeros(everything.size, dtype=np.uint8),
        code_cosine(feats.tfidf, everything, n),
    )
    labels = [
        link(prep, verify(prep, feats, candidates, config), config)[prep.node_of]
        for candidates in (found, exhaustive)
    ]
    return float(dedupe_news.evaluate(labels[1], labels[0]).ari)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def recall_table(rows: list[dict[str, Any]]) -> str:
    header = [
        "dataset",
        "articles",
        "nodes",
        "reference pairs",
        "recall",
        "recall (LSH only)",
        "candidates",
        "cand. / all pairs",
        "cand. / article",
        "seconds",
        "ARI vs all-pairs",
    ]
    body = [
        [
            r["dataset"],
            r["articles"],
            r["nodes"],
            r["reference_pairs"],
            _share(r["recall"]),
            _share(r["recall_lsh_channels_only"]),
            r["candidates"],
            f"{r['candidates_share_of_all_pairs']:.2%}",
            f"{r['candidates_per_article']:.1f}",
            f"{r['find_candidates_seconds']:.2f}",
            _share(r["agreement_ari_vs_exhaustive"]),
        ]
        for r in rows
    ]
    return markdown_table(header, body)


def growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Candidate and reference-pair growth between consecutive sizes."""
    out = []
    for small, large in itertools.pairwise(rows):
        out.append(
            {
                "from": small["articles"],
                "to": large["articles"],
                "size_ratio": large["articles"] / small["articles"],
                "candidates_ratio": _ratio(large["candidates"], small["candidates"]),
                "reference_pairs_ratio": _ratio(large["reference_pairs"], small["reference_pairs"]),
            }
        )
    return out


def run_candidate_recall(data_dir: Path, sizes: list[int]) -> dict[str, Any]:
    """The candidate-recall report on the labelled sets and growing Reuters prefixes."""
    print(
        "\n## Candidate recall of find_candidates (reference: exhaustive TF-IDF cosine >= "
        f"Config().threshold = {dedupe_news.Config().threshold:g}, over nodes)\n"
    )
    rows = []
    for name in ("ecbplus", "newscluster"):
        dataset = load_dataset(data_dir, name)
        if dataset is not None:
            rows.append(candidate_recall(name, dataset.records))
    reuters_rows = []
    reuters = load_dataset(data_dir, "reuters21578", limit=max(sizes) if sizes else 0)
    if reuters is not None:
        for size in sorted(sizes):
            if size > len(reuters):
                print(f"[skip] reuters21578 has only {len(reuters)} articles, not {size}")
                continue
            reuters_rows.append(
                candidate_recall(f"reuters21578 first {size:,}", reuters.records[:size])
            )
    rows += reuters_rows
    if rows:
        print(recall_table(rows))
    ratios = growth(reuters_rows)
    if ratios:
        print("\nReuters-21578 growth (linear ≈ 2.0 per doubling, quadratic ≈ 4.0):\n")
        for g in ratios:
            print(
                f"- {g['from']:,} → {g['to']:,} articles (x{g['size_ratio']:.2f}): candidates "
                f"x{g['candidates_ratio']:.2f}, reference pairs x{g['reference_pairs_ratio']:.2f}"
            )
    return {"rows": rows, "reuters_growth": ratios}


# --------------------------------------------------------------------------- main


def labelled_datasets(data_dir: Path) -> list[tuple[Dataset, float | None]]:
    """The labelled sets to score, each with its dedupe_news threshold (None: defaults)."""
    sets: list[tuple[Dataset, float | None]] = [
        (load_seeds("story"), None),
        (load_seeds("event"), EVENT_THRESHOLD),
    ]
    for name in ("ecbplus", "newscluster"):
        dataset = load_dataset(data_dir, name)
        if dataset is not None:
            sets.append((dataset, None))
    return sets


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    info = machine_info()
    print(machine_line(info))
    report: dict[str, Any] = {"machine": info, "settings": vars(args) | {"data": str(args.data)}}
    with stopwatch() as elapsed, threadpool_limits(limits=1):
        print("\n## Clustering quality (peers' thresholds chosen with hindsight, by ARI)")
        report["quality"] = {
            dataset.name: evaluate_dataset(dataset, peers=not args.skip_peers, threshold=t)
            for dataset, t in labelled_datasets(args.data)
        }
        if not args.skip_recall:
            report["candidate_recall"] = run_candidate_recall(args.data, args.sizes)
        report["total_seconds"] = elapsed()
    report["settings"]["out"] = str(args.out)
    write_json(args.out, report)
    print(f"\ntotal runtime {report['total_seconds']:.1f} s; results written to {args.out}")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_io_arguments(parser, "quality.json", "ecbplus/, newscluster/, reuters21578/")
    parser.add_argument("--skip-peers", action="store_true", help="run dedupe_news only")
    parser.add_argument("--skip-recall", action="store_true", help="skip the candidate recall")
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[5000, 10000, 20000],
        help="Reuters prefix sizes for the candidate recall (default 5000,10000,20000)",
    )
    return parser.parse_args(argv)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if any(size < 2 for size in sizes):
        raise argparse.ArgumentTypeError("sizes must be at least 2")
    return sizes


if __name__ == "__main__":
    raise SystemExit(main())
