"""``dedupe-news index ...``: a persistent story index from the shell."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .articles import Article, read_articles
from .errors import InputError
from .index import Assignment, StoryIndex, StoryInfo, arrival_order
from .result import _headline

__all__ = ["add_index_commands", "run_index"]

_EPILOG = """examples:
  dedupe-news index add news.db today.jsonl        add articles; print where each went
  dedupe-news index query news.db draft.jsonl      which stories would they join
  dedupe-news index stories news.db --since 2d     stories active in the last two days
"""

_AGO = re.compile(r"(\d+(?:\.\d+)?)\s*([hdw])", re.IGNORECASE)
_UNIT_DAYS = {"h": 1 / 24, "d": 1.0, "w": 7.0}


def add_index_commands(commands: Any) -> None:
    """Register ``index add|query|stories`` on the top-level subparsers."""
    index = commands.add_parser(
        "index",
        help="keep a story index (SQLite) up to date as articles arrive",
        description="A persistent story index: articles join stories as they arrive.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = index.add_subparsers(dest="action", metavar="ACTION", required=True)
    fmt = argparse.ArgumentParser(add_help=False)
    fmt.add_argument(
        "--format",
        choices=("table", "jsonl"),
        help="output format (default: table on a terminal, otherwise jsonl)",
    )
    add = actions.add_parser("add", parents=[fmt], help="add articles to the index")
    add.add_argument("db", metavar="DB", help="index database (created when missing)")
    add.add_argument("paths", nargs="+", metavar="FILE", help="articles (as for 'cluster')")
    add.add_argument(
        "--window-days",
        type=float,
        default=30.0,
        help="for a new index: stories stay open this many days (default 30)",
    )
    add.add_argument(
        "--batch",
        type=_positive_int,
        metavar="N",
        help="add in date order, N articles per call and transaction (default: all in one "
        "call, decided together as a batch; smaller calls bound the memory of a large archive)",
    )
    query = actions.add_parser("query", parents=[fmt], help="match articles without adding them")
    query.add_argument("db", metavar="DB")
    query.add_argument("paths", nargs="+", metavar="FILE")
    stories = actions.add_parser("stories", parents=[fmt], help="list stories, newest first")
    stories.add_argument("db", metavar="DB")
    stories.add_argument("--since", help="ISO date, or an age such as 12h, 2d, 1w")
    stories.add_argument("--until", help="ISO date, or an age")


def _when(text: str | None) -> str | None:
    if text is None:
        return None
    match = _AGO.fullmatch(text.strip())
    if match:
        days = float(match.group(1)) * _UNIT_DAYS[match.group(2).lower()]
        return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat()
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"--since/--until {text!r}: expected an ISO date (2024-06-20) or an age (12h, 2d, 1w)"
        ) from None
    return text


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of articles, got {text}")
    return value


def _add(index: StoryIndex, articles: list[Article], batch: int | None) -> list[Assignment]:
    """Assignments in input order; with ``batch``, calls of that many articles in the order
    the index takes them (by date, undated ones as arriving now)."""
    if batch is None:
        return index.add(articles)
    ordered = arrival_order(articles)
    done = {
        a.article_id: a
        for k in range(0, len(ordered), batch)
        for a in index.add(ordered[k : k + batch])
    }
    return [done[a.id] for a in articles]


def _read(paths: Sequence[str]) -> list[Article]:
    return [article for path in paths for article in read_articles(path)]


def _table(rows: list[dict[str, Any]], columns: Sequence[str], out: TextIO) -> None:
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[k]) for r in cells)]) for k, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for r in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n")


def _emit(rows: list[dict[str, Any]], columns: Sequence[str], fmt: str | None) -> None:
    if (fmt or ("table" if sys.stdout.isatty() else "jsonl")) == "table":
        _table(rows, columns, sys.stdout)
    else:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


def _story_row(story: StoryInfo) -> dict[str, Any]:
    return {
        "story": story.id,
        "size": story.size,
        "first_seen": story.first_seen,
        "last_seen": story.last_seen,
        "representative": story.representative.id,
        "headline": _headline(story.representative, 70),
        "merged_from": list(story.merged_from),
        "ids": story.ids,
    }


def run_index(args: argparse.Namespace) -> int:
    """Run one ``index`` action; errors propagate to the caller's handler."""
    if args.action == "add":
        with StoryIndex(args.db, window_days=args.window_days) as index:
            assignments = _add(index, _read(args.paths), args.batch)
            added: list[dict[str, Any]] = [
                {
                    "id": a.article_id,
                    "story": a.story_id,
                    "new_story": a.new_story,
                    "match": a.match,
                    "score": round(a.score, 4),
                    "merged": list(a.merged),
                }
                for a in assignments
            ]
            _emit(added, ("id", "story", "new_story", "match", "score", "merged"), args.format)
            joined = sum(not a.new_story for a in assignments)
            print(
                f"dedupe-news: added {len(assignments)} articles ({joined} joined a story); "
                f"{len(index)} in the index",
                file=sys.stderr,
            )
        return 0
    if not Path(args.db).exists():
        raise InputError(f"{args.db}: no such index (create one with 'dedupe-news index add')")
    if args.action == "query":
        with StoryIndex(args.db) as index:
            rows: list[dict[str, Any]] = []
            for article in _read(args.paths):
                matches = index.query(article)[:3]
                rows.append(
                    {
                        "id": article.id,
                        "story": matches[0].story_id if matches else None,
                        "score": round(matches[0].score, 4) if matches else None,
                        "match": matches[0].match if matches else None,
                        "joins": bool(matches) and matches[0].score >= index.config.threshold,
                        "others": [
                            {"story": m.story_id, "score": round(m.score, 4)} for m in matches[1:]
                        ],
                    }
                )
            _emit(rows, ("id", "story", "score", "match", "joins"), args.format)
        return 0
    with StoryIndex(args.db) as index:
        found = index.stories(since=_when(args.since), until=_when(args.until))
        columns = ("story", "size", "first_seen", "last_seen", "representative", "headline")
        _emit([_story_row(s) for s in found], columns, args.format)
    return 0
