"""Speed benchmark: dedupe_news end to end and per stage against MinHash-LSH reference pipelines.

What it measures
----------------
All pipelines run on the same JSON-lines file of ``--n`` articles: synthetic news from
``synth.py`` (default), the first ``--n`` Reuters-21578 articles, or the first ``--n`` records
of any JSON-lines file (copied to a temporary plain file first, so every pipeline reads the
same bytes). Each pipeline runs in a fresh interpreter (this script with a hidden
``--worker NAME`` flag), so its peak RSS (``ru_maxrss``) is its own. Imports and a warm-up on
a few articles happen before the clock starts; the peak at that point ("RSS at start": the
interpreter, numpy, scipy, scikit-learn, ...) is shown too, as every worker carries it. Times
are wall-clock seconds from reading the file to the final labels, best of ``--repeat`` rounds
(2 by default) in which the pipelines take turns, so that all see the same hours of a shared
machine whose speed drifts; CPU seconds show whether a pipeline used more than one core.

* ``read``: reading the file and ``json.loads`` of every line, nothing else (the floor);
* ``dedupe_news``: ``dedupe_news.read_articles(path)`` then ``dedupe_news.cluster(articles)``;
* ``dedupe_news, cluster_file``: ``dedupe_news.cluster_file(path)``, as the command line runs
  it: the file read 10,000 articles at a time, each chunk's texts let go once scanned, and no
  evidence kept for explanations (the same stories);
* ``dedupe_news stages`` (its own run): the same work stage by stage with the public stage
  functions of ``dedupe_news.pipeline``, as ``cluster()`` calls them;
* ``datasketch reference``: word 5-gram shingles of the lowercased ``\\w+`` tokens of title and
  text, ``MinHash.bulk`` with 128 permutations, ``MinHashLSH(threshold=0.5)`` insert and query
  for candidate pairs, TF-IDF cosine of each pair (scikit-learn ``TfidfVectorizer`` defaults)
  kept at >= 0.29, connected components;
* ``rensa reference``: the same with ``rensa.RMinHash.from_token_sets`` and ``RMinHashLSH``
  (32 bands of 4 rows: the split of 128 closest to datasketch's 25 x 5 for threshold 0.5);
  skipped with a message when rensa is not installed.

``dedupe_news`` turns NumPy's transparent-huge-page advice off while it runs (see
``dedupe_news._runtime``; on virtual machines that compact memory on that advice it is worth a
third of a run); the reference pipelines keep NumPy's default. Run the script with
``NUMPY_MADVISE_HUGEPAGE=0`` in the environment to give every pipeline the same setting.

Targets (issue 4): dedupe_news at least 10x faster than the datasketch reference and 2x faster
than the rensa reference, and at most 10x the time of just reading the file.

Growth (``--growth-to N``): reading, ``dedupe_news`` and ``cluster_file`` also run on a
corpus of ``N`` articles (the same generator and seed, or the first ``N`` records), alternating
with runs on ``--n`` articles for ``--repeat`` rounds, each in a fresh interpreter; the table
gives both times and how they grow, beside the reading floor's growth. Targets (issue 4): at
most 12x the time for 10x the articles, and a million articles in at most 10 minutes and 8 GiB,
judged for each pipeline. ``dedupe_news``'s peak includes the caller's list of articles, shown
beside its verdict: a million synthetic articles take 5.5 GiB as Python objects (4.1 GiB of it
their texts), so only ``cluster_file``, which never holds the texts, can stay within 8 GiB.

How to run
----------
    .venv/bin/python benchmarks/speed.py [--n 20000] [--corpus synth|reuters|PATH] [--seed 1]
        [--repeat 2] [--data DIR] [--out results/speed.json] [--skip-peers] [--growth-to N]

    # the scale targets: 100,000 against a million, two rounds (about 20 minutes)
    .venv/bin/python benchmarks/speed.py --n 100000 --growth-to 1000000 --repeat 2 --skip-peers

Tables are printed as markdown and everything is written to ``--out`` as JSON (no texts).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import itertools
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from datasketch import MinHash, MinHashLSH
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

import dedupe_news
from _common import (
    ARTICLE_FIELDS,
    REPO_ROOT,
    add_io_arguments,
    full_text,
    load_dataset,
    machine_info,
    machine_line,
    markdown_table,
    peak_rss_mib,
    read_jsonl,
    resident_mib,
    run_json_worker,
    word_shingles,
    write_json,
)
from dedupe_news._runtime import batch_runtime
from dedupe_news.articles import coerce_articles
from dedupe_news.pipeline import (
    Evidence,
    _assemble,
    build_features,
    find_candidates,
    link,
    prepare,
    verify,
)

NUM_PERM = 128
SHINGLE_SIZE = 5
LSH_THRESHOLD = 0.5
RENSA_BANDS = 32  # 32 x 4 rows; datasketch picks 25 x 5 for 0.5, rensa needs a divisor of 128
COSINE_THRESHOLD = 0.29  # dedupe_news' Config().threshold
PAIR_CHUNK = 20_000  # candidate pairs per block of the reference cosine
WARMUP_ARTICLES = 200
# One text of each width the scan reads code points in (ASCII, up to U+FFFF, beyond): each
# width is its own compiled version of the scan, which a warm-up sample may not reach.
WARMUP_WIDTHS = ("Plain words.", "Caf\u00e9 prices in \u20ac.", "Emoji \U0001f600 words.")
_TOKEN = re.compile(r"\w+")  # what word_shingles tokenizes
TARGETS = {"datasketch": 10.0, "rensa": 2.0, "read": 10.0}
GROWTH_KEYS = ("read", "dedupe_news", "file")  # what --growth-to runs at both sizes
GROWTH_SLACK = 1.2  # issue 4: at most 12x the time for 10x the articles
SCALE_ARTICLES = 1_000_000  # issue 4: a million articles in at most 10 minutes and 8 GiB
SCALE_SECONDS, SCALE_PEAK_MIB = 600.0, 8192.0

Details = dict[str, Any]
Pipeline = Callable[[Path], Details]
Pairs = npt.NDArray[np.int64]


# --------------------------------------------------------------------------- pipelines
# Each takes the JSON-lines path and returns details (counts, per-stage seconds); it runs in
# its own worker process.


def run_read(path: Path) -> Details:
    """The floor: read the file and parse every line, nothing else."""
    return {"articles": len(list(read_jsonl(path)))}


def run_dedupe_news(path: Path) -> Details:
    """What a user runs: ``read_articles`` then ``cluster``; with the memory the list of
    articles takes (the caller's, counted in this pipeline's peak)."""
    before = resident_mib()
    articles = dedupe_news.read_articles(path)
    held = resident_mib() - before
    return {**_details(dedupe_news.cluster(articles)), "articles_list_mib": held}


def run_dedupe_news_file(path: Path) -> Details:
    """What the command line runs: ``cluster_file``, which reads the file a chunk at a time,
    lets each chunk's texts go once scanned and keeps no evidence for explanations."""
    return _details(dedupe_news.cluster_file(path))


def _details(result: dedupe_news.Clustering) -> Details:
    stats = result.stats
    return {
        "articles": stats.articles,
        "stories": stats.stories,
        "candidate_pairs": stats.candidates,
        "kept_pairs": stats.edges,
        "labels": result.labels,
    }


def run_dedupe_news_stages(path: Path) -> Details:
    """The same work stage by stage (the sequence of ``dedupe_news.pipeline.cluster``, in the
    same process settings: see ``dedupe_news._runtime``)."""
    with batch_runtime():
        return _stages(path)


def _stages(path: Path) -> Details:
    stages: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = now - clock
        clock = now

    records = list(read_jsonl(path))
    lap("read JSONL")
    cfg = dedupe_news.Config()
    items = coerce_articles(records)
    lap("coerce_articles")
    prep = prepare(items, cfg)
    lap("prepare")
    features = build_features(prep, cfg)
    prep.drop_tokens()
    lap("build_features")
    found = find_candidates(prep, features, cfg)
    lap("find_candidates")
    verified = verify(prep, features, found, cfg)
    found.drop_cosine()
    lap("verify")
    node_labels = link(prep, verified, cfg)
    lap("link")
    result = _assemble(items, Evidence(prep, features, verified, node_labels), cfg)
    lap("_assemble")
    return {
        "articles": result.stats.articles,
        "stories": result.stats.stories,
        "candidate_pairs": result.stats.candidates,
        "kept_pairs": result.stats.edges,
        "stages": stages,
        "labels": result.labels,
    }


def _texts(path: Path) -> tuple[list[str], list[int]]:
    """Title + text of each article, and the positions of those with at least one token."""
    texts = [full_text(record) for record in read_jsonl(path)]
    return texts, [k for k, text in enumerate(texts) if _TOKEN.search(text)]


def _shingles(texts: list[str], keys: list[int]) -> Iterator[set[str]]:
    """Word shingles of each keyed text, one at a time (all at once would take gigabytes)."""
    return (word_shingles(texts[k], SHINGLE_SIZE) for k in keys)


def _refine(texts: list[str], pairs: Pairs) -> Details:
    """Keep candidate pairs with TF-IDF cosine >= ``COSINE_THRESHOLD``; connected components."""
    vectors = TfidfVectorizer().fit_transform(texts)  # rows are L2-normalized
    blocks = [
        np.asarray(vectors[b[:, 0]].multiply(vectors[b[:, 1]]).sum(axis=1)).ravel()
        for b in (pairs[k : k + PAIR_CHUNK] for k in range(0, len(pairs), PAIR_CHUNK))
    ]
    cosine = np.concatenate(blocks) if blocks else np.zeros(0)
    kept = pairs[cosine >= COSINE_THRESHOLD]
    n = len(texts)
    graph = sp.coo_matrix((np.ones(len(kept)), (kept[:, 0], kept[:, 1])), shape=(n, n))
    stories, labels = connected_components(graph, directed=False)
    return {
        "articles": n,
        "stories": int(stories),
        "candidate_pairs": len(pairs),
        "kept_pairs": len(kept),
        "labels": labels,
    }


def _pairs(neighbours: list[Any], keys: list[int]) -> Pairs:
    """Unique pairs ``(i, j)``, ``i < j``, from each key's LSH query result."""
    found = [(i, j) for i, near in zip(keys, neighbours, strict=True) for j in near if j > i]
    return np.asarray(found, dtype=np.int64).reshape(-1, 2)


def run_datasketch(path: Path) -> Details:
    """datasketch MinHash + MinHashLSH candidates, then the TF-IDF refinement."""
    texts, keys = _texts(path)
    encoded = ([s.encode("utf-8") for s in sh] for sh in _shingles(texts, keys))
    sketches = MinHash.bulk(encoded, num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for key, sketch in zip(keys, sketches, strict=True):
            session.insert(key, sketch)
    pairs = _pairs([lsh.query(sketch) for sketch in sketches], keys)
    return _refine(texts, pairs)


def run_rensa(path: Path) -> Details:
    """rensa RMinHash + RMinHashLSH candidates, then the TF-IDF refinement."""
    from rensa import RMinHash, RMinHashLSH  # optional: the parent checks it is installed

    texts, keys = _texts(path)
    sketches = RMinHash.from_token_sets(_shingles(texts, keys), NUM_PERM, 42)
    lsh = RMinHashLSH(LSH_THRESHOLD, NUM_PERM, RENSA_BANDS)
    lsh.insert_pairs(list(zip(keys, sketches, strict=True)))
    pairs = _pairs(lsh.query_all(sketches), keys)
    return _refine(texts, pairs)


PIPELINES: dict[str, tuple[str, Pipeline]] = {
    # key: (row label, function)
    "read": ("read + json.loads", run_read),
    "dedupe_news": ("dedupe_news", run_dedupe_news),
    "file": ("dedupe_news, cluster_file", run_dedupe_news_file),
    "stages": ("dedupe_news stages", run_dedupe_news_stages),
    "datasketch": ("datasketch reference", run_datasketch),
    "rensa": ("rensa reference", run_rensa),
}


# --------------------------------------------------------------------------- worker


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _compilations() -> dict[str, int]:
    """How many times each of dedupe_news' compiled loops has been compiled in this process
    (not loaded from numba's cache on disk)."""
    from dedupe_news import _kernels

    return {
        name: sum(getattr(function, "_cache_misses", {}).values())
        for name, function in vars(_kernels).items()
        if hasattr(function, "signatures")
    }


def worker(name: str, path: Path) -> int:
    """Run one pipeline once in this process, after a warm-up; print one JSON line."""
    func = PIPELINES[name][1]
    with tempfile.TemporaryDirectory(prefix="dedupe-speed-warmup-") as tmp:
        sample = Path(tmp) / "warmup.jsonl"
        with path.open(encoding="utf-8") as source:
            head = itertools.islice(source, WARMUP_ARTICLES)
            sample.write_text("".join(head), encoding="utf-8")
        func(sample)  # imports and first-call costs stay out of the timing
    if name in ("dedupe_news", "file", "stages"):
        for text in WARMUP_WIDTHS:
            dedupe_news.cluster([text])
    rss_before = peak_rss_mib()
    compiled_before = _compilations()
    cpu, start = _cpu_seconds(), time.perf_counter()
    details = func(path)
    seconds = time.perf_counter() - start
    result = {"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu, **details}
    compiled = sorted(k for k, v in _compilations().items() if v > compiled_before.get(k, 0))
    if compiled:  # the warm-up did not reach them: the timed run paid for compiling them
        print(f"[note] compiled during the timed run: {', '.join(compiled)}", file=sys.stderr)
    labels = result.pop("labels", None)
    truth = [record.get("cluster") for record in read_jsonl(path)]
    if labels is not None and None not in truth:  # after the clock: quality of the answer
        result["ari"] = float(adjusted_rand_score(truth, np.asarray(labels)))
    result |= {
        "compiled_in_timed_run": compiled,
        "peak_rss_mib": peak_rss_mib(),
        "rss_before_run_mib": rss_before,
    }
    print(json.dumps(result))
    return 0


def run_worker(name: str, path: Path) -> dict[str, Any]:
    """Run one pipeline in a fresh interpreter and return its JSON result."""
    return run_json_worker(__file__, ["--worker", name, "--input", str(path)], PIPELINES[name][0])


def best_of_rounds(jobs: list[tuple[str, Path]], rounds: int) -> list[dict[str, Any]]:
    """Each ``(pipeline, file)`` job run once a round, each run in a fresh interpreter, the
    jobs taking turns within a round (so that all of them see the same hours of a shared
    machine, whose speed drifts): the best timed run of each job, with every run's seconds
    (``runs_seconds``); its last error where none was timed."""
    runs: list[list[dict[str, Any]]] = [[] for _ in jobs]
    for _ in range(rounds):
        for results, (key, path) in zip(runs, jobs, strict=True):
            results.append(run_worker(key, path))
    best = []
    for results in runs:
        timed = [r for r in results if "seconds" in r]
        if not timed:
            best.append(results[-1])
            continue
        fastest = min(timed, key=lambda r: r["seconds"])
        best.append({**fastest, "runs_seconds": [r["seconds"] for r in timed]})
    return best


# --------------------------------------------------------------------------- corpus


def prepare_corpus(
    args: argparse.Namespace, folder: Path, n: int
) -> tuple[Path, dict[str, Any]] | None:
    """The JSON-lines file of ``n`` articles all pipelines read, and what it holds; None when
    unavailable."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "articles.jsonl"
    if args.corpus == "synth":
        from synth import write_corpus

        start = time.perf_counter()
        write_corpus(path, n, args.seed, labels=True)  # pipelines ignore "cluster"
        seconds = time.perf_counter() - start
        info = {
            "corpus": "synth",
            "seed": args.seed,
            "articles": n,
            "true_stories": len({record["cluster"] for record in read_jsonl(path)}),
            "generation_seconds": seconds,
            "generation_articles_per_second": n / max(seconds, 1e-9),
        }
        return path, info | {"mib": path.stat().st_size / 2**20}
    if args.corpus == "reuters":
        dataset = load_dataset(args.data, "reuters21578", limit=n)
        if dataset is None:
            return None
        records: Iterable[dict[str, Any]] = dataset.records
        name = "reuters21578"
    else:
        source = Path(args.corpus)
        if not source.is_file():
            print(f"[error] --corpus {source}: no such file (expected synth, reuters or a path)")
            return None
        records = itertools.islice(read_jsonl(source), n)
        name = str(source)
    # Copied a record at a time: a worker's peak RSS starts from this process's (Linux keeps
    # ru_maxrss across fork and exec), so this process never holds the corpus.
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:  # with its true story when it has one (pipelines ignore it)
            kept = {key: record.get(key) for key in (*ARTICLE_FIELDS, "cluster") if key in record}
            out.write(json.dumps(kept) + "\n")
            count += 1
    if count < n:
        print(f"[note] {name} has only {count:,} articles, not {n:,}")
    info = {"corpus": name, "articles": count, "mib": path.stat().st_size / 2**20}
    return path, info


# --------------------------------------------------------------------------- growth


def measure_growth(
    args: argparse.Namespace, folder: Path, small: Path, n: int
) -> dict[str, Any] | None:
    """Reading, ``dedupe_news`` and ``cluster_file`` on ``--n`` and on ``--growth-to``
    articles, each run in a fresh interpreter, the two sizes alternating for ``--repeat``
    rounds (so both see the same hours of a shared machine); the best run of each. None when
    a corpus or a run failed (said as it happens)."""
    prepared = prepare_corpus(args, folder, args.growth_to)
    if prepared is None:
        print(f"[error] no corpus of {args.growth_to:,} articles; growth not measured")
        return None
    large, corpus = prepared
    big = corpus["articles"]
    print(f"growth corpus: {corpus['corpus']}, {big:,} articles, {corpus['mib']:.1f} MiB")
    jobs = [(key, path) for path in (small, large) for key in GROWTH_KEYS]
    best = best_of_rounds(jobs, args.repeat)
    pipelines: dict[str, dict[str, Any]] = {key: {} for key in GROWTH_KEYS}
    for (key, path), result in zip(jobs, best, strict=True):
        size = n if path == small else big
        if "seconds" not in result:
            print(f"[error] {PIPELINES[key][0]} failed on {size:,} articles")
            return None
        pipelines[key][str(size)] = result
    return {"articles": [n, big], "corpus": corpus, "pipelines": pipelines}


def _growth(growth: dict[str, Any], key: str, field: str = "seconds") -> float:
    """How many times pipeline ``key``'s ``field`` grew from the smaller size to the larger."""
    small, big = (str(size) for size in growth["articles"])
    by_size = growth["pipelines"][key]
    return float(by_size[big][field] / by_size[small][field])


def growth_rows(growth: dict[str, Any]) -> list[list[str]]:
    """Table rows: each pipeline's seconds, CPU seconds and peak at both sizes, and growth."""
    small, big = (str(size) for size in growth["articles"])
    rows = []
    for key, by_size in growth["pipelines"].items():
        a, b = by_size[small], by_size[big]
        rows.append(
            [
                PIPELINES[key][0],
                f"{a['seconds']:.2f}",
                f"{b['seconds']:.2f}",
                f"{_growth(growth, key):.1f}x",
                f"{_growth(growth, key, 'cpu_seconds'):.1f}x",
                _mib(a["peak_rss_mib"]),
                _mib(b["peak_rss_mib"]),
            ]
        )
    return rows


def growth_targets(growth: dict[str, Any]) -> list[str]:
    """Verdicts on issue 4's scale targets that these sizes can judge, for each pipeline.

    ``cluster(read_articles())``'s peak includes the caller's list of articles, which no
    pipeline can make smaller: it is shown beside the verdict.
    """
    n, big = growth["articles"]
    allowed = GROWTH_SLACK * big / n
    lines = []
    for key in ("dedupe_news", "file"):
        value = _growth(growth, key)
        lines.append(
            f"- {PIPELINES[key][0]}, time growth from {n:,} to {big:,} articles: {value:.1f}x "
            f"(target <= {allowed:g}x): {_verdict(value <= allowed)} "
            f"(reading alone: {_growth(growth, 'read'):.1f}x)"
        )
    if big != SCALE_ARTICLES:
        return lines
    for key in ("dedupe_news", "file"):
        result = growth["pipelines"][key][str(big)]
        seconds, peak = result["seconds"], result["peak_rss_mib"]
        held = result.get("articles_list_mib")
        lines.append(
            f"- {PIPELINES[key][0]} on {big:,} articles: {seconds / 60:.1f} min, peak "
            f"{peak:,.0f} MiB (targets <= {SCALE_SECONDS / 60:g} min, <= "
            f"{SCALE_PEAK_MIB:,.0f} MiB): "
            + _verdict(seconds <= SCALE_SECONDS and peak <= SCALE_PEAK_MIB)
            + ("" if held is None else f"; the list of articles alone: {held:,.0f} MiB")
        )
    return lines


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_growth(growth: dict[str, Any]) -> None:
    n, big = growth["articles"]
    print(f"\n## Growth from {n:,} to {big:,} articles (best of alternating runs)\n")
    header = [
        "pipeline",
        f"seconds, {n:,}",
        f"seconds, {big:,}",
        "time growth",
        "CPU growth",
        f"peak MiB, {n:,}",
        f"peak MiB, {big:,}",
    ]
    print(markdown_table(header, growth_rows(growth)))
    print("\nScale targets:\n")
    print("\n".join(growth_targets(growth)))


# --------------------------------------------------------------------------- report


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def pipeline_table(results: dict[str, dict[str, Any]], n: int) -> str:
    base = results.get("dedupe_news", {}).get("seconds")
    header = [
        "pipeline",
        "seconds",
        "CPU s",
        "articles/s",
        "peak RSS MiB",
        "RSS at start MiB",
        "time / dedupe_news",
        "stories",
        "ARI vs truth",
    ]
    rows = []
    for key, result in results.items():
        label = PIPELINES[key][0]
        if "seconds" not in result:
            rows.append([label, *(["n/a"] * 7), result.get("error") or result.get("skipped")])
            continue
        seconds = result["seconds"]
        rows.append(
            [
                label,
                f"{seconds:.2f}",
                f"{result['cpu_seconds']:.2f}",
                f"{n / seconds:,.0f}",
                _mib(result["peak_rss_mib"]),
                _mib(result["rss_before_run_mib"]),
                f"{seconds / base:.2f}x" if base else "n/a",
                result.get("stories", ""),
                f"{result['ari']:.3f}" if "ari" in result else "",
            ]
        )
    return markdown_table(header, rows)


def stage_table(stages: dict[str, float]) -> str:
    total = sum(stages.values())
    rows = [[name, f"{s:.2f}", f"{s / total:.0%}"] for name, s in stages.items()]
    rows.append(["total", f"{total:.2f}", "100%"])
    return markdown_table(["stage", "seconds", "share"], rows)


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ratios the targets are about (None when a row is missing)."""
    ours = results.get("dedupe_news", {}).get("seconds")
    out: dict[str, dict[str, Any]] = {}
    for key, description in (
        ("datasketch", "dedupe_news speed / datasketch reference speed"),
        ("rensa", "dedupe_news speed / rensa reference speed"),
        ("read", "dedupe_news time / read time"),
    ):
        other = results.get(key, {}).get("seconds")
        value = None
        if ours and other:
            value = ours / other if key == "read" else other / ours
        met = None
        if value is not None:
            met = value <= TARGETS[key] if key == "read" else value >= TARGETS[key]
        out[key] = {"description": description, "value": value, "target": TARGETS[key], "met": met}
    return out


def _importable(module: str) -> bool:
    """Whether ``module`` imports here (says why not when it does not)."""
    try:
        importlib.import_module(module)
    except ImportError as err:
        print(
            f"[skip] {module} reference: {module} is not importable ({err}); pip install {module}"
        )
        return False
    return True


def git_state() -> dict[str, Any]:
    """The commit measured, and whether src/ had uncommitted changes (None outside git)."""

    def git(*command: str) -> str | None:
        done = subprocess.run(
            ["git", *command], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--", "src")
    return {"commit": git("rev-parse", "--short", "HEAD"), "src_dirty": bool(status)}


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(args.worker, args.input)
    info = machine_info()
    print(machine_line(info))
    code = git_state()
    dirty = " + uncommitted changes in src/" if code["src_dirty"] else ""
    print(f"code: commit {code['commit']}{dirty}")
    versions = {p: _version(p) for p in ("dedupe-news", "datasketch", "rensa", "scikit-learn")}
    report: dict[str, Any] = {
        "machine": info,
        "settings": vars(args) | {"data": str(args.data), "out": str(args.out)},
        "versions": versions,
        "code": code,
    }
    keys = ["read", "dedupe_news", "file", "stages"]
    if not args.skip_peers:
        keys.append("datasketch")
        if _importable("rensa"):
            keys.append("rensa")
    with tempfile.TemporaryDirectory(prefix="dedupe-speed-") as tmp:
        prepared = prepare_corpus(args, Path(tmp), args.n)
        if prepared is None:
            print(f"[error] corpus {args.corpus!r} is not available; nothing measured")
            return 1
        path, corpus = prepared
        n = corpus["articles"]
        line = f"corpus: {corpus['corpus']}, {n:,} articles, {corpus['mib']:.1f} MiB"
        if "generation_seconds" in corpus:
            line += (
                f", {corpus['true_stories']:,} true stories (generated in "
                f"{corpus['generation_seconds']:.2f} s, "
                f"{corpus['generation_articles_per_second']:,.0f} articles/s)"
            )
        print(line)
        results = dict(
            zip(keys, best_of_rounds([(k, path) for k in keys], args.repeat), strict=True)
        )
        if args.growth_to:
            report["growth"] = measure_growth(args, Path(tmp) / "larger", path, n)
    for key, result in results.items():
        if result.get("compiled_in_timed_run"):
            print(
                f"[note] {PIPELINES[key][0]} compiled some of its loops during the timed run "
                "(numba's cache on disk was stale): run again for steady numbers"
            )
    if args.skip_peers:
        print("[skip] reference pipelines (--skip-peers)")
    elif "rensa" not in results:
        results["rensa"] = {"skipped": "rensa not importable"}
    stages = results.pop("stages")
    report |= {"corpus": corpus, "pipelines": results, "stages": stages}

    print(f"\n## Speed on {n:,} articles ({corpus['corpus']}, best of {args.repeat})\n")
    print(pipeline_table(results, n))
    if "stages" in stages:
        print(f"\ndedupe_news by stage (separate run, {stages['seconds']:.2f} s in all):\n")
        print(stage_table(stages["stages"]))
    report["ratios"] = ratios(results)
    print("\nTargets:\n")
    for key, r in report["ratios"].items():
        relation = "<=" if key == "read" else ">="
        value = "n/a" if r["value"] is None else f"{r['value']:.2f}"
        verdict = {True: "met", False: "NOT met", None: "not measured"}[r["met"]]
        print(f"- {r['description']}: {value} (target {relation} {r['target']:g}): {verdict}")
    if report.get("growth"):
        print_growth(report["growth"])
    print(f"\nrensa {versions['rensa'] or 'not installed'}, datasketch {versions['datasketch']}")
    write_json(args.out, report)
    print(f"results written to {args.out}")
    failed = [key for key, result in results.items() if "error" in result]
    growth_failed = args.growth_to and report.get("growth") is None
    return 1 if failed or "error" in stages or growth_failed else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=_positive, default=20_000, help="articles (default 20000)")
    parser.add_argument(
        "--corpus",
        default="synth",
        help="synth (default: benchmarks/synth.py), reuters (Reuters-21578 under --data) "
        "or the path of a JSON-lines file",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic corpus")
    parser.add_argument(
        "--repeat",
        type=_positive,
        default=2,
        help="rounds, the pipelines taking turns in each; the best run of each kept (default 2)",
    )
    add_io_arguments(parser, "speed.json", "reuters21578/")
    parser.add_argument("--skip-peers", action="store_true", help="run dedupe_news only")
    parser.add_argument(
        "--growth-to",
        type=_positive,
        metavar="N",
        help="also run reading, dedupe_news and cluster_file on a corpus of N articles, "
        "alternating with runs on --n articles (--repeat rounds), and report how time grows",
    )
    parser.add_argument("--worker", choices=sorted(PIPELINES), help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker and args.input is None:
        parser.error("--worker needs --input")
    return args


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


if __name__ == "__main__":
    raise SystemExit(main())
