"""Realistic dataset lines at any count, generated streaming: the fixtures' expected articles of
NU.nl, NOS and WNL (every field a crawl writes: authors, images, related links, metadata) given new
ids, dates and text, about 3 KB a line, 10 % of articles revised later and 1 % withdrawn.

Lines come in the order a crawl appends them (by download time); a revision or a withdrawal lands
hours to days after its article. Every line is valid against the schema.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_articles import Generator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = {
    "nu": "tests/fixtures/nu/expected/article_6400101_zwembad.json",
    "nos": "tests/fixtures/nos/expected/article_2561001.json",
    "wnl": "tests/fixtures/wnl/expected/post_500101_kerncentrales.json",
}
AMSTERDAM_SUMMER = "+02:00"
REVISED = 0.10
WITHDRAWN = 0.01


def _templates() -> dict[str, dict]:
    return {site: json.loads((ROOT / path).read_text("utf-8")) for site, path in TEMPLATES.items()}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lines(count: int, seed: int = 7) -> Iterator[dict]:
    """``count`` lines in download order."""
    generator = Generator(seed)
    rng = generator.random
    templates = _templates()
    now = datetime(2022, 1, 1, 6, tzinfo=UTC)
    numbers = {"nu": 6_000_000, "nos": 2_000_000, "wnl": 400_000}
    later: list[tuple[datetime, int, dict]] = []  # revisions and withdrawals due, by download time
    made = sequence = 0
    while made < count:
        now += timedelta(seconds=rng.expovariate(1 / 57.6))
        while later and later[0][0] <= now and made < count:
            yield later.pop(0)[2]
            made += 1
        if made >= count:
            break
        site = rng.choice(("nu", "nos", "wnl"))
        numbers[site] += 1
        item = _article(templates[site], site, numbers[site], generator, now)
        yield item
        made += 1
        roll = rng.random()
        if roll < REVISED + WITHDRAWN:
            sequence += 1
            due = now + timedelta(minutes=rng.randint(30, 4 * 24 * 60))
            follow = _revision(item, generator, due) if roll < REVISED else _withdrawal(item, due)
            later.append((due, sequence, follow))
            later.sort(key=lambda entry: (entry[0], entry[1]))


def _article(template: dict, site: str, number: int, generator: Generator, now: datetime) -> dict:
    item = copy.deepcopy(template)
    story = generator.story()
    published = (now - timedelta(minutes=generator.random.randint(2, 90))).astimezone(UTC)
    local = published.replace(tzinfo=None) + timedelta(hours=2)
    old_id = item["articleId"]
    for name in ("url", "canonicalUrl"):
        if name in item:
            item[name] = item[name].replace(old_id, str(number))
    item["articleId"] = str(number)
    item.update(story)
    item["datePublished"] = local.strftime("%Y-%m-%dT%H:%M:%S") + AMSTERDAM_SUMMER
    item["datePublishedRaw"] = local.strftime("%d-%m-%Y %H:%M")
    if "dateModified" in item:
        item["dateModified"] = item["datePublished"]
    item["wordCount"] = len(story["articleBody"].split())
    metadata = item["metadata"]
    metadata["dateDownloaded"] = _utc(now)
    metadata["contentHash"] = _hash(item)
    metadata["revision"] = 1
    return item


def _revision(item: dict, generator: Generator, due: datetime) -> dict:
    revised = copy.deepcopy(item)
    paragraphs = revised["articleBody"].split("\n\n")
    paragraphs.append(generator.paragraph())
    revised["articleBody"] = "\n\n".join(paragraphs)
    revised["wordCount"] = len(revised["articleBody"].split())
    local = due.replace(tzinfo=None) + timedelta(hours=2)
    revised["dateModified"] = local.strftime("%Y-%m-%dT%H:%M:%S") + AMSTERDAM_SUMMER
    metadata = revised["metadata"]
    metadata["dateDownloaded"] = _utc(due)
    metadata["revision"] = 2
    metadata["contentHash"] = _hash(revised)
    return revised


def _withdrawal(item: dict, due: datetime) -> dict:
    key = f"{item['site']}:{item['articleId']}"
    return {
        "url": item["url"],
        "canonicalUrl": item["canonicalUrl"],
        "site": item["site"],
        "articleId": item["articleId"],
        "metadata": {
            "dateDownloaded": _utc(due),
            "contentHash": hashlib.sha256(f"{key}\x1fwithdrawn".encode()).hexdigest(),
            "schemaVersion": item["metadata"]["schemaVersion"],
            "discoveredVia": "revisit",
            "withdrawn": _utc(due),
            "httpStatus": 410,
            "revision": 2,
        },
    }


def _hash(item: dict) -> str:
    text = "\x1f".join(str(item.get(name, "")) for name in ("headline", "description", "articleBody"))
    return hashlib.sha256(text.encode()).hexdigest()


def write(path: Path, count: int, seed: int = 7) -> None:
    """The dataset file of ``count`` lines (json.dumps as the crawl's exporter writes them)."""
    with path.open("w", encoding="utf-8") as stream:
        for item in lines(count, seed):
            stream.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    for item in lines(int(sys.argv[1])):
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
