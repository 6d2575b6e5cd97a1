"""Synthetic news articles for the cluster benchmarks: Dutch-like text with Zipf word frequencies,
and the copies agencies cause (verbatim, lightly edited), at any count, generated streaming.

A vocabulary of common Dutch words and made-up content words is drawn with Zipf frequencies, so
two different stories share their function words but almost none of their five-word runs, as
real stories do. Each story appears on one site; a share of them (agency copy) again on others,
verbatim or lightly edited, within hours.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate

FUNCTION_WORDS = (
    "de het een en van in is dat op te zijn met voor niet aan er om ook als bij door maar dan uit nog "
    "naar over wordt worden heeft hebben was werd die deze dit wel meer al zich kan moet zegt volgens "
    "na tegen tot onder sinds jaar week dag minister kabinet gemeente politie twee drie procent euro"
).split()
SYLLABLES = "ba be bo bra de di do ge go ka ke ko la le lo ma me mo na ne no pa pe po ra re ro sa se so ta te to va ve vo wa we zo".split()
SITES = ("nu", "nos", "wnl")


class Generator:
    def __init__(self, seed: int = 1, vocabulary: int = 30_000):
        self.random = random.Random(seed)
        made_up = {
            "".join(self.random.choice(SYLLABLES) for _ in range(self.random.randint(2, 4))) for _ in range(vocabulary)
        }
        self.vocabulary = list(FUNCTION_WORDS) + sorted(made_up)
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(self.vocabulary))]
        self.cumulative = list(accumulate(weights))

    def sentence(self) -> str:
        words = self.random.choices(self.vocabulary, cum_weights=self.cumulative, k=self.random.randint(9, 22))
        return " ".join(words).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.random.randint(2, 4)))

    def story(self, paragraphs: int | None = None) -> dict:
        count = paragraphs or self.random.randint(4, 9)
        return {
            "headline": self.sentence().rstrip("."),
            "description": self.sentence(),
            "articleBody": "\n\n".join(self.paragraph() for _ in range(count)),
        }

    def lightly_edited(self, story: dict) -> dict:
        """What a desk does to agency copy: its own headline, a sentence reworded, the last paragraph
        cut, a paragraph of its own added."""
        paragraphs = story["articleBody"].split("\n\n")
        if len(paragraphs) > 3:
            paragraphs = paragraphs[:-1]
        first = paragraphs[0].split(". ")
        first[0] = self.sentence().rstrip(".")
        paragraphs[0] = ". ".join(first)
        paragraphs.insert(len(paragraphs) // 2, self.paragraph())
        return {**story, "headline": self.sentence().rstrip("."), "articleBody": "\n\n".join(paragraphs)}


def line(site: str, number: int, text: dict, published: datetime, revision: int = 1) -> dict:
    when = published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "url": f"https://{site}.test/artikel/{number}",
        "canonicalUrl": f"https://{site}.test/artikel/{number}",
        "site": site,
        "articleId": str(number),
        "articleType": "NewsArticle",
        **text,
        "agencies": [],
        "datePublished": published.isoformat(),
        "inLanguage": "nl",
        "wordCount": len(text["articleBody"].split()),
        "relatedUrls": [],
        "metadata": {"dateDownloaded": when, "revision": revision, "schemaVersion": "1.6"},
    }


def articles(
    count: int, seed: int = 1, copied: float = 0.25, start: datetime | None = None
) -> Iterator[tuple[dict, int]]:
    """``count`` article lines in publication order (about 1,500 a day over the three sites), each
    with the number of its story: a share ``copied`` of the stories runs again on another site
    (half verbatim, half lightly edited) within six hours, credited to ANP."""
    generator = Generator(seed)
    now = start or datetime(2023, 1, 1, 6, tzinfo=UTC)
    numbers = dict.fromkeys(SITES, 1_000_000 * seed)
    pending: list[tuple[datetime, str, dict, int]] = []
    made = stories = 0
    while made < count:
        now += timedelta(seconds=generator.random.expovariate(1 / 57.6))
        while pending and pending[0][0] <= now and made < count:
            when, site, text, story_number = pending.pop(0)
            numbers[site] += 1
            yield line(site, numbers[site], text, when) | {"agencies": ["ANP"]}, story_number
            made += 1
        if made >= count:
            break
        site = generator.random.choice(SITES)
        story = generator.story()
        stories += 1
        numbers[site] += 1
        copy = generator.random.random() < copied
        yield line(site, numbers[site], story, now) | ({"agencies": ["ANP"]} if copy else {}), stories
        made += 1
        if copy:
            other = generator.random.choice([s for s in SITES if s != site])
            text = story if generator.random.random() < 0.5 else generator.lightly_edited(story)
            pending.append((now + timedelta(minutes=generator.random.randint(5, 360)), other, text, stories))
            pending.sort(key=lambda entry: entry[0])


if __name__ == "__main__":
    import sys

    for item, _ in articles(int(sys.argv[1])):
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
