"""``dedupe-news dask ...``: cluster an archive on Dask from the shell (the ``dask`` extra)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["add_dask_command", "run_dask"]

_EPILOG = """examples:
  dedupe-news dask 'archive/*.jsonl' -o stories/                 two local worker processes
  dedupe-news dask s3://bucket/news-*.jsonl.gz -o stories/ --scheduler tcp://10.0.0.5:8786
  dedupe-news dask articles.parquet -o stories/ --workers 4 --threshold 0.35

Writes stories/labels/ (a Parquet dataset of id, story) and stories/stories.parquet (one row a
story: size, representative, title, first and last date, sources); the stories are the same as
'dedupe-news cluster' gives for the same articles.
"""


def add_dask_command(commands: Any) -> None:
    """Register ``dask`` on the top-level subparsers."""
    run = commands.add_parser(
        "dask",
        help="cluster large inputs on a Dask cluster (needs dedupe-news[dask])",
        description=(
            "Cluster JSON-lines or Parquet files on Dask: on a running scheduler, or on local "
            "worker processes. Paths may be globs or URLs Dask can read (s3://, gs://, ...)."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("paths", nargs="+", metavar="PATH", help=".jsonl[.gz] or .parquet inputs")
    run.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="folder for the Parquet results"
    )
    where = run.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="e.g. tcp://10.0.0.5:8786")
    where.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    run.add_argument(
        "--blocksize",
        default="64MB",
        help="JSON bytes per partition (default 64MB; a compressed file is one partition)",
    )
    run.add_argument("--threshold", type=float, help="merge threshold in [0, 1]")
    run.add_argument("--seed", type=int, help="MinHash seed")
    run.add_argument("-q", "--quiet", action="store_true", help="no summary")


def _frame(paths: Sequence[str], blocksize: str) -> Any:
    import dask.dataframe as dd

    for path in paths:  # local paths that are neither globs nor URLs must exist
        if "://" not in path and not any(c in path for c in "*?[") and not Path(path).exists():
            raise InputError(f"{path}: no such file")

    parquet = [p.endswith(".parquet") for p in paths]
    if all(parquet):
        return dd.read_parquet(list(paths))
    if any(parquet):
        raise InputError("give either JSON-lines or Parquet inputs, not both")
    compressed = any(p.endswith((".gz", ".bz2", ".xz", ".zst")) for p in paths)
    return dd.read_json(
        list(paths),
        lines=True,
        blocksize=None if compressed else blocksize,
        compression="infer",
        dtype=False,  # values stay as written: the id "007" is not 7
    )


def run_dask(args: argparse.Namespace) -> int:
    try:
        from . import dask as dask_engine  # its error says what to install
    except ImportError as err:
        raise InputError(str(err)) from None
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            "dedupe-news dask needs dask.distributed: pip install 'dedupe-news[dask]'"
        ) from None
    if args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}")
    # Dask's own start-up chatter (INFO) and routine shuffle notes (WARNING) stay out of the way.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
    overrides: dict[str, Any] = {
        k: v for k, v in (("threshold", args.threshold), ("seed", args.seed)) if v is not None
    }
    if not args.quiet and sys.stderr.isatty():  # stage by stage, as the run goes
        overrides["progress"] = True
        logging.getLogger("dedupe_news").setLevel(logging.INFO)
    frame = _frame(args.paths, args.blocksize)
    if args.scheduler:
        with Client(args.scheduler):
            result = dask_engine.cluster(frame, **overrides)
            root = result.to_parquet(args.output)
    else:
        with (
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            if not args.quiet:
                print(f"dedupe-news: Dask dashboard at {client.dashboard_link}", file=sys.stderr)
            result = dask_engine.cluster(frame, **overrides)
            root = result.to_parquet(args.output)
    if not args.quiet:
        s = result.stats
        print(
            f"dedupe-news: {s.articles} articles -> {s.stories} stories "
            f"({s.stories - s.singletons} with 2+ articles); written to {root}",
            file=sys.stderr,
        )
    return 0
