"""Continuous clustering: a persistent index that assigns arriving articles to stories.

The same evidence as :func:`dedupe_news.cluster`, kept up to date one ``add`` call at a time:

* **A call is decided together**, as a batch is: its articles' lines, terms and document
  frequencies enter the statistics first, then each newcomer meets its candidates, then one
  average linkage decides them all. A call of one article decides as a stream; a whole corpus
  in one call gives the stories of ``cluster()``; feeds polled every few minutes sit between.
* **Statistics evolve.** Document frequencies and the article count grow with every call; an
  article's TF-IDF vector is recomputed from its stored term counts with the current IDF
  whenever it is compared, so early articles are not stuck with early statistics.
* **Candidates** come from the same two LSH channels (salient terms, word shingles), kept as
  in-memory buckets of the active articles, plus each candidate's closest articles.
* **Second-order similarity** uses an incremental neighbour table: each article keeps its
  closest articles, and a newcomer that beats one of them takes its place, so vectors are
  blended with neighbours that arrived later too, as in a batch.
* **Stories** grow by average linkage. The stories the newcomers touch enter the linkage as
  clusters already formed (one node each, weighted by its size: its members' mean vector, or
  its latest 500 members' for a long-running story), the newcomers as single articles; two
  clusters merge while the mean similarity over all their member pairs is at least
  ``threshold``, so one bridge cannot chain stories. A newcomer thus joins a story, starts one
  with other newcomers, or shows that two stories are one: the merge is recorded
  (``merged_into``) and articles keep the story id they were given.
* **Time:** an article may only join stories active within ``window_days`` of its date (its
  arrival time when undated); older stories stay stored and queryable.

With ``path`` the index lives in SQLite (see :mod:`dedupe_news.store`): each ``add`` is one
transaction, reopening continues where it left off, and readers may open it while one writer
adds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path
from types import GeneratorType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ._arrays import dense_unique, flatten, grown, kept_indptr, positions_in, sorted_unique
from ._buckets import Buckets
from ._kernels import FirstSeen, weigh_rows_kernel
from ._neighbours import NeighbourTable
from ._rows import Rows, blend, distinct_pairs, ranks
from ._runtime import batch_runtime, retained_memory
from ._termrows import TermRows
from .articles import Article, coerce_articles
from .clustering import average_linkage
from .config import Config
from .errors import ConfigError, DedupeNewsError, InputError
from .lsh import band_keys
from .pipeline import (
    NodeTokens,
    count_matrix,
    day_number,
    idf_and_weights,
    kept_tokens,
    lsh_signatures,
    salient_sets,
    sublinear_tf,
    term_weight,
    title_and_body,
)
from .shingles import fmix64, ngram_hash_sets, token_hashes
from .similarity import pair_cosine, top_neighbours
from .store import ArticleRow, Store, StoryRow
from .text import (
    BoilerplateRules,
    Scan,
    ScanBuilder,
    chrome_lines,
    scan_bodies,
    scan_hashes,
    scan_texts,
)

__all__ = ["Assignment", "Match", "StoryIndex", "StoryInfo"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Assignment:
    """Where :meth:`StoryIndex.add` put an article."""

    article_id: str
    story_id: int
    new_story: bool
    match: str | None  # the member of the story most similar to the article
    score: float  # mean similarity to the story's other (latest 500) members; 0 if new
    cosine: float  # TF-IDF cosine to ``match``
    merged: tuple[int, ...] = ()  # stories this article showed to be the same, now merged


@dataclass(frozen=True)
class Match:
    """A story an article would join (:meth:`StoryIndex.query`)."""

    story_id: int
    score: float  # mean similarity to the story's members
    match: str  # its most similar member
    cosine: float


@dataclass(frozen=True)
class StoryInfo:
    """A story as stored: members in arrival order, and its history."""

    id: int
    articles: tuple[Article, ...]
    representative: Article
    first_seen: str  # ISO date of its earliest member
    last_seen: str
    merged_into: int | None  # set when this story was merged into another
    merged_from: tuple[int, ...]  # stories merged into this one

    @property
    def size(self) -> int:
        return len(self.articles)

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.articles]


@dataclass
class _Live:
    """The in-memory state of one stored article."""

    seq: int
    story: int  # as assigned; the surviving story is found through merges
    day: float
    source: str | None
    bands: npt.NDArray[np.uint64]
    lines: npt.NDArray[np.uint64]
    norm: float = 1.0  # TF-IDF norm when it arrived: its weight in the running centroid


@dataclass
class _Story:
    first_day: float
    last_day: float
    merged_into: int | None
    members: list[int]  # seqs in order, for surviving stories (merged stories' included)


@dataclass
class _Parsed:
    """A call's articles as token hashes, the vocabulary not yet updated: each article's title
    then the kept tokens of its body, in one array; and the distinct keys of its short lines."""

    days: list[float]
    hashes: npt.NDArray[np.uint64]
    lengths: I64  # tokens of title 0, body 0, title 1, body 1, ...
    strings: dict[int, str]  # each hash's token
    lines: list[npt.NDArray[np.uint64]]

    def tokens(self, ids: npt.NDArray[np.int32]) -> NodeTokens:
        """The articles' tokens as ``ids`` (those of ``hashes``)."""
        return NodeTokens.from_lengths(ids, self.lengths)


class _Scale:
    """IDF times term weight (as batch TF-IDF weighs terms). A single article's comparison
    needs a few thousand terms of a vocabulary that may hold millions: they are computed as
    asked; past one value per vocabulary term, the whole table is computed once instead."""

    def __init__(self, df: I64, weights: F64, n: int, config: Config, size: int) -> None:
        self._df, self._weights, self._n, self._config = df, weights, n, config
        self.size = size  # terms in the vocabulary (the arrays may have spare room)
        self._table: F64 | None = None

    def _values(self, terms: npt.NDArray[Any] | slice) -> F64:
        idf, weights = idf_and_weights(self._df[terms], self._n, self._weights[terms], self._config)
        return np.asarray(idf * weights)

    def _few(self, terms: npt.NDArray[Any]) -> bool:
        """Whether computing values for ``terms`` costs less than the whole table."""
        return self._table is None and terms.size <= self.size

    def _whole(self) -> F64:
        if self._table is None:
            self._table = self._values(slice(0, self.size))
        return self._table

    def __getitem__(self, terms: npt.NDArray[Any]) -> F64:
        return self._values(terms) if self._few(terms) else self._whole()[terms]

    def weigh(self, indptr: I64, terms: npt.NDArray[np.int32], tf: F64) -> Rows:
        """TF-IDF rows from term rows (``tf`` overwritten), without the terms that weigh nothing
        now (too common): three in four of a stored row's terms at 100,000 articles, which
        every later sum over the rows would walk for nothing."""
        if self._few(terms):
            return Rows(indptr, terms, tf * self._values(terms)).nonzero()
        kept = weigh_rows_kernel(indptr, terms, tf, self._whole())
        return Rows(kept, terms[: kept[-1]], tf[: kept[-1]])


@dataclass
class _Counts:
    """A call's term counts as CSR rows, one per article: distinct term ids (ascending) and
    weighted counts (float32, as stored)."""

    indptr: I64
    terms: npt.NDArray[np.int32]
    counts: npt.NDArray[np.float32]

    def row(self, k: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        start, end = self.indptr[k], self.indptr[k + 1]
        return self.terms[start:end], self.counts[start:end]

    @classmethod
    def concatenate(
        cls, rows: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]]
    ) -> _Counts:
        """Rows from ``(terms, counts)`` pairs."""
        terms, indptr = flatten([t for t, _ in rows], np.int32)
        counts, _ = flatten([c for _, c in rows], np.float32)
        return cls(indptr, terms, counts)

    def subset(self, keep: npt.NDArray[np.bool_]) -> _Counts:
        """The same rows with only the entries ``keep`` marks."""
        return _Counts(kept_indptr(self.indptr, keep), self.terms[keep], self.counts[keep])


class _KeyCounts:
    """How many articles hold each short-line key: a compiled first-seen table of the keys and
    a count per key, rather than a Counter of Python ints (a call looks up tens of thousands)."""

    def __init__(self) -> None:
        self._ids = FirstSeen()
        self._counts: I64 = np.zeros(0, dtype=np.int64)

    def add(self, keys: npt.NDArray[np.uint64]) -> None:
        """Count each key once per occurrence."""
        before = self._ids.count
        ids, _ = self._ids.ids(keys)
        self._counts = grown(self._counts, before, self._ids.count)
        found, times = np.unique(ids, return_counts=True)  # not a pass over every key known
        self._counts[found] += times

    def get(self, keys: npt.NDArray[np.uint64]) -> I64:
        """The count of each key (0 for keys never added)."""
        ids = self._ids.find(keys)
        counts = np.zeros(ids.size, dtype=np.int64)
        known = ids >= 0
        counts[known] = self._counts[ids[known]]
        return counts


@dataclass
class _Vectors:
    """Second-order vectors a call compared, by article seq."""

    position: dict[int, int]
    rows: Rows


_Groups = list[tuple[list[int], list[int]]]  # linkage groups: (stored stories, newcomer seqs)


@dataclass(frozen=True)
class _Outcome:
    """What the first newcomer of a linkage group (or a newcomer alone) did."""

    started: bool  # it started a new story
    merged: tuple[int, ...]  # stories its group merged into the one it joined


_RUNTIME_SETTINGS = ("n_jobs", "progress")
_FEW_PAIRS = 5_000  # below this, pair cosines without scipy's per-call costs
# A story is compared through its most recent members: all of them up to this many, so a
# long-running story does not make every call that touches it slower.
_STORY_SAMPLE = 500
_CHUNK = 4096  # articles whose terms are handled at once when a whole index's are
_PENDING = -1  # the story of an article of the current add call, not yet decided


def _deciding(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in _RUNTIME_SETTINGS}


def _runtime(config: Config) -> dict[str, Any]:
    return {k: getattr(config, k) for k in _RUNTIME_SETTINGS}


def _day(article: Article, now: float) -> float:
    """An article's day number; its arrival (``now``) when undated."""
    return now if article.date is None else day_number(article.date)


def _now() -> float:
    return dt.datetime.now(dt.timezone.utc).timestamp() / 86400.0


def arrival_order(articles: Iterable[Article], now: float | None = None) -> list[Article]:
    """Articles as an index takes them: by date, undated ones as arriving ``now``; then by id."""
    at = _now() if now is None else now
    return sorted(articles, key=lambda a: (_day(a, at), a.id))


def _short(tokens: NodeTokens, config: Config) -> npt.NDArray[np.bool_]:
    """Articles with too few tokens to compare (each stays a story of its own)."""
    return np.asarray(tokens.body_end - tokens.title_start < config.min_tokens)


def _line_keys(scan: Scan, lines: I64) -> npt.NDArray[np.uint64]:
    """The index's key of each of these lines of a scan: the BLAKE2b hash of its words joined by
    spaces, as the index has stored them from the start. Made once per distinct line (the
    scan's line key tells them apart): repeated lines are the point."""
    _, one_of, same = np.unique(scan.line_key[lines], return_index=True, return_inverse=True)
    first = scan.line_first[lines[one_of]]
    sizes = scan.line_first[lines[one_of] + 1] - first
    words = [scan.words[i] for i in scan.ids[np.repeat(first, sizes) + ranks(sizes)].tolist()]
    bounds = np.concatenate(([0], np.cumsum(sizes))).tolist()
    distinct = token_hashes([" ".join(words[a:b]) for a, b in pairwise(bounds)])
    return distinct[same.ravel()]


def _iso(day: float) -> str:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(days=day)).isoformat(timespec="seconds")


class StoryIndex:
    """Stories of a growing collection of articles, kept in memory or in a SQLite file.

    Parameters
    ----------
    path : str or Path, optional
        SQLite database to create or continue; ``None`` keeps the index in memory.
    config : Config, optional
        Clustering settings (as for :func:`dedupe_news.cluster`); stored with a new index and
        read back when an existing one is opened (passing different ones is an error).
    window_days : float or None, default 30
        An article may join only stories with a member dated within this many days of it;
        ``None`` never retires a story. Like ``config``, fixed when the index is created: an
        existing index keeps its own.

    Examples
    --------
    >>> import dedupe_news
    >>> index = dedupe_news.StoryIndex()
    >>> articles = dedupe_news.read_articles(dedupe_news.seeds_path())
    >>> [a.new_story for a in index.add(articles)]
    [True, False, False, False, True]
    >>> len(index), len(index.stories())
    (5, 2)
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        config: Config | None = None,
        window_days: float | None = 30.0,
    ) -> None:
        if window_days is not None and not (window_days > 0 and math.isfinite(window_days)):
            raise ConfigError(f"window_days must be a positive number or None, got {window_days!r}")
        wanted = config or Config()
        settings: dict[str, Any] = {
            "config": dataclasses.asdict(wanted),
            "window_days": window_days,
        }
        existed = path is not None and Path(path).exists()
        self._store = Store(path, settings)
        stored = self._store.settings
        if (
            existed
            and config is not None
            and _deciding(stored["config"]) != _deciding(settings["config"])
        ):
            raise ConfigError(
                f"{path} was created with other settings; open it without config= to use them"
            )
        # Settings that change no decision (threads, progress bars) are the caller's.
        self.config = Config(**{**stored["config"], **_runtime(wanted)})
        self.window_days: float | None = stored["window_days"]
        # Freed memory stays in the process while the index is open (see _runtime).
        self._release_memory = weakref.finalize(self, retained_memory())
        self._load()

    # ------------------------------------------------------------------ state

    def _load(self) -> None:
        """The in-memory state from the database (a whole index's arrays: a batch's settings)."""
        with batch_runtime():
            self._read_state()

    def _read_state(self) -> None:
        # Tokens get ids in first-seen order, keyed by the scan's hash (as a batch keys them):
        # a call's tokens are never made into strings, only its new ones are.
        self._token_ids = FirstSeen()
        self._tokens: list[str] = []
        stored = self._store.tokens()
        _, first = self._token_ids.ids(scan_hashes(stored))  # in id order: the same ids
        if first.size != len(stored):
            raise DedupeNewsError(
                f"{self._store.path}: two stored terms share a 64-bit hash; rebuild the index"
            )
        self._saved_terms = len(stored)  # tokens already in the terms table
        # Per-term arrays with spare room, so a growing vocabulary is not copied on every add.
        self._hashes = np.empty(0, dtype=np.uint64)
        self._weights = np.empty(0, dtype=np.float64)
        self._df = np.empty(0, dtype=np.int64)
        self._centroid = np.empty(0, dtype=np.float64)
        self._scratch = np.empty(0, dtype=np.float64)  # all zero between uses
        self._grow(stored)
        self._live: dict[int, _Live] = {}
        self._rows = TermRows()  # each article's terms and sublinear frequencies
        # By seq, for whole calls at a time: each article's day and story (as assigned).
        self._days = np.empty(0, dtype=np.float64)
        self._story_of = np.empty(0, dtype=np.int64)
        self._neighbours = NeighbourTable(self.config.expand_neighbours or self.config.neighbours)
        self._seq_of: dict[str, int] = {}
        self._id_of: dict[int, str] = {}
        self._buckets = Buckets()
        self._lines = _KeyCounts()  # articles holding each short line
        self._source_lines: dict[str, _KeyCounts] = {}  # the same within each source
        self._stories: dict[int, _Story] = {}
        for story in self._store.stories():
            self._stories[story.id] = _Story(story.first_day, story.last_day, story.merged_into, [])
        stored_rows = self._store.articles(texts=False)
        while rows := list(islice(stored_rows, _CHUNK)):  # a chunk at a time: less memory
            lives = [
                _Live(row.seq, row.story, row.day, row.source, row.bands, row.lines, row.norm)
                for row in rows
            ]
            for live, row in zip(lives, rows, strict=True):
                self._remember(live, row.id)
                self._stories[self._root(live.story)].members.append(live.seq)
            seqs = np.array([live.seq for live in lives], dtype=np.int64)
            self._neighbours.fill(
                seqs, [row.neighbours for row in rows], [row.similarity for row in rows]
            )
            counted = _Counts.concatenate([(row.terms, row.counts) for row in rows])
            self._admit_rows(seqs, counted)
            self._count(lives, counted.terms)
        self._next_seq = max(self._live, default=-1) + 1
        self._next_story = max(self._stories, default=-1) + 1
        lives = list(self._live.values())
        self._enter_buckets(lives)
        self._centroid_add(lives)

    def _grow(self, new: list[str]) -> None:
        """Add tokens just given ids to the vocabulary, with room in the per-term arrays
        (capacity doubles)."""
        start = len(self._tokens)
        self._tokens.extend(new)
        size = len(self._tokens)
        self._hashes = grown(self._hashes, start, size)
        self._weights = grown(self._weights, start, size)
        self._df = grown(self._df, start, size)
        self._centroid = grown(self._centroid, start, size)
        self._scratch = grown(self._scratch, start, size)
        if new:
            self._hashes[start:size] = token_hashes(new)
            weight = self.config.number_weight
            self._weights[start:size] = [term_weight(t, weight) for t in new]

    def _remember(self, live: _Live, article_id: str) -> None:
        if live.seq >= self._days.size:
            room = max(live.seq + 1, 2 * self._days.size, 1024) - self._days.size
            self._days = np.concatenate((self._days, np.full(room, np.nan)))
            self._story_of = np.concatenate((self._story_of, np.full(room, _PENDING)))
        self._days[live.seq] = live.day
        self._story_of[live.seq] = live.story
        self._live[live.seq] = live
        self._seq_of[article_id] = live.seq
        self._id_of[live.seq] = article_id

    def _count(self, lives: list[_Live], terms: npt.NDArray[np.int32]) -> None:
        """Count articles (``terms``: all their term ids) in the statistics: document
        frequencies, short lines (overall and per source). An article's line hashes are
        distinct."""
        if not lives:
            return
        self._df += np.bincount(terms, minlength=self._df.size)
        self._lines.add(np.concatenate([np.empty(0, np.uint64), *(live.lines for live in lives)]))
        by_source: dict[str, list[npt.NDArray[np.uint64]]] = {}
        for live in lives:
            if live.source is not None:
                by_source.setdefault(live.source, []).append(live.lines)
        for source, lines in by_source.items():
            self._source_lines.setdefault(source, _KeyCounts()).add(np.concatenate(lines))

    def _enter_buckets(self, lives: list[_Live]) -> None:
        """Put articles (in seq order) in the LSH buckets of their band keys."""
        counts = np.array([live.bands.size for live in lives], dtype=np.int64)
        if counts.sum():
            seqs = np.repeat(np.array([live.seq for live in lives], dtype=np.int64), counts)
            self._buckets.add(np.concatenate([live.bands for live in lives]), seqs)

    def _root(self, story: int) -> int:
        while (parent := self._stories[story].merged_into) is not None:
            story = parent
        return story

    # ------------------------------------------------------------------ vectors

    def _idf_weights(self) -> _Scale:
        """The current statistics (see :class:`_Scale`)."""
        return _Scale(self._df, self._weights, len(self._live), self.config, len(self._tokens))

    def _tfidf(self, seqs: list[int], scale: _Scale) -> Rows:
        """Rows of TF-IDF vectors with the current statistics (not normalized)."""
        return scale.weigh(*self._rows.gather(np.asarray(seqs, dtype=np.int64)))

    def _raw(self, seqs: list[int], scale: _Scale) -> Rows:
        """Rows of L2-normalized TF-IDF vectors with the current statistics."""
        return self._tfidf(seqs, scale).unit()

    def _centroid_add(self, lives: list[_Live]) -> None:
        """Running sum of all articles' vectors, unscaled: ``tf / norm`` with the norm of when
        the article arrived; times the current IDF weights it approximates the batch centroid.
        """
        for start in range(0, len(lives), _CHUNK):  # a whole index's terms: a chunk at a time
            chunk = lives[start : start + _CHUNK]
            indptr, terms, tf = self._rows.gather(np.array([live.seq for live in chunk]))
            norms = np.repeat(np.array([live.norm for live in chunk]), np.diff(indptr))
            np.add.at(self._centroid, terms, tf / norms)  # in order

    def _smoothed(self, seqs: list[int], scale: _Scale) -> Rows:
        """Second-order vectors of ``seqs``: each blended with its closest neighbours."""
        cfg = self.config
        wanted = np.asarray(seqs, dtype=np.int64)
        owner, near, sims = self._neighbours.entries(wanted, cfg.neighbours)
        # Rows: the wanted ones, then their other neighbours in seq order (a table by seq).
        size = int(max(wanted.max(initial=-1), near.max(initial=-1))) + 1
        other = np.zeros(size, dtype=bool)
        other[near] = True
        other[wanted] = False
        rows = np.concatenate((wanted, np.flatnonzero(other)))
        source = positions_in(rows, near)
        raw = self._raw(rows.tolist(), scale)
        n = len(self._live)
        # Each row's cosine with the running centroid of all articles: the background.
        end = raw.indptr[len(seqs)]
        cols = raw.terms[:end]
        dots = np.bincount(
            raw.row_of_entries()[:end],
            weights=raw.values[:end] * self._centroid[cols] * scale[cols],
            minlength=len(seqs),
        )
        background = (dots - 1.0) / max(n - 1.0, 1.0)
        # Output row k gets itself plus neighbour_weight * lift times each close neighbour.
        lift = sims - background[owner]
        keep = (lift > 0) & (cfg.neighbour_weight > 0)
        own = np.arange(len(seqs))
        out_row = np.concatenate((own, owner[keep]))
        order = np.argsort(out_row, kind="stable")  # each row: itself, then its neighbours
        return blend(
            raw,
            out_row[order],
            np.concatenate((own, source[keep]))[order],
            np.concatenate((np.ones(len(seqs)), cfg.neighbour_weight * lift[keep]))[order],
            len(seqs),
        )

    # ------------------------------------------------------------------ text

    def _parse(self, articles: list[Article], now: float) -> _Parsed:
        """Articles' tokens without page chrome and boilerplate lines, from compiled scans of
        their titles and bodies (see :func:`dedupe_news.text.scan_texts`)."""
        cfg = self.config
        titled = [title_and_body(article, layout=False) for article in articles]
        titles, bodies = [t for t, _ in titled], [b for _, b in titled]
        title_scan = scan_texts(titles, 0, n_jobs=cfg.n_jobs)
        scan, bodies = scan_bodies(
            bodies, ScanBuilder(cfg.boilerplate_max_line_words, n_jobs=cfg.n_jobs)
        )
        removed, lines = self._short_lines(articles, scan, chrome_lines(bodies, scan))
        hashes, lengths = kept_tokens(title_scan, scan, removed)
        days = [_day(article, now) for article in articles]
        return _Parsed(days, hashes, lengths, scan.strings | title_scan.strings, lines)

    def _short_lines(
        self, articles: list[Article], scan: Scan, chrome: npt.NDArray[np.bool_]
    ) -> tuple[npt.NDArray[np.bool_], list[npt.NDArray[np.uint64]]]:
        """The lines to drop (page chrome and boilerplate) and each article's distinct short
        line keys.

        A short line is boilerplate when it occurs in ``batch_floor`` of all the articles (the
        stored ones and these) or in ``boilerplate_min_source_articles`` of its source's: the
        call counts itself, as a batch does.
        """
        cfg = self.config
        keyed = np.flatnonzero(scan.keyed & ~chrome)
        keys = _line_keys(scan, keyed)
        article = np.repeat(np.arange(len(articles)), np.diff(scan.text_first))[keyed]
        # Distinct (article, key) pairs, by article then key; each line's pair.
        order = np.lexsort((keys, article))
        new_pair = np.ones(order.size, dtype=bool)
        new_pair[1:] = np.diff(article[order]) != 0
        new_pair[1:] |= keys[order][1:] != keys[order][:-1]
        pair_of_line = np.empty(order.size, dtype=np.int64)
        pair_of_line[order] = np.cumsum(new_pair) - 1
        owner, key = article[order][new_pair], keys[order][new_pair]
        distinct, inverse, seen = np.unique(key, return_inverse=True, return_counts=True)
        stored = self._lines.get(distinct)
        floor = BoilerplateRules.batch_floor(
            len(self._live) + len(articles),
            min_articles=cfg.boilerplate_min_articles,
            min_share=cfg.boilerplate_min_share,
        )
        common = (stored + seen >= floor)[inverse.ravel()]
        # Within each source: its stored articles and this call's that hold the line.
        by_source = np.zeros(key.size, dtype=bool)
        codes: dict[str, int] = {}  # each source's number in this call
        source = np.array(
            [-1 if a.source is None else codes.setdefault(a.source, len(codes)) for a in articles]
        )[owner]
        names = list(codes)
        order = np.argsort(source, kind="stable")
        for mine in np.split(order, np.flatnonzero(np.diff(source[order])) + 1):
            if mine.size == 0 or source[mine[0]] < 0:
                continue
            name = names[source[mine[0]]]
            _, which, seen_here = np.unique(key[mine], return_inverse=True, return_counts=True)
            known = self._source_lines.get(name)  # None: no stored article of this source
            stored_here = known.get(key[mine]) if known is not None else 0
            total = stored_here + seen_here[which.ravel()]
            by_source[mine] = total >= cfg.boilerplate_min_source_articles
        removed = chrome.copy()
        removed[keyed] = (common | by_source)[pair_of_line]
        per_article = np.bincount(owner, minlength=len(articles))
        return removed, np.split(key, np.cumsum(per_article)[:-1])

    def _term_counts(self, tokens: NodeTokens) -> _Counts:
        """Each article's distinct terms and weighted counts: the title ``title_weight`` times,
        the lead once; unknown tokens (``-1``, a query's) are left out."""
        size, known = len(self._tokens), None
        ids = tokens.ids
        if ids.size * 4 < size or (ids.size and ids.min() < 0):
            # A small call counts in a table of its own tokens rather than the vocabulary's.
            known, inverse = np.unique(ids, return_inverse=True)
            ids, size = inverse.ravel().astype(np.int32), known.size
            tokens = NodeTokens(ids, tokens.title_start, tokens.body_start, tokens.body_end)
        matrix = count_matrix(tokens, size, self.config)
        indptr, terms, counts = matrix.indptr, matrix.indices, matrix.data
        if known is not None:
            terms = known[terms]
        counted = _Counts(indptr, terms.astype(np.int32), counts.astype(np.float32))
        return counted.subset((terms >= 0) & (counts > 0))

    def _bands(self, ids: list[I64], rows: Rows) -> npt.NDArray[np.uint64]:
        """LSH bucket keys of both channels (salient terms, word shingles), one row per article
        (``ids`` its token ids, ``rows`` its TF-IDF row), signatures computed in bulk."""
        cfg = self.config
        salient = salient_sets(rows.matrix(len(self._tokens)), self._hashes, cfg)
        known = [article_ids[article_ids >= 0] for article_ids in ids]
        shingles = ngram_hash_sets(known, self._hashes, cfg.shingle_size, n_jobs=cfg.n_jobs)
        channels: tuple[tuple[Literal["rewrite", "copy"], Any, int], ...] = (
            ("rewrite", salient, 2),
            ("copy", shingles, 1),
        )
        keys = []
        for channel, sets, salt in channels:
            bands, band_rows = cfg.lsh_bands(channel)
            signatures = lsh_signatures(sets, channel, cfg)
            keys.append(fmix64(band_keys(signatures, bands, band_rows) ^ np.uint64(salt)))
        return np.concatenate(keys, axis=1)

    # ------------------------------------------------------------------ matching

    def _candidate_pairs(self, fresh: list[_Live]) -> I64:
        """``(newcomer, candidate)`` seq pairs, sorted and distinct, for newcomers that have
        bucket keys and are not in the buckets yet.

        A newcomer meets the ``max_partners`` articles that entered each of its buckets last
        before it (stored ones, then earlier newcomers: a crowded bucket gives its most
        recent, as batch caps buckets), then the closest articles of the stored ones found
        (friends of friends). Only active candidates count: stored ones whose story has a
        member within ``window_days`` before the newcomer, newcomers dated so.
        """
        cfg = self.config
        recent = cfg.max_partners
        width = fresh[0].bands.size if fresh else 0
        if not fresh or width == 0:
            return np.empty((0, 2), dtype=np.int64)
        keys = np.concatenate([live.bands for live in fresh])
        owners = np.repeat(np.array([live.seq for live in fresh], dtype=np.int64), width)
        order = np.lexsort((owners, keys))
        keys, owners = keys[order], owners[order]
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        arrivals = np.diff(np.append(starts, keys.size))
        # Each bucket as a sequence: its stored tail, then the newcomers in order.
        tails, tail_sizes = self._buckets.tails(keys[starts], recent)
        sizes = tail_sizes + arrivals
        offsets = np.cumsum(sizes) - sizes
        sequence = np.empty(int(sizes.sum()), dtype=np.int64)
        is_new = np.ones(sequence.size, dtype=bool)
        stored_at = np.repeat(offsets, tail_sizes) + ranks(tail_sizes)
        sequence[stored_at] = tails
        is_new[stored_at] = False
        new_at = np.repeat(offsets + tail_sizes, arrivals) + ranks(arrivals)
        sequence[new_at] = owners
        # A newcomer at position p meets positions p - recent ... p - 1 of its bucket.
        place = new_at - np.repeat(offsets, arrivals)
        count = np.minimum(place, recent)
        left = np.repeat(new_at, count)
        right = left - 1 - ranks(count)
        pairs: I64 = np.stack([sequence[left], sequence[right]], axis=1)
        by_stored = pairs[~is_new[right]]
        met, where = dense_unique(by_stored[:, 1])
        owner, friend, _ = self._neighbours.entries(met, cfg.neighbours)  # list by list
        listed = np.bincount(owner, minlength=met.size)
        at = (np.cumsum(listed) - listed)[where]
        span = listed[where]
        extra = np.stack(
            [np.repeat(by_stored[:, 0], span), friend[np.repeat(at, span) + ranks(span)]], axis=1
        )
        pairs = distinct_pairs(np.concatenate((pairs, extra)))
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        if self.window_days is None or pairs.size == 0:
            return pairs
        fresh_seqs = np.array([live.seq for live in fresh], dtype=np.int64)
        fresh_days = np.array([live.day for live in fresh], dtype=np.float64)
        oldest = fresh_days[np.searchsorted(fresh_seqs, pairs[:, 0])] - self.window_days
        # A story was last active no earlier than any of its members: only the candidates
        # dated before the window need their story's last day.
        doubt = self._days[pairs[:, 1]] < oldest
        found = sorted_unique(pairs[doubt, 1])
        last = self._days[found]  # a newcomer's (pending) own day; else its story's last
        stories = self._story_of[found]
        decided = stories != _PENDING
        distinct = sorted_unique(stories[decided])
        story_last = [self._stories[self._root(story)].last_day for story in distinct.tolist()]
        last[decided] = np.asarray(story_last)[np.searchsorted(distinct, stories[decided])]
        active = ~doubt
        active[doubt] = last[np.searchsorted(found, pairs[doubt, 1])] >= oldest[doubt]
        return pairs[active]

    def _meet(self, live: _Live, ids: I64, scale: _Scale) -> tuple[list[int], F64]:
        """Give a probe (:meth:`query`) its bucket keys and closest articles, the index left
        as it is; return its candidates and their cosines."""
        row = self._raw([live.seq], scale)
        terms, values = row.row(0)
        live.bands = self._bands([ids], row)[0]
        candidates = self._candidate_pairs([live])[:, 1].tolist()
        if not candidates:
            return [], np.empty(0)
        sims = self._raw(candidates, scale).dots_with(terms, values, self._scratch)
        keep = self.config.expand_neighbours or self.config.neighbours
        order = np.lexsort((np.asarray(candidates), -sims))
        best = [k for k in order[:keep].tolist() if sims[k] > 0]
        self._neighbours.put(live.seq, [candidates[k] for k in best], sims[best])
        return candidates, sims

    def _neighbour_stories(self, live: _Live) -> list[int]:
        """Surviving stories of an article's closest articles (all active: candidates are)."""
        near, _ = self._neighbours.get(live.seq)
        return sorted({self._root(self._live[c].story) for c in near.tolist()})

    def _story_scores(
        self, seq: int, stories: list[int], scale: _Scale
    ) -> list[tuple[float, int, int, float]]:
        """``(mean similarity, story, best member, its similarity)`` of article ``seq`` (not a
        member) to each story, on second-order vectors."""
        groups = [self._stories[story].members[-_STORY_SAMPLE:] for story in stories]
        members = [m for group in groups for m in group]
        if not members:
            return []
        smoothed = self._smoothed([seq, *members], scale)  # one pass: rows are independent
        terms, values = smoothed.row(0)
        sims = smoothed.dots_with(terms, values, self._scratch)[1:]
        out, at = [], 0
        for story, group in zip(stories, groups, strict=True):
            part = sims[at : at + len(group)]
            at += len(group)
            best = int(np.argmax(part))
            out.append((float(part.mean()), story, group[best], float(part[best])))
        return out

    # ------------------------------------------------------------------ public API

    def add(self, articles: Iterable[object]) -> list[Assignment]:
        """Add articles and return where each went (in the order given).

        Articles are as for :func:`dedupe_news.cluster`; texts and dicts without an ``"id"``
        are numbered on from the index's articles so far. The call's articles are decided
        together, like a batch (see the module's description): larger calls come closer to
        ``cluster()`` on the same articles; their order within the call does not matter.

        The whole call is one transaction: on error nothing is added.

        Raises
        ------
        InputError
            Before any change: for a malformed article, or an id that is already in the index
            or twice in the batch.
        """
        items = coerce_articles(self._with_ids(articles))  # refuses ids repeated in the batch
        for article in items:
            if article.id in self._seq_of:
                raise InputError(
                    f"article {article.id!r} is already in the index; ids must be unique "
                    "(remove() it first to replace it)"
                )
        now = _now()
        ordered = arrival_order(items, now)
        try:
            with batch_runtime():
                assignments = self._add_batch(ordered, now) if ordered else []
        except BaseException:
            self._load()  # back to the committed state
            raise
        order = {a.id: k for k, a in enumerate(items)}
        return sorted(assignments, key=lambda a: order[a.article_id])

    def _with_ids(self, articles: object) -> object:
        """Texts and dicts without an id get the next free sequence numbers as ids (a batch's
        positions, the batch default, would repeat from one ``add`` to the next)."""
        if not isinstance(articles, list | tuple | GeneratorType):
            return articles  # coerce_articles takes (a DataFrame) or explains anything else
        out: list[object] = []
        for k, item in enumerate(articles):
            if isinstance(item, str):
                item = {"id": str(self._next_seq + k), "text": item}
            elif isinstance(item, dict) and "id" not in item:
                item = {**item, "id": str(self._next_seq + k)}
            out.append(item)
        return out

    def _admit(self, article: Article, day: float, lines: npt.NDArray[np.uint64]) -> _Live:
        """An article's state, registered; its story is still pending."""
        live = _Live(self._next_seq, _PENDING, day, article.source, np.empty(0, np.uint64), lines)
        self._next_seq += 1
        self._remember(live, article.id)
        return live

    def _admit_rows(self, seqs: I64, counted: _Counts) -> None:
        """Register term rows (``counted``, one per seq) without their zero-weight terms (stop
        words, single characters): zero in every TF-IDF row, they are most of an article's
        distinct terms, and every row gathered, compared and blended would carry them."""
        weighed = counted.subset(self._weights[counted.terms] != 0)
        self._rows.append(seqs, weighed.indptr, weighed.terms, sublinear_tf(weighed.counts))

    def _add_batch(self, ordered: list[Article], now: float) -> list[Assignment]:
        """Decide a call's articles together, as :func:`dedupe_news.cluster` decides a batch.

        All statistics include the whole call; candidates come from the index's buckets (and
        from each other); then average linkage runs over the stories they touch, each a
        cluster already, and the newcomers: a newcomer joins a story, newcomers form stories,
        and stories merge (recorded) when the linkage puts them together.
        """
        parsed = self._parse(ordered, now)
        ids, new = self._token_ids.ids(parsed.hashes, np.int32)
        self._grow([parsed.strings[h] for h in parsed.hashes[new].tolist()])
        tokens = parsed.tokens(ids)
        fresh = [
            self._admit(article, day, lines)
            for article, day, lines in zip(ordered, parsed.days, parsed.lines, strict=True)
        ]
        counted = self._term_counts(tokens)
        self._admit_rows(np.array([live.seq for live in fresh], dtype=np.int64), counted)
        self._count(fresh, counted.terms)
        scale = self._idf_weights()
        tfidf = self._tfidf([live.seq for live in fresh], scale)
        for live, norm in zip(fresh, tfidf.norms().tolist(), strict=True):
            live.norm = norm or 1.0
        self._centroid_add(fresh)
        short = _short(tokens, self.config)
        sizes = np.diff(counted.indptr)
        compared = [k for k in range(len(fresh)) if not short[k] and sizes[k]]
        newcomers = [fresh[k] for k in compared]
        if newcomers:
            texts = [ids[tokens.title_start[k] : tokens.body_end[k]] for k in compared]
            keys = self._bands(texts, tfidf.subset(compared).unit())
            for live, row_keys in zip(newcomers, keys, strict=True):
                live.bands = row_keys
        touched = self._connect(newcomers, scale)
        groups, vectors = self._link_batch(newcomers, scale)
        changed, outcome = self._settle(fresh, groups)
        assignments = self._assignments(fresh, outcome, vectors, scale)
        # Written in one transaction, begun only now: a write transaction that begins after
        # the log was checkpointed lets it start over (see store._Checkpointer).
        with self._store.transaction():
            self._save(ordered, fresh, counted, touched, changed)
        return assignments

    def _cosines(self, rows: Rows, pairs: I64) -> F64:
        """Cosines of pairs of unit rows, in [0, 1], the same to the bit whichever row of a pair
        comes first: each pair's first row is spread into a dense scratch row, once for a run
        of pairs that share it, and its second row is walked. A call's many pairs run on
        ``n_jobs`` threads; sorted by a stored first row, the rows walked again and again are
        the call's newcomers, few enough to stay in the CPU cache (a quarter faster than
        walking stored rows from memory at 100,000 articles)."""
        if len(pairs) < _FEW_PAIRS:
            return np.clip(rows.pair_dots(pairs, self._scratch), 0.0, 1.0)
        matrix = rows.matrix(int(rows.terms.max()) + 1 if rows.terms.size else 0)
        return pair_cosine(matrix, np.ascontiguousarray(pairs), n_jobs=self.config.n_jobs)

    def _connect(self, fresh: list[_Live], scale: _Scale) -> set[int]:
        """Candidates of each newcomer (from the buckets, which newcomers then join), their
        cosines, and the neighbour lists: the newcomers' own, and the stored articles' lists
        that newcomers enter. Returns the stored articles whose lists changed."""
        met = self._candidate_pairs(fresh)
        self._enter_buckets(fresh)
        if met.size == 0:
            return set()
        seqs, positions = dense_unique(distinct_pairs(np.sort(met, axis=1)))
        rows = self._raw(seqs.tolist(), scale)
        sims = self._cosines(rows, positions)  # sorted, the stored article (smaller seq) first
        positive = sims > 0
        keep = self.config.expand_neighbours or self.config.neighbours
        source, target, best = top_neighbours(positions[positive], sims[positive], keep)
        # Newcomers' lists start empty; a stored article's takes newcomers that beat its last.
        changed = self._neighbours.offer(seqs[source], seqs[target], best)
        return set(changed[changed < fresh[0].seq].tolist())

    def _link_batch(self, fresh: list[_Live], scale: _Scale) -> tuple[_Groups, _Vectors]:
        """Average linkage over the stories the newcomers touch (one node each, weighted by its
        size: the mean vector of its latest ``_STORY_SAMPLE`` members) and the newcomers;
        returns the groups that hold newcomers, and the second-order vectors it compared."""
        if not fresh:
            return [], _Vectors({}, Rows.empty())
        fresh_seqs = np.array([live.seq for live in fresh], dtype=np.int64)
        listed, near, _ = self._neighbours.entries(fresh_seqs)
        # Linkage nodes: the surviving stories of stored neighbours, then the newcomers.
        stored = near < fresh_seqs[0]
        assigned, assigned_at = dense_unique(self._story_of[near[stored]])
        roots = np.array([self._root(s) for s in assigned.tolist()], dtype=np.int64)
        story_array, story_at = dense_unique(roots)
        stories = story_array.tolist()
        ends = np.stack((len(stories) + listed, np.empty_like(near)), axis=1)
        ends[stored, 1] = story_at[assigned_at]
        ends[~stored, 1] = len(stories) + np.searchsorted(fresh_seqs, near[~stored])
        edge_array = distinct_pairs(np.sort(ends, axis=1))
        samples = [self._stories[story].members[-_STORY_SAMPLE:] for story in stories]
        seqs = [live.seq for live in fresh] + [m for group in samples for m in group]
        smoothed = self._smoothed(seqs, scale)
        vectors = smoothed.matrix(scale.size)
        counts = np.array([len(group) for group in samples], dtype=np.int64)
        owner = np.repeat(np.arange(len(stories)), counts)
        mean_of = sp.csr_matrix(
            (1.0 / counts[owner], (owner, np.arange(owner.size))), shape=(len(stories), owner.size)
        )
        nodes = sp.vstack([mean_of @ vectors[len(fresh) :], vectors[: len(fresh)]]).tocsr()
        sizes = np.array([len(self._stories[story].members) for story in stories], dtype=np.int64)
        scores = self._cosines(Rows.from_matrix(nodes), edge_array)  # sorted, stories first
        weights = np.concatenate((sizes, np.ones(len(fresh), dtype=np.int64)))
        labels = average_linkage(nodes, edge_array, scores, self.config.threshold, weights)
        groups: dict[int, tuple[list[int], list[int]]] = {}
        for node, label in enumerate(labels.tolist()):
            group = groups.setdefault(label, ([], []))
            if node < len(stories):
                group[0].append(stories[node])
            else:
                group[1].append(fresh[node - len(stories)].seq)
        position = {seq: k for k, seq in enumerate(seqs)}
        return [g for g in groups.values() if g[1]], _Vectors(position, smoothed)

    def _settle(self, fresh: list[_Live], groups: _Groups) -> tuple[set[int], dict[int, _Outcome]]:
        """Story ids from the linkage groups: a group's largest story absorbs its other stories
        (recorded as merges) and its newcomers; a group of newcomers only is a new story, and
        so is each newcomer in no group. Returns the stories that changed, and what happened
        to each newcomer."""
        story_of: dict[int, int] = {}
        outcome: dict[int, _Outcome] = {}
        changed = set()
        for stories, newcomers in sorted(groups, key=lambda g: min(g[1])):
            lead = min(newcomers)
            if stories:
                survivor = max(stories, key=lambda t: (len(self._stories[t].members), -t))
                merged = tuple(sorted(t for t in stories if t != survivor))
                for gone in merged:
                    self._merge(survivor, gone)
                changed.update(stories)
                outcome[lead] = _Outcome(False, merged)
            else:
                survivor = self._new_story()
                outcome[lead] = _Outcome(True, ())
            story_of.update(dict.fromkeys(newcomers, survivor))
        for live in fresh:
            if live.seq in story_of:
                live.story = story_of[live.seq]
            else:
                live.story = self._new_story()
                outcome[live.seq] = _Outcome(True, ())
            self._story_of[live.seq] = live.story
            state = self._stories[live.story]
            state.first_day = min(state.first_day, live.day)
            state.last_day = max(state.last_day, live.day)
            state.members.append(live.seq)
            changed.add(live.story)
        return changed, outcome

    def _new_story(self) -> int:
        story = self._next_story
        self._next_story += 1
        self._stories[story] = _Story(math.inf, -math.inf, None, [])
        return story

    def _assignments(
        self, fresh: list[_Live], outcome: dict[int, _Outcome], vectors: _Vectors, scale: _Scale
    ) -> list[Assignment]:
        """Where each newcomer went. The first member of a story started it; any other gets
        the member it resembles most (its TF-IDF cosine too) and its mean similarity to the
        other members. The first newcomer of a group that merged stories reports the merges."""
        joined, pairs = [], []
        at = vectors.position
        compared: dict[int, list[int]] = {}  # story -> its members that have vectors this call
        for live in fresh:
            if live.seq not in outcome or not outcome[live.seq].started:
                if live.story not in compared:
                    members = self._stories[live.story].members
                    compared[live.story] = [m for m in members if m in at]
                others = [m for m in compared[live.story] if m != live.seq]
                joined.append((live, others))
                pairs += [(at[live.seq], at[m]) for m in others]
        sims = self._cosines(vectors.rows, np.array(pairs, dtype=np.int64).reshape(-1, 2))
        best: dict[int, tuple[float, int]] = {}  # seq -> (mean similarity, closest member)
        start = 0
        for live, others in joined:
            part = sims[start : start + len(others)]
            start += len(others)
            order = np.lexsort((np.asarray(others), -part))
            best[live.seq] = (float(part.mean()), others[int(order[0])])
        matches = [(live.seq, best[live.seq][1]) for live, _ in joined]
        rows = sorted({s for pair in matches for s in pair})
        where = {s: k for k, s in enumerate(rows)}
        match_pairs = np.array([(where[a], where[b]) for a, b in matches], dtype=np.int64)
        cosines = self._cosines(self._raw(rows, scale), match_pairs.reshape(-1, 2))
        cosine_of = dict(zip([a for a, _ in matches], cosines.tolist(), strict=True))
        out = []
        for live in fresh:
            article_id = self._id_of[live.seq]
            merged = outcome[live.seq].merged if live.seq in outcome else ()
            if live.seq not in best:
                out.append(Assignment(article_id, live.story, True, None, 0.0, 0.0, merged))
                continue
            score, match = best[live.seq]
            out.append(
                Assignment(
                    article_id,
                    live.story,
                    False,
                    self._id_of[match],
                    score,
                    cosine_of[live.seq],
                    merged,
                )
            )
        return out

    def _merge(self, keep: int, gone: int) -> None:
        a, b = self._stories[keep], self._stories[gone]
        b.merged_into = keep
        a.members = sorted(a.members + b.members)  # in seq order, as reopening builds them
        b.members = []
        a.first_day = min(a.first_day, b.first_day)
        a.last_day = max(a.last_day, b.last_day)

    def _save(
        self,
        ordered: list[Article],
        fresh: list[_Live],
        counted: _Counts,
        touched: set[int],
        stories: set[int],
    ) -> None:
        """Write a call's changes: new terms, changed stories, the articles, changed lists."""
        store = self._store
        known = self._saved_terms
        tokens = self._tokens
        if known < len(tokens):
            store.add_terms(known, tokens[known:])
            self._saved_terms = len(tokens)
        for story_id in sorted(stories):
            self._save_story(story_id)
        store.insert_articles(
            ArticleRow(
                live.seq, a.id, live.story, live.day, a.date, a.source, a.title, a.url, a.text,
                *counted.row(k), live.bands, live.lines,
                *self._neighbours.get(live.seq), live.norm,
            )
            for k, (a, live) in enumerate(zip(ordered, fresh, strict=True))
        )  # fmt: skip
        self._save_neighbours(sorted(touched))

    def _save_neighbours(self, seqs: Iterable[int]) -> None:
        self._store.update_neighbours((seq, *self._neighbours.get(seq)) for seq in seqs)

    def _save_story(self, story_id: int) -> None:
        state = self._stories[story_id]
        self._store.upsert_story(
            StoryRow(story_id, state.first_day, state.last_day, state.merged_into)
        )

    def query(self, article: object) -> list[Match]:
        """Stories the article would join or be compared with, best first; nothing is added."""
        (item,) = coerce_articles([article])
        now = _now()
        parsed = self._parse([item], now)
        ids = self._token_ids.find(parsed.hashes, np.int32)  # unseen tokens: -1
        tokens = parsed.tokens(ids)
        counted = self._term_counts(tokens)
        if _short(tokens, self.config)[0] or counted.terms.size == 0:
            return []
        scale = self._idf_weights()
        seq = self._next_seq  # the seq it would get: not stored
        probe = _Live(seq, _PENDING, parsed.days[0], item.source, np.empty(0, np.uint64),
                      parsed.lines[0])  # fmt: skip
        self._live[seq] = probe
        self._admit_rows(np.array([seq]), counted)
        try:
            self._meet(probe, ids, scale)
            stories = self._neighbour_stories(probe)
            scores = self._story_scores(seq, stories, scale)
        finally:
            del self._live[seq]
            self._rows.pop(seq)
            self._neighbours.put(seq, [], [])
        scores.sort(key=lambda t: (-t[0], t[1]))
        return [Match(s, mean, self._id_of[m], sim) for mean, s, m, sim in scores]

    def story(self, story_id: int) -> StoryInfo:
        """A story with its members (those of stories merged into it included).

        Raises
        ------
        KeyError
            For an unknown story id.
        """
        if story_id not in self._stories:
            raise KeyError(f"no story {story_id} in this index")
        root = self._root(story_id)
        rows = list(
            self._store.articles(
                f"WHERE seq IN ({', '.join('?' * len(self._stories[root].members))})",
                tuple(self._stories[root].members),
            )
        )
        articles = tuple(
            Article(id=r.id, text=r.text, title=r.title, date=r.date, source=r.source, url=r.url)
            for r in rows
        )
        state = self._stories[story_id]
        merged_from = tuple(sorted(s for s, st in self._stories.items() if st.merged_into == root))
        representative = self._representative(root, rows)
        first = min(r.day for r in rows)
        last = max(r.day for r in rows)
        return StoryInfo(
            id=root if state.merged_into is None else story_id,
            articles=articles,
            representative=representative,
            first_seen=_iso(first),
            last_seen=_iso(last),
            merged_into=None if state.merged_into is None else root,
            merged_from=merged_from if state.merged_into is None else (),
        )

    def story_of(self, article_id: str) -> StoryInfo:
        """The (surviving) story holding an article.

        Raises
        ------
        KeyError
            For an id that is not in the index.
        """
        return self.story(self._root(self._live[self._seq(article_id)].story))

    def _seq(self, article_id: str) -> int:
        if article_id not in self._seq_of:
            raise KeyError(f"article {article_id!r} is not in the index")
        return self._seq_of[article_id]

    def _representative(self, root: int, rows: list[ArticleRow]) -> Article:
        members = [r.seq for r in rows]
        if len(members) > 1:
            vectors = self._smoothed(members, self._idf_weights())
            best = int(np.argmax(vectors.dots(vectors.total(self._scratch.size))))
        else:
            best = 0
        r = rows[best]
        return Article(id=r.id, text=r.text, title=r.title, date=r.date, source=r.source, url=r.url)

    def stories(self, since: str | None = None, until: str | None = None) -> list[StoryInfo]:
        """Surviving stories with a member dated in ``[since, until]`` (ISO dates), newest first."""
        low = -math.inf if since is None else _day(Article(id="since", text="", date=since), 0)
        high = math.inf if until is None else _day(Article(id="until", text="", date=until), 0)
        chosen = [
            (state.last_day, story)
            for story, state in self._stories.items()
            if state.merged_into is None
            and state.members
            and state.last_day >= low
            and state.first_day <= high
        ]
        return [self.story(s) for _, s in sorted(chosen, key=lambda t: (-t[0], t[1]))]

    def remove(self, article_id: str) -> None:
        """Remove an article; its story keeps its other members.

        Document frequencies and neighbour lists are rebuilt from the database afterwards (a
        second or so per 100,000 articles): removal is for corrections, not for expiry (use
        ``window_days``).

        Raises
        ------
        KeyError
            For an id that is not in the index.
        """
        seq = self._seq(article_id)
        with self._store.transaction():
            self._store.delete_article(seq)
            self._save_neighbours(self._neighbours.drop(seq).tolist())
        self._load()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._seq_of

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._seq_of))

    def close(self) -> None:
        """Close the database (an index is also closed when garbage-collected)."""
        self._store.close()
        self._release_memory()

    def __enter__(self) -> StoryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self._store.path or "memory"
        alive = sum(1 for s in self._stories.values() if s.merged_into is None and s.members)
        return f"<StoryIndex {where}: {len(self)} articles in {alive} stories>"
