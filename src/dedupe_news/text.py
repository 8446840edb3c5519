"""Text preparation: Unicode normalization, boilerplate stripping, tokenization.

Web-scraped news carries page chrome ("Skip to main content", "Related Articles", stock-quote
footers) that links unrelated articles of one outlet. We strip it in two ways: lines matching
known chrome patterns, and short lines that repeat across many distinct articles of one batch or
of one source. Counting over *distinct* texts keeps exact reprints (which share every line) from
erasing themselves.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

__all__ = [
    "BoilerplateReport",
    "is_chrome",
    "normalize",
    "split_lines",
    "split_title",
    "strip_boilerplate",
    "tokenize",
]

# Curly quotes, dashes and odd spaces folded to ASCII so "huge mistake" and “huge mistake” agree.
_FOLD = (
    ("\u2018", "'"),
    ("\u2019", "'"),
    ("\u201a", "'"),
    ("\u201b", "'"),
    ("\u2032", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u201e", '"'),
    ("\u201f", '"'),
    ("\u00ab", '"'),
    ("\u00bb", '"'),
    ("\u2013", "-"),
    ("\u2014", " - "),
    ("\u2212", "-"),
    ("\u00a0", " "),
    ("\u200b", ""),
    ("\ufeff", ""),
)

# Page chrome seen in scraped news. Matched against a whole line, case-insensitively.
_CHROME_LINE = re.compile(
    r"""^\W*(?:
        skip\ to\ (?:main\ )?content
      | popular\ in\ the\ community
      | related\ (?:articles?|stories|coverage|content|news|topics)
      | back\ to\ top(?:\ button)?
      | data\ &\ news\ supplied\ by\b.*
      | stock\ quotes\ supplied\ by\b.*
      | (?:loading\s*)?error\s*loading
      | loadingerror\ loading
      | advertisement
      | (?:story\ )?continues?\ below(?:\ advertisement)?
      | sign\ up\ for\b.{0,80}newsletters?\b.*
      | (?:follow|like)\ us\ on\b.*
      | share\ (?:this|on)\b.{0,40}
      | (?:photo|image|video)(?:\ credit)?s?
      | all\ rights\ reserved\b.*
      | copyright\ (?:©\ )?\d{4}\b.*
      | ©\ ?\d{4}\b.*
      | read\ more(?:\ about\b.*)?
      | (?:click|tap)\ here\b.{0,60}
      | we\ use\ cookies\b.*
      | this\ (?:site|website)\ uses\ cookies\b.*
      | subscribe(?:\ now)?(?:\ to\b.{0,60})?
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Decimal numbers stay whole ("29.3", "6,000"): split, they would become generic "29", "3".
_WORD = re.compile(r"\d+(?:[.,]\d+)+|\w+", re.UNICODE)
_THOUSANDS = re.compile(r",(?<=\d,)(?=\d{3}\b)")  # starts with the literal: a fast scan
_SPACE = re.compile(r"[ \t]{2,}|\t")  # runs of spaces and tabs; single spaces stay


def normalize(text: str) -> str:
    """NFKC-normalize, fold typographic quotes/dashes to ASCII and collapse runs of spaces.

    Case is kept (names matter downstream); tokens are case-folded by :func:`tokenize`.
    Idempotent: ``normalize(normalize(t)) == normalize(t)``.
    """
    if not text.isascii():  # ASCII is already NFKC and has nothing to fold
        text = unicodedata.normalize("NFKC", text)
        for char, ascii_char in _FOLD:
            if char in text:
                text = text.replace(char, ascii_char)
        text = unicodedata.normalize("NFKC", text)
    # splitlines also breaks at \r, \v, \f: after it, only spaces and tabs can run together.
    text = "\n".join(text.splitlines())
    if "  " in text or "\t" in text:
        text = _SPACE.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip("\n")


def is_chrome(line: str) -> bool:
    """Whether a line is known page chrome ("Skip to main content", "Related Articles", ...)."""
    return _CHROME_LINE.match(line) is not None


def split_title(text: str, max_chars: int = 200) -> tuple[str, str]:
    """``(title, rest)``: the first non-chrome line when it is short enough to be a headline.

    For articles given without a title (plain text files, some corpora): the first line of a
    news text is usually its headline. A long first line is body, and the title is empty.
    """
    lines = split_lines(text)
    for k, line in enumerate(lines):
        if is_chrome(line):
            continue
        if len(line) <= max_chars:
            return line, "\n".join(lines[:k] + lines[k + 1 :])
        break
    return "", text


def split_lines(text: str) -> list[str]:
    """Non-empty lines of a normalized text."""
    return [line for line in text.split("\n") if line]


def tokenize(text: str) -> list[str]:
    """Case-folded word tokens (Unicode ``\\w+`` runs, decimal numbers kept whole).

    Apostrophes split words; thousands separators are dropped so "6,000" and "6000" agree.
    """
    return _WORD.findall(_fold(text))


def _fold(text: str) -> str:
    """What :func:`tokenize` reads: case-folded, without thousands separators. Lines stay as
    they were (neither step adds, drops or empties a line), so a text can be folded once."""
    return _THOUSANDS.sub("", text.casefold())


@dataclass(frozen=True)
class BoilerplateReport:
    """What :func:`strip_boilerplate` kept and removed, per article.

    ``tokens`` are :func:`tokenize` of the kept text, computed on the way (each line is
    tokenized once, for comparing lines and for the features alike).
    """

    kept_lines: list[list[str]]
    tokens: list[list[str]]
    lines_removed: list[int]

    @property
    def texts(self) -> list[str]:
        """The kept text of each article (joined on demand: the pipeline needs only tokens)."""
        return ["\n".join(lines) for lines in self.kept_lines]


@dataclass(frozen=True)
class Lines:
    """Texts split into lines, each line tokenized once, with its key for counting repeats.

    A key is the line's words joined by spaces (lines compare equal when their words do, case
    and punctuation aside); lines longer than ``max_line_words`` are never boilerplate and get
    no key.
    """

    lines: list[list[str]]
    tokens: list[list[list[str]]]
    keys: list[list[str | None]]


def split_into_lines(texts: Sequence[str], max_line_words: int) -> Lines:
    """Lines, their tokens and keys, for normalized texts."""
    lines_per_text = [split_lines(t) for t in texts]
    # Interned: a batch holds every token until it is encoded, and news repeats its words.
    tokens_per_text = [
        [list(map(sys.intern, _WORD.findall(line))) for line in split_lines(_fold(text))]
        for text in texts
    ]
    keys_per_text = [
        [" ".join(words) if 0 < len(words) <= max_line_words else None for words in tokens]
        for tokens in tokens_per_text
    ]
    return Lines(lines_per_text, tokens_per_text, keys_per_text)


@dataclass(frozen=True)
class BoilerplateRules:
    """The line keys found to be boilerplate: batch-wide, and per source."""

    repeated: frozenset[str]
    repeated_by_source: frozenset[tuple[str, str]]

    @classmethod
    def from_counts(
        cls,
        batch_counts: Mapping[str, int],
        source_counts: Mapping[tuple[str, str], int],
        distinct_texts: int,
        *,
        min_articles: int,
        min_share: float,
        min_source_articles: int,
    ) -> BoilerplateRules:
        """Rules from line counts over distinct texts (see :func:`strip_boilerplate`)."""
        floor = cls.batch_floor(distinct_texts, min_articles=min_articles, min_share=min_share)
        return cls(
            frozenset(k for k, c in batch_counts.items() if c >= floor),
            frozenset(sk for sk, c in source_counts.items() if c >= min_source_articles),
        )

    @staticmethod
    def batch_floor(distinct_texts: int, *, min_articles: int, min_share: float) -> int:
        """Distinct texts a line must occur in to be batch-wide boilerplate."""
        return max(min_articles, int(min_share * distinct_texts + 0.999999))

    def apply(self, lines: Lines, sources: Sequence[str | None]) -> BoilerplateReport:
        """Drop the boilerplate and chrome lines of each text."""
        kept_lines: list[list[str]] = []
        kept_tokens: list[list[str]] = []
        removed: list[int] = []
        for text_lines, tokens, keys, source in zip(
            lines.lines, lines.tokens, lines.keys, sources, strict=True
        ):
            kept = [
                k
                for k, (line, key) in enumerate(zip(text_lines, keys, strict=True))
                if key not in self.repeated
                and (source, key) not in self.repeated_by_source
                and not is_chrome(line)
            ]
            kept_lines.append([text_lines[k] for k in kept])
            kept_tokens.append(list(chain.from_iterable([tokens[k] for k in kept])))
            removed.append(len(text_lines) - len(kept))
        return BoilerplateReport(kept_lines, kept_tokens, removed)


def strip_boilerplate(
    texts: Sequence[str],
    sources: Sequence[str | None],
    *,
    min_articles: int,
    min_share: float,
    min_source_articles: int,
    max_line_words: int,
) -> BoilerplateReport:
    """Drop page-chrome lines and short lines that repeat across many distinct articles.

    A line (compared by its words) is boilerplate when it matches a known chrome pattern, or when
    it has at most ``max_line_words`` words and occurs in at least
    ``max(min_articles, min_share * distinct texts)`` distinct texts of the batch, or in at least
    ``min_source_articles`` distinct texts of one source. Texts must already be normalized.
    """
    lines = split_into_lines(texts, max_line_words)
    batch_counts: Counter[str] = Counter()
    source_counts: Counter[tuple[str, str]] = Counter()
    seen_texts: set[str] = set()
    seen_in_source: set[tuple[str, str]] = set()
    for text, keys, source in zip(texts, lines.keys, sources, strict=True):
        unique_keys = {k for k in keys if k is not None}
        if text not in seen_texts:  # a verbatim reprint counts once, whoever printed it
            seen_texts.add(text)
            batch_counts.update(unique_keys)
        if source is not None and (source, text) not in seen_in_source:
            seen_in_source.add((source, text))
            source_counts.update((source, k) for k in unique_keys)
    rules = BoilerplateRules.from_counts(
        batch_counts,
        source_counts,
        len(seen_texts),
        min_articles=min_articles,
        min_share=min_share,
        min_source_articles=min_source_articles,
    )
    return rules.apply(lines, sources)
