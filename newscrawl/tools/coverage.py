"""The coverage ledger: per site and day (Amsterdam), what the site listed, what the datasets hold,
what is missing and why, how many versions, revisits and 304s, and how late articles were captured.

Computed from the state (what discovery listed, how each listed article's last request ended,
each day's requests: newscrawl/run/coverage.py) and the datasets (what was captured, when).
An article's day is its publication day (the dataset's datePublished, else the listing's hint,
else the day it was first listed); requests, revisits and 304s count on the day they were made.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from newscrawl.article.dates import AMSTERDAM, instant
from newscrawl.crawl.outcomes import Outcome
from newscrawl.tools.dataset import Record
from newscrawl.tools.present import as_dict


@dataclass
class Captured:
    """What the datasets hold of one article: kept small (one per article in the window)."""

    published: datetime | None = None
    first_capture: datetime | None = None
    versions: int = 0
    withdrawn: bool = False
    whole: bool = False  # a version holds the whole article (not only a paywalled preview)


@dataclass
class Day:
    listed: int = 0
    captured: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    versions: int = 0
    withdrawn: int = 0
    previews: int = 0  # captured articles held only as paywalled previews
    latencies: list[float] = field(default_factory=list)  # minutes from datePublished to first capture
    requests: int = 0
    fetched: int = 0
    not_modified: int = 0
    revisits: int = 0

    def as_dict(self, site: str, day: str) -> dict:
        ordered = sorted(self.latencies)

        def percentile(share: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1) if ordered else None

        return {
            "site": site,
            "day": day,
            "listed": self.listed,
            "captured": self.captured,
            "missing": sum(self.missing.values()),
            "missingBy": dict(sorted(self.missing.items())),
            "versions": self.versions,
            "withdrawn": self.withdrawn,
            "previewOnly": self.previews,
            "latencyMinutes": {"p50": percentile(0.5), "p95": percentile(0.95)},
            "requests": self.requests,
            "fullDownloads": self.fetched,
            "notModified": self.not_modified,
            "revisits": self.revisits,
        }


def _day(value: datetime | None) -> str | None:
    return value.astimezone(AMSTERDAM).date().isoformat() if value else None


def captured_articles(records: Iterable[Record], site: str | None) -> dict[str, Captured]:
    """Per article key, what the datasets hold of it."""
    articles: dict[str, Captured] = defaultdict(Captured)
    for record in records:
        item = record.item
        if site and item.get("site") != site:
            continue
        key = f"{item.get('site')}:{item.get('articleId')}"
        metadata = as_dict(item.get("metadata"))
        article = articles[key]
        if "withdrawn" in metadata:
            article.withdrawn = True
            continue
        article.versions += 1
        article.whole = article.whole or item.get("isAccessibleForFree") is not False
        article.published = article.published or instant(item.get("datePublished"), AMSTERDAM)
        downloaded = instant(metadata.get("dateDownloaded"), AMSTERDAM)
        if downloaded and (article.first_capture is None or downloaded < article.first_capture):
            article.first_capture = downloaded
    return articles


def _reason(outcome: str | None) -> str:
    """Why a listed article is not in the datasets, in the words of the ledger."""
    try:
        told = Outcome.parse(outcome) if outcome else None
    except ValueError:
        return f"unknown outcome {outcome!r}"
    if told is None or told.kind == "not_requested":
        return "not fetched yet"
    if told.kind in ("failure", "skipped"):
        return f"{'failed' if told.kind == 'failure' else 'skipped'}: {told.reason}"
    if told.kind == "reject":
        return "rejected (invalid item)"
    return "not in these datasets"  # emitted or unchanged, into another file


def ledger(state: Path, records: Iterable[Record], site: str | None = None, since: date | None = None) -> list[dict]:
    """The coverage rows, by site and day."""
    articles = captured_articles(records, site)
    days: dict[tuple[str, str], Day] = defaultdict(Day)
    listed_keys: set[str] = set()
    with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True)) as db:
        prefix = (f"{site}:", f"{site};") if site else ("", "\uffff")
        rows = db.execute(
            "SELECT article_key, published, first_listed, outcome FROM listed WHERE article_key >= ? AND article_key < ?",
            prefix,
        )
        for key, published, first_listed, outcome in rows:
            if key.startswith("@"):
                continue
            listed_keys.add(key)
            held = articles.get(key)
            when = (
                (held.published if held else None) or instant(published, AMSTERDAM) or instant(first_listed, AMSTERDAM)
            )
            day = days[(key.split(":", 1)[0], _day(when) or "?")]
            day.listed += 1
            if held is None or not held.versions:
                day.missing[_reason(outcome)] += 1
        daily = db.execute(
            "SELECT site, day, requests, fetched, not_modified, revisits FROM daily"
            + (" WHERE site = ?" if site else ""),
            (site,) if site else (),
        )
        for name, day_name, requests, fetched, not_modified, revisits in daily:
            day = days[(name, day_name)]
            day.requests, day.fetched, day.not_modified, day.revisits = requests, fetched, not_modified, revisits
    for key, held in articles.items():
        if not held.versions and not held.withdrawn:
            continue
        day = days[(key.split(":", 1)[0], _day(held.published or held.first_capture) or "?")]
        if held.versions:
            day.captured += 1
            day.previews += not held.whole
            day.versions += held.versions
            if held.published and held.first_capture:
                day.latencies.append((held.first_capture - held.published).total_seconds() / 60)
        day.withdrawn += held.withdrawn
    return [
        value.as_dict(name, day_name)
        for (name, day_name), value in sorted(days.items())
        if since is None or day_name == "?" or day_name >= since.isoformat()
    ]
