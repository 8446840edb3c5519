"""Text preparation: Unicode normalization, boilerplate stripping, tokenization.

Web-scraped news carries page chrome ("Skip to main content", "Related Articles", stock-quote
footers) that links unrelated articles of one outlet. We strip it in two ways: lines matching
known chrome patterns, and short lines that repeat across many distinct articles of one batch or
of one source. Counting over *distinct* texts keeps exact reprints (which share every line) from
erasing themselves.

:func:`tokenize` is the definition of a token; :func:`scan_texts` finds the same tokens for a
whole batch in a compiled pass, as hashes, with each short line's key, and it is what the
engines use. Lines are compared by those keys (:class:`BoilerplateRules`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import unicodedata
from collections import deque
from collections.abc import Hashable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from ._arrays import is_in
from ._kernels import (
    FOLDS_LONGER,
    FirstSeen,
    distinct_texts_kernel,
    fold_kernel,
    scan_kernel,
    workers,
)
from .shingles import fmix64, token_hashes

__all__ = [
    "BoilerplateReport",
    "BoilerplateRules",
    "Scan",
    "SourceKeys",
    "boilerplate_lines",
    "chrome_lines",
    "is_chrome",
    "laid_out",
    "normal_characters",
    "normal_layout",
    "normalize",
    "nth_line",
    "scan_bodies",
    "scan_hashes",
    "scan_texts",
    "source_line_keys",
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

# Page chrome seen in scraped news. Matched against a whole line, case-insensitively. A new
# alternative needs its first words in _CHROME_WORDS below (and an example line in the tests'
# CHROME_LIKE), or chrome_lines never tries the lines it would match.
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
    return normal_layout(normal_characters(text))


def normal_characters(text: str) -> str:
    """:func:`normalize`'s characters (NFKC, typography folded), in the text's own layout:
    what :func:`scan_texts` needs, and the text itself when it has nothing to change."""
    if text.isascii():  # ASCII is already NFKC and has nothing to fold
        return text
    normal = unicodedata.normalize("NFKC", text)
    folded = normal
    for char, ascii_char in _FOLD:
        if char in folded:
            folded = folded.replace(char, ascii_char)
    if folded is not normal:  # a removed character may leave a mark to compose
        normal = unicodedata.normalize("NFKC", folded)
    return text if normal == text else normal


def normal_layout(text: str) -> str:
    """:func:`normalize`'s layout of a text whose characters are normal: lines stripped,
    runs of spaces and tabs collapsed, no blank lines at either end; the text itself when it
    has that layout already."""
    # splitlines also breaks at \r, \v, \f: after it, only spaces and tabs can run together.
    lines = text.splitlines()
    if "  " in text or "\t" in text:  # a line is a substring: none has them if the text has not
        lines = [_SPACE.sub(" ", line) for line in lines]
    normalized = "\n".join(map(str.strip, lines)).strip("\n")
    # A text that was normal already is returned itself, not held twice: a batch keeps its
    # normalized texts until the boilerplate is found (1 GB at 300,000 articles).
    return text if normalized == text else normalized


def laid_out(texts: Sequence[str], plain: npt.NDArray[np.bool_]) -> list[str]:
    """The texts in :func:`normal_layout`, knowing which have it already (``Scan.plain``)."""
    return [t if p else normal_layout(t) for t, p in zip(texts, plain.tolist(), strict=True)]


def scan_bodies(bodies: Sequence[str], into: ScanBuilder) -> tuple[Scan, list[str]]:
    """The scan of bodies with normal characters (``title_and_body(..., layout=False)``), added
    ``into`` a builder (see :meth:`ScanBuilder.add`), and the bodies normalized: only those the
    scan finds not laid out yet are laid out."""
    scan = into.add(bodies)
    return scan, laid_out(bodies, scan.plain)


def first_line(text: str) -> str:
    """The first line of a text that is neither blank nor page chrome, stripped: its headline
    when it has no title."""
    lines = (line.strip() for line in text.splitlines())
    return next((line for line in lines if line and not is_chrome(line)), "")


# The first word (case-folded) of every line _CHROME_LINE matches, with the second word where
# the pattern fixes it: only lines that start so need the pattern, and every line of a text
# with "©" (it starts a line before its year) or with U+0130 or U+0131 (dotted capital,
# dotless small i: the pattern matches them as "i", case folding does not).
_CHROME_WORDS: dict[str, tuple[str, ...] | None] = {
    "skip": ("to",), "popular": ("in",), "back": ("to",), "data": ("news",),
    "related": ("article", "articles", "stories", "coverage", "content", "news", "topics"),
    "stock": ("quotes",), "story": ("continue", "continues"), "continue": ("below",),
    "continues": ("below",), "sign": ("up",), "follow": ("us",), "like": ("us",),
    "share": ("this", "on"), "all": ("rights",), "read": ("more",), "click": ("here",),
    "tap": ("here",), "we": ("use",), "this": ("site", "website"),
    **dict.fromkeys(
        ("loading", "loadingerror", "loadingerrorloading", "error", "errorloading",
         "advertisement", "photo", "photos", "image", "images", "video", "videos",
         "copyright", "subscribe")
    ),
}  # fmt: skip


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


# Scanning a whole batch ------------------------------------------------------------------------
# tokenize() makes a Python string per token, and that is most of a batch's preparation. A batch
# is instead read by a compiled loop (_kernels.scan_kernel) that gives each token as a stable
# 64-bit hash and each short line a key hashed from its words; strings are made for distinct
# tokens only. It finds exactly tokenize()'s tokens (its character classes come from the same
# regex), so the stories are the same as with strings, up to a 64-bit hash collision. Texts are
# folded as _fold folds them by a compiled loop too (_kernels.fold_kernel, from a table of
# str.casefold), as Python's casefold and regex took a fifth of the preparation.

_SCAN_CHARS = 500_000  # characters scanned at a time: the buffers of a piece (a few MB) are
# recycled by the allocator from piece to piece, where pieces of 4 million took fresh memory each
# time (at 100,000 articles, 1.3 GB of page faults for the scan instead of 0.9)


@functools.cache
def char_classes() -> npt.NDArray[np.uint8]:
    """Per code point, bits: 1 for a word character (``\\w``), 2 as well for a decimal digit
    (``\\d``), 4 for whitespace (what ``str.strip`` strips), 8 as well for a line break (where
    ``str.splitlines`` breaks). So 0 (other), 1, 3, 4 or 12.

    Found by running the tokenizer's own character classes over every code point.
    """
    every = "".join(map(chr, range(0x110000)))
    classes = np.zeros(0x110000, dtype=np.uint8)
    for pattern, bit in ((r"\w", 1), (r"\d", 2)):
        marked = re.sub(pattern, "\x00", every).encode("utf-32-le", "surrogatepass")
        classes |= np.where(np.frombuffer(marked, dtype=np.uint32) == 0, bit, 0).astype(np.uint8)
    classes[0] = 0  # "\x00" is neither: it only marked the others
    for char in re.findall(r"\s", every):  # the same as str.isspace
        classes[ord(char)] = 12 if len(f"a{char}b".splitlines()) == 2 else 4
    return classes


def _code_points(text: str) -> npt.NDArray[np.uint8 | np.uint16 | np.uint32]:
    """The code points of a text, in the narrowest array that holds them (less to encode and
    to read than four bytes a character)."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    units = text.encode("utf-16-le", "surrogatepass")
    if len(units) == 2 * len(text):  # no character past U+FFFF: one unit each
        return np.frombuffer(units, dtype=np.uint16)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_Codes = npt.NDArray[np.uint8 | np.uint16 | np.uint32]
_Scanned = tuple[_Codes, tuple[npt.NDArray[Any], ...]]


def _scan_piece(texts: Sequence[str], max_line_words: int) -> _Scanned:
    """Some texts joined and folded as :func:`_fold` folds them (code points), and the scan
    of them: compiled passes that release the GIL."""
    codes, ends, folded = _folded_codes(texts)
    if folded < len(texts):  # a character whose case folding is longer (ß, İ: rare)
        longer = _case_folding()[1]
        texts = [t if t.isascii() or longer.search(t) is None else t.casefold() for t in texts]
        codes, ends, _ = _folded_codes(texts)
    return codes, scan_kernel(codes, ends, char_classes(), max_line_words)


def _folded_codes(texts: Sequence[str]) -> tuple[_Codes, npt.NDArray[np.int64], int]:
    """:func:`dedupe_news._kernels.fold_kernel` of the texts joined: the folded code points,
    each text's end in them, and how many texts were folded before one with a character whose
    case folding is longer."""
    ends = np.cumsum([len(t) for t in texts], dtype=np.int64)
    fold = _case_folding()[0]
    folded: tuple[_Codes, npt.NDArray[np.int64], int] = fold_kernel(
        _code_points("".join(texts)), ends, fold, char_classes()
    )
    return folded


def _strings(
    codes: _Codes, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> list[str]:
    """The strings of ranges of code points (a piece's new tokens), decoded at once (as UTF-32
    beyond ASCII, so that lone surrogates stay apart)."""
    lengths = ends - starts
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    chosen = codes[np.arange(bounds[-1]) + np.repeat(starts - bounds[:-1], lengths)]
    if chosen.dtype == np.uint8:
        text = chosen.tobytes().decode("ascii")
    else:
        text = chosen.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    return [text[x:y] for x, y in pairwise(bounds.tolist())]


@functools.cache
def _case_folding() -> tuple[npt.NDArray[np.uint32], re.Pattern[str]]:
    """Per code point, its case folding (``str.casefold``) where that is one code point no
    wider (see :func:`_width`), else ``FOLDS_LONGER`` (see
    :func:`dedupe_news._kernels.fold_kernel`); and a pattern of those others (about a hundred:
    ``ß``, ``İ``, ligatures), whose texts Python folds."""
    every = "".join(map(chr, range(0x110000)))
    fold = np.arange(0x110000, dtype=np.uint32)
    longer = []
    for start in range(0, 0x110000, 256):  # most blocks have no case at all
        block = every[start : start + 256]
        if block.casefold() == block:
            continue
        for code in range(start, start + 256):
            folded = every[code].casefold()
            if len(folded) == 1 and _width(ord(folded)) <= _width(code):
                fold[code] = ord(folded)
            elif folded != every[code]:
                fold[code] = FOLDS_LONGER
                longer.append(every[code])
    return fold, re.compile("[" + "".join(map(re.escape, longer)) + "]")


def _width(code: int) -> int:
    """Bytes a code point takes in the narrowest array of :func:`_code_points` that holds it
    (folded code points are written over their own, so must be no wider)."""
    return 1 if code < 0x80 else 2 if code < 0x10000 else 4


def _scan_pieces(texts: Sequence[str], max_line_words: int, n_jobs: int) -> Iterator[_Scanned]:
    """Scans of consecutive pieces of about ``_SCAN_CHARS`` characters (fewer when that gives
    every thread one), in order, a few at a time on threads (so memory stays bounded); always
    at least one piece."""
    threads = workers(n_jobs)
    piece = min(_SCAN_CHARS, -(-sum(map(len, texts)) // threads))
    bounds = [0]
    size = 0
    for k, text in enumerate(texts):
        size += len(text)
        if size >= piece:
            bounds.append(k + 1)
            size = 0
    if bounds[-1] != len(texts) or len(bounds) == 1:
        bounds.append(len(texts))
    if len(bounds) == 2 or threads == 1:  # one piece, or one thread: no pool to start
        for start, stop in pairwise(bounds):
            yield _scan_piece(texts[start:stop], max_line_words)
        return
    with ThreadPoolExecutor(threads) as pool:
        running: deque[Future[_Scanned]] = deque()
        for start, stop in pairwise(bounds):
            running.append(pool.submit(_scan_piece, texts[start:stop], max_line_words))
            if len(running) > threads:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()


@dataclass(frozen=True)
class Scan:
    """Texts as tokens (ids of distinct tokens, :func:`tokenize` order) and non-empty lines.

    Token ``k`` is ``words[ids[k]]``, whose 64-bit hash is ``distinct[ids[k]]``; ids number the
    distinct tokens in first-seen order (4 bytes a token where hashes take 8: a batch's tokens
    are most of its preparation's memory). Text ``t`` has lines
    ``text_first[t]:text_first[t + 1]``; line ``l`` has tokens
    ``line_first[l]:line_first[l + 1]`` and, when ``keyed[l]`` (1 to ``max_line_words``
    words), the key ``line_key[l]`` under which repeats are counted. The lines are those of
    the texts' :func:`normal_layout`, which ``plain[t]`` says text ``t`` has already.
    """

    ids: npt.NDArray[np.int32]
    distinct: npt.NDArray[np.uint64]
    words: list[str]
    line_first: npt.NDArray[np.int64]
    line_key: npt.NDArray[np.uint64]
    keyed: npt.NDArray[np.bool_]
    text_first: npt.NDArray[np.int64]
    plain: npt.NDArray[np.bool_]

    @property
    def hashes(self) -> npt.NDArray[np.uint64]:
        """Each token's hash (made on demand: 8 bytes a token)."""
        return self.distinct[self.ids]

    @functools.cached_property
    def strings(self) -> dict[int, str]:
        """Each distinct token's hash (as an int) to the token."""
        return dict(zip(self.distinct.tolist(), self.words, strict=True))

    def text_tokens(self, t: int) -> tuple[int, int]:
        """Token range of text ``t``."""
        return int(self.line_first[self.text_first[t]]), int(
            self.line_first[self.text_first[t + 1]]
        )


def scan_texts(texts: Sequence[str], max_line_words: int, *, n_jobs: int = 1) -> Scan:
    """Tokens, lines and line keys of texts with normal characters (:func:`normal_characters`)
    as :func:`normalize` would lay them out, in compiled passes of bounded size (``n_jobs`` of
    them at once)."""
    builder = ScanBuilder(max_line_words, n_jobs=n_jobs)
    builder.add(texts)
    return builder.build()


class ScanBuilder:
    """Texts scanned a batch at a time into one :class:`Scan`, tokens numbered across batches:
    a stream's batches need not be held together (each batch's texts can go once it is added).

    Each :meth:`add` scans its texts in compiled passes of bounded size, ``n_jobs`` at once.

    Given ``text_chars``, about as many characters as all batches will bring, room for their
    ids is reserved at once (one token per four characters; news has one per six). Room takes
    no memory until written, and growing copies the ids so far into fresh memory: at a million
    articles read a chunk at a time, growing took 7 s of 72 s of scanning.
    """

    def __init__(self, max_line_words: int, *, n_jobs: int = 1, text_chars: int = 0) -> None:
        self.max_line_words, self.n_jobs = max_line_words, n_jobs
        self._seen = FirstSeen()
        self._words: list[str] = []
        self._ids = np.empty(0, dtype=np.int32)
        if text_chars > 0:  # where the address space is refused, room grows as batches come
            with contextlib.suppress(MemoryError):
                self._ids = np.empty(text_chars // 4 + 1, dtype=np.int32)
        self._tokens = self._lines = 0
        self._parts: list[tuple[npt.NDArray[Any], ...]] = []

    def add(self, texts: Sequence[str]) -> Scan:
        """Scan texts with normal characters (:func:`normal_characters`) and append them; their
        scan alone, with ids numbered across batches (valid until the next ``add``)."""
        tokens_before, lines_before, first_part = self._tokens, self._lines, len(self._parts)
        # The ids go straight into one array as pieces come, with room for about as many
        # tokens as the texts can hold: the pieces are never held twice, as concatenating
        # them would. Room never written to takes no memory.
        self._reserve(tokens_before + sum(map(len, texts)) // 2 + 1)
        for codes, scanned in _scan_pieces(texts, self.max_line_words, self.n_jobs):
            starts, token_ends, piece_hashes, line_first, line_key, keyed, text_first, plain = (
                scanned
            )
            end = self._tokens + piece_hashes.size
            self._reserve(end)  # one-letter texts, or casefolding lengthened them
            self._ids[self._tokens : end], new = self._seen.ids(piece_hashes, np.int32)
            self._words.extend(_strings(codes, starts[new], token_ends[new]))
            self._parts.append(
                (
                    line_first[:-1] + self._tokens,
                    line_key,
                    keyed,
                    text_first[:-1] + self._lines,
                    plain,
                )
            )
            self._tokens = end
            self._lines += line_key.size
        return self._scan(self._parts[first_part:], tokens_before, lines_before)

    def build(self) -> Scan:
        """The scan of every text added (its ids a view of the room reserved: the part never
        written to takes no memory)."""
        if not self._parts:  # nothing added: the scan of no texts
            self.add([])
        scan = self._scan(self._parts, 0, 0)
        return replace(scan, distinct=scan.distinct.copy())

    @property
    def room(self) -> npt.NDArray[np.int32]:
        """The array the built scan's ids are the start of: the rest is room reserved for ids,
        never written to, which the caller may use (see
        :func:`dedupe_news.pipeline.kept_token_ids`)."""
        return self._ids

    def _scan(
        self, parts: list[tuple[npt.NDArray[Any], ...]], tokens_before: int, lines_before: int
    ) -> Scan:
        return Scan(
            ids=self._ids[tokens_before : self._tokens],
            distinct=self._seen.values,  # a view: build() copies it
            words=self._words,
            line_first=np.concatenate([*(p[0] for p in parts), [self._tokens]]) - tokens_before,
            line_key=np.concatenate([p[1] for p in parts]),
            keyed=np.concatenate([p[2] for p in parts]),
            text_first=np.concatenate([*(p[3] for p in parts), [self._lines]]) - lines_before,
            plain=np.concatenate([p[4] for p in parts]),
        )

    def _reserve(self, size: int) -> None:
        """Room for ``size`` token ids: twice as much when it grows (a copy of the ids so far,
        not of the room, is what growing costs)."""
        if size > self._ids.size:
            grown = np.empty(max(size, 2 * self._ids.size), dtype=np.int32)
            grown[: self._tokens] = self._ids[: self._tokens]
            self._ids = grown


def scan_hashes(tokens: Sequence[str]) -> npt.NDArray[np.uint64]:
    """The hash :func:`scan_texts` gives each of ``tokens`` (tokens it found: each must scan as
    exactly one token), for tables keyed by those hashes that are stored as strings."""
    joined = "\n".join(tokens)
    ends = np.array([len(joined)], dtype=np.int64)
    scanned = scan_kernel(_code_points(joined), ends, char_classes(), 0)
    hashes: npt.NDArray[np.uint64] = scanned[2].copy()  # a view into the scan's buffer
    if hashes.size != len(tokens):
        raise ValueError("each of the tokens must scan as one token")
    return hashes


@functools.cache
def _chrome_starts() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Hashes of the first words that may start chrome whatever follows, and keys
    (:func:`_word_pair`) of the first two words of the others."""
    first_only = [word for word, then in _CHROME_WORDS.items() if then is None]
    pairs = [(word, second) for word, then in _CHROME_WORDS.items() for second in then or ()]
    firsts, seconds = scan_hashes([w for w, _ in pairs]), scan_hashes([s for _, s in pairs])
    return scan_hashes(first_only), _word_pair(firsts, seconds)


def _word_pair(first: npt.NDArray[np.uint64], second: npt.NDArray[np.uint64]) -> Any:
    return first * np.uint64(0x9E3779B97F4A7C15) + second  # wraps: a key, not a count


def chrome_lines(texts: Sequence[str], scan: Scan) -> npt.NDArray[np.bool_]:
    """Per non-empty line of the texts (``scan`` is theirs): whether it is page chrome.

    The pattern runs only on lines whose first words can start chrome (a few in a hundred).
    """
    first, words = scan.line_first[:-1], np.diff(scan.line_first)
    first_only, pair_keys = _chrome_starts()
    maybe = np.zeros(first.size, dtype=bool)
    worded = np.flatnonzero(words > 0)
    hash_of = scan.distinct
    maybe[worded] = is_in(hash_of[scan.ids[first[worded]]], first_only)
    two = np.flatnonzero(words > 1)
    pair = _word_pair(hash_of[scan.ids[first[two]]], hash_of[scan.ids[first[two] + 1]])
    maybe[two] |= is_in(pair, pair_keys)
    for t, text in enumerate(texts):
        if text.isascii():  # known at once, and the case of most texts
            continue
        if "©" in text or "\u0130" in text or "\u0131" in text:
            maybe[scan.text_first[t] : scan.text_first[t + 1]] = True
    chrome = np.zeros(first.size, dtype=bool)
    lines = np.flatnonzero(maybe)
    owners = np.searchsorted(scan.text_first, lines, side="right") - 1
    starts, stops = scan.text_first[owners].tolist(), scan.text_first[owners + 1].tolist()
    for line, owner, start, stop in zip(
        lines.tolist(), owners.tolist(), starts, stops, strict=True
    ):
        chrome[line] = is_chrome(nth_line(texts[owner], line - start, stop - start))
    return chrome


def nth_line(text: str, k: int, count: int) -> str:
    """``split_lines(text)[k]`` of a text with ``count`` non-empty lines, found from the nearer
    end: chrome sits at the top or the bottom of a page, and splitting the whole text for it
    took most of :func:`chrome_lines`' time."""
    if 2 * k < count:
        at = 0
        while at <= len(text):
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            if end > at:
                if k == 0:
                    return text[at:end]
                k -= 1
            at = end + 1
    else:
        k = count - 1 - k  # from the end
        end = len(text)
        while end >= 0:
            at = text.rfind("\n", 0, end) + 1
            if end > at:
                if k == 0:
                    return text[at:end]
                k -= 1
            end = at - 1
    raise ValueError(f"a text has fewer non-empty lines than {count}")


def _keys_in_texts(
    keys: npt.NDArray[np.uint64], texts: npt.NDArray[np.int64], at_least: int
) -> npt.NDArray[np.uint64]:
    """The keys (sorted) of lines found in ``at_least`` distinct texts, from lines that come
    text by text (``texts`` non-decreasing, as a scan gives them).

    Counted in a hash table rather than by sorting the lines: only the keys found are sorted.
    With :func:`dedupe_news._arrays.is_in`, encoding a million articles took 8.4-10.3 s
    instead of 11.7-13.6 s.
    """
    seen = FirstSeen()
    ids, _ = seen.ids(keys)
    counts = distinct_texts_kernel(ids, texts, seen.count)
    return np.sort(seen.values[counts >= at_least])


SourceKeys = tuple[npt.NDArray[np.uint64], npt.NDArray[np.bool_]]
"""Each line's key within its source, and whether its text has a source."""


@dataclass(frozen=True)
class BoilerplateRules:
    """The short lines found to be boilerplate, as sorted arrays of their keys: repeated across
    the batch (``Scan.line_key``), and repeated within one source (:func:`source_line_keys`).
    Sorted so that the rules are the same arrays whichever engine counted them; lines are
    looked up in hash tables of them (:func:`dedupe_news._arrays.is_in`), not by search.

    Counting needs a whole batch, applying only a text's own lines, so an engine that spreads
    the texts over machines counts the keys in a reduction and sends every piece the rules.
    """

    repeated: npt.NDArray[np.uint64]
    repeated_by_source: npt.NDArray[np.uint64]

    @staticmethod
    def batch_floor(distinct_texts: int, *, min_articles: int, min_share: float) -> int:
        """Distinct texts a line must occur in to be batch-wide boilerplate."""
        return max(min_articles, int(min_share * distinct_texts + 0.999999))

    def removed(
        self, scan: Scan, source_keys: SourceKeys, chrome: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        """Per line of ``scan``: whether it goes, as boilerplate or as page chrome (``chrome``,
        see :func:`chrome_lines`). ``source_keys`` are :func:`source_line_keys` of the scan,
        as counting used them."""
        keys_in_source, has_source = source_keys
        repeated = is_in(scan.line_key, self.repeated)
        repeated |= has_source & is_in(keys_in_source, self.repeated_by_source)
        boilerplate: npt.NDArray[np.bool_] = scan.keyed & repeated
        return boilerplate | chrome


def source_line_keys(scan: Scan, sources: Sequence[str | None]) -> SourceKeys:
    """Each line's key within its text's source (the line key mixed with a stable hash of the
    source), and whether the text has a source."""
    source_hash = np.zeros(len(sources), dtype=np.uint64)
    named = [k for k, source in enumerate(sources) if source is not None]
    if named:  # a few outlets publish most articles: each source is hashed once
        distinct = list(dict.fromkeys(sources[k] or "" for k in named))
        hash_of = dict(zip(distinct, token_hashes(distinct).tolist(), strict=True))
        source_hash[named] = [hash_of[sources[k] or ""] for k in named]
    per_line = np.diff(scan.text_first)
    keys = scan.line_key ^ fmix64(np.repeat(source_hash, per_line))
    has_source = np.repeat(np.asarray([s is not None for s in sources], dtype=bool), per_line)
    return keys, has_source


def boilerplate_lines(
    scan: Scan,
    chrome: npt.NDArray[np.bool_],
    text_keys: Sequence[Hashable],
    sources: Sequence[str | None],
    *,
    min_articles: int,
    min_share: float,
    min_source_articles: int,
) -> npt.NDArray[np.bool_]:
    """Per line of ``scan``: whether it is boilerplate or page chrome (``chrome``, see
    :func:`chrome_lines`).

    See :func:`strip_boilerplate`; a verbatim reprint counts once, whoever printed it: texts
    are told apart by ``text_keys`` (the normalized texts, or digests of them where the texts
    are not held, see :func:`text_digest`).
    """
    n = len(text_keys)
    line_text = np.repeat(np.arange(n), np.diff(scan.text_first))
    counted = np.zeros(n, dtype=bool)  # the first of identical texts
    counted_in_source = np.zeros(n, dtype=bool)  # ... of identical texts of one source
    first_text: dict[Hashable, int] = {}
    first_in_source: dict[tuple[str, Hashable], int] = {}
    for t, (text, source) in enumerate(zip(text_keys, sources, strict=True)):
        counted[t] = first_text.setdefault(text, t) == t
        if source is not None:
            counted_in_source[t] = first_in_source.setdefault((source, text), t) == t
    floor = BoilerplateRules.batch_floor(
        int(counted.sum()), min_articles=min_articles, min_share=min_share
    )
    source_keys = source_line_keys(scan, sources)
    batch = scan.keyed & counted[line_text]
    by_source = scan.keyed & counted_in_source[line_text]
    rules = BoilerplateRules(
        _keys_in_texts(scan.line_key[batch], line_text[batch], floor),
        _keys_in_texts(source_keys[0][by_source], line_text[by_source], min_source_articles),
    )
    return rules.removed(scan, source_keys, chrome)


def text_digest(text: str) -> bytes:
    """A 128-bit digest of a text: what tells reprints apart where the texts are not held."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


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
    scan = scan_texts(texts, max_line_words)
    removed = boilerplate_lines(
        scan,
        chrome_lines(texts, scan),
        texts,
        sources,
        min_articles=min_articles,
        min_share=min_share,
        min_source_articles=min_source_articles,
    )
    kept_tokens = np.repeat(~removed, np.diff(scan.line_first))
    report = BoilerplateReport([], [], [])
    for t, text in enumerate(texts):
        first, last = scan.text_first[t], scan.text_first[t + 1]
        lines = split_lines(text)
        report.kept_lines.append(
            [ln for ln, r in zip(lines, removed[first:last], strict=True) if not r]
        )
        a, b = scan.text_tokens(t)
        ids = scan.ids[a:b][kept_tokens[a:b]].tolist()
        report.tokens.append([scan.words[i] for i in ids])
        report.lines_removed.append(int(removed[first:last].sum()))
    return report
