"""Scrapy's own floor for a crawl of a WARC: the engine, a trivial callback and the JSONL export.

    scrapy runspider benchmarks/engine_floor.py -s FLOOR_WARC=nu-1000-30k.warc.gz -s FLOOR_MARK=/70 -O floor.jsonl

The whole WARC is read into a dict before the spider opens, a downloader middleware answers
every request from it, and the callback yields ``{"url": response.url}``: what is left is what
Scrapy itself spends per page (scheduler, downloader, middlewares, signals, export).

``CpuClock`` (also added to the project's crawls by benchmarks/run.py) stores the process's CPU
seconds between spider_opened and spider_closed in the stats (``cpu/crawl_s``) and, with
``-s CPU_CLOCK_FILE=…``, in a JSON file; loading the dict or the replay index before the crawl is
not counted.
"""

from __future__ import annotations

import json
import time

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse, Response
from warcio.archiveiterator import ArchiveIterator


class CpuClock:
    def __init__(self, crawler):
        self.crawler, self.started = crawler, 0.0
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        self.started = time.process_time()

    def closed(self, spider, reason):
        cpu = time.process_time() - self.started
        self.crawler.stats.set_value("cpu/crawl_s", cpu)
        if self.crawler.settings.get("CPU_CLOCK_FILE"):
            items = self.crawler.stats.get_value("item_scraped_count", 0)
            with open(self.crawler.settings["CPU_CLOCK_FILE"], "w") as out:
                json.dump({"cpu_s": cpu, "items": items}, out)


class DictReplay:
    """Every response of the WARC from memory."""

    def __init__(self, path: str):
        self.pages: dict[str, tuple[int, list, bytes]] = {}
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    http = record.http_headers
                    self.pages[record.rec_headers.get_header("WARC-Target-URI")] = (
                        int(http.get_statuscode()),
                        http.headers,
                        record.content_stream().read(),
                    )

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings["FLOOR_WARC"])

    def process_request(self, request, spider=None) -> Response:
        status, headers, body = self.pages[request.url]
        return HtmlResponse(request.url, status=status, headers=headers, body=body, request=request)


class FloorSpider(scrapy.Spider):
    name = "floor"
    custom_settings = {
        "DOWNLOADER_MIDDLEWARES": {"engine_floor.DictReplay": 1},
        "EXTENSIONS": {"engine_floor.CpuClock": 0},
        "LOG_LEVEL": "WARNING",
    }

    async def start(self):
        replay = next(m for m in self.crawler.engine.downloader.middleware.middlewares if isinstance(m, DictReplay))
        mark = self.settings["FLOOR_MARK"]
        for url in sorted(replay.pages):
            if mark in url:
                yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        yield {"url": response.url}
