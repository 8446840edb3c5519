"""Seeded synthetic news corpus of any size, streamed to JSON lines, for speed benchmarks.

Real corpora with the mix that matters for speed (many singletons, stories of wire copies,
edited reprints and rewrites, outlet boilerplate, ~550-word bodies) are small or cannot be
redistributed, so this writes one of any size from a seed. Nothing is held beyond one chunk of
stories, so a million articles need no more memory than a thousand.

Each story draws its own vocabulary (invented people, organisations, places, a named object and
numbers) and a topic (shared with other stories, like real beats), and renders a set of fact
sentences whose wording has synonym slots. Its first article is the wire original; the others
are wire copies (same body, another outlet, sometimes cut at the end), reprints with edits
(paragraphs dropped and added) or rewrites (a subset of the facts, reworded and reordered, with
other filler). All share the story's direct quotes. Filler paragraphs come from a large pool of
news-like English sentences, and every outlet adds its own header and footer lines.

Usage::

    python benchmarks/synth.py --n 20000 --seed 1 -o /tmp/synth20k.jsonl  # or .jsonl.gz

or ``write_corpus(path, n, seed)`` / ``iter_articles(n, seed)`` from Python. Articles are dicts
with ``id``, ``title``, ``text``, ``date`` and ``source`` (plus ``cluster``, the story label,
with ``labels=True`` / ``--labels``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["iter_articles", "write_corpus"]

CHUNK = 2_000  # articles generated, shuffled and written together
FILLER_POOL = 40_000  # distinct filler sentences per generator
YEAR = 2026


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split("|"))


# --------------------------------------------------------------------------- word pools

_NOUNS = _words(
    """
    government council committee report plan budget market economy company industry city
    region country community school hospital court police election campaign policy law bill
    agreement deal project programme service system network sector price cost rate tax fund
    investment growth decline increase decision statement meeting hearing inquiry review study
    survey analysis data figure number share stake business office department ministry agency
    authority board union group team party leader official minister mayor president director
    spokesperson analyst resident worker family child student teacher doctor patient driver
    farmer owner customer consumer voter member partner rival competitor supplier contract
    proposal strategy target deadline change reform measure rule standard process procedure
    system problem issue concern question risk threat challenge opportunity impact effect
    result outcome response reaction support opposition criticism pressure demand supply
    shortage surplus deficit debt loan payment salary wage pension benefit income revenue
    profit loss sale order delivery production capacity output performance quarter year month
    week day morning evening night weekend season period history future past record level
    average majority minority percentage amount total quantity volume area district
    neighbourhood street road bridge building site facility plant factory warehouse port
    airport station line route border coast river lake island valley hill centre
    """
)
_ADJECTIVES = _words(
    """
    new local national regional international public private federal key major minor large
    small big significant important serious difficult simple clear strong weak high low
    recent current previous former early late final initial annual monthly weekly daily
    economic political social financial legal environmental medical commercial industrial
    official independent senior junior general special common rare wide broad narrow short
    long full partial direct indirect potential possible likely unlikely necessary available
    further additional separate similar different main primary secondary total overall
    """
)
_VERBS = tuple(
    tuple(pair.split(":"))
    for pair in _words(
        """
        raise:raised reduce:reduced increase:increased cut:cut expand:expanded limit:limited
        approve:approved reject:rejected review:reviewed support:supported oppose:opposed
        delay:delayed extend:extended announce:announced confirm:confirmed deny:denied
        consider:considered discuss:discussed propose:proposed plan:planned build:built
        open:opened close:closed start:started finish:finished complete:completed
        launch:launched suspend:suspended resume:resumed change:changed improve:improved
        affect:affected address:addressed examine:examined investigate:investigated
        report:reported publish:published release:released sign:signed agree:agreed
        receive:received provide:provided offer:offered require:required allow:allowed
        prevent:prevented protect:protected replace:replaced remove:removed add:added
        meet:met warn:warned urge:urged call:called ask:asked welcome:welcomed expect:expected
        estimate:estimated predict:predicted manage:managed lead:led follow:followed
        """
    )
)
_ADVERBS = _words(
    """
    also still already recently currently previously quickly slowly sharply steadily
    significantly slightly largely mostly nearly almost about roughly publicly privately
    formally officially initially eventually finally again
    """
)
_SUBJECTS = _phrases(
    """
    officials | analysts | residents | local leaders | the government | the council |
    experts | critics | supporters | business owners | economists | lawmakers | the agency |
    investors | union representatives | community groups | regulators | observers |
    the ministry | the company | a spokesperson | the committee | several members |
    many people | some observers | industry groups | the opposition | campaigners
    """
)
_SAID = _phrases("said | told reporters | added | noted | stated | explained | argued")
_TIMES = _phrases(
    """
    on Monday | on Tuesday | on Wednesday | on Thursday | on Friday | over the weekend |
    last week | earlier this month | this year | next year | in the coming weeks |
    later this year | in recent months | last year | this week | in the past decade |
    by the end of the year | in the first quarter | at the time | since then
    """
)
_PREPS = _words("in for on with from about over under after before across near against")
_DETS = _words("the the the a this that their its")
_MODALS = _phrases("would | could | might | will | may | should | is expected to | plans to")
_LINKS = _phrases("However, | Meanwhile, | In addition, | At the same time, | Still, | Separately,")

# Sentence shapes for filler; each slot is filled from the pools above.
_FILLER_SHAPES = (
    "{Det} {adj} {noun} {past} {det} {noun2} {prep} {det} {noun3} {time}.",
    "{Subj} {said} {det} {noun} {modal} {base} {det} {adj} {noun2} {time}.",
    "{Subj} {past} {det} {noun} {prep} {det} {adj} {noun2}, {subj} {said}.",
    "It was not clear whether {det} {noun} {modal} {base} {det} {noun2} {time}.",
    "{Link} {subj} {adv} {past} {det} {adj} {noun} {prep} {det} {noun2}.",
    "{Det} {noun} has {adv} {past} {det} {noun2}, and {det} {noun3} {modal} {base} {time}.",
    "{Subj} {said} they {modal} {base} {det} {noun} if {det} {noun2} {past} {adv}.",
    "The {adj} {noun} {past} {det} {noun2} and {past2} {det} {adj2} {noun3} {time}.",
    "{Det} {adj} {noun} of {det} {noun2} remains one of {det} {adj2} issues for {subj}.",
    "{Link} the {noun} {past} by {num} percent {time}, according to {subj}.",
    "There is {adj} {noun} about {det} {noun2}, {subj} {said} {time}.",
    "{Subj} {adv} {past} that {det} {noun} was {adj} and {adj2}.",
)

_FIRST_NAMES = _words(
    """
    James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara
    Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony
    Betty Mark Sandra Paul Ashley Steven Emily Andrew Donna Joshua Michelle Kevin Carol Brian
    Amanda George Melissa Edward Deborah Ahmed Fatima Wei Mei Raj Priya Carlos Sofia Ivan
    Olga Kenji Yuki Kwame Amara Luca Giulia Pierre Claire Hans Anna Lars Ingrid Omar Leila
    """
)
_SYLLABLES = _words(
    """
    ka lo vi zen tor mar qui bel dra fen gor hal jun lex mir nol pra ros sul tav ul vor wes
    yar zu bri cas dov eth fim gru hob ix jat kem lun ber cal den fal gan hen kar len mon nar
    pel ran sen tal van wil dor kir mel sab tin rud bas cor
    """
)
_ROLES = _phrases(
    """
    chief executive | mayor | minister | director | spokesperson | chair | president |
    governor | head | deputy mayor | chief financial officer | commissioner | secretary
    """
)
_COUNCILS = _words("council assembly authority board commission parliament")
_MONTHS = _words(
    "January February March April May June July August September October November December"
)
_DAYS = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")

# Topics: (objects a story can be about, topic words). Stories of one topic share these.
_TOPICS = tuple(
    (_words(objects), _words(words))
    for objects, words in (
        (
            "bridge tunnel railway airport motorway tramline",
            "commuter traffic freight transit fares route passengers congestion rail",
        ),
        (
            "refinery pipeline windfarm reactor substation solar-park",
            "energy electricity fuel emissions grid power carbon turbines gas",
        ),
        (
            "hospital clinic vaccine trial ward laboratory",
            "health patients nurses treatment disease surgeons care waiting infection",
        ),
        (
            "stadium arena league tournament academy club",
            "football fans match players coach season championship tickets transfer",
        ),
        (
            "merger bank fund exchange takeover bond",
            "shares investors earnings dividend markets lenders credit inflation bonds",
        ),
        (
            "trial verdict appeal lawsuit inquest prosecution",
            "court judge jury lawyers evidence prosecutors defendant sentence witnesses",
        ),
        (
            "school university campus curriculum scholarship college",
            "students teachers pupils exams tuition classrooms degrees lecturers enrolment",
        ),
        (
            "reservoir dam floodwall reserve forest wetland",
            "flooding drought rainfall wildlife conservation water storms pollution habitat",
        ),
        (
            "election referendum coalition budget manifesto cabinet",
            "voters ballots candidates polling lawmakers parliament turnout seats reform",
        ),
        (
            "factory plant warehouse mill shipyard smelter",
            "workers jobs production strike wages layoffs unions shifts output",
        ),
        (
            "app platform datacentre satellite chip network",
            "software users data privacy cyber startup devices internet engineers",
        ),
        (
            "museum festival theatre gallery concert exhibition",
            "artists visitors audiences culture music heritage curators performances film",
        ),
    )
)

# Outlets: a few wire services and many papers; each has a display name and boilerplate.
_WIRES = ("Global Wire", "Press Union", "Metro Newswire", "Continental Press")
_PAPER_KINDS = _words("Herald Times Post Gazette Tribune Chronicle Courier Observer Journal Star")
_HEADERS = (
    "By {name} staff",
    "{name} | News",
    "Posted by the {name} newsroom",
    "Share this article",
    "Listen to this article",
)
_FOOTERS = (
    "Subscribe to our newsletter for the latest updates.",
    "Copyright {year} {name}. All rights reserved.",
    "Follow {name} on social media for breaking news.",
    "Sign up for {name} alerts and never miss a story.",
    "This article was produced by the {name} news desk.",
    "Read more local stories at {name}.",
    "Have a news tip? Contact the {name} newsroom.",
    "(c) {year} {name}. This material may not be republished without permission.",
)

# Fact sentences of a story. "[a|b|c]" is a synonym slot: the wire original uses the first
# option, rewrites pick any. Other slots take the story's own names, numbers and topic words.
_FACT_TEMPLATES = (
    "{person}, the {role} of the {org}, [said|announced|confirmed] on {day} that the {thing} "
    "in {place} would [open|be completed|go ahead] by {month}.",
    "The {org} [plans to spend|will invest|has set aside] {amount} on the {thing}, "
    "[according to|citing|as outlined in] a {t0} [report|document|filing] "
    "[released|published|made public] on {day}.",
    "[About|Roughly|Nearly|Some] {num0} {t1} [protesters|residents|campaigners] "
    "[gathered|assembled|turned out] at {landmark} to [protest|oppose|object to] the {t2} "
    "[plan|proposal|scheme].",
    "{last} [said|told reporters|explained] that {num1} [jobs|positions|posts] in {place} "
    "[depend on|rely on|are tied to] the {thing}.",
    "[Officials|Authorities|Representatives] in {rival} [criticised|questioned|challenged] the "
    "{amount} [deal|agreement|package], [calling it|describing it as|labelling it] a {t3} "
    "[mistake|gamble|risk].",
    "The {thing} [is expected to|should|is projected to] [cut|reduce|lower] {t4} "
    "[costs|bills|spending] in {place} by {pct} percent [over the next|within|in the coming] "
    "{small} years.",
    "A [spokesperson|spokesman|spokeswoman] for the {org} [declined to comment|would not "
    "comment|did not respond] on [whether|if] the {t5} [review|inquiry|investigation] "
    "[would|could|might] [delay|hold up|slow] the {thing}.",
    "[Construction|Work|Preparation] [began|started|got under way] in {year0} after the {org} "
    "[won|secured|obtained] [approval|permission|a permit] from the {place} {council}.",
    "[Police|Investigators|Emergency services] [said|reported|confirmed] that {num2} people "
    "[were|had been] [injured|hurt|affected] near {landmark} on {day}.",
    "{rival} [opened|launched|completed] a [similar|comparable|rival] {t0} "
    "[project|programme|scheme] in {year1}, [which|that] [cost|required] {amount2}.",
    "The [vote|decision|ruling] [on|over|about] the {thing} [is scheduled|is set|is due] for "
    "{month}, {last} [said|added|noted].",
    "[Critics|Opponents|Campaigners] [argue|say|contend] the {thing} [will|would|could] "
    "[damage|harm|threaten] {t1} [near|around|close to] {landmark}.",
    "[Shares in|Stock of] the {org} [rose|climbed|jumped] {pct2} percent [after|following|on "
    "news of] the [announcement|decision|report] about the {thing}.",
    "The {org} [employs|has|counts] {num3} [staff|people|employees] [across|throughout|in] "
    "{place} and {rival}, [its|the company's|the group's] [latest|most recent|newest] "
    "{t2} [report|statement|figures] [show|shows|showed].",
)
_QUOTE_TEMPLATES = (
    "This {thing} is {adj} for {place} and we will not {base} it",
    "We have {past} the {t0} for {small} years and the {noun} has never been this {adj}",
    "Nobody in {rival} expected the {t1} to {base} so {adv}",
    "The people of {place} deserve a {adj} {noun} and the {org} will deliver it",
    "Every {t3} in {place} will feel the {noun} of this decision for years",
    "We are {adj} about the {thing} but the {t4} must come first",
)
_TITLE_TEMPLATES = (
    "{place} {thing}: {org} commits {amount}",
    "{last} defends {amount} {thing} plan",
    "Protest at {landmark} over {place} {thing}",
    "{rival} questions {org} {t2} deal",
    "{num0} rally against {thing} in {place}",
    "{org} {thing} vote set for {month}",
    "What the {thing} means for {place}",
    "{place} {t1} fear {thing} fallout",
)


def _compile(template: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """``"a {x} [b|c] d"`` -> ``("a {x} {_s0} d", (("b", "c"),))``: a format string whose synonym
    slots become ``{_sK}`` (re-emitted as ``{K}`` once the story's names are in) and the
    options of each."""
    pieces: list[str] = []
    options: list[tuple[str, ...]] = []
    rest = template
    while "[" in rest:
        head, _, tail = rest.partition("[")
        choices, _, rest = tail.partition("]")
        pieces += [head, f"{{_s{len(options)}}}"]
        options.append(tuple(choices.split("|")))
    pieces.append(rest)
    return "".join(pieces), tuple(options)


_FACTS = tuple(_compile(t) for t in _FACT_TEMPLATES)
_SYNONYM_SLOTS = {f"_s{k}": f"{{{k}}}" for k in range(max(len(o) for _, o in _FACTS))}


# --------------------------------------------------------------------------- generator


class _Generator:
    """State of one seeded stream: the rng, the filler pool and the outlets."""

    def __init__(self, seed: int, labels: bool) -> None:
        self.rng = random.Random(seed)
        self.labels = labels
        self.filler = self._filler_pool(FILLER_POOL)
        self.outlets = self._outlets()
        self.wires = self.outlets[: len(_WIRES)]
        start = dt.date(YEAR, 1, 1)
        self.dates = [(start + dt.timedelta(days=d)).isoformat() for d in range(370)]

    # ---- vocabulary

    def _filler_pool(self, size: int) -> list[str]:
        """``size`` news-like filler sentences (slots drawn in bulk: this runs once per stream)."""
        rng = self.rng

        def draw(pool: tuple[Any, ...]) -> list[Any]:
            return rng.choices(pool, k=size)

        columns = zip(
            draw(_FILLER_SHAPES),
            draw(_DETS),
            draw(_SUBJECTS),
            draw(_ADJECTIVES),
            draw(_ADJECTIVES),
            draw(_NOUNS),
            draw(_NOUNS),
            draw(_NOUNS),
            draw(_VERBS),
            draw(_VERBS),
            draw(_SAID),
            draw(_MODALS),
            draw(_PREPS),
            draw(_TIMES),
            draw(_ADVERBS),
            draw(_LINKS),
            draw(tuple(range(2, 61))),
            strict=True,
        )
        return [
            shape.format(
                Det=det.capitalize(),
                det=det,
                Subj=subj[0].upper() + subj[1:],
                subj=subj,
                adj=adj,
                adj2=adj2,
                noun=noun,
                noun2=noun2,
                noun3=noun3,
                past=verb[1],
                past2=verb2[1],
                base=verb[0],
                said=said,
                modal=modal,
                prep=prep,
                time=when,
                adv=adv,
                Link=link,
                num=num,
            )
            for (
                shape,
                det,
                subj,
                adj,
                adj2,
                noun,
                noun2,
                noun3,
                verb,
                verb2,
                said,
                modal,
                prep,
                when,
                adv,
                link,
                num,
            ) in columns
        ]

    def _int(self, low: int, high: int) -> int:
        """``rng.randint(low, high)``, several times faster (this is the hot path)."""
        return low + int(self.rng.random() * (high - low + 1))

    def _word(self) -> str:
        random, n = self.rng.random, len(_SYLLABLES)
        word = _SYLLABLES[int(random() * n)] + _SYLLABLES[int(random() * n)]
        return word + _SYLLABLES[int(random() * n)] if random() < 0.5 else word

    def _name(self) -> str:
        return self._word().capitalize()

    def _outlets(self) -> list[tuple[str, str, list[str], list[str]]]:
        """``(source, display name, header lines, footer lines)`` per outlet."""
        rng = self.rng
        names = list(_WIRES)
        while len(names) < 300:
            name = f"The {self._name()} {rng.choice(_PAPER_KINDS)}"
            if name not in names:
                names.append(name)
        outlets = []
        for name in names:
            source = name.lower().removeprefix("the ").replace(" ", "") + ".example"
            fill = {"name": name, "year": YEAR}
            headers = [h.format(**fill) for h in rng.sample(_HEADERS, k=rng.randint(0, 2))]
            footers = [f.format(**fill) for f in rng.sample(_FOOTERS, k=rng.randint(1, 3))]
            outlets.append((source, name, headers, footers))
        return outlets

    def _slots(self) -> dict[str, str]:
        """The story's own vocabulary: names, places, numbers and its topic's words."""
        rng = self.rng
        objects, words = rng.choice(_TOPICS)
        topic = rng.sample(words, k=6)
        last = self._name()
        scale = rng.choice(("million", "million", "billion"))
        currency = rng.choice(("$", "$", "€", "£"))
        verb = rng.choice(_VERBS)
        slots = {
            "person": f"{rng.choice(_FIRST_NAMES)} {last}",
            "last": last,
            "role": rng.choice(_ROLES),
            "org": f"{self._name()} {rng.choice(('Group', 'Holdings', 'Council', 'Trust', ''))}",
            "place": self._name(),
            "landmark": f"{self._name()} {rng.choice(('Square', 'Park', 'Hall', 'Street'))}",
            "rival": self._name(),
            "thing": f"{self._name()} {rng.choice(objects)}",
            "amount": f"{currency}{self._int(12, 980)} {scale}",
            "amount2": f"{currency}{self._int(12, 980)} {scale}",
            "num0": str(self._int(120, 9800)),
            "num1": f"{self._int(1, 98)},{self._int(100, 999)}",
            "num2": str(self._int(3, 95)),
            "num3": f"{self._int(2, 90)},{self._int(100, 999)}",
            "pct": str(self._int(4, 60)),
            "pct2": f"{self._int(1, 19)}.{self._int(1, 9)}",
            "small": str(self._int(3, 15)),
            "year0": str(self._int(2012, YEAR - 1)),
            "year1": str(self._int(2005, YEAR - 1)),
            "day": rng.choice(_DAYS),
            "month": rng.choice(_MONTHS),
            "council": rng.choice(_COUNCILS),
            "adj": rng.choice(_ADJECTIVES),
            "noun": rng.choice(_NOUNS),
            "base": verb[0],
            "past": verb[1],
            "adv": rng.choice(_ADVERBS),
        }
        slots["org"] = slots["org"].rstrip()
        slots.update({f"t{k}": w for k, w in enumerate(topic)})
        return slots

    # ---- articles

    def _fill(self, target_words: int, have: int) -> list[str]:
        """Filler paragraphs of 2-5 pool sentences, about ``target_words - have`` words."""
        random, pool = self.rng.random, self.filler
        starts = len(pool) - 5
        out = []
        while have < target_words:
            k = 2 + int(random() * 4)
            start = int(random() * starts)
            out.append(" ".join(pool[start : start + k]))  # the pool is in random order
            have += k * 13  # mean words per filler sentence
        return out

    def _render(self, fact: tuple[str, tuple[tuple[str, ...], ...]], reword: bool) -> str:
        """A fact sentence: the first synonym of each slot, or (``reword``) any."""
        text, options = fact
        if not reword:
            return text.format(*[o[0] for o in options])
        random = self.rng.random
        return text.format(*[o[int(random() * len(o))] for o in options])

    def _body(self, facts: list[str], quotes: list[str], target_words: int) -> list[str]:
        """Paragraphs: the facts (one or two a paragraph) and quotes, with filler paragraphs
        spread between them up to ``target_words``."""
        rng = self.rng
        news: list[str] = []
        k = 0
        while k < len(facts):
            take = 1 if k == 0 or rng.random() < 0.6 else 2
            news.append(" ".join(facts[k : k + take]))
            k += take
        for quote in quotes:
            news.insert(self._int(1, len(news)), quote)
        have = sum(p.count(" ") + 1 for p in news)
        filler = self._fill(target_words, have)
        rest = news[1:] + filler
        # Keep the facts near the top, as news writing does: shuffle each half separately.
        head, tail = rest[: len(rest) // 2], rest[len(rest) // 2 :]
        rng.shuffle(head)
        rng.shuffle(tail)
        return [news[0], *head, *tail]

    def _text(self, outlet: tuple[str, str, list[str], list[str]], paragraphs: list[str]) -> str:
        _, _, headers, footers = outlet
        return "\n\n".join([*headers, *paragraphs, *footers])

    def _length(self) -> int:
        return int(self.rng.triangular(190, 950, 400))  # about 550 words with the rest

    def story(self, label: str, size: int) -> list[dict[str, Any]]:
        """The ``size`` articles of one story, its wire original first."""
        rng = self.rng
        slots = self._slots()
        named = slots | _SYNONYM_SLOTS
        filled = [
            (text.format_map(named), options)
            for text, options in rng.sample(_FACTS, k=self._int(6, len(_FACTS)))
        ]
        speakers = [f"{slots['person']}, {slots['role']} of the {slots['org']},", slots["last"]]
        quotes = [
            f'"{q.format_map(slots)}," {speakers[min(i, 1)]} {rng.choice(_SAID)}.'
            for i, q in enumerate(rng.sample(_QUOTE_TEMPLATES, k=self._int(1, 3)))
        ]
        titles = [t.format_map(slots) for t in rng.sample(_TITLE_TEMPLATES, k=3)]
        day = rng.randrange(365)
        first = rng.choice(self.wires if size > 1 else self.outlets)
        original = self._body([self._render(f, False) for f in filled], quotes, self._length())
        out = [self._article(label, first, titles[0], original, day)]
        for _ in range(size - 1):
            outlet = rng.choice(self.outlets)
            kind = rng.random()
            title = titles[0]
            if kind < 0.3:  # wire copy: same body, sometimes cut from the bottom
                cut = rng.choice((0, 0, 1, 2)) if len(original) > 6 else 0
                paragraphs = original[: len(original) - cut]
                if rng.random() < 0.3:
                    title = f"{title} | {outlet[1]}"
            elif kind < 0.55:  # reprint with edits: paragraphs dropped, new filler added
                paragraphs = [original[0], *(p for p in original[1:] if rng.random() > 0.15)]
                for para in self._fill(self._int(30, 120), 0):
                    paragraphs.insert(self._int(1, len(paragraphs)), para)
                if rng.random() < 0.5:
                    title = titles[1]
            else:  # rewrite: a subset of the facts, reworded, reordered, other filler
                chosen = [filled[0], *rng.sample(filled[1:], k=self._int(2, len(filled) - 1))]
                facts = [self._render(f, True) for f in chosen]
                shared = rng.sample(quotes, k=self._int(1, len(quotes)))
                paragraphs = self._body(facts, shared, self._length())
                title = titles[self._int(1, 2)]
            out.append(self._article(label, outlet, title, paragraphs, day + self._int(0, 3)))
        return out

    def _article(
        self,
        label: str,
        outlet: tuple[str, str, list[str], list[str]],
        title: str,
        paragraphs: list[str],
        day: int,
    ) -> dict[str, Any]:
        article: dict[str, Any] = {
            "id": "",
            "title": title,
            "text": self._text(outlet, paragraphs),
            "date": self.dates[day],
            "source": outlet[0],
        }
        if self.labels:
            article["cluster"] = label
        return article

    def story_size(self) -> int:
        """Many singletons; the rest 2-30 articles, small ones most often."""
        rng = self.rng
        if rng.random() < 0.6:
            return 1
        return 2 + int(29 * rng.random() ** 3)


def iter_articles(n: int, seed: int = 1, *, labels: bool = False) -> Iterator[dict[str, Any]]:
    """``n`` synthetic articles, deterministic for ``seed``, generated a chunk at a time.

    Articles of a story are shuffled among the other stories of their chunk; ids are
    ``"synth-0000000"`` upwards in output order. ``labels=True`` adds the story as ``"cluster"``.
    """
    gen = _Generator(seed, labels)
    written = 0
    stories = 0
    while written < n:
        chunk: list[dict[str, Any]] = []
        while len(chunk) < min(CHUNK, n - written):
            size = min(gen.story_size(), n - written - len(chunk))
            chunk += gen.story(f"story-{stories}", size)
            stories += 1
        gen.rng.shuffle(chunk)
        for article in chunk:
            article["id"] = f"synth-{written:07d}"
            written += 1
            yield article


def _open_for_writing(path: Path) -> IO[str]:
    """A text stream to ``path``, gzipped at level 1 for ``.gz`` (higher levels would dominate
    the run time for little gain)."""
    if path.suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8", compresslevel=1)
    return path.open("w", encoding="utf-8")


def write_corpus(path: str | Path, n: int, seed: int = 1, *, labels: bool = False) -> Path:
    """Write ``n`` articles as JSON lines to ``path`` (gzipped when it ends in ``.gz``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open_for_writing(path) as stream:
        dumps = json.dumps
        lines: list[str] = []
        for article in iter_articles(n, seed, labels=labels):
            lines.append(dumps(article))
            if len(lines) >= CHUNK:
                stream.write("\n".join(lines) + "\n")
                lines.clear()
        if lines:
            stream.write("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20_000, help="articles (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "-o", "--out", type=Path, required=True, help="output .jsonl or .jsonl.gz file"
    )
    parser.add_argument("--labels", action="store_true", help="add the story as 'cluster'")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("--n must be at least 0")
    start = time.perf_counter()
    write_corpus(args.out, args.n, args.seed, labels=args.labels)
    seconds = time.perf_counter() - start
    size = args.out.stat().st_size / 2**20
    print(
        f"wrote {args.n:,} articles ({size:.1f} MiB) to {args.out} in {seconds:.2f} s "
        f"({args.n / max(seconds, 1e-9):,.0f} articles/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
