"""The ``dedupe-news`` command.

Errors in usage or input exit with status 2 and a one-line message naming the file, line or
article; no traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__, seeds_path
from .articles import Article, read_chunks
from .cli_dask import add_dask_command, run_dask
from .cli_index import add_index_commands, run_index
from .errors import DedupeNewsError
from .pipeline import cluster, cluster_file
from .result import Clustering, _headline

__all__ = ["main"]

_EPILOG = """examples:
  dedupe-news cluster                          cluster the bundled sample articles
  dedupe-news cluster articles.jsonl -o out.jsonl
  dedupe-news cluster news/ --format table     a folder of .txt files, as a table
  cat a.jsonl | dedupe-news cluster - --threshold 0.3 > stories.jsonl
  dedupe-news report articles.jsonl -o report.html   a searchable HTML report
  dedupe-news index add news.db today.jsonl          a persistent story index
  dedupe-news dask 'archive/*.jsonl' -o stories/     a large archive on Dask
"""

_PROGRESS_FROM = 5_000  # show progress on a terminal from this many articles
_PROGRESS_FROM_BYTES = 16 * 2**20  # ... or from files this large (about 5,000 articles)
_READ_AT_ONCE = 100_000  # articles validated at a time when a report reads them all


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dedupe-news",
        description="Group news articles that report the same story.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    inputs = argparse.ArgumentParser(add_help=False)
    inputs.add_argument("paths", nargs="*", metavar="PATH", help="input files or folders")
    inputs.add_argument(
        "--threshold", type=float, help="merge threshold in [0, 1]; higher is stricter"
    )
    inputs.add_argument("--seed", type=int, help="MinHash seed")
    inputs.add_argument("-q", "--quiet", action="store_true", help="no progress or summary")
    run = commands.add_parser(
        "cluster",
        parents=[inputs],
        help="cluster articles into stories",
        description=(
            "Cluster articles from JSONL/CSV/Parquet files, folders of .txt files or '-' "
            "(JSON lines on stdin). With no PATH, clusters the bundled sample articles."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("-o", "--output", metavar="OUT", help="write results here (default stdout)")
    run.add_argument(
        "--format",
        choices=("table", "jsonl", "csv"),
        help="output format (default: table on a terminal, otherwise jsonl; csv if OUT ends .csv)",
    )
    report = commands.add_parser(
        "report",
        parents=[inputs],
        help="cluster articles and write a searchable HTML report",
        description=(
            "Cluster the inputs (as 'cluster' does) and write one self-contained HTML file: "
            "stories by size, their members, the passages each shares with the story's "
            "representative highlighted, and the scores."
        ),
        epilog="example:\n  dedupe-news report articles.jsonl -o report.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "-o", "--output", metavar="OUT", default="report.html", help="default: report.html"
    )
    report.add_argument("--title", default="dedupe-news report", help="the page title")
    add_index_commands(commands)
    add_dask_command(commands)
    return parser


def _read_all(paths: Sequence[str]) -> list[Article]:
    """Every article of the inputs, ids unique across them (see :func:`read_chunks`)."""
    return [article for chunk in read_chunks(paths, _READ_AT_ONCE) for article in chunk]


def _print_table(result: Clustering, out: TextIO) -> None:
    multi = [s for s in result.stories if s.size > 1]
    out.write(f"{result!r}\n")
    for story in multi:
        out.write(f"\nstory {story.id}  ({story.size} articles)\n")
        for article, sim in zip(story.articles, story.similarity, strict=True):
            mark = "*" if article.id == story.representative.id else " "
            out.write(f"  {mark} {article.id:<24} {sim:4.2f}  {_headline(article, 80)}\n")
    singles = [s for s in result.stories if s.size == 1]
    if singles:
        out.write(f"\nsingletons ({len(singles)}):\n")
        for story in singles:
            article = story.representative
            out.write(f"    {article.id:<24}       {_headline(article, 80)}\n")


def _write(result: Clustering, fmt: str, out: TextIO) -> None:
    if fmt == "table":
        _print_table(result, out)
    elif fmt == "csv":
        result.write_csv(out)
    else:
        result.write_jsonl(out)


def _cluster_inputs(args: argparse.Namespace, *, explain: bool) -> Clustering:
    """Cluster the inputs. A report keeps the evidence it shows, and so the texts; tables and
    files of stories need neither, so the files are read a chunk at a time and their texts let
    go (a large batch's texts and evidence take gigabytes)."""
    paths = args.paths or [str(seeds_path())]
    overrides = {
        k: v for k, v in (("threshold", args.threshold), ("seed", args.seed)) if v is not None
    }
    if explain:
        articles = _read_all(paths)
        progress = _show_progress(args) and len(articles) >= _PROGRESS_FROM
        return cluster(articles, progress=progress, keep_evidence=True, **overrides)
    progress = _show_progress(args) and _input_bytes(paths) >= _PROGRESS_FROM_BYTES
    return cluster_file(paths, progress=progress, **overrides)


def _show_progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _input_bytes(paths: Sequence[str]) -> int:
    """The size of the input files (a stream's is unknown: counted as large)."""
    sizes = [Path(p).stat().st_size if Path(p).is_file() else 0 for p in paths if p != "-"]
    return sum(sizes) if "-" not in paths else _PROGRESS_FROM_BYTES


def _summary(result: Clustering) -> str:
    s = result.stats
    return (
        f"dedupe-news: {s.articles} articles -> {s.stories} stories "
        f"({s.stories - s.singletons} with 2+ articles)"
    )


def _run_report(args: argparse.Namespace) -> int:
    result = _cluster_inputs(args, explain=True)
    path = result.write_report(args.output, title=args.title)
    if not args.quiet:
        print(f"{_summary(result)}; report written to {path}", file=sys.stderr)
    return 0


def _run_cluster(args: argparse.Namespace) -> int:
    result = _cluster_inputs(args, explain=False)
    fmt = args.format
    if fmt is None:
        if args.output:
            fmt = "csv" if args.output.endswith(".csv") else "jsonl"
        else:
            fmt = "table" if sys.stdout.isatty() else "jsonl"
    if args.output:
        with Path(args.output).open("w", encoding="utf-8") as target:
            _write(result, fmt, target)
    else:
        _write(result, fmt, sys.stdout)
    if not args.quiet and (args.output or fmt != "table"):
        print(_summary(result), file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``dedupe-news``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="dedupe-news: %(message)s")
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "index":
            return run_index(args)
        if args.command == "dask":
            return run_dask(args)
        return _run_report(args) if args.command == "report" else _run_cluster(args)
    except DedupeNewsError as err:
        print(f"dedupe-news: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"dedupe-news: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
