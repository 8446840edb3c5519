"""Articles: coercing user input, validation errors, reading files."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import dedupe_news
from dedupe_news import Article, DedupeNewsError, InputError, cluster, read_articles
from dedupe_news.articles import coerce_articles

RECORDS = [
    {"id": "a", "text": "First article body.", "title": "First", "source": "x.example"},
    {"id": "b", "text": "Second article body.", "date": "2024-06-20"},
    {"id": "c", "text": "", "url": "https://example.org/c"},
]


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- coercion


def test_list_of_str_gets_position_ids() -> None:
    articles = coerce_articles(["one", "two", ""])
    assert articles == [Article("0", "one"), Article("1", "two"), Article("2", "")]


def test_result_ids_are_positions_for_plain_strings() -> None:
    result = cluster(["alpha beta gamma delta epsilon", "zeta eta theta iota kappa"])
    assert [a.id for a in result.articles] == ["0", "1"]


def test_dicts_keep_all_fields() -> None:
    articles = coerce_articles(RECORDS)
    assert articles[0] == Article("a", "First article body.", "First", None, "x.example", None)
    assert articles[1].date == "2024-06-20"
    assert articles[2].url == "https://example.org/c"
    assert articles[2].text == ""


def test_dicts_without_id_get_position_ids_and_int_ids_become_str() -> None:
    articles = coerce_articles([{"text": "x"}, {"id": 7, "text": "y"}])
    assert [a.id for a in articles] == ["0", "7"]


def test_article_objects_pass_through() -> None:
    given = [Article("x", "text x", title="T"), Article("y", "text y")]
    assert coerce_articles(given) == given


def test_mixed_inputs_and_generators() -> None:
    items = (item for item in ["plain", {"id": "d", "text": "dict"}, Article("e", "article")])
    assert [a.id for a in coerce_articles(items)] == ["0", "d", "e"]


def test_dates_are_normalised_to_iso_strings() -> None:
    articles = coerce_articles(
        [
            {"text": "a", "date": dt.date(2024, 6, 20)},
            {"text": "b", "date": dt.datetime(2024, 6, 20, 14, 30)},
            {"text": "c", "date": "2024-06-20T14:30:00Z"},
            {"text": "d", "date": "  "},
        ]
    )
    assert [a.date for a in articles] == [
        "2024-06-20",
        "2024-06-20T14:30:00",
        "2024-06-20T14:30:00Z",
        None,
    ]


def test_dataframe_with_text_column() -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "text": ["body a", "body b"],
            "title": ["Title A", None],
            "source": [None, float("nan")],
            "date": [pd.Timestamp("2024-06-20"), pd.NaT],
            "ignored": [1, 2],
        }
    )
    articles = coerce_articles(frame)
    assert [a.id for a in articles] == ["a", "b"]
    assert articles[0].title == "Title A"
    assert articles[1].title is None
    assert articles[0].source is None
    assert articles[1].source is None
    assert articles[0].date is not None
    assert articles[0].date.startswith("2024-06-20")
    assert articles[1].date is None


def test_dataframe_without_id_gets_positions() -> None:
    frame = pd.DataFrame({"text": ["x", "y", "z"]})
    assert [a.id for a in coerce_articles(frame)] == ["0", "1", "2"]


def test_dataframe_with_integer_ids() -> None:
    frame = pd.DataFrame({"id": [10, 20], "text": ["x", "y"]})
    assert [a.id for a in coerce_articles(frame)] == ["10", "20"]


# --------------------------------------------------------------------------- errors


def assert_input_error(excinfo: pytest.ExceptionInfo[InputError], *parts: str) -> None:
    err = excinfo.value
    assert isinstance(err, InputError)
    assert isinstance(err, DedupeNewsError)
    assert isinstance(err, ValueError)
    message = str(err)
    assert "\n" not in message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def test_none_input() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles(None)
    assert_input_error(excinfo, "got None", "sequence of articles")


def test_none_input_to_cluster() -> None:
    with pytest.raises(InputError) as excinfo:
        cluster(None)
    assert_input_error(excinfo, "None")


def test_nan_text() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"id": "a", "text": "ok"}, {"id": "b", "text": math.nan}])
    assert_input_error(excinfo, "'b'", "position 1", "'text' must be a string", "NaN", "''")


def test_nan_text_in_dataframe() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "text": ["fine", None]})
    with pytest.raises(InputError) as excinfo:
        coerce_articles(frame)
    assert_input_error(excinfo, "'b'", "'text' must be a string")


def test_none_text() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"text": None}])
    assert_input_error(excinfo, "position 0", "'text' must be a string", "None")


def test_non_string_text() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"id": "n", "text": 42}])
    assert_input_error(excinfo, "'n'", "'text' must be a string", "int")


def test_non_string_item() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles(["fine", 42])
    assert_input_error(excinfo, "position 1", "expected str, dict or Article", "int")


def test_article_with_non_string_text() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([Article("z", None)])  # type: ignore[arg-type]
    assert_input_error(excinfo, "'z'", "'text' must be a string")


def test_bare_string_instead_of_list() -> None:
    with pytest.raises(InputError) as excinfo:
        cluster("North Korea warned on Thursday")
    assert_input_error(excinfo, "single str", "wrap it in a list")


def test_bytes_instead_of_list() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles(b"raw bytes")
    assert_input_error(excinfo, "single bytes")


def test_dict_instead_of_list() -> None:
    with pytest.raises(InputError) as excinfo:
        cluster({"id": "a", "text": "one article"})
    assert_input_error(excinfo, "single mapping", "wrap it in a list")


def test_not_iterable() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles(3.5)
    assert_input_error(excinfo, "float", "str, dict or Article")


def test_missing_text() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"id": "m", "title": "Only a title"}])
    assert_input_error(excinfo, "'m'", "missing the required 'text' field", "id, title")


def test_dataframe_without_text_column() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles(pd.DataFrame({"body": ["x"]}))
    assert_input_error(excinfo, "no 'text' column", "body")


def test_duplicate_ids() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles(
            [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}, {"id": "a", "text": ""}]
        )
    assert_input_error(excinfo, "duplicate article id 'a'", "positions 0 and 2", "unique")


def test_generated_ids_clash_with_numeric_ids() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles(["position zero", {"id": 0, "text": "explicit zero"}])
    assert_input_error(excinfo, "duplicate article id '0'")


@pytest.mark.parametrize("bad_id", [1.5, True, ["x"]])
def test_bad_id_type(bad_id: object) -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"id": bad_id, "text": "x"}])
    assert_input_error(excinfo, "'id' must be a string or an integer")


@pytest.mark.parametrize("field", ["title", "source", "url"])
def test_optional_fields_must_be_strings(field: str) -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"id": "o", "text": "x", field: 12}])
    assert_input_error(excinfo, "'o'", f"'{field}' must be a string or None", "int")


@pytest.mark.parametrize("field, value", [("title", 3), ("date", "yesterday")])
def test_an_article_without_id_is_named_by_its_position(field: str, value: object) -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"text": "x", "date": "2024-06-20"}, {"text": "y", field: value}])
    assert_input_error(excinfo, "article at position 1", f"'{field}'")


@pytest.mark.parametrize("date", ["20/06/2024", "June 20, 2024", "yesterday"])
def test_date_in_wrong_format(date: str) -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"id": "d", "text": "x", "date": date}])
    assert_input_error(excinfo, "'d'", "'date'", repr(date), "ISO 8601", "2024-06-20")


def test_date_of_wrong_type() -> None:
    with pytest.raises(InputError) as excinfo:
        coerce_articles([{"id": "d", "text": "x", "date": 20240620}])
    assert_input_error(excinfo, "'date' must be an ISO 8601 string", "int")


def test_malformed_json_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n\n{"id": "b", "text": \n', encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        read_articles(path)
    assert_input_error(excinfo, f"{path}:3", "malformed JSON")


def test_json_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "list.jsonl", [{"text": "ok"}, ["not", "an", "object"]])
    with pytest.raises(InputError) as excinfo:
        read_articles(path)
    assert_input_error(excinfo, f"{path}:2", "JSON object", "list")


def test_bad_record_in_file_names_the_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "missing.jsonl", [{"id": "a", "text": "ok"}, {"id": "b"}])
    with pytest.raises(InputError) as excinfo:
        read_articles(path)
    assert_input_error(excinfo, str(path), "'b'", "missing the required 'text' field")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("latin1.jsonl", b'{"text": "fine"}\n{"text": "caf\xe9"}\n'),
        ("bad.txt", b"caf\xe9 au lait"),
        ("bad.csv", b"id,text\na,caf\xe9\n"),
    ],
)
def test_undecodable_bytes_name_the_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as excinfo:
        read_articles(path)
    assert_input_error(excinfo, str(path), "not valid UTF-8")


def test_undecodable_bytes_in_txt_folder(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A fine article.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 au lait")
    with pytest.raises(InputError) as excinfo:
        read_articles(tmp_path)
    assert_input_error(excinfo, str(tmp_path / "bad.txt"), "not valid UTF-8")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        read_articles(tmp_path / "nope.jsonl")
    assert_input_error(excinfo, "nope.jsonl", "no such file")


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "articles.xml"
    path.write_text("<xml/>", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        read_articles(path)
    assert_input_error(excinfo, str(path), "unknown file type", ".jsonl", ".csv", ".parquet")


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError) as excinfo:
        read_articles(tmp_path)
    assert_input_error(excinfo, "no .txt files")


def test_csv_without_text_column(tmp_path: Path) -> None:
    path = tmp_path / "no_text.csv"
    path.write_text("id,body\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError) as excinfo:
        read_articles(path)
    assert_input_error(excinfo, str(path), "no 'text' column")


# --------------------------------------------------------------------------- reading files


def test_read_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", RECORDS)
    assert read_articles(path) == coerce_articles(RECORDS)
    assert read_articles(str(path)) == coerce_articles(RECORDS)


def test_read_jsonl_skips_blank_lines_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    path.write_bytes(b'{"id": "a", "text": "x"}\r\n\r\n  \n{"id": "b", "text": "y"}\r\n')
    assert [a.id for a in read_articles(path)] == ["a", "b"]


def test_read_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in RECORDS:
            f.write(json.dumps(r) + "\n")
    assert read_articles(path) == coerce_articles(RECORDS)


def test_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "title", "text", "date"])
        writer.writeheader()
        writer.writerow({"id": "a", "title": "T", "text": "line one\nline two, with comma"})
        writer.writerow({"id": "b", "title": "U", "text": "other", "date": "2024-06-20"})
    articles = read_articles(path)
    assert [a.id for a in articles] == ["a", "b"]
    assert articles[0].text == "line one\nline two, with comma"
    assert articles[0].date is None
    assert articles[1].date == "2024-06-20"


def test_read_txt_folder_uses_stems_as_ids(tmp_path: Path) -> None:
    (tmp_path / "b-second.txt").write_text("Second.", encoding="utf-8")
    (tmp_path / "a-first.txt").write_text("First.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    articles = read_articles(tmp_path)
    assert articles == [Article("a-first", "First."), Article("b-second", "Second.")]


def test_read_single_txt_file(tmp_path: Path) -> None:
    path = tmp_path / "only.txt"
    path.write_text("Just one.", encoding="utf-8")
    assert read_articles(path) == [Article("only", "Just one.")]


def test_read_parquet(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "a.parquet"
    pd.DataFrame(
        {"id": ["a", "b"], "text": ["x", "y"], "title": ["T", None], "extra": [1, 2]}
    ).to_parquet(path)
    articles = read_articles(path)
    assert articles == [Article("a", "x", title="T"), Article("b", "y")]


def test_read_seeds(seed_articles: list[Article], seed_labels: dict[str, Any]) -> None:
    assert len(seed_articles) == 5
    assert {a.id for a in seed_articles} == set(seed_labels["story"])
    assert all(a.text.strip() for a in seed_articles)


def test_seeds_path_is_public() -> None:
    assert "seeds_path" in dedupe_news.__all__
    assert (dedupe_news.seeds_path() / "labels.json").is_file()


@pytest.mark.data
@pytest.mark.parametrize(
    "relative", ["ecbplus/ecbplus.jsonl", "newscluster/newscluster.jsonl", "reuters21578"]
)
def test_read_shared_labelled_sets(shared_data: Path, relative: str) -> None:
    if relative == "reuters21578":
        relative = "reuters21578/reuters21578.jsonl.gz"
    path = shared_data / relative
    if not path.exists():
        pytest.skip(f"{path} is absent")
    articles = read_articles(path)
    assert len(articles) > 100
    assert len({a.id for a in articles}) == len(articles)
    assert all(isinstance(a.text, str) for a in articles)
