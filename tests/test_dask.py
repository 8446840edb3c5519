"""dedupe_news.dask on a real LocalCluster: the same stories as cluster(), any partitions."""

from __future__ import annotations

import gzip
import json
import logging
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask.bag as db
import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import dedupe_news
from conftest import labelled_set
from corpus import make_corpus
from dedupe_news import Article, InputError
from dedupe_news import dask as dask_news
from dedupe_news.cli import main


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


def _records(articles: list[Article]) -> list[dict[str, Any]]:
    return [
        {"id": a.id, "text": a.text, "title": a.title, "date": a.date, "source": a.source}
        for a in articles
    ]


def _tricky_corpus() -> list[dict[str, Any]]:
    """Rewrites and reprints, plus what takes special paths: outlet boilerplate lines,
    a line repeated across the whole batch, identical texts, empty and short articles."""
    articles, _ = make_corpus(6, 4, 3, seed=11, reprints=2)
    for k, article in enumerate(articles):
        article["date"] = f"2024-03-{1 + k % 20:02d}T08:00:00Z"
        if article["source"] == "wire.example":
            article["text"] += "\nSubscribe to the Wire Example newsletter for more"
        if k % 3 == 0:
            article["text"] = "Share this story with your friends\n" + article["text"]
    articles.append(dict(articles[0], id="copy-of-first", source="copier.example"))
    articles.append({"id": "empty", "text": ""})
    articles.append({"id": "short", "text": "Breaking news", "source": "wire.example"})
    return articles


def _local_stories(articles: object) -> dict[str, int]:
    result = dedupe_news.cluster(articles)
    return {a.id: int(label) for a, label in zip(result.articles, result.labels, strict=True)}


def _dask_stories(result: dask_news.DaskClustering) -> dict[str, int]:
    frame = result.labels.compute()
    return dict(zip(frame["id"], frame["story"].astype(int), strict=True))


@pytest.mark.parametrize(("partitions", "order_seed"), [(1, 0), (3, 1), (7, 2)])
def test_same_stories_as_local_for_any_partitions_and_order(
    client: Client, partitions: int, order_seed: int
) -> None:
    articles = _tricky_corpus()
    local = dedupe_news.cluster(articles)
    shuffled = articles[:]
    random.Random(order_seed).shuffle(shuffled)
    frame = dd.from_pandas(pd.DataFrame(shuffled), npartitions=partitions, sort=False)

    result = dask_news.cluster(frame)

    assert _dask_stories(result) == _local_stories(articles)
    assert result.stats == local.stats
    assert result.stats.identical_articles >= 1
    assert result.stats.short_articles == 2
    assert result.stats.boilerplate_lines > 0


def test_story_summaries_match_local_stories(client: Client) -> None:
    articles = _tricky_corpus()
    local = dedupe_news.cluster(articles)
    frame = dd.from_pandas(pd.DataFrame(articles), npartitions=3, sort=False)

    stories = dask_news.cluster(frame).stories

    assert stories["story"].tolist() == [s.id for s in local.stories]
    assert stories["size"].tolist() == [s.size for s in local.stories]
    assert stories["representative"].tolist() == [s.representative.id for s in local.stories]
    first = local.stories[0]
    assert stories["sources"].iat[0] == len({a.source for a in first.articles})
    assert stories["first_date"].iat[0] == min(a.date for a in first.articles if a.date)


def test_bag_of_strings_numbers_ids_by_position_in_the_whole_input(client: Client) -> None:
    articles, _ = make_corpus(3, 3, 2, seed=4)
    texts = [a["text"] for a in articles]

    result = dask_news.cluster(db.from_sequence(texts, npartitions=3))

    assert _dask_stories(result) == _local_stories(texts)


def test_seeds_story_grouping(client: Client, seed_articles: list[Article]) -> None:
    frame = dd.from_pandas(pd.DataFrame(_records(seed_articles)), npartitions=2)

    result = dask_news.cluster(frame)

    assert _dask_stories(result) == _local_stories(seed_articles)
    assert result.stories["size"].tolist() == [4, 1]


@pytest.mark.data
@pytest.mark.parametrize("name", ["ecbplus", "newscluster"])
def test_real_news_identical_to_local(client: Client, name: str) -> None:
    records, _ = labelled_set(name)
    frame = dd.from_pandas(pd.DataFrame(records[::-1]), npartitions=4, sort=False)

    assert _dask_stories(dask_news.cluster(frame)) == _local_stories(records)


def test_duplicate_ids_across_partitions_are_refused(client: Client) -> None:
    frame = dd.from_pandas(
        pd.DataFrame({"id": ["a", "b", "c", "a"], "text": ["one", "two", "three", "four"]}),
        npartitions=2,
        sort=False,
    )
    with pytest.raises(InputError, match=r"duplicate article id 'a' at positions 0 and 3"):
        dask_news.cluster(frame)


def test_bad_article_in_a_partition_is_named(client: Client) -> None:
    bag = db.from_sequence([{"id": "ok", "text": "fine"}, {"id": "bad", "text": 3}], npartitions=2)
    with pytest.raises(InputError, match=r"article 'bad' \(position 1\): 'text' must be a string"):
        dask_news.cluster(bag)


def test_bad_input_types_are_refused() -> None:
    with pytest.raises(InputError, match=r"dedupe_news\.cluster"):
        dask_news.cluster(["a local list"])
    frame = dd.from_pandas(pd.DataFrame({"body": ["x"]}), npartitions=1)
    with pytest.raises(InputError, match="no 'text' column"):
        dask_news.cluster(frame)


def test_settings_apply_and_are_checked(client: Client) -> None:
    articles = _tricky_corpus()
    frame = dd.from_pandas(pd.DataFrame(articles), npartitions=2)

    strict = dask_news.cluster(frame, threshold=0.6)

    assert _dask_stories(strict) == _local_stories_with(articles, threshold=0.6)
    with pytest.raises(dedupe_news.ConfigError, match="threshold"):
        dask_news.cluster(frame, threshold=2.0)


def test_crowded_buckets_split_as_local(client: Client) -> None:
    # Each bucket entry carries the values that split a crowded bucket: the same pairs as the
    # local run, which reads them from the signatures.
    articles = _tricky_corpus()
    frame = dd.from_pandas(pd.DataFrame(articles[::-1]), npartitions=3, sort=False)
    settings = {"max_bucket": 2, "max_partners": 1}
    local = dedupe_news.cluster(articles, **settings)
    assert local.stats.candidates != dedupe_news.cluster(articles, max_partners=1).stats.candidates

    result = dask_news.cluster(frame, **settings)

    assert _dask_stories(result) == _local_stories_with(articles, **settings)
    assert result.stats == local.stats


def _local_stories_with(articles: list[dict[str, Any]], **overrides: Any) -> dict[str, int]:
    result = dedupe_news.cluster(articles, **overrides)
    return {a.id: int(label) for a, label in zip(result.articles, result.labels, strict=True)}


def test_empty_input(client: Client) -> None:
    frame = dd.from_pandas(pd.DataFrame({"id": [], "text": []}, dtype=object), npartitions=1)

    result = dask_news.cluster(frame)

    assert result.stats.articles == 0
    assert len(result.stories) == 0
    assert len(result.labels.compute()) == 0


def test_only_empty_and_short_articles(client: Client) -> None:
    texts = ["", "Breaking", "Skip to main content", ""]
    frame = dd.from_pandas(pd.DataFrame({"text": texts}), npartitions=2)

    result = dask_news.cluster(frame)

    assert _dask_stories(result) == _local_stories(texts)
    assert result.stats == dedupe_news.cluster(texts).stats


def test_to_parquet_round_trip(client: Client, tmp_path: Path) -> None:
    articles = _tricky_corpus()
    result = dask_news.cluster(dd.from_pandas(pd.DataFrame(articles), npartitions=3))

    root = result.to_parquet(tmp_path / "out")

    labels = pd.read_parquet(root / "labels")
    assert dict(zip(labels["id"], labels["story"], strict=True)) == _dask_stories(result)
    stories = pd.read_parquet(root / "stories.parquet")
    assert stories["representative"].tolist() == result.stories["representative"].tolist()
    assert "articles" in repr(result)
    page = result._repr_html_()
    assert "&lt;DaskClustering" in page and "<table" in page
    assert result.stories["representative"].iat[0] in page


def test_missing_dask_gives_an_install_hint() -> None:
    code = (
        "import sys; sys.modules['dask'] = None\n"
        "import dedupe_news  # the core does not need Dask\n"
        "try:\n    import dedupe_news.dask\nexcept ImportError as e:\n    print(e)\n"
        "from dedupe_news.cli import main\n"
        "sys.exit(main(['dask', 'x.jsonl', '-o', 'out']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pip install 'dedupe-news[dask]'" in done.stdout
    assert done.returncode == 2
    assert "pip install 'dedupe-news[dask]'" in done.stderr


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    lines = "".join(json.dumps(r) + "\n" for r in records)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(lines.encode("utf-8")))
    else:
        path.write_text(lines, encoding="utf-8")
    return path


def test_cli_on_a_running_scheduler_writes_the_local_stories(
    client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = _tricky_corpus()
    records[0]["id"] = "007"  # stays "007", not 7
    half = len(records) // 2
    first = _write_jsonl(tmp_path / "a.jsonl", records[:half])
    second = _write_jsonl(tmp_path / "b.jsonl.gz", records[half:])
    out = tmp_path / "out"

    status = main(["dask", str(first), str(second), "-o", str(out), "--scheduler",
                   client.scheduler.address])  # fmt: skip

    assert status == 0
    labels = pd.read_parquet(out / "labels")
    assert dict(zip(labels["id"], labels["story"], strict=True)) == _local_stories(records)
    assert "articles ->" in capsys.readouterr().err


def test_cli_starts_local_workers(tmp_path: Path) -> None:
    articles, _ = make_corpus(3, 3, 2, seed=5)
    path = _write_jsonl(tmp_path / "in.jsonl", articles)

    status = main(["dask", str(path), "-o", str(tmp_path / "out"), "--workers", "1", "-q"])

    assert status == 0
    stories = pd.read_parquet(tmp_path / "out" / "stories.parquet")
    assert stories["size"].tolist() == [s.size for s in dedupe_news.cluster(articles).stories]


def test_cli_refuses_missing_files_and_mixed_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dask", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o")]) == 2
    assert "nope.jsonl: no such file" in capsys.readouterr().err
    a = _write_jsonl(tmp_path / "a.jsonl", [{"text": "x"}])
    pd.DataFrame({"text": ["y"]}).to_parquet(tmp_path / "b.parquet")
    assert main(["dask", str(a), str(tmp_path / "b.parquet"), "-o", str(tmp_path / "o")]) == 2
    assert "not both" in capsys.readouterr().err


def test_progress_logs_each_stage(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    frame = dd.from_pandas(pd.DataFrame({"text": ["one story", "another story"]}), npartitions=1)
    with caplog.at_level(logging.INFO, logger="dedupe_news"):
        dask_news.cluster(frame, progress=True)
    stages = [
        r.getMessage().split(" done")[0] for r in caplog.records if "done in" in r.getMessage()
    ]
    assert stages == [
        "read",
        "boilerplate",
        "nodes",
        "vocabulary",
        "features",
        "vectors and candidates",
        "scoring and linkage",
    ]
