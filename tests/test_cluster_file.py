"""``cluster_file()``: files read a chunk at a time, texts let go, the same stories."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import make_corpus
from dedupe_news import ConfigError, InputError, cluster, cluster_file, read_articles
from dedupe_news.articles import read_chunks
from dedupe_news.text import ScanBuilder, first_line, normal_characters, scan_texts


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _corpus(seed: int) -> list[dict[str, Any]]:
    records, _ = make_corpus(n_stories=5, per_story=4, seed=seed, reprints=2)
    for k, record in enumerate(records):  # an outlet footer, page chrome, an untitled text
        record["text"] += f"\nRead more at {record['source']}\nAdvertisement"
        if k % 3 == 0:
            record["title"] = None
        record["date"] = f"2024-05-{1 + k % 9:02d}"
    return records


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), chunk=st.integers(1, 12))
def test_a_file_read_in_chunks_gives_the_stories_of_the_whole(
    tmp_path_factory: pytest.TempPathFactory, seed: int, chunk: int
) -> None:
    path = _write_jsonl(tmp_path_factory.mktemp("in") / "news.jsonl", _corpus(seed))
    settings = {"boilerplate_min_articles": 3, "boilerplate_min_source_articles": 2}
    whole = cluster(read_articles(path), keep_evidence=False, **settings)
    streamed = cluster_file(path, chunk_size=chunk, **settings)
    assert streamed.labels.tolist() == whole.labels.tolist()
    assert streamed.stats == whole.stats and streamed.stats.boilerplate_lines > 0
    assert streamed.edges_to_pandas().equals(whole.edges_to_pandas())
    assert [s.ids for s in streamed.stories] == [s.ids for s in whole.stories]
    assert streamed.to_records() == whole.to_records()  # the headlines too
    for kept, read in zip(streamed.articles, whole.articles, strict=True):
        assert (kept.id, kept.title, kept.date, kept.source) == (
            read.id,
            read.title,
            read.date,
            read.source,
        )
        assert kept.text == ("" if read.title else first_line(read.text))
    assert streamed.evidence is None


def test_files_are_read_as_one_input(tmp_path: Path) -> None:
    records = _corpus(3)
    first = _write_jsonl(tmp_path / "a.jsonl", records[:9])
    second = _write_jsonl(tmp_path / "b.jsonl", records[9:])
    both = cluster_file([first, second], chunk_size=4)
    assert both.labels.tolist() == cluster(records, keep_evidence=False).labels.tolist()
    assert [a.id for a in both.articles] == [str(r["id"]) for r in records]


def test_evidence_can_still_be_kept(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "news.jsonl", _corpus(5))
    result = cluster_file(path, keep_evidence=True)
    assert result.evidence is not None and result.config.keep_evidence


def test_a_repeated_id_is_named_with_both_places(tmp_path: Path) -> None:
    records = _corpus(1)
    records[10]["id"] = records[2]["id"]
    path = _write_jsonl(tmp_path / "news.jsonl", records)
    with pytest.raises(InputError, match=rf"{records[2]['id']!r} at positions 2 and 10"):
        cluster_file(path, chunk_size=4)
    first = _write_jsonl(tmp_path / "first.jsonl", records[:10])
    more = _write_jsonl(tmp_path / "more.jsonl", [records[2]])
    with pytest.raises(
        InputError,
        match=r"more\.jsonl: .* at position 0 was already read from .*first\.jsonl \(position 2\)",
    ):
        list(read_chunks([first, more], 50))


def test_bad_input_in_a_later_chunk_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    lines = [json.dumps(r) for r in _corpus(2)]
    lines[7] = '{"id": "x", "text": 3}'
    lines[12] = "{not json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"news\.jsonl: article 'x' \(position 7\): 'text'"):
        cluster_file(path, chunk_size=3)
    lines[7] = json.dumps(_corpus(2)[7])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"news\.jsonl:13: malformed JSON"):
        cluster_file(path, chunk_size=3)


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "10"])
def test_chunk_size_must_be_a_positive_integer(tmp_path: Path, size: Any) -> None:
    path = _write_jsonl(tmp_path / "news.jsonl", _corpus(0)[:3])
    with pytest.raises(ConfigError, match="chunk_size must be a positive integer"):
        cluster_file(path, chunk_size=size)


def test_an_empty_file_gives_no_stories(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    result = cluster_file(path)
    assert result.stats.articles == 0 and result.stories == []


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.text(st.sampled_from("ab c\n\t1,2.É"), max_size=30), max_size=12),
    cuts=st.lists(st.integers(0, 12), max_size=4),
    text_chars=st.sampled_from([0, 1, 7, 10**6, 2**62]),  # none, too few, plenty, refused
)
def test_scans_added_in_batches_are_the_scan_of_all(
    texts: list[str], cuts: list[int], text_chars: int
) -> None:
    texts = [normal_characters(t) for t in texts]
    builder = ScanBuilder(3, text_chars=text_chars)
    bounds = sorted({0, len(texts), *(min(c, len(texts)) for c in cuts)})
    for start, stop in itertools.pairwise(bounds):
        part = builder.add(texts[start:stop])
        alone = scan_texts(texts[start:stop], 3)
        assert [part.words[i] for i in part.ids] == [alone.words[i] for i in alone.ids]
        assert np.array_equal(part.line_first, alone.line_first)
        assert np.array_equal(part.text_first, alone.text_first)
    built, whole = builder.build(), scan_texts(texts, 3)
    for name in ("ids", "distinct", "line_first", "line_key", "keyed", "text_first", "plain"):
        assert np.array_equal(getattr(built, name), getattr(whole, name)), name
    assert built.words == whole.words


def test_plain_size_counts_the_files_whose_size_bounds_their_text(tmp_path: Path) -> None:
    from dedupe_news.articles import plain_size

    plain = _write_jsonl(tmp_path / "news.jsonl", _corpus(0)[:3])
    packed = tmp_path / "news.jsonl.gz"
    packed.write_bytes(b"\x1f\x8b")
    assert plain_size([plain, packed, tmp_path, "-"]) == plain.stat().st_size
