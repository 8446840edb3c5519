"""StoryIndex: assignments, persistence, time windows, merges, safety under SIGKILL, readers."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dedupe_news
from conftest import labelled_set
from corpus import make_corpus
from dedupe_news import (
    Article,
    ConfigError,
    IndexFormatError,
    InputError,
    StoryIndex,
    cluster,
    evaluate,
)
from dedupe_news._arrays import sorted_unique


def _partition(index: StoryIndex) -> set[frozenset[str]]:
    return {frozenset(s.ids) for s in index.stories()}


def _labels(index: StoryIndex, ids: list[str]) -> list[int]:
    story = {a: s.id for s in index.stories() for a in s.ids}
    return [story[i] for i in ids]


def _dated(n_stories: int = 6, seed: int = 2) -> list[dict[str, Any]]:
    articles, _ = make_corpus(n_stories, 4, 3, seed=seed, reprints=1)
    for k, a in enumerate(articles):
        a["date"] = f"2024-03-{1 + k % 20:02d}"
    return articles


def test_seeds_form_the_batch_stories(seed_articles: list[Article]) -> None:
    index = StoryIndex()
    assignments = index.add(seed_articles)
    assert [a.article_id for a in assignments] == [a.id for a in seed_articles]
    assert _partition(index) == {frozenset(s.ids) for s in cluster(seed_articles).stories}
    joined = [a for a in assignments if not a.new_story]
    assert joined and all(a.match is not None and a.score >= 0.29 for a in joined)
    assert len(index) == 5 and seed_articles[0].id in index and "nope" not in index


def test_clear_stories_come_out_the_same_in_any_chunk_size() -> None:
    articles = _dated()
    one = StoryIndex()
    for a in articles:
        one.add([a])
    many = StoryIndex()
    for k in range(0, len(articles), 7):
        many.add(articles[k : k + 7])
    whole = StoryIndex()
    whole.add(articles)
    assert _partition(one) == _partition(many) == _partition(whole)


def test_a_call_is_decided_as_a_batch_whatever_its_order() -> None:
    articles, _ = make_corpus(12, 4, 6, seed=8, reprints=1)
    index = StoryIndex()
    given = index.add(articles)
    batch = cluster(articles)
    assert _partition(index) == {frozenset(s.ids) for s in batch.stories}
    shuffled = StoryIndex()
    again = shuffled.add(list(reversed(articles)))
    assert sorted(again, key=lambda a: a.article_id) == sorted(given, key=lambda a: a.article_id)


def test_stream_recovers_synthetic_stories() -> None:
    articles, truth = make_corpus(8, 5, 4, seed=11, reprints=1)
    index = StoryIndex()
    index.add(articles)
    assert evaluate(truth, _labels(index, [a["id"] for a in articles])).ari >= 0.9


def _one_by_one_candidates(index: StoryIndex, fresh: list[Any]) -> list[list[int]]:
    """What ``_candidate_pairs`` must find, the plain way: one newcomer after another."""
    cfg, window = index.config, index.window_days
    asked = sorted_unique(np.concatenate([live.bands for live in fresh]))
    stored, sizes = index._buckets.tails(asked, len(index) + len(fresh))
    ends = np.cumsum(sizes).tolist()
    buckets = {
        key: stored[end - size : end].tolist()
        for key, end, size in zip(asked.tolist(), ends, sizes.tolist(), strict=True)
    }
    newcomers = {live.seq for live in fresh}
    pairs = set()
    for live in sorted(fresh, key=lambda lv: lv.seq):
        found: dict[int, None] = {}
        for key in live.bands.tolist():
            found.update(dict.fromkeys(buckets.get(key, [])[-cfg.max_partners :]))
        for seq in [s for s in found if s not in newcomers]:
            near, _ = index._neighbours.get(seq)
            found.update(dict.fromkeys(near[: cfg.neighbours].tolist()))
        for seq in found:
            other = index._live[seq]
            last = (
                other.day if seq in newcomers else index._stories[index._root(other.story)].last_day
            )
            if seq != live.seq and (window is None or last >= live.day - window):
                pairs.add((live.seq, seq))
        for key in live.bands.tolist():
            buckets.setdefault(key, []).append(live.seq)
    return sorted([a, b] for a, b in pairs)


def test_bulk_candidates_match_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    bulk = StoryIndex._candidate_pairs
    compared = []

    def checked(index: StoryIndex, fresh: list[Any]) -> Any:
        got = bulk(index, fresh)
        assert got.tolist() == _one_by_one_candidates(index, fresh)
        compared.append(len(got))
        return got

    monkeypatch.setattr(StoryIndex, "_candidate_pairs", checked)
    articles = _dated(12, seed=5)  # dated over 20 days
    index = StoryIndex(config=dedupe_news.Config(max_partners=2), window_days=4)
    for k in range(0, len(articles), 9):
        index.add(articles[k : k + 9])
    index.query(articles[0])
    assert len(compared) > 5 and sum(compared) > 100


def test_a_long_story_is_compared_through_its_latest_members(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dedupe_news.index as index_module

    monkeypatch.setattr(index_module, "_STORY_SAMPLE", 3)
    articles, truth = make_corpus(3, 8, 4, seed=5)
    index = StoryIndex()
    for article in articles:
        index.add([article])
    assert evaluate(truth, _labels(index, [a["id"] for a in articles])).ari >= 0.9
    biggest = max(index.stories(), key=lambda story: story.size)
    assert biggest.size > 3
    latest = sorted(biggest.ids, key=lambda i: index._seq_of[i])[-3:]
    text = next(a for a in articles if a["id"] == latest[-1])["text"]
    (again,) = index.add([{"id": "again", "text": text}])
    assert again.story_id == biggest.id and again.match in latest


def test_query_matches_without_adding(seed_articles: list[Article]) -> None:
    index = StoryIndex()
    index.add(seed_articles[:3])
    matches = index.query(seed_articles[3])
    assert seed_articles[3].id not in index and len(index) == 3
    assert matches and matches[0].score >= 0.29
    assert matches[0].story_id == index.add([seed_articles[3]])[0].story_id


def test_duplicates_and_bad_input_are_refused_before_any_change(
    seed_articles: list[Article],
) -> None:
    index = StoryIndex()
    index.add(seed_articles[:2])
    with pytest.raises(InputError, match=seed_articles[0].id):
        index.add([seed_articles[2], seed_articles[0]])
    with pytest.raises(InputError, match="date"):
        index.add([{"id": "x", "text": "words enough for an article here", "date": "yesterday"}])
    assert len(index) == 2 and seed_articles[2].id not in index


def test_window_retires_old_stories() -> None:
    text = "The harbour bridge in Calder reopened after repairs costing 40 million, the mayor said."
    index = StoryIndex(window_days=5)
    index.add([{"id": "a", "text": text, "date": "2024-01-01"}])
    late = index.add([{"id": "b", "text": text + " Traffic resumed.", "date": "2024-02-01"}])[0]
    soon = index.add([{"id": "c", "text": text + " Buses too.", "date": "2024-02-03"}])[0]
    assert late.new_story  # the January story is no longer active
    assert not soon.new_story and soon.story_id == late.story_id
    assert index.story(0).ids == ["a"]  # retired stories stay stored and queryable


def test_story_and_stories_report_members_and_dates(seed_articles: list[Article]) -> None:
    index = StoryIndex()
    dated = [dataclasses.replace(a, date=f"2024-05-0{k + 1}") for k, a in enumerate(seed_articles)]
    index.add(dated)
    biggest = max(index.stories(), key=lambda s: s.size)
    assert biggest.size == 4 and biggest.representative in biggest.articles
    assert biggest.first_seen.startswith("2024-05-01") and biggest.merged_into is None
    assert [s.id for s in index.stories(since="2024-05-05")] == [
        index.story_of(seed_articles[4].id).id
    ]
    assert index.stories(until="2024-04-30") == []
    with pytest.raises(KeyError):
        index.story(99)


def test_remove(seed_articles: list[Article]) -> None:
    index = StoryIndex()
    index.add(seed_articles)
    index.remove(seed_articles[1].id)
    assert seed_articles[1].id not in index and len(index) == 4
    assert seed_articles[1].id not in index.story_of(seed_articles[0].id).ids
    with pytest.raises(KeyError):
        index.remove("nope")
    index.add([seed_articles[1]])  # can come back
    assert len(index) == 5


def _words(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(n)]


def test_a_newcomer_like_two_stories_merges_them_on_record(tmp_path: Path) -> None:
    # Two articles with no word in common make two stories; a third that holds both of their
    # texts shows they are one.
    background = [{"id": f"bg{k}", "text": " ".join(_words(f"b{k}x", 25))} for k in range(30)]
    first, second = _words("alpha", 12), _words("gamma", 12)
    path = tmp_path / "merge.db"
    with StoryIndex(path, window_days=None) as index:
        index.add(background)
        (a,) = index.add([{"id": "a", "text": " ".join(first)}])
        (b,) = index.add([{"id": "b", "text": " ".join(second)}])
        (c,) = index.add([{"id": "c", "text": " ".join(first + second)}])
    assert b.new_story and b.story_id != a.story_id
    assert not c.new_story and c.story_id == a.story_id and c.merged == (b.story_id,)
    with StoryIndex(path) as index:  # as recorded
        survivor, merged = index.story(a.story_id), index.story(b.story_id)
        assert survivor.merged_from == (b.story_id,) and survivor.merged_into is None
        assert merged.merged_into == a.story_id and merged.id == b.story_id
        assert set(survivor.ids) == set(merged.ids) == {"a", "b", "c"}
        assert index.story_of("b").id == a.story_id  # b keeps its story id; it resolves


# ---------------------------------------------------------------------------- persistence


def test_reopening_continues_where_it_left_off(
    tmp_path: Path, seed_articles: list[Article]
) -> None:
    path = tmp_path / "stories.db"
    with StoryIndex(path, config=dedupe_news.Config(threshold=0.3)) as index:
        index.add(seed_articles[:3])
    with StoryIndex(path) as index:
        assert index.config.threshold == 0.3 and len(index) == 3
        index.add(seed_articles[3:])
        stream = _partition(index)
    memory = StoryIndex(config=dedupe_news.Config(threshold=0.3))
    memory.add(seed_articles[:3])
    memory.add(seed_articles[3:])
    assert stream == _partition(memory)
    with pytest.raises(ConfigError, match="other settings"):
        StoryIndex(path, config=dedupe_news.Config(threshold=0.5))
    runtime = dedupe_news.Config(threshold=0.3, n_jobs=1)  # threads decide nothing
    with StoryIndex(path, config=runtime) as index:
        assert index.config.n_jobs == 1 and len(index) == 5


def test_a_reopened_index_decides_as_one_that_never_closed(tmp_path: Path) -> None:
    articles = _dated(10, seed=6)
    half = len(articles) // 2
    with StoryIndex(tmp_path / "a.db") as index:
        index.add(articles[:half])
    with StoryIndex(tmp_path / "a.db") as index:
        reopened = index.add(articles[half:])
        partition = _partition(index)
    memory = StoryIndex()
    memory.add(articles[:half])
    assert memory.add(articles[half:]) == reopened  # same stories, matches and scores
    assert _partition(memory) == partition


def test_incompatible_database_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    StoryIndex(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(IndexFormatError, match=r"version 999.*new index"):
        StoryIndex(path)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(IndexFormatError, match="not a dedupe_news index"):
        StoryIndex(other)


def test_bad_window_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="window_days"):
        StoryIndex(window_days=0)


_WRITER = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, {tests!r})
    from corpus import make_corpus
    from dedupe_news import StoryIndex, store
    articles = [
        dict(a, id=f"{{seed}}-{{a['id']}}")
        for seed in range(9, 13)
        for a in make_corpus(30, 5, 20, seed=seed)[0]
    ]
    insert = store.Store.insert_articles
    written = []

    def stalling(rows):  # the second add stalls half-way through its rows
        for row in rows:
            yield row
            written.append(row.id)
            if len(written) == 40 + 100:
                print("writing", flush=True)
                time.sleep(600)

    store.Store.insert_articles = lambda self, rows: insert(self, stalling(rows))
    index = StoryIndex({path!r})
    index.add(articles[:40])
    print("committed", flush=True)
    index.add(articles[40:])  # killed during this one
    print("done", flush=True)
    """
)


def test_sigkill_mid_add_leaves_the_committed_batches(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    script = _WRITER.format(tests=str(Path(__file__).parent), path=str(path))
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "committed"
    assert writer.stdout.readline().strip() == "writing"  # 100 rows into the second add
    os.kill(writer.pid, signal.SIGKILL)
    assert "done" not in writer.communicate()[0]
    index = StoryIndex(path)
    assert len(index) == 40  # every article of the committed batch, none of the killed one
    first = [dict(a, id=f"9-{a['id']}") for a in make_corpus(30, 5, 20, seed=9)[0][:40]]
    assert all(a["id"] in index for a in first)
    assert sum(s.size for s in index.stories()) == 40
    assert index.query(first[0])  # queries work
    index.add([dict(a, id=f"new-{a['id']}") for a in first[:5]])  # the writer can carry on
    assert len(index) == 45


_READER = textwrap.dedent(
    """
    import sys, time
    from dedupe_news import StoryIndex
    seen = 0
    deadline = time.time() + 60
    while time.time() < deadline:
        index = StoryIndex({path!r})
        seen = max(seen, len(index))
        index.close()
        if seen >= {target}:
            break
        time.sleep(0.05)
    print(seen)
    """
)


def test_one_writer_and_readers_share_the_database(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    articles, _ = make_corpus(12, 4, 10, seed=5)
    writer = StoryIndex(path)
    writer.add(articles[:5])
    script = _READER.format(path=str(path), target=len(articles))
    readers = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for k in range(5, len(articles), 5):
        writer.add(articles[k : k + 5])
    outputs = [r.communicate(timeout=120)[0] for r in readers]
    assert [int(o.strip()) for o in outputs] == [len(articles)] * 2


def test_the_log_is_checkpointed_beside_the_writer_and_starts_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dedupe_news import store

    monkeypatch.setattr(store, "_CHECKPOINT_CHANGES", 1)  # ask after every call
    path = tmp_path / "logged.db"
    articles, _ = make_corpus(16, 4, 10, seed=6)
    index = StoryIndex(path)
    checkpoints = index._store.checkpoints
    assert checkpoints is not None
    # A call computes outside any transaction, so the checkpoint it overlaps can finish before
    # the call's write transaction begins.
    connect = index._connect
    computing_in_transaction = []

    def watched(*args: Any) -> Any:
        computing_in_transaction.append(index._store.db.in_transaction)
        return connect(*args)

    monkeypatch.setattr(index, "_connect", watched)
    logged = []
    for k in range(0, len(articles), 8):
        index.add(articles[k : k + 8])
        assert checkpoints.wait(timeout=30)
        probe = sqlite3.connect(path)
        ((busy, frames, copied),) = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        probe.close()
        assert (busy, copied) == (0, frames)  # the checkpointer had copied it all
        logged.append(frames)
    # Each call's write began after the last checkpoint: the log started over every time
    # instead of growing call after call (it would hold 8 calls' pages by now).
    assert max(logged[2:]) <= 2 * max(logged[:2])
    assert computing_in_transaction and not any(computing_in_transaction)
    index.close()
    assert not checkpoints._thread.is_alive()
    reopened = StoryIndex(path)
    assert len(reopened) == len(articles)
    reopened.close()


def test_short_line_counts_count_as_a_counter_does() -> None:
    from collections import Counter

    from dedupe_news.index import _KeyCounts

    rng = np.random.default_rng(3)
    pool = np.array([*range(30), 2**63, 2**64 - 1], dtype=np.uint64)
    counts, reference = _KeyCounts(), Counter[int]()
    assert counts.get(pool).tolist() == [0] * pool.size  # nothing added yet
    for _ in range(6):
        keys = rng.choice(pool, size=int(rng.integers(0, 40)))
        counts.add(keys)
        reference.update(keys.tolist())
    probe = np.concatenate((pool, np.array([12345], dtype=np.uint64)))
    assert counts.get(probe).tolist() == [reference[k] for k in probe.tolist()]


# ---------------------------------------------------------------------------- real news


@pytest.mark.parametrize("name", ["newscluster", "ecbplus"])
def test_stream_agrees_with_batch_on_real_news(name: str) -> None:
    records, truth = labelled_set(name)
    ids = [r["id"] for r in records]
    batch = cluster(records)
    ordered = sorted(records, key=lambda r: (r.get("date") or "", r["id"]))
    index = StoryIndex(window_days=None)
    for k in range(0, len(ordered), 25):
        index.add(ordered[k : k + 25])
    stream = _labels(index, ids)
    # Measured in calls of 25: 0.872 / 0.917 against cluster(), 0.848 / 0.853 against the
    # truth (batch: 0.892 / 0.876). Below the 0.95 the design aimed for: see the README
    # ("Continuous use") for why. These floors catch regressions.
    assert evaluate(batch.labels.tolist(), stream).ari >= 0.85
    assert evaluate(truth, stream).ari >= evaluate(truth, batch.labels).ari - 0.05
    whole = StoryIndex(window_days=None)
    whole.add(records)  # one call: a batch
    assert evaluate(batch.labels.tolist(), _labels(whole, ids)).ari >= 0.99


def test_texts_without_ids_are_numbered_across_adds() -> None:
    index = StoryIndex()
    first = index.add(["The council approved the harbour budget on Monday night.", "Rain."])
    second = index.add(x for x in ["Storm closes the harbour road for a week, officials say."])
    assert [a.article_id for a in first + second] == ["0", "1", "2"]
    with pytest.raises(InputError, match="single str"):
        index.add("not a list")
