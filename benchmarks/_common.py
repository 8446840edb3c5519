"""Shared helpers for the benchmark scripts: paths, data loading, machine info, tables, timing.

Datasets are read at run time from a data folder outside the repository; nothing here copies
their texts anywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import dedupe_news

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_RESULTS = REPO_ROOT / "results"

ARTICLE_FIELDS = ("id", "title", "text", "date", "source")
"""The fields of a data record that are passed to the library (extra fields are dropped)."""

T = TypeVar("T")


@dataclass
class Dataset:
    """Articles (plain dicts with ``ARTICLE_FIELDS``) and, when labelled, one label per article."""

    name: str
    records: list[dict[str, Any]]
    labels: list[str] | None

    def __len__(self) -> int:
        return len(self.records)


# Data files below ``--data``: name -> (relative path, whether it carries story labels).
DATA_FILES: dict[str, tuple[str, bool]] = {
    "ecbplus": ("ecbplus/ecbplus.jsonl", True),
    "newscluster": ("newscluster/newscluster.jsonl", True),
    "reuters21578": ("reuters21578/reuters21578.jsonl.gz", False),
}


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """JSON objects, one per non-empty line of a plain or gzipped file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def load_dataset(data_dir: Path, name: str, limit: int | None = None) -> Dataset | None:
    """A dataset from ``data_dir``, or None (after printing why) when its file is absent."""
    relative, labelled = DATA_FILES[name]
    path = data_dir / relative
    if not path.is_file():
        print(
            f"[skip] dataset {name!r}: {path} not found; pass --data DIR where DIR holds "
            f"{relative} (default {DEFAULT_DATA})"
        )
        return None
    records: list[dict[str, Any]] = []
    labels: list[str] = []
    for raw in read_jsonl(path):
        if limit is not None and len(records) >= limit:
            break
        records.append({key: raw.get(key) for key in ARTICLE_FIELDS})
        labels.append(str(raw.get("cluster")))
    return Dataset(name, records, labels if labelled else None)


def load_seeds(granularity: str) -> Dataset:
    """The bundled seed articles with their ``"story"`` or ``"event"`` ground truth."""
    folder = dedupe_news.seeds_path()
    truth = json.loads((folder / "labels.json").read_text(encoding="utf-8"))[granularity]
    articles = dedupe_news.read_articles(folder)
    records = [
        {"id": a.id, "title": a.title, "text": a.text, "date": a.date, "source": a.source}
        for a in articles
    ]
    return Dataset(f"seeds ({granularity})", records, [truth[a.id] for a in articles])


def full_text(record: dict[str, Any]) -> str:
    """Title and text joined, as the peers see an article."""
    title = record.get("title") or ""
    return f"{title}\n{record.get('text') or ''}" if title else str(record.get("text") or "")


_WORD = re.compile(r"\w+")


def word_shingles(text: str, size: int = 3) -> set[str]:
    """Distinct word ``size``-grams of the lowercased ``\\w+`` tokens.

    A text with fewer than ``size`` tokens yields its whole token sequence as one shingle (or
    nothing when it has no token).
    """
    tokens = _WORD.findall(text.lower())
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[k : k + size]) for k in range(len(tokens) - size + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two sets (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def machine_info() -> dict[str, Any]:
    """Python, platform, CPU count, library version and the current time."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "dedupe_news": dedupe_news.__version__,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "executable": sys.executable,
    }


def machine_line(info: dict[str, Any]) -> str:
    return (
        f"machine: Python {info['python']} | {info['platform']} | {info['cpus']} CPUs | "
        f"dedupe_news {info['dedupe_news']} | {info['date']}"
    )


def timed(func: Callable[[], T]) -> tuple[T, float]:
    """``func()`` and its wall-clock seconds."""
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...``; ``elapsed()`` gives the seconds so far."""
    start = time.perf_counter()
    yield lambda: time.perf_counter() - start


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table; the first column left-aligned, the rest right."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]

    def line(row: Sequence[str]) -> str:
        parts = [
            row[k].ljust(widths[k]) if k == 0 else row[k].rjust(widths[k]) for k in range(len(row))
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(
        ":" + "-" * (w + 1) if k == 0 else "-" * (w + 1) + ":" for k, w in enumerate(widths)
    )
    return "\n".join([line(cells[0]), rule + "|", *(line(r) for r in cells[1:])])


def add_io_arguments(parser: argparse.ArgumentParser, out_name: str, data_holds: str) -> None:
    """The ``--data`` and ``--out`` options every benchmark script takes."""
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"folder holding {data_holds} (default {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_RESULTS / out_name,
        help=f"JSON output (default {(DEFAULT_RESULTS / out_name).relative_to(REPO_ROOT)})",
    )


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def resident_mib() -> float:
    """Resident set size of this process now (Linux); its peak so far elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mib()


def run_json_worker(script: str, arguments: list[str], label: str) -> dict[str, Any]:
    """Run ``script`` with ``arguments`` in a fresh interpreter (so its peak RSS is its own)
    and return the JSON object on the last line of its output, or ``{"error": ...}``."""
    command = [sys.executable, str(Path(script).resolve()), *arguments]
    print(f"[run] {label} ...", flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        return {"error": f"worker exited with status {done.returncode} (see its stderr above)"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented JSON, creating the parent folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n", encoding="utf-8")


def _json_default(value: object) -> object:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
