"""A self-contained HTML report of a clustering: stories, members and the evidence between them.

One file with inline style and script and no network fetches, so it can be mailed, archived or
opened offline. Each story lists its members with the passages and quotes they share with the
story's representative highlighted, and the scores of each member against it. A search box
filters stories as you type; ``#q=words`` in the address pre-fills it, so a filtered view can be
linked.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .explain import PairExplanation, explain_pair, highlight
from .result import _headline

if TYPE_CHECKING:
    from .articles import Article
    from .result import Clustering, Story

__all__ = ["render_report", "write_report"]

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{position:sticky;top:0;background:#1d2430;color:#fff;padding:12px 24px;z-index:1}
header h1{font-size:18px;margin:0 0 6px}
header input{width:min(560px,90%);font-size:15px;padding:6px 10px;border-radius:4px;border:0}
header .count{margin-left:12px;color:#c9d1dc}
main{padding:16px 24px;max-width:1200px}
.story{background:#fff;border:1px solid #dde2e8;border-radius:6px;margin:0 0 16px;padding:12px 16px}
.story h2{font-size:16px;margin:0 0 8px}
.story h2 small{font-weight:normal;color:#5b6675}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eef0f3;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.id{max-width:14em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
td.title{min-width:18em}
td.date{white-space:nowrap}
summary,.evidence b{overflow-wrap:anywhere}
tr.representative td{font-weight:600}
details{margin:6px 0 0}
summary{cursor:pointer;color:#2b5fb3}
.text{white-space:pre-wrap;font-size:13px;background:#fafbfc;padding:8px;border-radius:4px}
.quotes{margin:4px 0;font-size:13px}
.evidence{font-size:13px;margin:8px 0;padding-left:18px}
.evidence li{margin:3px 0}
mark{background:#ffe58a;padding:0 1px}
.singletons li{font-size:13px;margin:2px 0}
footer{color:#5b6675;font-size:12px;padding:0 24px 24px}
"""

_SCRIPT = """
(function () {
  var box = document.getElementById('search');
  var count = document.getElementById('shown');
  var items = Array.prototype.slice.call(document.querySelectorAll('.story, .singleton'));
  var texts = items.map(function (item) { return item.textContent.toLowerCase(); });
  function apply() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item, k) {
      var text = texts[k];
      var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
      item.hidden = !hit;
      if (hit && item.classList.contains('story')) { shown += 1; }
    });
    count.textContent = shown + (shown === 1 ? ' story' : ' stories') + ' shown';
  }
  var match = /[#&]q=([^&]*)/.exec(window.location.hash);
  if (match) { box.value = decodeURIComponent(match[1].replace(/\\+/g, ' ')); }
  box.addEventListener('input', apply);
  apply();
})();
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _member_row(article: Article, why: PairExplanation | None, similarity: float) -> str:
    cls = ' class="representative"' if why is None else ""
    if why is None:
        scores = '<td class="num">—</td><td class="num">—</td><td class="num">—</td><td>—</td>'
    else:
        scores = (
            f'<td class="num">{why.score:.2f}</td><td class="num">{why.cosine:.2f}</td>'
            f'<td class="num">{why.jaccard:.2f}</td><td>{_e(", ".join(why.channels))}</td>'
        )
    return (
        f'<tr{cls}><td class="id" title="{_e(article.id)}">{_e(article.id)}</td>'
        f"<td>{_e(article.source or '')}</td><td class='date'>{_e(article.date or '')}</td>"
        f'<td class="title">{_e(_headline(article))}</td>'
        f'<td class="num">{similarity:.2f}</td>{scores}</tr>'
    )


def _evidence_item(why: PairExplanation, most: int = 3) -> str:
    """One line per member: the longest passages it shares with the representative."""
    shared = [p.text for p in why.passages[:most]] or list(why.shared_quotes[:most])
    if shared:
        quoted = " … ".join(f"<mark>{_e(_clip(text))}</mark>" for text in shared)
    else:
        terms = ", ".join(term for term, _ in why.shared_terms[:8])
        quoted = f"no passage in common; shared terms: {_e(terms or 'none')}"
    return f'<li data-id="{_e(why.a.id)}"><b>{_e(why.a.id)}</b>: {quoted}</li>'


def _clip(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _member_text(
    article: Article, why: PairExplanation | None, spans: list[tuple[int, int]]
) -> str:
    quotes = ""
    if why is not None and why.shared_quotes:
        items = "".join(f"<li>“{_e(q)}”</li>" for q in why.shared_quotes)
        quotes = f'<div class="quotes">Quotes shared with the representative:<ul>{items}</ul></div>'
    label = "representative" if why is None else f"{len(spans)} shared passages"
    return (
        f'<details class="member" data-id="{_e(article.id)}"><summary>{_e(article.id)} · '
        f"{_e(label)}</summary>{quotes}"
        f'<div class="text">{highlight(article.text, spans)}</div></details>'
    )


def _story_html(clustering: Clustering, story: Story) -> str:
    representative = story.representative
    explanations: dict[str, PairExplanation] = {
        a.id: explain_pair(clustering, a.id, representative.id)
        for a in story.articles
        if a.id != representative.id
    }
    rep_spans = [(p.b_start, p.b_end) for why in explanations.values() for p in why.passages]
    rows, texts, evidence = [], [], []
    for article, similarity in zip(story.articles, story.similarity, strict=True):
        why = explanations.get(article.id)
        spans = rep_spans if why is None else [(p.a_start, p.a_end) for p in why.passages]
        rows.append(_member_row(article, why, similarity))
        texts.append(_member_text(article, why, spans))
        if why is not None:
            evidence.append(_evidence_item(why))
    return (
        f'<section class="story" id="story-{story.id}" data-story="{story.id}">'
        f"<h2>Story {story.id}: {_e(_headline(representative))} "
        f"<small>({story.size} articles)</small></h2>"
        "<table><thead><tr><th>id</th><th>source</th><th>date</th><th>title</th>"
        "<th>similarity</th><th>score</th><th>cosine</th><th>Jaccard</th><th>proposed by</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<ul class="evidence">{"".join(evidence)}</ul>{"".join(texts)}</section>'
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _singletons_html(stories: list[Story]) -> str:
    if not stories:
        return ""
    items = "".join(
        f'<li class="singleton" data-story="{s.id}">'
        f"{_e(s.representative.id)}: {_e(_headline(s.representative))}</li>"
        for s in stories
    )
    return (
        f'<details class="singletons"><summary>{_count(len(stories), "article")} in no story '
        f"with others</summary><ul>{items}</ul></details>"
    )


def render_report(clustering: Clustering, *, title: str = "dedupe-news report") -> str:
    """The report as one HTML document (stories by size; singletons collapsed at the end).

    Raises
    ------
    InputError
        When ``clustering`` keeps no evidence (it was not produced by :func:`cluster`).
    """
    multi = [s for s in clustering.stories if s.size > 1]
    singles = [s for s in clustering.stories if s.size == 1]
    stats = clustering.stats
    body = "".join(_story_html(clustering, story) for story in multi)
    settings = json.dumps(
        {"threshold": clustering.config.threshold, "seed": clustering.config.seed}
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{_e(title)}</h1>"
        f"<div>{stats.articles} articles · {stats.stories} stories · "
        f"{len(multi)} with two or more articles</div>"
        '<input id="search" type="search" aria-label="Filter stories" '
        'placeholder="Filter by words of ids, sources, titles, texts">'
        '<span class="count" id="shown"></span></header>'
        f"<main>{body}{_singletons_html(singles)}</main>"
        f"<footer>dedupe-news {_e(__version__)} · settings {_e(settings)} · highlighted: "
        "passages each member shares word for word with its story's representative</footer>"
        f"<script>{_SCRIPT}</script></body></html>"
    )


def write_report(
    clustering: Clustering, path: str | Path, *, title: str = "dedupe-news report"
) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(render_report(clustering, title=title), encoding="utf-8")
    return target
