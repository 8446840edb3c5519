"""The HTML report: structure, highlights, escaping, self-containment, and a real browser render."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

import dedupe_news
from dedupe_news import cluster
from dedupe_news.cli import main
from dedupe_news.report import render_report
from dedupe_news.result import Clustering

HARRIS = "001_e7cdae192c6f0a5e"


@pytest.fixture(scope="module")
def result() -> Clustering:
    return cluster(dedupe_news.read_articles(dedupe_news.seeds_path()))


class _Outline(HTMLParser):
    """Collects what the tests check: stories, member rows, highlights, external references."""

    def __init__(self) -> None:
        super().__init__()
        self.stories: list[str] = []
        self.rows: dict[str, list[str]] = {}
        self.singletons: list[str] = []
        self.hidden: set[str] = set()
        self.marks = 0
        self.external: list[str] = []
        self._story: str | None = None
        self._cell = False
        self._first_cell_done = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name) and not str(a[name]).startswith("#"):
                self.external.append(str(a[name]))
        if tag == "link":
            self.external.append(str(a))
        classes = (a.get("class") or "").split()
        if tag == "section" and "story" in classes:
            self._story = str(a["data-story"])
            self.stories.append(self._story)
            self.rows[self._story] = []
            if "hidden" in a:
                self.hidden.add(self._story)
        if tag == "li" and "singleton" in classes:
            self.singletons.append(str(a["data-story"]))
            if "hidden" in a:
                self.hidden.add(str(a["data-story"]))
        if tag == "td" and "id" in classes and self._story is not None:
            self.rows[self._story].append(str(a["title"]))
        if tag == "mark":
            self.marks += 1


def _outline(page: str) -> _Outline:
    outline = _Outline()
    outline.feed(page)
    return outline


def test_report_lists_every_story_and_member(result: Clustering) -> None:
    outline = _outline(render_report(result))
    multi = [s for s in result.stories if s.size > 1]
    assert outline.stories == [str(s.id) for s in multi]
    for story in multi:
        assert sorted(outline.rows[str(story.id)]) == sorted(story.ids)
    singles = [str(s.id) for s in result.stories if s.size == 1]
    assert outline.singletons == singles
    assert outline.marks > 0


def test_report_highlights_the_shared_quote(result: Clustering) -> None:
    page = render_report(result)
    marked = " ".join(re.findall(r"<mark>(.*?)</mark>", page, flags=re.S))
    assert "supplying ammunition" in marked  # Harris's quote, shared with the representative


def test_report_is_self_contained(result: Clustering) -> None:
    page = render_report(result)
    assert _outline(page).external == []
    assert "<script src" not in page
    assert "@import" not in page and "url(" not in page


def test_report_escapes_article_text() -> None:
    base = "The council voted on the bridge budget after a long night of debate in the city."
    articles = [
        {"id": "<b>x</b>", "text": base + ' <script>alert("x")</script>'},
        {"id": "y", "text": base + " Officials said the vote was close."},
    ]
    page = render_report(cluster(articles))
    assert "<script>alert" not in page and "<b>x</b>" not in page
    assert "&lt;script&gt;" in page


def test_cli_report_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "-o", str(out), "--title", "Seeds"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<title>Seeds</title>" in page
    assert "report written to" in capsys.readouterr().err


def test_cli_report_missing_input_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "absent.jsonl"), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "absent.jsonl" in err and err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------------------- headless browser

_BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("DEDUPE_NEWS_REQUIRE_BROWSER") == "1":
        pytest.fail("no chromium on PATH; `make test` installs Debian's chromium")
    pytest.skip("no chromium on PATH (`make test` installs it; CI requires it)")


def _chromium(url: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [_browser(), *_BROWSER_FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return run.stdout


def test_browser_renders_the_report_and_its_search(result: Clustering, tmp_path: Path) -> None:
    path = result.write_report(tmp_path / "report.html")
    dom = _chromium(f"{path.as_uri()}#q=ammunition", "--dump-dom")
    outline = _outline(dom)
    story = str(result.story_of(HARRIS).id)
    assert outline.stories == [story]
    assert HARRIS in outline.rows[story]
    assert outline.marks > 0
    # The search (pre-filled from #q=) ran in the page: the singleton does not mention it.
    assert set(outline.singletons) <= outline.hidden
    assert story not in outline.hidden
    assert re.search(r'id="shown">1 story shown<', dom)


def test_browser_takes_a_screenshot(result: Clustering, tmp_path: Path) -> None:
    path = result.write_report(tmp_path / "report.html")
    shot = tmp_path / "report.png"
    _chromium(path.as_uri(), f"--screenshot={shot}", "--window-size=1280,900")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000  # a rendered page, not a blank image
