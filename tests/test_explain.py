"""Explanations: shared quotes and passages, scores that agree with the edges, story evidence."""

from __future__ import annotations

import dataclasses
import gc
import re
import weakref

import pytest

import dedupe_news
from dedupe_news import Article, InputError, cluster
from dedupe_news.result import Clustering

HARRIS = ("000_37b90b4cf2996c06", "001_e7cdae192c6f0a5e")
SULLIVAN = ("002_02e38881c9cf7dd8", "003_37565cef0e52f10e")
OTHER_STORY = "004_7d1b65fab962449b"


@pytest.fixture(scope="module")
def result() -> Clustering:
    return cluster(dedupe_news.read_articles(dedupe_news.seeds_path()))


def test_harris_rewrites_share_their_quotes(result: Clustering) -> None:
    why = result.explain(*HARRIS)
    quotes = " ".join(why.shared_quotes)
    assert "supplying ammunition" in quotes
    assert "further isolate them" in quotes


def test_sullivan_rewrites_share_the_battlefield_passage(result: Clustering) -> None:
    why = result.explain(*SULLIVAN)
    assert any("Providing weapons to Russia" in p.text for p in why.passages)


@pytest.mark.parametrize("pair", [HARRIS, SULLIVAN])
def test_passage_offsets_slice_both_original_texts(result: Clustering, pair: tuple) -> None:
    why = result.explain(*pair)
    assert why.passages
    for p in why.passages:
        left = why.a.text[p.a_start : p.a_end]
        right = why.b.text[p.b_start : p.b_end]
        assert left == p.text
        assert re.findall(r"\w+", left.casefold()) == re.findall(r"\w+", right.casefold())


def test_scores_agree_with_the_edge(result: Clustering) -> None:
    edge = next(e for e in result.edges if {e.a, e.b} == set(HARRIS))
    why = result.explain(*HARRIS)
    assert why.score == pytest.approx(edge.score)
    assert why.cosine == pytest.approx(edge.cosine)
    assert why.jaccard == pytest.approx(edge.jaccard)
    assert why.containment == pytest.approx(edge.containment)
    assert why.channels == edge.channels
    assert why.shared_terms and all(weight > 0 for _, weight in why.shared_terms)


def test_any_pair_can_be_explained_and_is_weaker_across_stories(result: Clustering) -> None:
    across = result.explain(HARRIS[0], OTHER_STORY)
    within = result.explain(*HARRIS)
    assert 0.0 <= across.score < within.score


def test_html_highlights_shared_passages(result: Clustering) -> None:
    page = result.explain(*SULLIVAN)._repr_html_()
    assert "<mark>" in page
    assert "Providing weapons to Russia" in page


def test_story_explanation_lists_its_edges_and_weakest_member(result: Clustering) -> None:
    story = result.story_of(HARRIS[0])
    why = story.explain()
    members = set(story.ids)
    assert why.edges and all(e.a in members and e.b in members for e in why.edges)
    assert [e.score for e in why.edges] == sorted((e.score for e in why.edges), reverse=True)
    assert why.weakest.id in members
    assert "<table>" in why._repr_html_()
    assert str(story.id) in str(why)


def test_unknown_id_is_an_input_error(result: Clustering) -> None:
    with pytest.raises(InputError, match="nope"):
        result.explain(HARRIS[0], "nope")


def test_results_without_evidence_say_so() -> None:
    plain = cluster([Article("a", "one text with enough words in it"), Article("b", "")])
    bare = dataclasses.replace(plain, evidence=None)
    with pytest.raises(InputError, match="evidence"):
        bare.explain("a", "b")


def test_lsh_bands_match_the_proposing_channel() -> None:
    # With uncapped buckets, an LSH channel proposes a pair exactly when a band collides.
    from corpus import make_corpus

    articles, _ = make_corpus(n_stories=6, per_story=4, n_singletons=3, seed=5, reprints=2)
    result = cluster(articles, max_partners=10_000, expand_neighbours=0)
    ids = [a.id for a in result.articles]
    for a in ids[:12]:
        for b in ids[:12]:
            if a >= b:
                continue
            why = result.explain(a, b)
            for channel in ("copy", "rewrite"):
                shared = [band for name, band in why.bands if name == channel]
                assert bool(shared) == (channel in why.channels), (a, b, channel)
            if why.bands:
                assert "LSH bands shared" in str(why)


def test_a_result_is_freed_when_dropped_and_its_stories_still_explain() -> None:
    # No reference cycle: with the collector paused (as it is during runs), a loop of
    # cluster() calls must not hold the last result while it makes the next.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        result = cluster(dedupe_news.read_articles(dedupe_news.seeds_path()))
        story = max(result.stories, key=lambda s: s.size)
        result.explain(*HARRIS)
        dropped = weakref.ref(result)
        del result
        assert dropped() is None
        assert story.explain().edges  # the story keeps what its explanation needs
    finally:
        if was_enabled:
            gc.enable()
