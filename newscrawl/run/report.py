"""The run's outcome: a summary line in the log, ``run/*`` stats, and optionally all stats as JSON.

``run/fetched``            article pages downloaded in full
``run/not_modified``       article requests answered 304 (validators of the last fetch)
``run/unchanged_skipped``  articles not requested at all: their sitemap/API lastmod had not moved
``run/new`` / ``run/revised``  items emitted as a first version / as a changed version
``run/revisits``           captured articles requested again on their revisit schedule
``run/withdrawn``          withdrawal lines: captured articles seen gone for the first time
``-s STATS_FILE=output/%(name)s.stats.json`` writes every stat of the run as JSON.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newscrawl.crawl.feeds import run_time

logger = logging.getLogger(__name__)

SUMMARY = {
    "run/fetched": "incremental/fetched",
    "run/not_modified": "incremental/not_modified",
    "run/unchanged_skipped": "incremental/unchanged_skipped",
    "run/new": "dedup/new",
    "run/revised": "dedup/revised",
    "run/revisits": "revisit/requested",
    "run/withdrawn": "dedup/withdrawn",
}


class RunReport:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("STATS_FILE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        report = cls(crawler)
        # spider_closed fires after the stats collector has set finish_reason/finish_time.
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        return report

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats
        for name, source in SUMMARY.items():
            stats.set_value(name, stats.get_value(source, 0))
        logger.info(
            "Run summary: %s requests, %s",
            stats.get_value("downloader/request_count", 0),
            ", ".join(f"{name.split('/')[1]}={stats.get_value(name)}" for name in SUMMARY),
        )
        if self.path:
            values = {
                key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in stats.get_stats().items()
            }
            values["finish_reason"] = reason
            # %(time)s as Scrapy formats it in feed URIs, taken at the start of the run.
            path = Path(self.path % {"name": spider.name, "time": run_time(stats)})
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
