"""``cluster()`` end to end: groupings, invariants, edge cases, results and their conversions."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import make_corpus
from dedupe_news import (
    Article,
    Clustering,
    Config,
    ConfigError,
    DedupeNewsError,
    InputError,
    Story,
    cluster,
    evaluate,
)
from dedupe_news._arrays import code_pairs, pair_codes
from dedupe_news.articles import coerce_articles
from dedupe_news.pipeline import (
    MAX_DF_FLOOR,
    NodeTokens,
    TermWeighting,
    assign_nodes,
    build_features,
    content_keys,
    count_matrix,
    encode_articles,
    kept_token_ids,
    merge_channels,
    prepare,
    row_frequency,
    scan_articles,
    term_weight,
    title_and_body,
    vocabulary_weights,
)
from dedupe_news.shingles import Vocabulary
from dedupe_news.text import scan_texts, strip_boilerplate, tokenize

CORPUS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def partition_of(result: Clustering) -> set[frozenset[str]]:
    return {frozenset(story.ids) for story in result.stories}


def labels_by_id(result: Clustering) -> dict[str, int]:
    return {a.id: int(label) for a, label in zip(result.articles, result.labels, strict=True)}


def assert_valid_partition(result: Clustering, n: int) -> None:
    """Every input article is in exactly one story; labels, stories and stats agree."""
    ids = [a.id for a in result.articles]
    assert len(ids) == n
    assert len(result.labels) == n
    assert result.labels.dtype.kind == "i"
    members = [i for story in result.stories for i in story.ids]
    assert sorted(members) == sorted(ids)  # a partition: nothing dropped, nothing twice
    for k, story in enumerate(result.stories):
        assert story.id == k
        assert len(story) == story.size == len(story.articles) == len(story.similarity)
        for article in story.articles:
            assert result.labels[ids.index(article.id)] == k
    sizes = [s.size for s in result.stories]
    assert sizes == sorted(sizes, reverse=True)
    assert result.stats.articles == n
    assert result.stats.stories == len(result.stories) == len(result)
    assert result.stats.singletons == sum(1 for s in result.stories if s.size == 1)
    assert result.stats.edges == len(result.edges)


# --------------------------------------------------------------------------- the seeds


def test_seeds_partition(seed_articles: list[Article]) -> None:
    assert_valid_partition(cluster(seed_articles), 5)


# --------------------------------------------------------------------------- invariants


def test_empty_input_gives_empty_clustering() -> None:
    result = cluster([])
    assert len(result) == 0
    assert result.labels.shape == (0,)
    assert result.stats.articles == 0


def test_empty_and_very_short_articles_are_counted_singletons(
    seed_articles: list[Article],
) -> None:
    articles = [*seed_articles, Article("empty", ""), Article("short", "Breaking.")]
    result = cluster(articles)
    assert_valid_partition(result, 7)
    assert result.story_of("empty").ids == ["empty"]
    assert result.story_of("short").ids == ["short"]
    assert result.stats.short_articles == 2


def test_only_short_articles() -> None:
    result = cluster(["", "Breaking.", "Update: more soon"])
    assert_valid_partition(result, 3)
    assert len(result) == 3
    assert result.stats.short_articles == 3


def test_empty_articles_are_not_grouped_with_each_other(seed_articles: list[Article]) -> None:
    articles = [
        *seed_articles,
        Article("empty-1", ""),
        Article("empty-2", ""),
        Article("chrome-1", "Skip to main content\nAdvertisement\nRelated Articles"),
        Article("chrome-2", "Back to top button\nSubscribe now"),
    ]
    result = cluster(articles)
    for article_id in ("empty-1", "empty-2", "chrome-1", "chrome-2"):
        assert result.story_of(article_id).ids == [article_id]
    assert result.stats.short_articles == 4


@pytest.mark.parametrize(
    "texts", [[""], ["", ""], ["Skip to main content"]], ids=["one", "two", "chrome"]
)
def test_batch_of_only_empty_articles(texts: list[str]) -> None:
    result = cluster(texts)
    assert_valid_partition(result, len(texts))
    assert result.stats.short_articles == len(texts)


def test_ten_megabyte_article() -> None:
    rng = np.random.default_rng(0)
    vocabulary = np.array([f"w{k:x}" for k in range(50_000)])
    words = vocabulary[rng.integers(0, len(vocabulary), 1_800_000)]
    big = "\n".join(" ".join(words[i : i + 15]) for i in range(0, len(words), 15))
    assert len(big) >= 10_000_000
    articles = [
        Article("big", big),
        Article("small-1", "The harbour authority opened its new ferry terminal on Monday."),
        Article("small-2", "A late goal gave the city club a draw in the derby on Sunday."),
    ]
    result = cluster(articles)
    assert_valid_partition(result, 3)
    assert result.story_of("big").ids == ["big"]


def test_three_thousand_identical_articles_are_one_story() -> None:
    text = "Storm Kestrune closed the Vellmore bridge on Tuesday.\nFerries were cancelled."
    articles = [{"id": f"copy-{k:04d}", "text": text} for k in range(3000)]
    articles.append({"id": "other", "text": "The library budget passed after a long debate."})
    result = cluster(articles)
    assert_valid_partition(result, 3001)
    assert result.stories[0].size == 3000
    assert result.story_of("other").ids == ["other"]
    assert result.stats.identical_articles == 2999
    assert set(result.labels[:3000].tolist()) == {0}


def test_same_input_twice_gives_identical_results() -> None:
    articles, _ = make_corpus(4, 3, 3, seed=11)
    first, second = cluster(articles), cluster(articles)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert [s.ids for s in first.stories] == [s.ids for s in second.stories]
    assert first.edges == second.edges
    assert first.stats == second.stats


# --------------------------------------------------------------------------- synthetic corpus


corpora = st.builds(
    make_corpus,
    n_stories=st.integers(0, 5),
    per_story=st.integers(2, 4),
    n_singletons=st.integers(1, 4),
    seed=st.integers(0, 10_000),
    reprints=st.integers(0, 2),
)


@CORPUS
@given(corpus=corpora, shuffle_seed=st.integers(0, 2**32 - 1))
def test_input_order_does_not_matter(
    corpus: tuple[list[dict[str, Any]], list[str]], shuffle_seed: int
) -> None:
    articles, _ = corpus
    shuffled = articles[:]
    random.Random(shuffle_seed).shuffle(shuffled)
    a, b = cluster(articles), cluster(shuffled)
    assert partition_of(a) == partition_of(b)
    # Story numbering and member order are canonical too.
    assert labels_by_id(a) == labels_by_id(b)
    assert [s.ids for s in a.stories] == [s.ids for s in b.stories]


@CORPUS
@given(corpus=corpora)
def test_synthetic_stories_are_recovered(
    corpus: tuple[list[dict[str, Any]], list[str]],
) -> None:
    articles, truth = corpus
    result = cluster(articles)
    assert_valid_partition(result, len(articles))
    score = evaluate(truth, result.labels)
    assert score.ari >= 0.9, str(score)


def test_stock_news_phrases_do_not_link_a_small_batch() -> None:
    # Four unrelated articles that share only attribution and calendar phrases ("according to
    # people familiar with the matter", "told reporters earlier this week"): too few for
    # max_df to discount them, so the news stop words must.
    articles, truth = make_corpus(n_stories=0, n_singletons=4, seed=9117, reprints=2)
    assert len(set(truth)) == 4

    assert cluster(articles).stats.singletons == 4
    assert term_weight("said", 2.0) == term_weight("monday", 2.0) == 0.0
    assert term_weight("bridge", 2.0) == 1.0


def test_threads_and_signature_scheme_do_not_change_the_answer() -> None:
    articles, _ = make_corpus(8, 5, 4, seed=3, reprints=2)
    base = cluster(articles, n_jobs=1)
    assert labels_by_id(cluster(articles, n_jobs=2)) == labels_by_id(base)
    assert [e.score for e in cluster(articles, n_jobs=3).edges] == [e.score for e in base.edges]
    # The datasketch-compatible scheme proposes slightly different copy candidates; the
    # stories stay the same.
    assert partition_of(cluster(articles, copy_signature="minhash")) == partition_of(base)


def test_synthetic_recovery_example() -> None:
    articles, truth = make_corpus(5, 4, 3, seed=0, reprints=1)
    result = cluster(articles)
    assert evaluate(truth, result.labels).ari == 1.0


def test_every_edge_names_its_channels_and_scores() -> None:
    articles, _ = make_corpus(5, 4, 3, seed=2)
    result = cluster(articles)
    ids = {a.id for a in result.articles}
    assert result.edges
    for edge in result.edges:
        assert edge.a in ids
        assert edge.b in ids
        assert edge.a != edge.b
        assert edge.channels, edge
        for value in (edge.score, edge.cosine, edge.jaccard, edge.containment):
            assert 0.0 <= value <= 1.0 + 1e-9
    stats = result.stats
    assert stats.candidates >= stats.edges
    assert stats.candidates >= max(stats.candidates_copy, stats.candidates_rewrite)


def test_edge_overlap_is_computed_when_first_read_and_survives_pickling() -> None:
    import pickle

    articles, _ = make_corpus(5, 4, 3, seed=2)
    result = cluster(articles)
    frame = pickle.loads(pickle.dumps(result)).edges.to_pandas()  # still lazy when pickled
    assert list(frame["jaccard"]) == [edge.jaccard for edge in result.edges]
    assert list(frame["containment"]) == [edge.containment for edge in result.edges]
    assert any(edge.jaccard > 0.5 for edge in result.edges)  # the reprints share shingles
    for edge in result.edges[:5]:
        why = result.explain(edge.a, edge.b)
        assert why.jaccard == pytest.approx(edge.jaccard)


def test_reprint_from_another_outlet_joins_its_original() -> None:
    original, update, others = _original_update_others()
    result = cluster([original, {**update, "source": "other.example"}, *others])
    assert result.story_of("orig").ids == result.story_of("update").ids


def test_updated_article_from_the_same_outlet_joins_its_original() -> None:
    original, update, others = _original_update_others()
    result = cluster([original, update, *others])
    assert result.story_of("orig").ids == result.story_of("update").ids


def _original_update_others() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    paragraphs = [
        "The Marrowby harbour authority signed a forty million euro deal with Kestrel "
        "Shipping on Monday.",
        "Under the agreement Kestrel will run the container terminal for twenty years from "
        "next spring.",
        "Harbour chief Ilse Varnow said the contract would create three hundred jobs in the "
        "port district.",
        "Local unions welcomed the Kestrel deal but asked for guarantees on pay and hours.",
    ]
    source = "marrowby-post.example"
    original = {
        "id": "orig",
        "title": "Harbour deal signed",
        "text": "\n\n".join(paragraphs),
        "source": source,
    }
    update = {
        **original,
        "id": "update",
        "text": "\n\n".join([*paragraphs, "This article was updated with comment from unions."]),
    }
    others = [
        {
            "id": "o1",
            "title": "Heatwave warning issued for Tallington valley",
            "text": "Forecasters expect temperatures to top thirty degrees across the region "
            "this week and urged residents to drink water.",
            "source": "tallington-news.example",
        },
        {
            "id": "o2",
            "title": "Library budget approved",
            "text": "The Marrowby library will open longer hours and hire four more staff "
            "members from spring, the council said.",
            "source": source,
        },
    ]
    return original, update, others


# --------------------------------------------------------------------------- titles


TITLE = "Zorblax Quintavian wins Vellmore regatta after Kestrune capsizes"
TITLED = [
    {
        "id": "t1",
        "title": TITLE,
        "text": "Crowds lined the harbour wall as boats crossed the finish in gusty conditions "
        "on Sunday afternoon.",
    },
    {
        "id": "t2",
        "title": TITLE,
        "text": "Organisers praised volunteers and said next year entries would rise sharply "
        "again.",
    },
    {
        "id": "u1",
        "title": "Marrowby council approves new library budget",
        "text": "The library will open longer hours and hire four more staff members from spring.",
    },
    {
        "id": "u2",
        "title": "Heatwave warning issued for Tallington valley",
        "text": "Forecasters expect temperatures to top thirty degrees across the region this "
        "week.",
    },
]


def test_title_is_evidence() -> None:
    with_titles = cluster(TITLED)
    assert {"t1", "t2"} in [set(s.ids) for s in with_titles.stories]
    without = cluster([{k: v for k, v in a.items() if k != "title"} for a in TITLED])
    assert without.story_of("t1").ids == ["t1"]
    assert without.story_of("t2").ids == ["t2"]


def test_title_as_first_line_of_text_counts_too() -> None:
    as_text = [{"id": a["id"], "text": f"{a['title']}\n\n{a['text']}"} for a in TITLED]
    assert {"t1", "t2"} in [set(s.ids) for s in cluster(as_text).stories]


# --------------------------------------------------------------------------- inputs


def test_dataframe_input_matches_list_input() -> None:
    frame = pd.DataFrame(TITLED)
    from_frame = cluster(frame)
    from_list = cluster(TITLED)
    np.testing.assert_array_equal(from_frame.labels, from_list.labels)
    assert [a.id for a in from_frame.articles] == [a["id"] for a in TITLED]


def test_list_of_strings(seed_articles: list[Article]) -> None:
    texts = [a.text for a in seed_articles]
    result = cluster(texts)
    assert_valid_partition(result, 5)
    assert [a.id for a in result.articles] == ["0", "1", "2", "3", "4"]


def test_bad_article_in_a_generator_is_named() -> None:
    def articles() -> Any:
        yield "fine"
        yield None

    with pytest.raises(InputError, match="position 1"):
        cluster(articles())


# --------------------------------------------------------------------------- config errors


def _watched() -> tuple[list[int], Any]:
    consumed: list[int] = []

    def articles() -> Any:
        consumed.append(1)
        yield "never read"

    return consumed, articles()


@pytest.mark.parametrize(
    ("overrides", "parts"),
    [
        ({"threshold": 2.0}, ["threshold", "2.0", "[0.0, 1.0]"]),
        ({"threshold": -0.1}, ["threshold", "-0.1"]),
        ({"threshold": float("nan")}, ["threshold", "nan"]),
        ({"threshold": "0.3"}, ["threshold", "'0.3'", "a number"]),
        ({"num_perm": 12.5}, ["num_perm", "an integer"]),
        ({"num_perm": True}, ["num_perm", "True"]),
        ({"seed": -1}, ["seed", "-1"]),
        ({"progress": "yes"}, ["progress", "True or False"]),
        ({"max_days": -1.0}, ["max_days", "or None"]),
        ({"treshold": 0.3}, ["unknown setting", "treshold", "threshold"]),
        ({"copy_signature": "simhash"}, ["copy_signature", "'oph' or 'minhash'", "'simhash'"]),
        ({"n_jobs": 0}, ["n_jobs", "-1", "got 0"]),
    ],
)
def test_config_errors_are_raised_before_any_work(
    overrides: dict[str, Any], parts: list[str]
) -> None:
    consumed, articles = _watched()
    with pytest.raises(ConfigError) as excinfo:
        cluster(articles, **overrides)
    assert not consumed, "the input was read before the settings were checked"
    err = excinfo.value
    assert isinstance(err, DedupeNewsError)
    assert isinstance(err, ValueError)
    for part in parts:
        assert part in str(err), f"{part!r} not in {err}"


def test_config_validates_on_construction() -> None:
    with pytest.raises(ConfigError, match="threshold"):
        Config(threshold=1.5)
    with pytest.raises(ConfigError, match="unknown setting"):
        Config().with_overrides(no_such_setting=1)


def test_config_is_frozen_and_overrides_copy() -> None:
    base = Config()
    changed = base.with_overrides(threshold=0.5)
    assert changed.threshold == 0.5
    assert base == Config()  # unchanged
    with pytest.raises(AttributeError):
        base.threshold = 0.1  # type: ignore[misc]


def test_config_and_overrides_combine(seed_articles: list[Article]) -> None:
    result = cluster(seed_articles, config=Config(seed=3), threshold=0.5)
    assert result.config.seed == 3
    assert result.config.threshold == 0.5
    assert cluster(seed_articles).config == Config()


def test_max_days_keeps_far_apart_articles_apart() -> None:
    dated = [
        {**TITLED[0], "date": "2024-01-01"},
        {**TITLED[1], "date": "2024-06-01"},
        *TITLED[2:],
    ]
    assert cluster(dated).story_of("t1").ids != ["t1"]
    assert cluster(dated, max_days=30).story_of("t1").ids == ["t1"]


# --------------------------------------------------------------------------- results


@pytest.fixture(scope="module")
def result() -> Clustering:
    articles, _ = make_corpus(3, 3, 2, seed=5)
    articles[0] = {**articles[0], "date": "2024-06-20", "source": "a<b>.example"}
    return cluster(articles)


def test_story_fields(result: Clustering) -> None:
    for story in result.stories:
        assert isinstance(story, Story)
        assert story.representative in story.articles
        assert story.representative == story.articles[0]
        assert len(story.similarity) == story.size
        assert all(0.0 <= s <= 1.0 + 1e-9 for s in story.similarity)
        assert list(story.similarity) == sorted(story.similarity, reverse=True)
        assert story.ids == [a.id for a in story.articles]
        assert story.reason
        if story.size == 1:
            assert story.similarity == (1.0,)


def test_story_of(result: Clustering) -> None:
    for article, label in zip(result.articles, result.labels, strict=True):
        story = result.story_of(article.id)
        assert story.id == label
        assert article.id in story.ids
    with pytest.raises(KeyError):
        result.story_of("no-such-id")


def test_iteration_and_len(result: Clustering) -> None:
    assert list(result) == result.stories
    assert len(result) == len(result.stories)


def test_to_pandas(result: Clustering) -> None:
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == len(result.articles)
    assert list(frame["id"]) == [a.id for a in result.articles]
    assert list(frame["story"]) == result.labels.tolist()
    for column in (
        "story_size",
        "representative",
        "similarity",
        "title",
        "headline",
        "source",
        "date",
    ):
        assert column in frame.columns
    for row in frame.itertuples():
        story = result.stories[row.story]
        assert row.story_size == story.size
        assert row.representative == story.representative.id


def test_edges_to_pandas(result: Clustering) -> None:
    frame = result.edges_to_pandas()
    assert len(frame) == len(result.edges)
    if len(frame):
        assert {"a", "b", "score", "cosine", "jaccard", "containment"} <= set(frame.columns)


def test_write_jsonl_to_path_and_stream(result: Clustering, tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    result.write_jsonl(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == [a.id for a in result.articles]
    assert [r["story"] for r in records] == result.labels.tolist()
    buffer = io.StringIO()
    result.write_jsonl(buffer)
    assert buffer.getvalue() == path.read_text(encoding="utf-8")


def test_write_csv(result: Clustering, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    result.write_csv(str(path))
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [a.id for a in result.articles]
    assert [int(r["story"]) for r in rows] == result.labels.tolist()


def test_html_repr_escapes_and_lists_every_story(result: Clustering) -> None:
    html = result._repr_html_()
    assert html.startswith("<p>")
    assert "<table" in html
    assert "a&lt;b&gt;.example" in html
    assert "a<b>.example" not in html
    for story in result.stories:
        assert story.representative.id in html
    assert "<table" in result.stories[0]._repr_html_()


def test_html_repr_is_bounded_for_many_stories() -> None:
    many = cluster([" ".join(f"w{k}x{j}" for j in range(6)) for k in range(80)])
    assert "more stories" in many._repr_html_()


def test_str_and_repr(result: Clustering) -> None:
    text = str(result)
    assert repr(result) in text
    assert f"{result.stats.articles} articles" in repr(result)
    multi = [s for s in result.stories if s.size > 1]
    for story in multi:
        assert f"Story {story.id}" in text
        assert str(story).startswith(f"Story {story.id} ({story.size} articles)")
    apart = cluster(["alpha beta gamma delta epsilon", "zeta eta theta iota kappa"])
    assert "(no story has 2+ articles)" in str(apart)


def test_stats_to_dict(result: Clustering) -> None:
    counts = result.stats.to_dict()
    assert counts["articles"] == len(result.articles)
    assert all(isinstance(v, int) for v in counts.values())


def test_garbage_collector_and_huge_page_settings_are_restored(
    seed_articles: list[Article],
) -> None:
    import gc

    from numpy._core.multiarray import _set_madvise_hugepage

    def huge_pages() -> bool:
        previous = _set_madvise_hugepage(True)
        _set_madvise_hugepage(previous)
        return bool(previous)

    assert gc.isenabled()
    before = huge_pages()
    cluster(seed_articles)
    assert gc.isenabled() and huge_pages() == before
    gc.disable()
    _set_madvise_hugepage(not before)
    try:
        cluster(seed_articles)
        assert not gc.isenabled() and huge_pages() == (not before)
    finally:
        gc.enable()
        _set_madvise_hugepage(before)


def test_reading_pauses_the_collector_and_restores_it_even_when_it_fails(
    tmp_path: Path,
) -> None:
    import gc

    from dedupe_news import read_articles, seeds_path

    assert len(read_articles(seeds_path())) == 5 and gc.isenabled()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:2"):
        read_articles(bad)
    assert gc.isenabled()


def test_overlapping_runs_restore_the_settings_when_the_last_ends() -> None:
    import gc

    from dedupe_news._runtime import batch_runtime

    with batch_runtime():
        with batch_runtime():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer run still holds the settings
    assert gc.isenabled()


def test_a_result_keeps_neither_token_ids_nor_every_candidates_cosine(
    seed_articles: list[Article],
) -> None:
    """The token ids go once the features are built, the candidates' cosines once they are
    scored (the edges keep theirs); explanations need neither."""
    result = cluster(seed_articles)
    assert result.evidence is not None
    prep, verified = result.evidence.prep, result.evidence.verified
    assert prep.tokens.ids.size == 0 and len(prep.tokens) == prep.n_nodes == 5
    assert all(prep.tokens.body(k).size == 0 for k in range(prep.n_nodes))
    assert verified.candidates.cosine.size == 0 < len(verified.candidates)
    assert len(result.edges) > 0
    for edge in result.edges:
        assert edge.cosine == pytest.approx(result.explain(edge.a, edge.b).cosine, abs=1e-12)


def test_without_evidence_the_result_is_the_same_but_cannot_explain() -> None:
    articles, _ = make_corpus(6, 4, 3, seed=5, reprints=2)
    full, lean = cluster(articles), cluster(articles, keep_evidence=False)
    assert lean.labels.tolist() == full.labels.tolist()
    assert lean.stats == full.stats  # the candidates are counted before they go
    assert [s.similarity for s in lean.stories] == [s.similarity for s in full.stories]
    assert len(lean.edges) == len(full.edges) > 0
    for a, b in zip(lean.edges, full.edges, strict=True):
        assert (a.a, a.b, a.score, a.cosine, a.channels) == (
            b.a,
            b.b,
            b.score,
            b.cosine,
            b.channels,
        )
        assert math.isnan(a.jaccard) and math.isnan(a.containment)
    assert lean.evidence is None
    with pytest.raises(InputError, match="keep_evidence=False"):
        lean.explain(lean.edges[0].a, lean.edges[0].b)


def test_edges_behave_as_a_read_only_list(seed_articles: list[Article]) -> None:
    edges = cluster(seed_articles).edges
    as_list = list(edges)
    assert len(as_list) == len(edges) > 1
    assert edges[0] == as_list[0] and edges[-1] == as_list[-1]
    assert edges[1:] == as_list[1:] and edges == as_list
    with pytest.raises(IndexError):
        edges[len(edges)]
    frame = cluster(seed_articles).edges_to_pandas()
    assert frame.to_dict("records") == [dataclasses.asdict(e) for e in as_list]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    chunk=st.integers(1, 9),
    keep_texts=st.booleans(),
    in_place=st.booleans(),
)
def test_encoding_from_the_scan_is_string_encoding(
    seed: int, chunk: int, keep_texts: bool, in_place: bool
) -> None:
    records, _ = make_corpus(n_stories=4, seed=seed, reprints=1)
    for k, record in enumerate(records):  # an outlet footer, and a line repeated batch-wide
        record["text"] += "\nRead more at " + str(record["source"]) + ("\nSubscribe now" * (k % 2))
    corpus = coerce_articles(records)
    cfg = Config(boilerplate_min_articles=2, boilerplate_min_source_articles=2)
    chunks = [corpus[k : k + chunk] for k in range(0, len(corpus), chunk)]
    scanned = scan_articles(chunks, cfg, keep_texts=keep_texts)
    order = np.random.default_rng(seed).permutation(len(corpus))
    room = scanned.room
    if not in_place:
        scanned = dataclasses.replace(scanned, room=None)
    vocabulary, tokens, removed = encode_articles(scanned, order, cfg)
    assert (tokens.ids.base is room) == in_place  # no second array of ids
    titles, bodies = zip(*(title_and_body(a) for a in corpus), strict=True)
    report = strip_boilerplate(
        list(bodies),
        [a.source for a in corpus],
        min_articles=cfg.boilerplate_min_articles,
        min_share=cfg.boilerplate_min_share,
        min_source_articles=cfg.boilerplate_min_source_articles,
        max_line_words=cfg.boilerplate_max_line_words,
    )
    expected = Vocabulary()
    want = expected.encode_many(
        [words for k in order.tolist() for words in (tokenize(titles[k]), report.tokens[k])]
    )
    assert vocabulary.tokens == expected.tokens
    got = [part(k).tolist() for k in range(len(tokens)) for part in (tokens.title, tokens.body)]
    assert got == [w.tolist() for w in want]
    assert removed == sum(report.lines_removed) > 0


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(
        st.tuples(
            st.sampled_from(["", "a", "b c d"]),
            st.lists(st.sampled_from(["a b", "c", "d e f g", "b"]), min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=6,
    ),
    data=st.data(),
)
def test_kept_ids_laid_out_over_the_bodies_are_those_of_a_new_array(
    texts: list[tuple[str, list[str]]], data: st.DataObject
) -> None:
    titles = scan_texts([title for title, _ in texts], 0)
    bodies = scan_texts(["\n".join(lines) for _, lines in texts], 4)
    removed = np.asarray(
        data.draw(st.lists(st.booleans(), min_size=bodies.keyed.size, max_size=bodies.keyed.size)),
        dtype=bool,
    )
    order = np.asarray(data.draw(st.permutations(range(len(texts)))), dtype=np.int64)
    expected, words = kept_token_ids(titles, bodies, removed, order)
    # Room for the titles' ids after the bodies' is room enough, however many lines go.
    room = np.concatenate([bodies.ids, np.full(titles.ids.size, -1, dtype=np.int32)])
    spent = dataclasses.replace(bodies, ids=room[: bodies.ids.size])
    tokens, in_place_words = kept_token_ids(titles, spent, removed, order, room)
    assert tokens.ids.base is room  # laid out in place
    assert in_place_words == words
    for k in range(len(texts)):
        assert tokens.title(k).tolist() == expected.title(k).tolist()
        assert tokens.body(k).tolist() == expected.body(k).tolist()


@settings(max_examples=60, deadline=None)
@given(
    docs=st.lists(
        st.tuples(st.lists(st.integers(0, 7), max_size=5), st.lists(st.integers(0, 7), max_size=9)),
        max_size=5,
    ),
    lead=st.sampled_from([0, 1, 4]),
)
def test_count_matrix_counts_the_title_weighted_and_the_body_lead(
    docs: list[tuple[list[int], list[int]]], lead: int
) -> None:
    cfg = Config(title_weight=3.0, lead_tokens=lead)
    titles = [np.asarray(t, dtype=np.int64) for t, _ in docs]
    bodies = [np.asarray(b, dtype=np.int64) for _, b in docs]
    counts = count_matrix(NodeTokens.from_parts(titles, bodies), 8, cfg)
    expected = np.zeros((len(docs), 8))
    for row, (title, body) in enumerate(docs):
        for term in body[:lead] if lead else body:
            expected[row, term] += 1.0
        for term in title:
            expected[row, term] += 3.0
    np.testing.assert_array_equal(counts.toarray(), expected)
    assert counts.has_sorted_indices and np.all(counts.data > 0)
    tokens = NodeTokens.from_parts(titles, bodies)
    frequency = row_frequency(tokens, 8, cfg)  # the counted rows of each term, without counting
    np.testing.assert_array_equal(frequency, (expected > 0).sum(axis=0))
    counted = np.arange(8) % 3 != 0  # only some terms: the others' columns stay empty
    some = count_matrix(tokens, 8, cfg, counted)
    np.testing.assert_array_equal(some.toarray(), np.where(counted, expected, 0.0))
    assert some.has_sorted_indices and np.all(some.data > 0)


def test_features_are_the_tfidf_of_every_terms_counts() -> None:
    """Counting only the terms that carry weight gives the TF-IDF rows, bit for bit, of
    counting every term and dropping the rest (stop words, and terms in over max_df)."""
    records, _ = make_corpus(n_stories=12, seed=5)
    cfg = Config()
    prep = prepare(coerce_articles(records), cfg)
    n_terms = len(prep.vocabulary)
    every = count_matrix(prep.tokens, n_terms, cfg)
    term_weights = vocabulary_weights(prep.vocabulary, cfg.number_weight)
    weighting = TermWeighting.fit(
        np.bincount(every.indices, minlength=n_terms), prep.n_nodes, term_weights, cfg
    )
    want = weighting.transform(every)
    got = build_features(prep, cfg).tfidf
    assert prep.n_nodes > MAX_DF_FLOOR  # enough rows for max_df to drop common terms
    too_common = (term_weights > 0) & (weighting.term_weights == 0)  # not stop words
    assert too_common[every.indices].any()
    assert 0 < got.nnz < every.nnz
    for field in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field))


def test_concurrent_runs_in_threads_agree() -> None:
    records, _ = make_corpus(n_stories=5, seed=3)
    expected = labels_by_id(cluster(records))
    with ThreadPoolExecutor(3) as pool:  # the compiled loops release the GIL and share nothing
        results = list(pool.map(lambda _: labels_by_id(cluster(records, n_jobs=2)), range(6)))
    assert all(result == expected for result in results)


PAIRS = st.lists(  # (i, j, channel bit) with i < j < 7, drawn without filtering
    st.tuples(st.integers(0, 5), st.integers(1, 6), st.sampled_from([1, 2, 4])).map(
        lambda p: (p[0], min(p[0] + p[1], 6), p[2])
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(
        st.tuples(st.integers(0, 2), st.lists(st.integers(0, 3), max_size=4), st.booleans()),
        max_size=12,
    )
)
def test_nodes_are_the_articles_of_equal_title_and_tokens(
    texts: list[tuple[int, list[int], bool]],
) -> None:
    """Against grouping the texts themselves: equal title lengths and token ids share a node
    (numbered by first article), short articles never do."""
    lengths = [[min(t, len(ids)), len(ids) - min(t, len(ids))] for t, ids, _ in texts]
    flat = np.array([i for _, ids, _ in texts for i in ids], dtype=np.int32)
    tokens = NodeTokens.from_lengths(flat, np.array(lengths, dtype=np.int64).ravel())
    short = np.array([s for _, _, s in texts], dtype=bool)
    node_of, first = assign_nodes(content_keys(tokens), short)
    node_key: dict[object, int] = {}
    for k, ((_, ids, is_short), (title, _)) in enumerate(zip(texts, lengths, strict=True)):
        key = ("short", k) if is_short else (title, tuple(ids))
        assert node_of[k] == node_key.setdefault(key, len(node_key))
    assert first.tolist() == [node_of.tolist().index(v) for v in range(len(node_key))]


@settings(max_examples=150, deadline=None)
@given(groups=st.lists(st.tuples(PAIRS, st.booleans()), max_size=3))
def test_merge_channels_is_the_union_with_ored_bits(
    groups: list[tuple[list[tuple[int, int, int]], bool]],
) -> None:
    arrays, expected = [], {}
    for entries, canonical in groups:
        if canonical:  # sorted and distinct, as LSH gives them
            distinct: dict[tuple[int, int], int] = {}
            for i, j, bit in entries:
                distinct[(i, j)] = distinct.get((i, j), 0) | bit
            entries = [(i, j, bit) for (i, j), bit in sorted(distinct.items())]
        for i, j, bit in entries:
            expected[(i, j)] = expected.get((i, j), 0) | bit
        pairs = np.array([(i, j) for i, j, _ in entries], dtype=np.int64).reshape(-1, 2)
        arrays.append((pair_codes(pairs, 7), np.array([b for _, _, b in entries], dtype=np.uint8)))
    codes, channels = merge_channels(arrays)
    assert [tuple(p) for p in code_pairs(codes, 7).tolist()] == sorted(expected)
    assert channels.tolist() == [expected[p] for p in sorted(expected)]


def test_works_where_nothing_can_cache_the_compiled_loops() -> None:
    # numba raises at import when it finds no writable cache location (a read-only install
    # without a user cache directory); the kernels then compile in each process instead.
    script = (
        "import numba.core.caching as caching\n"
        "impl = getattr(caching, 'CacheImpl', None) or caching._CacheImpl\n"
        "impl._locator_classes = []\n"
        "import dedupe_news\n"
        "from dedupe_news._kernels import scan_kernel\n"
        "assert scan_kernel._cache.__class__.__name__ == 'NullCache'\n"
        "result = dedupe_news.cluster(dedupe_news.read_articles(dedupe_news.seeds_path()))\n"
        "print(len(result.stories))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["2"]
