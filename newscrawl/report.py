"""The run's stats as a JSON file (``-s STATS_FILE=output/nu.stats.json``), for tools and tests."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class StatsFile:
    def __init__(self, crawler: Crawler, path: str):
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = crawler.settings.get("STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, path)
        # spider_closed fires after the stats collector has set finish_reason/finish_time.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {key: value.isoformat() if isinstance(value, datetime) else value for key, value in self.crawler.stats.get_stats().items()}
        stats["finish_reason"] = reason
        path = Path(self.path % {"name": spider.name})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stats, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
