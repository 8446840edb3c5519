"""Dask benchmark: local ``cluster()`` against ``dedupe_news.dask`` with 1 and 2 workers.

What it measures
----------------
One synthetic corpus from ``synth.py`` (``--n`` articles, JSON lines) is clustered:

* ``local``: ``dedupe_news.read_articles(path)`` then ``dedupe_news.cluster(articles)``;
* ``dask, W workers``: a ``LocalCluster`` of W worker processes with one thread each,
  ``dd.read_json(path, lines=True, blocksize=...)`` into ``--partitions`` partitions read by
  the workers, then ``dedupe_news.dask.cluster(frame)`` and the labels computed.

Each run happens in a fresh interpreter (this script with a hidden ``--worker`` flag) so peak
RSS is its own. The clock runs from reading the file to the labels on the client; starting
the LocalCluster is outside it (a real deployment keeps its cluster). Worker memory is each
worker process's peak RSS (``ru_maxrss``, read from the workers at the end). Every Dask result
is compared with the local labels: "identical" means the same story number for every article.

On a 2-core machine, Dask cannot be faster than the local run, which already uses both cores
for its threaded kernels; the table shows the engine's overhead and how the work spreads.

How to run
----------
    .venv/bin/python -m pip install -e ".[dask]"
    .venv/bin/python benchmarks/dask_scale.py [--n 20000] [--partitions 8] [--workers 1 2]

Prints a markdown table and writes everything to ``--out`` as JSON (no texts).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dedupe_news
from _common import (
    add_io_arguments,
    machine_info,
    machine_line,
    markdown_table,
    peak_rss_mib,
    run_json_worker,
    write_json,
)


def run_local(path: Path) -> dict[str, Any]:
    start = time.perf_counter()
    result = dedupe_news.cluster(dedupe_news.read_articles(path))
    seconds = time.perf_counter() - start
    labels = {a.id: int(label) for a, label in zip(result.articles, result.labels, strict=True)}
    return {"seconds": seconds, "stories": result.stats.stories, "labels": labels}


def run_dask(path: Path, workers: int, partitions: int) -> dict[str, Any]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import dedupe_news.dask

    blocksize = max(path.stat().st_size // partitions + 1, 1 << 16)
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        start = time.perf_counter()
        frame = dd.read_json(str(path), lines=True, blocksize=blocksize)
        result = dedupe_news.dask.cluster(frame)
        labels_frame = result.labels.compute()
        seconds = time.perf_counter() - start
        worker_rss = client.run(peak_rss_mib)
    labels = dict(zip(labels_frame["id"], labels_frame["story"].astype(int).tolist(), strict=True))
    return {
        "seconds": seconds,
        "stories": result.stats.stories,
        "partitions": int(frame.npartitions),
        "worker_peak_rss_mib": sorted(worker_rss.values()),
        "labels": labels,
    }


def worker(kind: str, path: Path, workers: int, partitions: int) -> int:
    result = run_local(path) if kind == "local" else run_dask(path, workers, partitions)
    result["client_peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(result))
    return 0


def run_in_subprocess(kind: str, path: Path, workers: int, partitions: int) -> dict[str, Any]:
    arguments = ["--worker", kind, "--input", str(path), "--n-workers", str(workers)]
    arguments += ["--partitions", str(partitions)]
    return run_json_worker(__file__, arguments, f"{kind} ({workers} worker(s))")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker(args.worker, args.input, args.n_workers, args.partitions)
    info = machine_info()
    print(machine_line(info))
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="dedupe-dask-") as tmp:
        from synth import write_corpus

        path = write_corpus(Path(tmp) / "articles.jsonl", args.n, args.seed)
        print(f"corpus: synth seed {args.seed}, {args.n:,} articles")
        local = run_in_subprocess("local", path, 1, args.partitions)
        runs.append({"engine": "local", "workers": None} | local)
        for workers in args.workers:
            result = run_in_subprocess("dask", path, workers, args.partitions)
            runs.append({"engine": "dask", "workers": workers} | result)
    reference = local.get("labels")
    rows = []
    for run in runs:
        labels = run.pop("labels", None)
        run["identical_to_local"] = labels is not None and labels == reference
        if "error" in run:
            rows.append([_engine(run), run["error"], "", "", "", "", "", ""])
            continue
        rows.append(
            [
                _engine(run),
                run.get("partitions", ""),
                f"{run['seconds']:.2f}",
                f"{args.n / run['seconds']:,.0f}",
                f"{run['seconds'] / local['seconds']:.2f}x" if "seconds" in local else "n/a",
                f"{run['client_peak_rss_mib']:,.0f}",
                ", ".join(f"{m:,.0f}" for m in run.get("worker_peak_rss_mib", [])) or "",
                "yes" if run["identical_to_local"] else "NO",
            ]
        )
    header = [
        "engine",
        "partitions",
        "seconds",
        "articles/s",
        "time vs local",
        "client peak RSS MiB",
        "worker peak RSS MiB",
        "same stories as local",
    ]
    print(f"\n## dedupe_news on Dask, {args.n:,} synthetic articles\n")
    print(markdown_table(header, rows))
    settings = vars(args) | {"out": str(args.out), "data": str(args.data)}
    write_json(args.out, {"machine": info, "settings": settings, "runs": runs})
    print(f"results written to {args.out}")
    return 0 if all(run["identical_to_local"] for run in runs) else 1


def _engine(run: dict[str, Any]) -> str:
    return "local cluster()" if run["engine"] == "local" else f"dask, {run['workers']} worker(s)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20_000, help="articles (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic corpus")
    parser.add_argument("--partitions", type=int, default=8, help="input partitions (default 8)")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)"
    )
    add_io_arguments(parser, "dask_scale.json", "nothing (the corpus is synthetic)")
    parser.add_argument("--worker", choices=["local", "dask"], help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n-workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker and args.input is None:
        parser.error("--worker needs --input")
    return args


if __name__ == "__main__":
    sys.exit(main())
