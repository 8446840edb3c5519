"""Articles: the record the pipeline works on, and turning user input into it.

All validation of user-supplied articles happens here, at the public boundary, so the rest of the
pipeline can trust its input: every article has a unique string id and a ``str`` text.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

from ._runtime import batch_runtime
from .errors import InputError

__all__ = ["Article", "coerce_articles", "plain_size", "read_articles", "read_chunks"]

_FIELDS = ("id", "text", "title", "date", "source", "url")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".json", ".json.gz")


@dataclass(frozen=True)
class Article:
    """One news article.

    Parameters
    ----------
    id : str
        Unique within one call; generated from the position when the input has none.
    text : str
        The body. Empty and very short texts are allowed: they become singleton stories.
    title : str or None
        The headline; part of the evidence when present.
    date : str or None
        Publication date as ISO 8601 (``YYYY-MM-DD`` or a full timestamp).
    source : str or None
        The outlet (e.g. a domain); lines that repeat across one source's articles are
        treated as boilerplate.
    url : str or None
        Where the article came from; kept for output only.
    """

    id: str
    text: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None


def _is_missing(value: object) -> bool:
    """None, NaN and pandas' NA/NaT count as missing optional fields."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ in {"NAType", "NaTType"}


def _where(position: int, article_id: object) -> str:
    return (
        f"article {article_id!r} (position {position})"
        if article_id is not None
        else (f"article at position {position}")
    )


class _FieldError(ValueError):
    """A field that is not allowed; :func:`_from_mapping` names the article (made only then)."""


def _optional_str(value: object, field: str) -> str | None:
    if isinstance(value, str):  # most fields: checked at once
        return value
    if _is_missing(value):
        return None
    raise _FieldError(f"{field!r} must be a string or None, got {type(value).__name__}")


def _normalize_date(value: object) -> str | None:
    if isinstance(value, str):
        try:
            return _iso_date(value)
        except ValueError:
            raise _FieldError(
                f"'date' {value!r} is not ISO 8601 (expected e.g. '2024-06-20' or "
                "'2024-06-20T14:30:00')"
            ) from None
    if _is_missing(value):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "isoformat") and callable(value.isoformat):  # pandas.Timestamp
        return str(value.isoformat())
    raise _FieldError(f"'date' must be an ISO 8601 string, got {type(value).__name__}")


@functools.lru_cache(maxsize=4096)
def _iso_date(value: str) -> str | None:
    """The date stripped, None when blank; ValueError when not ISO 8601. Cached: a batch's
    articles share a few hundred dates."""
    text = value.strip()
    if not text:
        return None
    dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return text


def _from_mapping(record: Mapping[str, Any], position: int) -> Article:
    raw_id = record.get("id")
    article_id = None if _is_missing(raw_id) else raw_id
    try:
        return _checked_mapping(record, position, article_id)
    except _FieldError as err:
        raise InputError(f"{_where(position, article_id)}: {err}") from None


def _checked_mapping(record: Mapping[str, Any], position: int, article_id: object) -> Article:
    if "text" not in record:
        keys = ", ".join(sorted(map(str, record))) or "none"
        raise _FieldError(f"missing the required 'text' field (fields present: {keys})")
    text = record["text"]
    if not isinstance(text, str):
        shown = "NaN" if isinstance(text, float) and math.isnan(text) else repr(text)[:60]
        raise _FieldError(
            f"'text' must be a string, got {type(text).__name__} {shown}; "
            "use '' for an article without text"
        )
    if isinstance(article_id, bool) or not isinstance(article_id, str | int | None):
        raise _FieldError(f"'id' must be a string or an integer, got {type(article_id).__name__}")
    get = record.get
    return Article(
        id=str(position if article_id is None else article_id),
        text=text,
        title=_optional_str(get("title"), "title"),
        date=_normalize_date(get("date")),
        source=_optional_str(get("source"), "source"),
        url=_optional_str(get("url"), "url"),
    )


def check_text_column(columns: Iterable[object]) -> None:
    """Refuse a table (pandas or Dask) without the required ``text`` column."""
    names = [str(c) for c in columns]
    if "text" not in names:
        raise InputError(f"DataFrame has no 'text' column (columns: {', '.join(names)})")


def _records_from_dataframe(frame: Any) -> list[dict[str, Any]]:
    check_text_column(frame.columns)
    columns = [c for c in _FIELDS if c in frame.columns]
    records: list[dict[str, Any]] = frame[columns].to_dict(orient="records")
    return records


def coerce_articles(data: object, *, start: int = 0) -> list[Article]:
    """Turn any accepted input into a list of :class:`Article`, validating everything up front.

    Accepted: a sequence (or iterable) of ``str``, of mappings with at least ``"text"``, or of
    :class:`Article`; or a pandas DataFrame with a ``text`` column. Ids come from the input or
    are the position as a string; ``start`` is the first position (a later part of a larger
    input, such as a Dask partition, numbers on from its place in the whole).

    Raises
    ------
    InputError
        Naming the article (id or position) and what is allowed.
    """
    if data is None:
        raise InputError("articles must be a sequence of articles, got None")
    if isinstance(data, str | bytes):
        raise InputError(
            "articles must be a sequence of articles, got a single "
            f"{type(data).__name__}; wrap it in a list: cluster([text])"
        )
    if hasattr(data, "columns") and hasattr(data, "to_dict"):
        items: Iterable[object] = _records_from_dataframe(data)
    elif isinstance(data, Mapping):
        raise InputError(
            "articles must be a sequence of articles, got a single mapping; wrap it in a list"
        )
    elif isinstance(data, Iterable):
        items = data
    else:
        raise InputError(
            f"articles must be a sequence of str, dict or Article, got {type(data).__name__}"
        )

    articles: list[Article] = []
    for position, item in enumerate(items, start):
        if isinstance(item, Article):
            if not isinstance(item.text, str):
                raise InputError(f"{_where(position, item.id)}: 'text' must be a string")
            articles.append(item)
        elif isinstance(item, str):
            articles.append(Article(id=str(position), text=item))
        elif isinstance(item, Mapping):
            articles.append(_from_mapping(item, position))
        else:
            shown = "NaN" if isinstance(item, float) and math.isnan(item) else repr(item)[:60]
            raise InputError(
                f"article at position {position}: expected str, dict or Article, "
                f"got {type(item).__name__} {shown}"
            )
    check_unique_ids([a.id for a in articles], start)
    return articles


def check_unique_ids(ids: Sequence[str], start: int = 0) -> None:
    """Refuse a repeated id, naming it and both positions (counted from ``start``)."""
    seen: dict[str, int] = {}
    for position, article_id in enumerate(ids, start):
        first = seen.setdefault(article_id, position)
        if first != position:
            raise InputError(
                f"duplicate article id {article_id!r} at positions {first} and {position}; "
                "ids must be unique (generated ids are positions, so do not mix them with "
                "numeric ids)"
            )


# --------------------------------------------------------------------------- reading files


def _open_text(path: Path) -> IO[str]:
    """A UTF-8 text stream over a plain or gzipped file (the caller closes it)."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="strict", newline="")
    return path.open(encoding="utf-8", errors="strict", newline="")


def _read_jsonl(stream: IO[str], name: str) -> Iterator[dict[str, Any]]:
    line_no = 0
    try:
        for line_no, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{name}:{line_no}: malformed JSON ({err.msg})") from None
            if not isinstance(record, dict):
                raise InputError(
                    f"{name}:{line_no}: each line must be a JSON object with a 'text' field, "
                    f"got {type(record).__name__}"
                )
            yield record
    except UnicodeDecodeError as err:
        raise InputError(
            f"{name}:{line_no + 1}: not valid UTF-8 (byte {err.object[err.start]:#04x}); "
            "re-encode the file as UTF-8"
        ) from None


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        with _open_text(path) as stream:
            reader = csv.DictReader(stream)
            if reader.fieldnames is None or "text" not in reader.fieldnames:
                raise InputError(f"{path}: CSV header has no 'text' column")
            return [dict(row) for row in reader]
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8; re-encode the file as UTF-8") from None


def _read_txt_folder(path: Path) -> list[dict[str, Any]]:
    files = sorted(p for p in path.iterdir() if p.suffix == ".txt" and p.is_file())
    if not files:
        raise InputError(f"{path}: folder holds no .txt files")
    return [_read_txt(file) for file in files]


def _read_txt(file: Path) -> dict[str, Any]:
    """One article from a text file; its id is the file name without the suffix."""
    try:
        return {"id": file.stem, "text": file.read_text(encoding="utf-8")}
    except UnicodeDecodeError:
        raise InputError(f"{file}: not valid UTF-8; re-encode the file as UTF-8") from None


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            f"{path}: reading Parquet needs the 'parquet' extra: pip install 'dedupe-news[parquet]'"
        ) from None
    try:
        frame = pd.read_parquet(path)
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            f"{path}: reading Parquet needs the 'parquet' extra: pip install 'dedupe-news[parquet]'"
        ) from None
    return _records_from_dataframe(frame)


def _records(path: str | Path) -> list[dict[str, Any]]:
    if str(path) == "-":
        return list(_read_jsonl(sys.stdin, "<stdin>"))
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_txt_folder(path)
    name = path.name.lower()
    if name.endswith(_JSONL_SUFFIXES):
        with _open_text(path) as stream:
            return list(_read_jsonl(stream, str(path)))
    if name.endswith((".csv", ".csv.gz")):
        return _read_csv(path)
    if name.endswith(".parquet"):
        return _read_parquet(path)
    if name.endswith(".txt"):
        return [_read_txt(path)]
    raise InputError(
        f"{path}: unknown file type; expected .jsonl/.ndjson (optionally .gz), .csv, .parquet, "
        "a .txt file, a folder of .txt files, or '-' for JSON lines on stdin"
    )


def read_articles(path: str | Path) -> list[Article]:
    """Read articles from a file, a folder of ``.txt`` files, or ``"-"`` (JSON lines on stdin).

    Parameters
    ----------
    path : str or pathlib.Path
        ``.jsonl`` / ``.ndjson`` (optionally gzipped): one JSON object per line with at least
        ``"text"``; ``.csv`` with a ``text`` column; ``.parquet`` (needs the ``parquet`` extra);
        a folder of ``.txt`` files (id = file stem); ``"-"`` for JSON lines on stdin.

    Returns
    -------
    list of Article

    Raises
    ------
    InputError
        Naming the file and line for malformed JSON, bad encodings, missing fields or
        duplicate ids.

    Examples
    --------
    >>> from dedupe_news import read_articles, seeds_path
    >>> len(read_articles(seeds_path()))
    5
    """
    with batch_runtime():  # a million articles' objects: the collector's passes took a tenth
        records = _records(path)
        try:
            return coerce_articles(records)
        except InputError as err:
            raise InputError(f"{path}: {err}") from None


def read_chunks(paths: Sequence[str | Path], size: int) -> Iterator[list[Article]]:
    """The articles of files (as :func:`read_articles` reads each), ``size`` at a time, ids
    unique across all of them; JSON lines are read as they come, so only a chunk of them is
    held at once (other formats are read whole first).

    Raises
    ------
    InputError
        As :func:`read_articles`, and for an id repeated anywhere in the inputs, naming both
        places; when the chunk that holds the problem is read.
    """
    seen: dict[str, tuple[str, int]] = {}
    for path in paths:
        position = 0
        for records in _record_chunks(path, size):
            try:
                chunk = coerce_articles(records, start=position)
            except InputError as err:
                raise InputError(f"{path}: {err}") from None
            for k, article in enumerate(chunk, position):
                origin, first = seen.setdefault(article.id, (str(path), k))
                if origin != str(path):
                    raise InputError(
                        f"{path}: article id {article.id!r} at position {k} was already read "
                        f"from {origin} (position {first}); ids must be unique across inputs"
                    )
                if first != k:
                    raise InputError(
                        f"{path}: duplicate article id {article.id!r} at positions {first} and "
                        f"{k}; ids must be unique"
                    )
            position += len(chunk)
            yield chunk


def plain_size(paths: Sequence[str | Path]) -> int:
    """Bytes in the uncompressed files among ``paths``: they hold no more characters of text
    than that (0 for what cannot be told so: stdin, gzip, Parquet, folders)."""
    total = 0
    for path in paths:
        name = str(path).lower()
        if name != "-" and not name.endswith((".gz", ".parquet")) and Path(path).is_file():
            total += Path(path).stat().st_size
    return total


def _record_chunks(path: str | Path, size: int) -> Iterator[list[dict[str, Any]]]:
    """The records of a file, ``size`` at a time (JSON lines as they are read)."""
    stdin = str(path) == "-"
    if stdin or (str(path).lower().endswith(_JSONL_SUFFIXES) and Path(path).is_file()):
        with nullcontext(sys.stdin) if stdin else _open_text(Path(path)) as stream:
            records = _read_jsonl(stream, "<stdin>" if stdin else str(path))
            while chunk := list(islice(records, size)):
                yield chunk
        return
    whole = _records(path)
    for start in range(0, len(whole), size):
        yield whole[start : start + size]
