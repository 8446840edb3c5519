"""Results: :class:`Story` (one cluster) and :class:`Clustering` (all of them, plus the evidence).

Plain data with readable reprs, an HTML repr for notebooks and conversions to pandas, JSON lines
and CSV. Edges keep their scores so every grouping can be explained.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt

from .articles import Article
from .config import Config
from .errors import InputError
from .text import first_line

if TYPE_CHECKING:
    from .explain import PairExplanation, StoryExplanation
    from .pipeline import Evidence

__all__ = ["Clustering", "Edge", "Stats", "Story"]


def _headline(article: Article, width: int = 90) -> str:
    """The title, or the first non-empty line of the text, shortened for display."""
    line = article.title or first_line(article.text)
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


@dataclass(frozen=True)
class Edge:
    """A verified candidate pair and its scores.

    ``channels`` names the LSH channels that proposed the pair (``"copy"``: word shingles,
    ``"rewrite"``: salient terms, ``"neighbour"``: friends of friends among the best pairs).
    """

    a: str
    b: str
    score: float
    cosine: float
    jaccard: float
    containment: float
    channels: tuple[str, ...]


_EDGE_COLUMNS = ("a", "b", "score", "cosine", "jaccard", "containment", "channels")


class EdgeTable(Sequence[Edge]):
    """The verified edges of a result, kept as columns; :class:`Edge` objects are made on access.

    A large batch has millions of edges: columns cost a few dozen bytes an edge and nothing to
    build, while a list of objects would cost hundreds of bytes and seconds. The shingle
    overlap columns (``jaccard``, ``containment``) may come from ``overlap``, called once when
    an edge is first read. Behaves as a read-only list of :class:`Edge`.
    """

    def __init__(
        self,
        names: Sequence[str],
        pairs: npt.NDArray[np.int64],
        columns: dict[str, npt.NDArray[Any]],
        channel_names: Sequence[tuple[str, ...]],
        overlap: Callable[[], tuple[npt.NDArray[Any], npt.NDArray[Any]]] | None = None,
    ) -> None:
        self._names = names  # node index -> article id
        self._pairs = pairs
        self._given = columns  # score, cosine, jaccard, containment (float), channels (bits)
        self._overlap = overlap
        self._channel_names = channel_names

    @property
    def _columns(self) -> dict[str, npt.NDArray[Any]]:
        if self._overlap is not None:
            jaccard, containment = self._overlap()
            self._given = {**self._given, "jaccard": jaccard, "containment": containment}
            self._overlap = None
        return self._given

    def __len__(self) -> int:
        return len(self._pairs)

    def _edge(self, k: int) -> Edge:
        c = self._columns
        return Edge(
            a=self._names[int(self._pairs[k, 0])],
            b=self._names[int(self._pairs[k, 1])],
            score=float(c["score"][k]),
            cosine=float(c["cosine"][k]),
            jaccard=float(c["jaccard"][k]),
            containment=float(c["containment"][k]),
            channels=self._channel_names[int(c["channels"][k])],
        )

    @overload
    def __getitem__(self, index: int) -> Edge: ...
    @overload
    def __getitem__(self, index: slice) -> list[Edge]: ...
    def __getitem__(self, index: int | slice) -> Edge | list[Edge]:
        if isinstance(index, slice):
            return [self._edge(k) for k in range(len(self))[index]]
        if not -len(self) <= index < len(self):
            raise IndexError("edge index out of range")
        return self._edge(index % len(self))

    def __iter__(self) -> Iterator[Edge]:
        return (self._edge(k) for k in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            if len(self) != len(other):
                return False
            return all(x == y for x, y in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<EdgeTable: {len(self)} edges>"

    def to_pandas(self) -> Any:
        """One row per edge, built from the columns."""
        import pandas as pd

        c = self._columns
        names = np.asarray(self._names, dtype=object)
        return pd.DataFrame(
            {
                "a": names[self._pairs[:, 0]] if len(self) else [],
                "b": names[self._pairs[:, 1]] if len(self) else [],
                "score": c["score"],
                "cosine": c["cosine"],
                "jaccard": c["jaccard"],
                "containment": c["containment"],
                "channels": [self._channel_names[int(b)] for b in c["channels"]],
            },
            columns=list(_EDGE_COLUMNS),
        )


@dataclass(frozen=True)
class Stats:
    """Counts from one run; every input article is accounted for in ``articles``."""

    articles: int
    short_articles: int
    identical_articles: int
    boilerplate_lines: int
    candidates: int
    candidates_copy: int
    candidates_rewrite: int
    candidates_neighbour: int
    edges: int
    stories: int
    singletons: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Story:
    """One story: the articles that report it.

    Attributes
    ----------
    id : int
        Story number: stories are numbered by size (largest first), then by first member id.
    articles : tuple of Article
        Members, most central first.
    similarity : tuple of float
        Each member's mean similarity to the other members (absent edges count 0), aligned
        with ``articles``; 1.0 for a singleton.
    representative : Article
        The most central member.
    reason : str
        Why the representative was chosen.
    """

    id: int
    articles: tuple[Article, ...]
    similarity: tuple[float, ...]
    representative: Article
    reason: str
    # The result's edges, not the result: a story in the result's list that held the result
    # would make a reference cycle, and a result in a cycle lives until the garbage collector
    # runs (paused during runs), so a loop of cluster() calls held two results at once.
    _edges: Sequence[Edge] | None = field(default=None, compare=False, repr=False)

    def explain(self) -> StoryExplanation:
        """The edges that hold this story together, its cohesion and its weakest member."""
        from .explain import story_explanation

        if self._edges is None:
            raise InputError("this story belongs to no result; explanations need cluster()")
        return story_explanation(self._edges, self)

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.articles]

    @property
    def size(self) -> int:
        return len(self.articles)

    def __len__(self) -> int:
        return len(self.articles)

    def __str__(self) -> str:
        lines = [f"Story {self.id} ({self.size} article{'s' if self.size != 1 else ''})"]
        for article, sim in zip(self.articles, self.similarity, strict=True):
            mark = "*" if article.id == self.representative.id else " "
            lines.append(f" {mark} {article.id}  {sim:.2f}  {_headline(article, 70)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _stories_html([self])


def _stories_html(stories: list[Story]) -> str:
    rows = []
    for story in stories:
        for k, (article, sim) in enumerate(zip(story.articles, story.similarity, strict=True)):
            first = (
                f'<td rowspan="{story.size}" style="vertical-align:top">'
                f"<b>{story.id}</b><br><small>{story.size} article"
                f"{'s' if story.size != 1 else ''}</small></td>"
                if k == 0
                else ""
            )
            weight = "bold" if article.id == story.representative.id else "normal"
            rows.append(
                f"<tr>{first}<td><code>{html.escape(article.id)}</code></td>"
                f"<td>{html.escape(article.source or '')}</td>"
                f"<td>{html.escape(article.date or '')}</td>"
                f'<td style="font-weight:{weight};text-align:left">'
                f"{html.escape(_headline(article))}</td><td>{sim:.2f}</td></tr>"
            )
    return (
        '<table class="dedupe-news"><thead><tr><th>story</th><th>id</th><th>source</th>'
        "<th>date</th><th>headline (representative in bold)</th><th>similarity</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


@dataclass(frozen=True, repr=False)
class Clustering:
    """The stories found in a batch of articles.

    Attributes
    ----------
    articles : list of Article
        The input, in input order.
    labels : numpy.ndarray of int
        Story id of each article, aligned with ``articles``.
    stories : list of Story
        Largest first; every article is in exactly one.
    edges : sequence of Edge
        Verified, scored pairs that the clustering used (an :class:`EdgeTable`: a read-only
        list, stored as columns).
    stats : Stats
        Counts of the run.
    config : Config
        The settings used.
    """

    articles: list[Article]
    labels: npt.NDArray[np.int64]
    stories: list[Story]
    edges: Sequence[Edge]
    stats: Stats
    config: Config
    evidence: Evidence | None = field(default=None, compare=False)
    """The stage outputs behind the result (tokens, vectors, candidates, scores), for
    explanations; ``None`` when a result is built from stored data."""
    _by_id: dict[str, int] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update((a.id, i) for i, a in enumerate(self.articles))
        for story in self.stories:
            object.__setattr__(story, "_edges", self.edges)

    def explain(self, id_a: str, id_b: str) -> PairExplanation:
        """Why two articles match (or not): shared quotes and passages, terms, scores, channels.

        Works for any two articles of the result, whether or not they were a candidate pair.
        """
        from .explain import explain_pair

        return explain_pair(self, id_a, id_b)

    def write_report(self, path: str | Path, *, title: str = "dedupe-news report") -> Path:
        """Write a self-contained, searchable HTML report of the stories and their evidence.

        Each member's passages shared with its story's representative are highlighted; see
        :mod:`dedupe_news.report`. Returns the path written.
        """
        from .report import write_report

        return write_report(self, path, title=title)

    def __len__(self) -> int:
        return len(self.stories)

    def __iter__(self) -> Iterator[Story]:
        return iter(self.stories)

    def story_of(self, article_id: str) -> Story:
        """The story holding the article with this id (``KeyError`` if unknown)."""
        return self.stories[int(self.labels[self._by_id[article_id]])]

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"<Clustering: {s.articles} articles in {s.stories} stories "
            f"({s.stories - s.singletons} with 2+ articles, {s.singletons} singletons)>"
        )

    def __str__(self) -> str:
        multi = [st for st in self.stories if st.size > 1]
        body = "\n\n".join(str(st) for st in multi) if multi else "(no story has 2+ articles)"
        return f"{self!r}\n\n{body}"

    def _repr_html_(self) -> str:
        shown = self.stories[:50]
        more = len(self.stories) - len(shown)
        tail = f"<p>… and {more} more stories</p>" if more > 0 else ""
        return f"<p>{html.escape(repr(self))}</p>{_stories_html(shown)}{tail}"

    # ------------------------------------------------------------------ conversions

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per article, in input order."""
        similarity = {
            a.id: sim
            for st in self.stories
            for a, sim in zip(st.articles, st.similarity, strict=True)
        }
        records = []
        for article, label in zip(self.articles, self.labels.tolist(), strict=True):
            story = self.stories[label]
            sim = similarity[article.id]
            records.append(
                {
                    "id": article.id,
                    "story": label,
                    "story_size": story.size,
                    "representative": story.representative.id,
                    "similarity": round(sim, 6),
                    "title": article.title,
                    "headline": _headline(article, width=200),
                    "source": article.source,
                    "date": article.date,
                }
            )
        return records

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per article (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "to_pandas() needs pandas: pip install 'dedupe-news[pandas]'"
            ) from None
        return pd.DataFrame.from_records(self.to_records())

    def edges_to_pandas(self) -> Any:
        """The scored edges as a ``pandas.DataFrame``."""
        if isinstance(self.edges, EdgeTable):
            return self.edges.to_pandas()
        import pandas as pd

        return pd.DataFrame.from_records(
            [asdict(e) for e in self.edges], columns=list(_EDGE_COLUMNS)
        )

    def write_jsonl(self, out: str | Path | IO[str]) -> None:
        """Write one JSON object per article (see :meth:`to_records`)."""
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.to_records())
        _write(out, lines)

    def write_csv(self, out: str | Path | IO[str]) -> None:
        """Write one CSV row per article (see :meth:`to_records`)."""
        buffer = io.StringIO()
        records = self.to_records()
        writer = csv.DictWriter(buffer, fieldnames=list(records[0]) if records else ["id"])
        writer.writeheader()
        writer.writerows(records)
        _write(out, buffer.getvalue())


def _write(out: str | Path | IO[str], content: str) -> None:
    if isinstance(out, str | Path):
        Path(out).write_text(content, encoding="utf-8")
    else:
        out.write(content)
