"""The ``dedupe-news`` command, run as users run it: in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import dedupe_news
from dedupe_news import Article
from dedupe_news.cli import main

CLI = [sys.executable, "-m", "dedupe_news.cli"]
SCRIPT = Path(sys.executable).parent / "dedupe-news"


def run(
    *args: str | Path, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=300,
        check=False,
    )


def records(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dedupe-news: error:"), lines[0]
    for part in parts:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    assert proc.stdout == ""


def seed_jsonl(articles: list[Article]) -> str:
    return "".join(
        json.dumps({"id": a.id, "title": a.title, "text": a.text}) + "\n" for a in articles
    )


# --------------------------------------------------------------------------- success


def test_no_path_clusters_the_bundled_seeds(seed_articles: list[Article]) -> None:
    proc = run("cluster")
    assert proc.returncode == 0, proc.stderr
    out = records(proc.stdout)  # stdout is not a terminal: JSON lines
    assert len(out) == 5
    assert {r["id"] for r in out} == {a.id for a in seed_articles}
    for r in out:
        assert isinstance(r["story"], int)
        assert {"story_size", "representative", "similarity"} <= set(r)
    summary = proc.stderr.strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith("dedupe-news: 5 articles -> ")


def test_format_table_quiet() -> None:
    proc = run("cluster", "--format", "table", "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # quiet: no summary
    assert proc.stdout.startswith("<Clustering: 5 articles")
    assert "story 0" in proc.stdout


def test_output_jsonl_and_csv(tmp_path: Path) -> None:
    jsonl, table = tmp_path / "out.jsonl", tmp_path / "out.csv"
    proc = run("cluster", "-o", jsonl)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "5 articles" in proc.stderr
    from_jsonl = records(jsonl.read_text(encoding="utf-8"))
    assert len(from_jsonl) == 5

    proc = run("cluster", "-o", table, "-q")
    assert proc.returncode == 0, proc.stderr
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [r["id"] for r in from_jsonl]
    assert [int(r["story"]) for r in rows] == [r["story"] for r in from_jsonl]


def test_format_csv_to_stdout_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "--format", "csv", "-q"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 5
    assert "story" in rows[0]


def test_dash_reads_json_lines_from_stdin(seed_articles: list[Article]) -> None:
    stdin = seed_jsonl(seed_articles)
    proc = run("cluster", "-", "--threshold", "0.45", "--seed", "3", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    out = records(proc.stdout)
    assert [r["id"] for r in out] == [a.id for a in seed_articles]
    want = dedupe_news.cluster(seed_articles, threshold=0.45, seed=3).labels.tolist()
    assert [r["story"] for r in out] == want


def test_several_inputs_are_clustered_together(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "a1", "text": "Storm Kestrune closed the Vellmore bridge."}) + "\n",
        encoding="utf-8",
    )
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "b1.txt").write_text("The library budget passed.", encoding="utf-8")
    proc = run("cluster", tmp_path / "a.jsonl", folder, "-q")
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in records(proc.stdout)] == ["a1", "b1"]


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"dedupe-news {dedupe_news.__version__}"


def test_help_mentions_examples() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    assert "examples:" in proc.stdout
    assert "dedupe-news cluster articles.jsonl -o out.jsonl" in proc.stdout


def test_cluster_help_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["cluster", "--help"])
    assert excinfo.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "--threshold" in out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "cluster" in capsys.readouterr().out


def test_console_script() -> None:
    if not SCRIPT.exists():
        pytest.skip(f"console script not installed at {SCRIPT}")
    proc = subprocess.run(
        [str(SCRIPT), "cluster", "-q"], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert len(records(proc.stdout)) == 5


# --------------------------------------------------------------------------- errors


def test_malformed_json_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n{"id": "b", "text": oops}\n', encoding="utf-8")
    assert_one_line_error(run("cluster", path), f"{path}:2", "malformed JSON")


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(run("cluster", tmp_path / "nope.jsonl"), "nope.jsonl", "no such file")


def test_threshold_out_of_range() -> None:
    assert_one_line_error(run("cluster", "--threshold", "2.0"), "threshold", "2.0")


def test_duplicate_ids_across_inputs(tmp_path: Path) -> None:
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text('{"id": "x", "text": "same id"}\n', encoding="utf-8")
    proc = run("cluster", tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert_one_line_error(proc, "'x'", "already read from", "unique")


def test_undecodable_txt_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"caf\xe9 au lait")
    assert_one_line_error(run("cluster", path), str(path), "UTF-8")


# ---------------------------------------------------------------------------- index commands


def _write_jsonl(path: Path, articles: list[Article], dates: list[str]) -> Path:
    rows = [
        {"id": a.id, "title": a.title, "text": a.text, "date": d}
        for a, d in zip(articles, dates, strict=True)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_index_add_query_and_stories(tmp_path: Path, seed_articles: list[Article]) -> None:
    db = tmp_path / "news.db"
    first = _write_jsonl(tmp_path / "a.jsonl", seed_articles[:3], ["2024-05-01"] * 3)
    later = _write_jsonl(tmp_path / "b.jsonl", seed_articles[3:], ["2024-05-03"] * 2)
    added = run("index", "add", db, first)
    assert added.returncode == 0, added.stderr
    rows = records(added.stdout)
    assert [r["id"] for r in rows] == [a.id for a in seed_articles[:3]]
    assert sum(not r["new_story"] for r in rows) == 2
    assert "added 3 articles" in added.stderr
    queried = run("index", "query", db, later)
    assert queried.returncode == 0, queried.stderr
    matches = {r["id"]: r for r in records(queried.stdout)}
    harris_story = rows[0]["story"]
    assert matches[seed_articles[3].id]["story"] == harris_story
    assert matches[seed_articles[3].id]["joins"] is True
    assert run("index", "add", db, later).returncode == 0
    listed = run("index", "stories", db, "--since", "2024-05-02")
    assert listed.returncode == 0, listed.stderr
    stories = records(listed.stdout)
    assert {s["story"] for s in stories} >= {harris_story}
    assert all(s["last_seen"] >= "2024-05-02" for s in stories)
    table = run("index", "stories", db, "--format", "table", "--since", "10000d")
    assert table.stdout.splitlines()[0].split()[:2] == ["story", "size"]


def test_index_add_in_batches_keeps_input_order(
    tmp_path: Path, seed_articles: list[Article]
) -> None:
    dates = ["2024-05-03", "2024-05-01", "2024-05-02", "2024-05-01", "2024-05-04"]
    source = _write_jsonl(tmp_path / "a.jsonl", seed_articles, dates)
    added = run("index", "add", tmp_path / "news.db", source, "--batch", "2")
    assert added.returncode == 0, added.stderr
    rows = records(added.stdout)
    assert [r["id"] for r in rows] == [a.id for a in seed_articles]
    oldest = min(range(5), key=lambda k: (dates[k], seed_articles[k].id))
    assert rows[oldest]["new_story"]  # the first call held the two oldest articles
    assert "added 5 articles" in added.stderr
    bad = run("index", "add", tmp_path / "other.db", source, "--batch", "0")
    assert bad.returncode == 2 and "positive number" in bad.stderr


def test_index_errors_are_one_line(tmp_path: Path, seed_articles: list[Article]) -> None:
    missing = run("index", "stories", tmp_path / "none.db")
    assert missing.returncode == 2 and "no such index" in missing.stderr
    db = tmp_path / "news.db"
    source = _write_jsonl(tmp_path / "a.jsonl", seed_articles[:1], ["2024-05-01"])
    assert run("index", "add", db, source).returncode == 0
    again = run("index", "add", db, source)
    assert again.returncode == 2 and "already in the index" in again.stderr
    assert again.stderr.count("\n") == 1
    bad_age = run("index", "stories", db, "--since", "yesterday")
    assert bad_age.returncode == 2 and "12h, 2d, 1w" in bad_age.stderr
