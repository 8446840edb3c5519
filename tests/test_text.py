"""Text preparation: normalization, boilerplate stripping, tokenization."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dedupe_news import _kernels
from dedupe_news import text as text_module
from dedupe_news.text import (
    Scan,
    char_classes,
    chrome_lines,
    is_chrome,
    normal_characters,
    normal_layout,
    normalize,
    nth_line,
    scan_hashes,
    scan_texts,
    split_lines,
    split_title,
    strip_boilerplate,
    tokenize,
)

SETTINGS = {
    "min_articles": 5,
    "min_share": 0.02,
    "min_source_articles": 2,
    "max_line_words": 25,
}

TRICKY = [
    "\u2018",  # curly quotes
    "\u2019",
    "\u201c",
    "\u201d",
    "\u201e",
    "\u00ab",
    "\u00bb",
    "\u2032",
    "\u2033",
    "\u2013",  # dashes
    "\u2014",
    "\u2212",
    "\u00a0",  # NBSP and other spaces
    "\u2009",
    "\u3000",
    "\u200b",
    "\ufeff",
    "\u0301",  # combining marks
    "\u0308",
    "\u0327",
    "\u1100",  # Hangul jamo compose under NFKC
    "\u1161",
    "\ufb01",  # ligature
    "\u2460",  # circled digit
    "e",
    "A",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\x85",
    "\x0b",
    "\x1c",
    "\x1f",
]
TEXTS = st.lists(st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=40).map("".join)


@settings(max_examples=50, deadline=None)
@example(text="\n\xa0")  # a trailing whitespace-only line (was a bug)
@example(text="North Korea\n \t")
@given(text=TEXTS)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=80))
def test_normalize_is_idempotent_on_any_text(text: str) -> None:
    once = normalize(text)
    assert normalize(once) is once  # a normal text comes back itself, not as a copy


def test_normalize_folds_typography_and_keeps_case() -> None:
    text = "VP Harris:\u00a0it would be a \u201chuge mistake\u201d \u2014 Kim\u2019s   move"
    assert normalize(text) == 'VP Harris: it would be a "huge mistake" - Kim\'s move'


def test_normalize_strips_lines_and_drops_zero_width() -> None:
    assert normalize("  one\u200b  \r\n\ttwo\u00a0\u00a0three  ") == "one\ntwo three"


def test_normalize_composes_combining_marks() -> None:
    assert normalize("cafe\u0301") == "caf\u00e9"


def test_tokenize_casefolds_and_splits_on_punctuation() -> None:
    assert tokenize("Kim's 2024 TALKS, in Vladivostok!") == [
        "kim",
        "s",
        "2024",
        "talks",
        "in",
        "vladivostok",
    ]


def test_split_lines_drops_empty_lines() -> None:
    assert split_lines("a\n\nb\n") == ["a", "b"]


def test_split_title_takes_first_short_non_chrome_line() -> None:
    title, rest = split_title("Skip to main content\nNorth Korea warned\nBody text here.")
    assert title == "North Korea warned"
    assert "Body text here." in rest
    assert "North Korea warned" not in rest


def test_split_title_leaves_long_first_line_as_body() -> None:
    body = "word " * 100
    title, rest = split_title(body.strip())
    assert title == ""
    assert rest == body.strip()


CHROME = [
    "Skip to main content",
    "Popular in the Community",
    "Related Articles",
    "Back to top button",
    "Data & News supplied by www.cloudquote.io Stock quotes supplied by Barchart",
]


@pytest.mark.parametrize("line", CHROME)
def test_known_chrome_lines_are_recognised(line: str) -> None:
    assert is_chrome(line)
    assert is_chrome(line.upper())


@pytest.mark.parametrize("line", CHROME)
def test_known_chrome_lines_are_stripped_even_from_one_article(line: str) -> None:
    body = "Vice President Kamala Harris spoke on Thursday.\nShe called it a huge mistake."
    text = normalize(f"{line}\n{body}\n{line}")
    report = strip_boilerplate([text], [None], **SETTINGS)
    assert report.texts == [normalize(body)]
    assert report.lines_removed == [2]


@pytest.mark.parametrize(
    "line",
    [
        "Related articles about North Korea's missile programme are listed below the fold",
        "Skip to main content of the speech, Sullivan told reporters",
        "The data supplied by the agency shows a rise",
    ],
)
def test_ordinary_sentences_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


def distinct_articles(k: int, extra_line: str | None = None) -> list[str]:
    texts = []
    for i in range(k):
        lines = [f"Story number {i} about topic {i * 7} happened in town {i * 13}."]
        if extra_line is not None:
            lines.append(extra_line)
        lines.append(f"Officials in town {i * 13} said item {i * 3} would follow.")
        texts.append(normalize("\n".join(lines)))
    return texts


def test_short_line_repeated_across_many_distinct_articles_is_stripped() -> None:
    line = "Follow our live coverage for the latest updates."
    texts = distinct_articles(12, line)
    report = strip_boilerplate(texts, [None] * len(texts), **SETTINGS)
    assert all(line not in t for t in report.texts)
    assert report.lines_removed == [1] * len(texts)
    assert all(t.startswith("Story number") for t in report.texts)


def test_short_line_in_few_articles_is_kept() -> None:
    line = "Follow our live coverage for the latest updates."
    texts = distinct_articles(3, line) + distinct_articles(9)[3:]
    report = strip_boilerplate(texts, [None] * len(texts), **SETTINGS)
    assert report.texts == texts
    assert sum(report.lines_removed) == 0


def test_short_line_repeated_within_one_source_is_stripped() -> None:
    line = "Subscribe to the Daily Example for more."
    texts = distinct_articles(3, line)
    report = strip_boilerplate(texts, ["daily.example"] * 3, **SETTINGS)
    assert all(line not in t for t in report.texts)


def test_exact_duplicate_articles_do_not_strip_themselves() -> None:
    text = normalize("A short wire story.\nIt has a second short line.\nAnd a third one.")
    texts = [text] * 20
    for sources in ([None] * 20, ["wire.example"] * 20):
        report = strip_boilerplate(texts, sources, **SETTINGS)
        assert report.texts == texts
        assert report.lines_removed == [0] * 20


def test_exact_reprints_from_different_outlets_do_not_strip_themselves() -> None:
    text = normalize("A short wire story.\nIt has a second short line.\nAnd a third one.")
    texts = [text] * 8
    sources = [f"outlet-{k}.example" for k in range(8)]
    report = strip_boilerplate(texts, sources, **SETTINGS)
    assert report.texts == texts


def test_long_lines_are_never_stripped_as_repeated() -> None:
    long_line = " ".join(f"word{k}" for k in range(40))
    texts = distinct_articles(30, long_line)
    report = strip_boilerplate(texts, ["same.example"] * 30, **SETTINGS)
    assert all(long_line in t for t in report.texts)
    assert sum(report.lines_removed) == 0


def test_line_limit_is_inclusive_of_max_line_words() -> None:
    at_limit = " ".join(f"w{k}" for k in range(SETTINGS["max_line_words"]))
    over = " ".join(f"v{k}" for k in range(SETTINGS["max_line_words"] + 1))
    texts = [normalize(f"{t}\n{at_limit}\n{over}") for t in distinct_articles(10)]
    report = strip_boilerplate(texts, [None] * 10, **SETTINGS)
    assert all(at_limit not in t and over in t for t in report.texts)


def test_repeated_lines_compare_by_words() -> None:
    """Case and punctuation do not hide a repeated line."""
    variants = [
        "Read our newsletter today!",
        "READ OUR NEWSLETTER TODAY",
        "read our newsletter, today",
    ]
    texts = [normalize(f"{t}\n{variants[i % 3]}") for i, t in enumerate(distinct_articles(12))]
    report = strip_boilerplate(texts, [None] * 12, **SETTINGS)
    assert all("newsletter" not in t.lower() for t in report.texts)


def test_report_is_aligned_with_input() -> None:
    texts = ["", normalize("Skip to main content"), normalize("Only body.")]
    report = strip_boilerplate(texts, [None, "a", "b"], **SETTINGS)
    assert report.texts == ["", "", "Only body."]
    assert report.lines_removed == [0, 1, 0]


# Straightforward reference implementations the fast paths must agree with.
_REF_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
     "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"',
     "\u00bb": '"', "\u2013": "-", "\u2014": " - ", "\u2212": "-", "\u00a0": " ",
     "\u200b": "", "\ufeff": ""}
)  # fmt: skip


def _reference_normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).translate(_REF_FOLD))
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(lines).strip("\n")


def _reference_tokenize(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)+|\w+", re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.casefold()))


@settings(max_examples=300, deadline=None)
@example(text="a \t\x0b b\r\n  c")
@given(text=TEXTS)
def test_normalize_matches_the_reference(text: str) -> None:
    assert normalize(text) == _reference_normalize(text)


@settings(max_examples=300, deadline=None)
@example(text="6,000,000 and 1,23 or 12,3456, 7,890")
@given(
    text=st.lists(st.sampled_from(["1", "23", ",", "456", ".", " ", "a", "\n", "7890"])).map(
        "".join
    )
)
def test_tokenize_matches_the_reference(text: str) -> None:
    assert tokenize(text) == _reference_tokenize(text)


def test_boilerplate_tokens_are_the_kept_texts_tokens() -> None:
    texts = [
        normalize(f"Subscribe now\nStory {k} about the 1,200 bridges.\nShare this")
        for k in range(6)
    ]
    report = strip_boilerplate(texts, ["daily.example"] * 6, **SETTINGS)
    assert report.tokens == [tokenize(text) for text in report.texts]
    assert all("subscribe" not in words for words in report.tokens)


# The batch scanner against tokenize() and a string reference of boilerplate stripping.

SCAN_TEXTS = st.lists(
    st.one_of(
        st.sampled_from(
            ["1", "23", ",", ".", "4,567", "\n", " ", "a", "ß", "İ", "٣", "_", "\u00bd"]
        ),
        st.characters(),
    ),
    max_size=60,
).map(lambda parts: normalize("".join(parts)))


def _scanned_lines(scan: Scan, t: int) -> list[list[str]]:
    lines = range(scan.text_first[t], scan.text_first[t + 1])
    return [
        [scan.strings[h] for h in scan.hashes[scan.line_first[n] : scan.line_first[n + 1]].tolist()]
        for n in lines
    ]


@settings(max_examples=300, deadline=None)
@example(texts=["Line one 6,000\n\nİSTANBUL ß 1,5\nlast", "", "1.5abc 2,3x\n\n"])
@example(texts=["a", "b", "c", "ß"])  # more tokens than half the characters: the array grows
@example(texts=["word \U0001f600 word2", "ß"])  # past U+FFFF: four bytes a character
@given(texts=st.lists(SCAN_TEXTS, max_size=5))
def test_scan_finds_tokenizes_tokens_line_by_line(texts: list[str]) -> None:
    scan = scan_texts(texts, max_line_words=3)
    for t, text in enumerate(texts):
        lines = [tokenize(line) for line in split_lines(text)]
        assert _scanned_lines(scan, t) == lines
        keyed = scan.keyed[scan.text_first[t] : scan.text_first[t + 1]]
        assert keyed.tolist() == [0 < len(words) <= 3 for words in lines]


# Mostly ASCII texts with capitals and thousands separators to fold, beside a few others (lone
# surrogates that encode as a pair among them).
_ASCII_PARTS = ["1", "23", ",", ".", "1,000", "9,99", "x1,234", "\n", " ", "a", "B", "Zq", "_"]
FOLD_TEXTS = st.lists(
    st.sampled_from([*_ASCII_PARTS, "Ω", "ß", "\ud83d", "\ude00"]), max_size=40
).map(lambda parts: normalize("".join(parts)))


@settings(max_examples=300, deadline=None)
@example(texts=["ABC 1,000 x", "\ud83d\ude00 Hi", "Den 2,000,000."])
@example(texts=["A1,000", "1,000_ 1,000.5 1,0000 1,000"])
@example(texts=["X 1,000", "ß1,000 1,ßßß", "4,567ß", "Ω 2,000"])  # the fold stops, redone
@given(texts=st.lists(FOLD_TEXTS, max_size=6))
def test_scan_folds_texts_as_tokenize_does(texts: list[str]) -> None:
    scan = scan_texts(texts, max_line_words=3)
    for t, text in enumerate(texts):
        assert _scanned_lines(scan, t) == [tokenize(line) for line in split_lines(text)]


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(SCAN_TEXTS, max_size=5))
def test_scan_hashes_of_found_tokens_are_the_scans(texts: list[str]) -> None:
    scan = scan_texts(texts, max_line_words=3)
    tokens = list(scan.strings.values())
    assert scan_hashes(tokens).tolist() == list(scan.strings)


@settings(max_examples=300, deadline=None)
@example(texts=["a \t b\r\n  c 1,000 \n", "x\n\ny", " ", "\u2028a\x85b\x1f"])
@example(texts=["a  b", "a\n b", "a \nb", "a\n \nb", "\na", "a\n", "a\n\n\nb"])
@given(texts=st.lists(TEXTS, max_size=5))
def test_scan_reads_any_layout_as_normalized(texts: list[str]) -> None:
    raw = [normal_characters(t) for t in texts]
    scan, normal = scan_texts(raw, max_line_words=3), scan_texts(list(map(normalize, texts)), 3)
    for field in ("hashes", "line_first", "line_key", "keyed", "text_first"):
        np.testing.assert_array_equal(getattr(scan, field), getattr(normal, field))
    assert scan.strings == normal.strings
    assert scan.plain.tolist() == [normal_layout(t) is t for t in raw]
    assert normal.plain.all()


def test_case_folding_table_is_str_casefold() -> None:
    """Each code point folds through the table as ``str.casefold`` folds it, or is marked for
    Python to fold; what Python folds it to folds through the table unchanged (so a text folded
    by Python is never stopped again)."""
    fold, longer = text_module._case_folding()
    stop = _kernels.FOLDS_LONGER
    for code in range(0x110000):
        char = chr(code)
        folded = char.casefold()
        if fold[code] == stop:
            assert longer.fullmatch(char) and folded != char, hex(code)
            assert all(fold[ord(c)] == ord(c) for c in folded), hex(code)
        else:
            assert chr(fold[code]) == folded and not longer.fullmatch(char), hex(code)


def test_char_classes_are_the_tokenizer_and_str_classes() -> None:
    classes = char_classes()
    for code in [*range(0x3000), 0x3000, 0x1680, 0x10FFFF, 0x1D7CE]:
        char = chr(code)
        word = re.fullmatch(r"\w", char) is not None
        digit = re.fullmatch(r"\d", char) is not None
        space = char.isspace()
        breaks = len(f"a{char}b".splitlines()) == 2
        assert classes[code] == word | digit << 1 | space << 2 | breaks << 3, hex(code)


def test_scan_hashes_refuses_what_is_not_one_token() -> None:
    with pytest.raises(ValueError, match="one token"):
        scan_hashes(["two words"])


CHROME_LIKE = st.sampled_from(
    [
        *CHROME,
        "ADVERTISEMENT",
        "- Advertisement -",
        "Story continues below advertisement",
        "Loading error loading",
        "loadingerror loading",
        "Errorloading",
        "© 2024 Example News",
        "Copyright © 2023 Example Wire. All rights reserved.",
        "\u00a92021 Example",
        "L\u0131ke us on Facebook",  # dotless i: the pattern's "i", not case folding's
        "\u0130mages",
        "\u017fkip to content",  # long s folds to "s"
        "Photos",
        "Video credits",
        "Share this article with friends",
        "Read more about the economy",
        "Tap here to see more",
        "We use cookies to improve your experience",
        "This website uses cookies",
        "Subscribe now to our daily brief",
        "We met the minister on Tuesday",
        "Data show a rise",
    ]
)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.lists(st.one_of(CHROME_LIKE, st.text(max_size=30))), max_size=6))
def test_chrome_lines_match_the_pattern_line_by_line(texts: list[list[str]]) -> None:
    normalized = [normalize("\n".join(lines)) for lines in texts]
    scan = scan_texts(normalized, max_line_words=3)
    expected = [is_chrome(line) for text in normalized for line in split_lines(text)]
    assert chrome_lines(normalized, scan).tolist() == expected


def test_scan_in_chunks_is_the_scan_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        normalize(f"Story {k} ß\n\nabout {k % 3} bridges, 1,{k:03d} of them") for k in range(40)
    ]
    whole = scan_texts(texts, max_line_words=25)
    halves = scan_texts(texts, max_line_words=25, n_jobs=2)  # a piece for each thread
    monkeypatch.setattr(text_module, "_SCAN_CHARS", 50)  # a few texts per chunk
    chunked = scan_texts(texts, max_line_words=25)
    for scan in (halves, chunked):
        for field in ("hashes", "line_first", "line_key", "keyed", "text_first"):
            np.testing.assert_array_equal(getattr(scan, field), getattr(whole, field))
        assert scan.strings == whole.strings


def _reference_strip(
    texts: list[str], sources: list[str | None], settings_: dict[str, float]
) -> tuple[list[list[str]], list[list[str]], list[int]]:
    """Boilerplate stripping on strings: lines compared by their words joined by spaces."""
    lines = [split_lines(t) for t in texts]
    words = [[tokenize(line) for line in text_lines] for text_lines in lines]
    keys = [
        [" ".join(w) if 0 < len(w) <= settings_["max_line_words"] else None for w in text_words]
        for text_words in words
    ]
    batch: Counter[str] = Counter()
    by_source: Counter[tuple[str, str]] = Counter()
    for text in dict.fromkeys(texts):
        batch.update({k for k in keys[texts.index(text)] if k is not None})
    for source, text in dict.fromkeys(zip(sources, texts, strict=True)):
        if source is not None:
            by_source.update((source, k) for k in set(keys[texts.index(text)]) if k is not None)
    floor = max(settings_["min_articles"], int(settings_["min_share"] * len(set(texts)) + 0.999999))
    kept_lines, kept_words, removed = [], [], []
    for text_lines, text_words, text_keys, source in zip(lines, words, keys, sources, strict=True):
        keep = [
            k
            for k, (line, key) in enumerate(zip(text_lines, text_keys, strict=True))
            if not is_chrome(line)
            and (key is None or (batch[key] < floor and by_source[(source, key)] < 2))
        ]
        kept_lines.append([text_lines[k] for k in keep])
        kept_words.append([w for k in keep for w in text_words[k]])
        removed.append(len(text_lines) - len(keep))
    return kept_lines, kept_words, removed


LINES = st.sampled_from(
    ["Subscribe now", "Share this", "Story about bridges.", "Skip to main content", "1,200 x", "ß"]
)


@settings(max_examples=200, deadline=None)
@given(
    articles=st.lists(
        st.tuples(
            st.lists(st.one_of(LINES, SCAN_TEXTS), max_size=6).map("\n".join),
            st.sampled_from([None, "a.example", "b.example"]),
        ),
        max_size=12,
    )
)
def test_strip_boilerplate_matches_the_string_reference(
    articles: list[tuple[str, str | None]],
) -> None:
    texts = [normalize(text) for text, _ in articles]
    sources = [source for _, source in articles]
    report = strip_boilerplate(texts, sources, **SETTINGS)
    kept_lines, kept_words, removed = _reference_strip(texts, sources, SETTINGS)
    assert report.kept_lines == kept_lines
    assert report.tokens == kept_words
    assert report.lines_removed == removed


@settings(max_examples=80, deadline=None)
@given(
    lines=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 6)), max_size=60),
    at_least=st.integers(1, 4),
)
def test_keys_in_texts_counts_distinct_texts_as_a_reference(
    lines: list[tuple[int, int]], at_least: int
) -> None:
    lines = sorted(lines, key=lambda line: line[1])  # text by text, as a scan gives them
    keys = np.asarray([k * 0x9E3779B97F4A7C15 % 2**64 for k, _ in lines], dtype=np.uint64)
    texts = np.asarray([t for _, t in lines], dtype=np.int64)
    in_texts = Counter(k * 0x9E3779B97F4A7C15 % 2**64 for k, _ in set(lines))
    expected = sorted(k for k, count in in_texts.items() if count >= at_least)
    assert text_module._keys_in_texts(keys, texts, at_least).tolist() == expected


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(st.sampled_from(["", " ", "a", "b c", "\u00e9t\u00e9"]), min_size=1, max_size=9)
)
def test_nth_line_is_the_line_split_lines_gives(parts: list[str]) -> None:
    text = "\n".join(parts)
    lines = split_lines(text)
    assert [nth_line(text, k, len(lines)) for k in range(len(lines))] == lines
