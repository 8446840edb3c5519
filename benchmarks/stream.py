"""Continuous-use benchmark: a StoryIndex on disk, filled, then fed single articles and batches.

What it measures
----------------
Synthetic news from ``synth.py`` (``--base`` articles plus the probes), in date order, as a
feed would deliver them:

1. build: the index file is filled with ``--base`` articles in batches of ``--batch``
   (articles/s of the whole build);
2. single adds: ``--singles`` articles added one ``add`` call each: latency p50 / p99 / max;
3. batches: ``--batches`` batches of ``--batch`` articles: articles/s;
4. the database size on disk (main file plus write-ahead log) and the peak RSS.

Targets (design): single add p99 <= 50 ms and batches >= 2,000 articles/s with 100,000
articles already in the index, on a 2-core machine.

With ``--agreement`` it measures quality instead: each labelled set under ``--data``
(``ecbplus``, ``newscluster``; skipped with a message when absent) is added in date order (by
id when undated) to an in-memory index without a window, in calls of each ``--calls`` size,
and the stories are compared (ARI) with ``cluster()`` on the whole set and with the truth.

How to run
----------
    .venv/bin/python benchmarks/stream.py [--base 100000] [--singles 300] [--batches 10]
        [--batch 1000] [--seed 1] [--db PATH] [--out results/stream.json]
    .venv/bin/python benchmarks/stream.py --agreement [--calls 1,25,100,all] [--data DIR]

Tables are printed as markdown and written to ``--out`` as JSON. The database goes to a
temporary folder unless ``--db`` is given (it must not exist yet).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from _common import (
    DEFAULT_DATA,
    DEFAULT_RESULTS,
    load_dataset,
    machine_info,
    machine_line,
    markdown_table,
    peak_rss_mib,
    write_json,
)
from dedupe_news import StoryIndex, cluster, evaluate
from synth import iter_articles


def _size_mib(db: Path) -> float:
    files = [db, db.with_name(db.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


def run(args: argparse.Namespace, db: Path) -> dict[str, Any]:
    total = args.base + args.singles + args.batches * args.batch
    print(f"generating {total:,} synthetic articles (seed {args.seed}) ...", flush=True)
    articles = sorted(iter_articles(total, args.seed), key=lambda a: (a["date"], a["id"]))
    base = articles[: args.base]
    singles = articles[args.base : args.base + args.singles]
    batches = articles[args.base + args.singles :]

    index = StoryIndex(db)
    print(f"building an index of {len(base):,} articles at {db} ...", flush=True)
    start = time.perf_counter()
    for k in range(0, len(base), args.batch):
        index.add(base[k : k + args.batch])
        done = min(k + args.batch, len(base))
        if done % (10 * args.batch) == 0 or done == len(base):
            rate = done / (time.perf_counter() - start)
            print(f"  {done:,} articles, {rate:,.0f} articles/s", flush=True)
    build_seconds = time.perf_counter() - start

    latencies = []
    for article in singles:
        t = time.perf_counter()
        index.add([article])
        latencies.append(time.perf_counter() - t)
    ms = np.asarray(latencies) * 1000

    batch_seconds = []
    for k in range(0, len(batches), args.batch):
        t = time.perf_counter()
        index.add(batches[k : k + args.batch])
        batch_seconds.append(time.perf_counter() - t)
    stories = len(index.stories())
    size = len(index)
    index.close()
    return {
        "base": len(base),
        "build_seconds": build_seconds,
        "build_articles_per_second": len(base) / build_seconds,
        "single_adds": len(singles),
        "single_p50_ms": float(np.percentile(ms, 50)) if ms.size else None,
        "single_p99_ms": float(np.percentile(ms, 99)) if ms.size else None,
        "single_max_ms": float(ms.max()) if ms.size else None,
        "batches": len(batch_seconds),
        "batch_size": args.batch,
        "batch_articles_per_second": (len(batches) / sum(batch_seconds) if batch_seconds else None),
        "batch_seconds": [round(seconds, 4) for seconds in batch_seconds],
        "articles": size,
        "stories": stories,
        "db_mib": _size_mib(db),
        "peak_rss_mib": peak_rss_mib(),
    }


def agreement(data: Path, calls: list[int | None]) -> list[dict[str, Any]]:
    """ARI of the stream against ``cluster()`` and the truth, per labelled set and call size."""
    rows = []
    for name in ("newscluster", "ecbplus"):
        dataset = load_dataset(data, name)
        if dataset is None or dataset.labels is None:
            continue
        ids = [r["id"] for r in dataset.records]
        batch = cluster(dataset.records).labels.tolist()
        ordered = sorted(dataset.records, key=lambda r: (r["date"] or "", r["id"]))
        for size in calls:
            step = size or len(ordered)
            index = StoryIndex(window_days=None)
            for k in range(0, len(ordered), step):
                index.add(ordered[k : k + step])
            story = {a: s.id for s in index.stories() for a in s.ids}
            stream = [story[i] for i in ids]
            rows.append(
                {
                    "dataset": name,
                    "articles": len(ids),
                    "call_size": size,
                    "ari_vs_cluster": evaluate(batch, stream).ari,
                    "ari_vs_truth": evaluate(dataset.labels, stream).ari,
                    "cluster_ari_vs_truth": evaluate(dataset.labels, batch).ari,
                }
            )
            print(f"  {name}, calls of {size or 'all'}: done", flush=True)
    return rows


def agreement_table(rows: list[dict[str, Any]]) -> str:
    cells = [
        [r["dataset"], f"{r['articles']:,}", r["call_size"] or "all",
         f"{r['ari_vs_cluster']:.3f}", f"{r['ari_vs_truth']:.3f}",
         f"{r['cluster_ari_vs_truth']:.3f}"]
        for r in rows
    ]  # fmt: skip
    header = ["set", "articles", "articles per add", "ARI vs cluster()", "ARI vs truth",
              "cluster() vs truth"]  # fmt: skip
    return markdown_table(header, cells)


def table(result: dict[str, Any]) -> str:
    def num(value: float | None, fmt: str) -> str:
        return "n/a" if value is None else format(value, fmt)

    rows = [
        [f"build (batches of {result['batch_size']})", f"{result['base']:,} articles",
         f"{num(result['build_articles_per_second'], ',.0f')} articles/s"],
        ["single add, p50 / p99 / max", f"{result['single_adds']} adds",
         f"{num(result['single_p50_ms'], '.1f')} / {num(result['single_p99_ms'], '.1f')} / "
         f"{num(result['single_max_ms'], '.1f')} ms"],
        [f"batches of {result['batch_size']}", f"{result['batches']} batches",
         f"{num(result['batch_articles_per_second'], ',.0f')} articles/s"],
        ["database on disk", f"{result['articles']:,} articles, {result['stories']:,} stories",
         f"{result['db_mib']:,.0f} MiB"],
        ["peak RSS", "", f"{result['peak_rss_mib']:,.0f} MiB"],
    ]  # fmt: skip
    return markdown_table(["measure", "over", "result"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=int, default=100_000, help="articles in the index first")
    parser.add_argument("--singles", type=int, default=300, help="single-article adds to time")
    parser.add_argument("--batches", type=int, default=10, help="batches to time")
    parser.add_argument("--batch", type=int, default=1000, help="articles per batch")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", type=Path, help="index file to create (default: a temp folder)")
    parser.add_argument("--out", type=Path, default=DEFAULT_RESULTS / "stream.json")
    parser.add_argument(
        "--agreement", action="store_true", help="measure agreement with cluster() instead"
    )
    parser.add_argument(
        "--calls", default="1,25,100,all", help="articles per add for --agreement ('all': one)"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled sets' folder")
    args = parser.parse_args(argv)
    info = machine_info()
    print(machine_line(info))
    if args.agreement:
        calls = [None if c == "all" else int(c) for c in args.calls.split(",")]
        rows = agreement(args.data, calls)
        print()
        print(agreement_table(rows))
        out = args.out.with_name("stream_agreement.json")
        write_json(out, {"machine": info, "calls": args.calls, "result": rows})
        print(f"\nresults written to {out}")
        return 0
    with tempfile.TemporaryDirectory(prefix="dedupe-stream-") as tmp:
        db = args.db or Path(tmp) / "stories.db"
        if db.exists():
            parser.error(f"--db {db} exists; give a new path")
        result = run(args, db)
    print()
    print(table(result))
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    write_json(args.out, {"machine": info, "settings": settings, "result": result})
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
