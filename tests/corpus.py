"""A small deterministic synthetic news corpus for property tests.

Each story has its own distinctive vocabulary (invented person, organisation, places, objects and
numbers). Its articles rewrite a shared set of fact sentences: each picks a subset in its own
order and words it with different synonyms and filler phrases, so articles of one story share
the facts but little verbatim text (the "rewrite" regime), and share almost nothing with other
stories beyond common English. A few unrelated singletons are mixed in.

``make_corpus(...)`` returns ``(articles, labels)``: dicts with ``id``, ``text``, ``title``
(sometimes ``None``) and ``source``, and the true story label of each, aligned.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

__all__ = ["make_corpus"]

# fmt: off
_SYLLABLES = (
    "ka", "lo", "vi", "zen", "tor", "mar", "qui", "bel", "dra", "fen", "gor", "hal", "jun",
    "lex", "mir", "nol", "pra", "ros", "sul", "tav", "ul", "vor", "wes", "yar", "zu", "bri",
    "cas", "dov", "eth", "fim", "gru", "hob", "ix", "jat", "kem", "lun",
)
# fmt: on

_SAID = ("said", "stated", "told reporters", "confirmed", "explained", "announced")
_OPENERS = (
    "",
    "",
    "",
    "",
    "Meanwhile, ",
    "On Tuesday, ",
    "Late on Monday, ",
    "Earlier this week, ",
    "In a statement, ",
    "According to local media, ",
)
_CLOSERS = (
    "",
    "",
    "",
    "",
    ", officials added",
    ", according to people familiar with the matter",
    ", the newspaper reported",
    ", a spokesperson noted",
    ", sources said",
)
_SOURCES = ("daily-herald.example", "wire.example", "morning-post.example", "city-news.example")


@dataclass(frozen=True)
class _Facts:
    person: str
    org: str
    place: str
    landmark: str
    rival: str
    year: str
    amount: str
    workers: str
    topic: tuple[str, ...]  # the story's own nouns and verbs


class _Names:
    """Invented words, distinct across the whole corpus."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def word(self) -> str:
        while True:
            w = "".join(self.rng.choice(_SYLLABLES) for _ in range(3))
            if w not in self.used:
                self.used.add(w)
                return w

    def name(self) -> str:
        return self.word().capitalize()

    def number(self, low: int, high: int) -> str:
        while True:
            n = str(self.rng.randint(low, high))
            if n not in self.used:
                self.used.add(n)
                return n


def _facts(names: _Names) -> _Facts:
    return _Facts(
        person=f"{names.name()} {names.name()}",
        org=f"{names.name()} {names.name()}",
        place=names.name(),
        landmark=f"{names.name()} {names.name()}",
        rival=names.name(),
        year=names.number(2031, 2099),
        amount=names.number(101, 989),
        workers=names.number(1100, 9800),
        topic=tuple(names.word() for _ in range(12)),
    )


# Sentence shapes shared by every story; the slots take the story's own names, numbers and
# topic words, so two stories share only glue words and the rewrites' filler phrases.
_TEMPLATES = (
    "{person} of the {org} {said} the {n0} in {place} would {v0} by {year}",
    "The {org} {n1} for the {place} {n0} will {v1} {amount} {n2}, {person} {said}",
    "{n3} from {place} {v2} at {landmark} to {v3} the {n0}",
    "{person} {said} that {workers} {n4} would {v0} the {n0} near {landmark}",
    "{n6} in {rival} {said} the {amount} {n2} {n0} was a {n5} for {place}",
    "The {n0} at {landmark} is the {n7} {n1} the {org} has {v1} since {rival} {v2} its own "
    "in {year}",
)


def _sentences(f: _Facts) -> list[str]:
    """The story's facts, with ``{said}`` left for each rewrite to fill."""
    n = f.topic
    slots = {
        "person": f.person,
        "org": f.org,
        "place": f.place,
        "landmark": f.landmark,
        "rival": f.rival,
        "year": f.year,
        "amount": f.amount,
        "workers": f.workers,
        **{f"n{k}": n[k] for k in range(8)},
        **{f"v{k}": n[8 + k] for k in range(4)},
        "said": "{said}",
    }
    return [t.format(**slots) for t in _TEMPLATES]


def _rewrite(sentence: str, rng: random.Random) -> str:
    text = sentence.replace("{said}", rng.choice(_SAID))
    opener = rng.choice(_OPENERS)
    if opener:
        text = opener + text[0].lower() + text[1:] if text.startswith("The ") else opener + text
    return text + rng.choice(_CLOSERS) + "."


def _title(f: _Facts, rng: random.Random) -> str | None:
    thing = f.topic[0]
    choices = [
        f"{f.person} and the {f.place} {thing}",
        f"{f.place} {thing}: {f.amount} and counting",
        f"{f.landmark} {thing} latest",
        None,
    ]
    return rng.choice(choices)


def _article(f: _Facts, rng: random.Random, article_id: str) -> dict[str, Any]:
    sentences = _sentences(f)
    chosen = rng.sample(sentences, k=rng.randint(4, len(sentences)))
    body = "\n\n".join(_rewrite(s, rng) for s in chosen)
    return {
        "id": article_id,
        "title": _title(f, rng),
        "text": body,
        "source": rng.choice(_SOURCES),
    }


def _reprint(article: dict[str, Any], outlet: str, article_id: str) -> dict[str, Any]:
    """A wire reprint: the same body under another outlet's header and footer."""
    return {
        "id": article_id,
        "title": article["title"],
        "text": f"By {outlet} staff\n\n{article['text']}\n\nCopyright {outlet}.",
        "source": outlet,
    }


def make_corpus(
    n_stories: int = 5,
    per_story: int = 4,
    n_singletons: int = 3,
    seed: int = 0,
    reprints: int = 0,
) -> tuple[list[dict[str, Any]], list[str]]:
    """``(articles, labels)``: ``n_stories`` stories of ``per_story`` rewrites, plus singletons.

    Each story also gets ``reprints`` near-verbatim copies of its first article (the copy
    regime), each from its own outlet (keep it below ``boilerplate_min_articles - 1`` so the
    shared lines are not taken for batch boilerplate). Deterministic for a given ``seed``;
    articles come in a seeded shuffled order.
    """
    rng = random.Random(seed)
    names = _Names(rng)
    pairs: list[tuple[dict[str, Any], str]] = []
    for s in range(n_stories):
        facts = _facts(names)
        label = f"story-{s}"
        for k in range(per_story):
            pairs.append((_article(facts, rng, f"s{s:02d}-a{k}"), label))
        if per_story:
            first = pairs[-per_story][0]
            for k in range(reprints):
                outlet = f"reprinter-{k}.example"
                pairs.append((_reprint(first, outlet, f"s{s:02d}-r{k}"), label))
    for k in range(n_singletons):
        facts = _facts(names)
        pairs.append((_article(facts, rng, f"single-{k}"), f"single-{k}"))
    rng.shuffle(pairs)
    return [a for a, _ in pairs], [label for _, label in pairs]
