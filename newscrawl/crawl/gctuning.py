"""Extension: fewer garbage-collector passes during a crawl (``GC_THRESHOLDS``).

CPython starts a young-generation collection every 700 allocations, and every tenth of those
looks at older objects too. A crawl allocates a few thousand short-lived objects per article
(selectors, loader values, requests), while its long-lived objects (the URL ledger, the
fingerprints, the imported modules) only grow, so the collector ran tens of times per article and
its older passes cost more as the run grew. At spider open this freezes what start-up built
(modules, settings, the site registry: never garbage) and raises the thresholds. Cyclic garbage
waits a little longer; the parsed trees, the big allocations, are freed without the collector
(ReleaseParsedTreeMiddleware). ``GC_THRESHOLDS = None`` keeps Python's defaults.
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class GcTuning:
    def __init__(self, thresholds: tuple[int, ...]):
        self.thresholds = thresholds
        self.previous = gc.get_threshold()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GcTuning:
        thresholds = crawler.settings.getlist("GC_THRESHOLDS")
        if not thresholds:
            raise NotConfigured
        extension = cls(tuple(int(value) for value in thresholds))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider) -> None:
        gc.freeze()
        gc.set_threshold(*self.thresholds)

    def spider_closed(self, spider) -> None:
        gc.set_threshold(*self.previous)
        gc.unfreeze()
