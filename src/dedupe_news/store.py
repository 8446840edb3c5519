"""SQLite persistence of a :class:`~dedupe_news.index.StoryIndex`.

One file, WAL mode (one writer and any number of readers at once), a schema version checked on
open, and no pickle: arrays are stored as little-endian bytes of a fixed dtype, settings as
JSON. Every ``add`` is one transaction, so a writer killed mid-way leaves the last committed
state and nothing half-written.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import DedupeNewsError

__all__ = ["SCHEMA_VERSION", "ArticleRow", "IndexFormatError", "Store", "StoryRow"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE terms (id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE);
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    first_day REAL NOT NULL,
    last_day REAL NOT NULL,
    merged_into INTEGER REFERENCES stories(id)
);
CREATE TABLE articles (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    story INTEGER NOT NULL REFERENCES stories(id),
    day REAL NOT NULL,
    date TEXT,
    source TEXT,
    title TEXT,
    url TEXT,
    text TEXT NOT NULL,
    terms BLOB NOT NULL,      -- int32 term ids, sorted
    counts BLOB NOT NULL,     -- float32 weighted term counts, aligned with terms
    bands BLOB NOT NULL,      -- uint64 LSH band keys (empty for short articles)
    lines BLOB NOT NULL,      -- uint64 hashes of its short lines (boilerplate counting)
    neighbours BLOB NOT NULL, -- int64 seqs of its closest articles, best first
    similarity BLOB NOT NULL, -- float64 cosine to each of them
    norm REAL NOT NULL        -- TF-IDF norm when it arrived (its share of the centroid)
);
CREATE INDEX articles_story ON articles(story);
CREATE INDEX articles_day ON articles(day);
"""


class IndexFormatError(DedupeNewsError):
    """The database was written by an incompatible version of dedupe_news (or is not an index)."""


@functools.cache
def _little_endian(dtype: str) -> np.dtype[Any]:
    little: np.dtype[Any] = np.dtype(dtype).newbyteorder("<")
    return little


def blob(values: npt.ArrayLike, dtype: str) -> bytes:
    """Array as little-endian bytes of ``dtype``."""
    return np.ascontiguousarray(values, dtype=_little_endian(dtype)).tobytes()


def unblob(data: bytes, dtype: str) -> npt.NDArray[Any]:
    """Array from :func:`blob` bytes, in native byte order."""
    return np.frombuffer(data, dtype=_little_endian(dtype)).astype(dtype)


@dataclass
class ArticleRow:
    """An article as stored, with its features."""

    seq: int
    id: str
    story: int
    day: float
    date: str | None
    source: str | None
    title: str | None
    url: str | None
    text: str
    terms: npt.NDArray[np.int32]
    counts: npt.NDArray[np.float32]
    bands: npt.NDArray[np.uint64]
    lines: npt.NDArray[np.uint64]
    neighbours: npt.NDArray[np.int64]
    similarity: npt.NDArray[np.float64]
    norm: float


@dataclass
class StoryRow:
    id: int
    first_day: float
    last_day: float
    merged_into: int | None


_COLUMNS = (
    "seq", "id", "story", "day", "date", "source", "title", "url", "text", "terms", "counts",
    "bands", "lines", "neighbours", "similarity", "norm",
)  # fmt: skip
_ARTICLE_COLUMNS = ", ".join(_COLUMNS)
# The same without the texts (a date, title and url of None, a text of ""): what reopening needs.
_LEFT_ON_DISK = {"date": "NULL", "title": "NULL", "url": "NULL", "text": "''"}
_FEATURE_COLUMNS = ", ".join(_LEFT_ON_DISK.get(column, column) for column in _COLUMNS)


def _article(row: tuple[Any, ...]) -> ArticleRow:
    seq, article_id, story, day, date, source, title, url, text = row[:9]
    return ArticleRow(
        seq,
        article_id,
        story,
        day,
        date,
        source,
        title,
        url,
        text,
        terms=unblob(row[9], "int32"),
        counts=unblob(row[10], "float32"),
        bands=unblob(row[11], "uint64"),
        lines=unblob(row[12], "uint64"),
        neighbours=unblob(row[13], "int64"),
        similarity=unblob(row[14], "float64"),
        norm=row[15],
    )


def _values(row: ArticleRow) -> tuple[Any, ...]:
    """An article's column values, in ``_COLUMNS`` order."""
    return (
        row.seq, row.id, row.story, row.day, row.date, row.source, row.title, row.url, row.text,
        blob(row.terms, "int32"), blob(row.counts, "float32"), blob(row.bands, "uint64"),
        blob(row.lines, "uint64"), blob(row.neighbours, "int64"), blob(row.similarity, "float64"),
        row.norm,
    )  # fmt: skip


# A checkpoint is asked for once a commit brings this many row changes since the last one (an
# inserted article is about two pages of the log, a changed neighbour list one): every call of
# 1,000 articles, every 600 or so single adds.
_CHECKPOINT_CHANGES = 2_000
# SQLite's own checkpoint, inside the commit, stays as a backstop past this many pages (64 MiB):
# reached only when the checkpointer cannot finish, e.g. single adds land during its every pass.
_BACKSTOP_PAGES = 16_384
_PASSES = 8  # checkpoint passes for one request at the most


class _Checkpointer:
    """Copies the write-ahead log into the database file on a thread and connection of its own,
    while the writer computes its next call.

    SQLite's automatic checkpoint runs inside the commit that crosses its threshold: on our
    benchmark one call of 1,000 articles in three waited about 0.1 s for it. The log starts
    over (instead of growing) only when a write transaction *begins* after a checkpoint has
    copied all of it, which is why the index opens its write transaction only to write, after
    a call's computing. Losing a checkpoint is harmless: the next one, or closing the last
    connection, copies what is left.
    """

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._state = threading.Condition()
        self._asked = self._done = 0  # requests made, and answered
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="dedupe-news-wal", daemon=True)
        self._thread.start()

    def request(self) -> None:
        with self._state:
            self._asked += 1
            self._state.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every request made so far has been answered; False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self._done == self._asked, timeout)

    def _run(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._asked > self._done or self._closing)
                if self._closing:
                    break
                answering = self._asked
            self._checkpoint()
            with self._state:
                self._done = answering
                self._state.notify_all()
        self._db.close()
        with self._state:
            self._done = self._asked
            self._state.notify_all()

    def _checkpoint(self) -> None:
        """Passive passes until one finds nothing new: a pass copies the log as it was when
        the pass began, and the writer may commit meanwhile (a few passes at most; a writer
        that never pauses meets the backstop)."""
        last = -1
        for _ in range(_PASSES):
            try:  # fetched, so the statement ends and holds no read snapshot
                ((busy, logged, copied),) = self._db.execute(
                    "PRAGMA wal_checkpoint(PASSIVE)"
                ).fetchall()
            except sqlite3.Error:  # busy or failing now: the next request tries again
                return
            if busy or copied < logged or logged == last or self._closing:
                return
            last = logged

    def close(self) -> None:
        with self._state:
            self._closing = True
            self._state.notify_all()
        self._thread.join()


class Store:
    """The tables of one index; ``path=None`` keeps them in memory."""

    def __init__(self, path: str | Path | None, settings: dict[str, Any]) -> None:
        self.path = None if path is None else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        self.db = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA foreign_keys = ON")
        if self.path is not None:
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute(f"PRAGMA wal_autocheckpoint = {_BACKSTOP_PAGES}")
            self.db.execute("PRAGMA busy_timeout = 10000")
        self.checkpoints: _Checkpointer | None = None
        self._checkpointed_at = 0  # row changes when a checkpoint was last asked for
        self.settings = self._open(settings)
        if self.path is not None:
            self.checkpoints = _Checkpointer(self.path)
            self._stop_checkpoints = weakref.finalize(self, self.checkpoints.close)

    def _open(self, settings: dict[str, Any]) -> dict[str, Any]:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        where = self.path or "the in-memory index"
        if not tables:
            with self.transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("schema_version", str(SCHEMA_VERSION)), ("settings", json.dumps(settings))],
                )
            return settings
        if "meta" not in tables:
            raise IndexFormatError(f"{where} is not a dedupe_news index (no meta table)")
        meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        version = int(meta.get("schema_version", -1))
        if version != SCHEMA_VERSION:
            raise IndexFormatError(
                f"{where} has index schema version {version}; this dedupe_news reads version "
                f"{SCHEMA_VERSION}. Rebuild it: export with the version that wrote it "
                "(`dedupe-news index stories DB --format jsonl`) and add the articles to a new "
                "index."
            )
        stored: dict[str, Any] = json.loads(meta["settings"])
        return stored

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write (``BEGIN IMMEDIATE``: waits for other writers, not for readers)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        changes = self.db.total_changes
        if self.checkpoints and changes - self._checkpointed_at >= _CHECKPOINT_CHANGES:
            self._checkpointed_at = changes
            self.checkpoints.request()

    # ------------------------------------------------------------------ reads

    def tokens(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT token FROM terms ORDER BY id")]

    def articles(
        self, where: str = "", params: tuple[Any, ...] = (), *, texts: bool = True
    ) -> Iterator[ArticleRow]:
        """Stored articles in seq order; ``texts=False`` leaves their texts in the database."""
        columns = _ARTICLE_COLUMNS if texts else _FEATURE_COLUMNS
        query = f"SELECT {columns} FROM articles {where} ORDER BY seq"
        for row in self.db.execute(query, params):
            yield _article(row)

    def stories(self) -> Iterator[StoryRow]:
        query = "SELECT id, first_day, last_day, merged_into FROM stories ORDER BY id"
        for row in self.db.execute(query):
            yield StoryRow(*row)

    # ------------------------------------------------------------------ writes (in a transaction)

    def add_terms(self, first_id: int, tokens: list[str]) -> None:
        self.db.executemany(
            "INSERT INTO terms (id, token) VALUES (?, ?)",
            [(first_id + k, t) for k, t in enumerate(tokens)],
        )

    def insert_articles(self, rows: Iterable[ArticleRow]) -> None:
        """Insert articles (a generator is written row by row as it yields, in one statement)."""
        self.db.executemany(
            f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            map(_values, rows),
        )

    def update_neighbours(self, lists: Iterable[tuple[int, npt.ArrayLike, npt.ArrayLike]]) -> None:
        """Set the neighbour lists of stored articles: ``(seq, neighbours, similarity)``."""
        self.db.executemany(
            "UPDATE articles SET neighbours = ?, similarity = ? WHERE seq = ?",
            (
                (blob(neighbours, "int64"), blob(similarity, "float64"), seq)
                for seq, neighbours, similarity in lists
            ),
        )

    def upsert_story(self, story: StoryRow) -> None:
        self.db.execute(
            "INSERT INTO stories (id, first_day, last_day, merged_into) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET first_day = excluded.first_day, "
            "last_day = excluded.last_day, merged_into = excluded.merged_into",
            (story.id, story.first_day, story.last_day, story.merged_into),
        )

    def delete_article(self, seq: int) -> None:
        self.db.execute("DELETE FROM articles WHERE seq = ?", (seq,))

    def close(self) -> None:
        if self.checkpoints is not None:
            self._stop_checkpoints()
        self.db.close()
