"""The coverage ledger's records, kept in the state by every run: how each listed article's
request ended, and per site and day the requests, full downloads, 304s and revisits.

Which articles the site listed is recorded by the frontier as discovery reads them; the datasets
say what was captured. ``newscrawl coverage`` (newscrawl/tools/coverage.py) puts the three together.
"""

from __future__ import annotations

from datetime import timedelta

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newscrawl.article.clock import crawl_clock
from newscrawl.article.dates import AMSTERDAM, instant
from newscrawl.crawl import signals as crawl_signals
from newscrawl.crawl.outcomes import Outcome
from newscrawl.extract.urls import link_key
from newscrawl.state import store_for

#: the day's counters, from the run's stats
DAILY = {
    "requests": "downloader/request_count",
    "fetched": "incremental/fetched",
    "not_modified": "incremental/not_modified",
    "revisits": "revisit/requested",
}


def silence_problems(crawler: Crawler, site: str) -> list[str]:
    """``coverage: silent since …`` when the site has published nothing for much longer than its
    usual gap at that hour of the day (learned from its last SILENCE_HISTORY publications), or when
    every feed this run read was empty."""
    settings, stats = crawler.settings, crawler.stats
    problems = []
    if (
        stats.get_value("discovery/feeds_read", 0)
        and not stats.get_value("discovery/feed_links", 0)
        and not stats.get_value("discovery/links_found", 0)
    ):
        problems.append(
            f"coverage: every feed read was empty ({stats.get_value('discovery/feeds_read')} feeds) "
            "and no other discovery source listed an article"
        )
    factor = settings.getfloat("SILENCE_FACTOR")
    if not factor:
        return problems
    published = sorted(
        filter(None, map(instant, store_for(crawler).recent_publications(site, settings.getint("SILENCE_HISTORY"))))
    )
    if len(published) < settings.getint("SILENCE_MIN_HISTORY"):
        return problems  # too little history to know what is usual
    newest = published[-1]
    quiet = crawl_clock(crawler).now() - newest
    hour = newest.astimezone(AMSTERDAM).hour
    gaps = list(zip(published, published[1:]))
    # The longest gap the site left starting near this hour of the day, else at any hour.
    near = [b - a for a, b in gaps if abs(a.astimezone(AMSTERDAM).hour - hour) % 23 <= 1]
    usual = max(near or [b - a for a, b in gaps])
    limit = max(usual * factor, timedelta(hours=settings.getfloat("SILENCE_MIN_HOURS")))
    if quiet > limit:
        problems.append(
            f"coverage: silent since {newest.astimezone(AMSTERDAM).isoformat()} "
            f"({quiet.total_seconds() / 3600:.1f} h without a new article listed; its longest gap at that hour "
            f"was {usual.total_seconds() / 3600:.1f} h): are its feeds stale, or is the crawler blocked?"
        )
    return problems


class CoverageLedger:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CoverageLedger:
        extension = cls(crawler)
        crawler.signals.connect(extension.url_finished, signal=crawl_signals.url_finished)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def url_finished(self, url: str, outcome: Outcome) -> None:
        key = link_key(url)
        if key is not None and outcome.kind != "discovery":
            store_for(self.crawler).record_outcome(key, str(outcome), crawl_clock(self.crawler).iso())

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        counts = {name: stats.get_value(source, 0) for name, source in DAILY.items()}
        if any(counts.values()):
            day = crawl_clock(self.crawler).now().astimezone(AMSTERDAM).date().isoformat()
            store_for(self.crawler).add_daily(spider.name, day, counts)
