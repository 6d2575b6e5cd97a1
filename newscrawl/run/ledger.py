"""Every URL the crawl discovered ends in exactly one outcome, and the run says which.

Outcomes (:class:`newscrawl.crawl.outcomes.Outcome`, written ``kind:reason``):

* ``item``                      an article item was emitted
* ``reject``                    the item failed validation (see the rejects file)
* ``duplicate``                 the item was already emitted (dedup), or the request was a duplicate
* ``not_modified``              304 to a conditional request
* ``skipped:<reason>``          fetched, not an article (video, consent_wall, tdm_reserved, not_html …)
* ``not_requested:<reason>``    discovered but deliberately not fetched (before_since, max_articles, unchanged)
* ``discovery``                 a feed, sitemap, listing or API page that was read
* ``failure:<reason>``          http_404, offsite, timeout, dns, ignored, … (with the error)

A URL is keyed by the first URL of its request (redirects keep it). Requests still open when the
crawl ends (a shutdown) are reported as unaccounted. The summary lands in the manifest and stats.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from newscrawl.crawl import signals as crawl_signals
from newscrawl.crawl.outcomes import (
    DISCOVERY,
    DUPLICATE,
    ITEM,
    NOT_MODIFIED,
    REJECT,
    DuplicateItem,
    Outcome,
    request_key,
)
from newscrawl.extract.requestinfo import info

# Keep the report readable on a big crawl: all counts, but at most this many failures listed.
MAX_LISTED_FAILURES = 1000


class UrlLedger:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.requested: set[str] = set()
        self.discovery_urls: set[str] = set()  # feeds, sitemaps, listings, APIs: not articles
        self.outcomes: dict[str, Outcome] = {}
        self.failures: list[dict[str, Any]] = []
        # Called with (url, outcome) once per URL (newscrawl.cluster.distributed marks it done in the run).
        self.listeners: list = []
        # Distributed: a request this worker schedules may be taken by another worker, so this
        # ledger counts the requests it took from the shared frontier instead. Set by the cluster
        # (newscrawl.cluster.distributed.Cluster) when the spider opens, before any request.
        self.distributed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlLedger:
        ledger = cls(crawler)
        crawler.signals.connect(ledger.url_resolved, signal=crawl_signals.url_resolved)
        crawler.signals.connect(ledger.request_taken, signal=crawl_signals.request_taken)
        crawler.signals.connect(ledger.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ledger.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(ledger.response_received, signal=signals.response_received)
        crawler.signals.connect(ledger.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ledger.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ledger.spider_closed, signal=signals.spider_closed)
        return ledger

    # --- what happened ------------------------------------------------------
    def url_resolved(self, url: str, outcome: Outcome, detail: str = "") -> None:
        self.resolve(url, outcome, detail)

    def resolve(self, url: str, outcome: Outcome, detail: str = "") -> None:
        """The outcome of a URL; the first one stands (a redirect's later failure does not overwrite an item).
        Sends ``url_finished`` for it (newscrawl.cluster.distributed marks the URL done in the run)."""
        if url in self.outcomes:
            return
        self.outcomes[url] = outcome
        self.crawler.signals.send_catch_log(crawl_signals.url_finished, url=url, outcome=outcome)
        if outcome.kind == "failure" and len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append({"url": url, "reason": outcome.reason, "detail": detail[:500]})

    def request_scheduled(self, request: Request, spider) -> None:
        if info(request).discovery:
            self.discovery_urls.add(request_key(request))
        if not self.distributed:
            self.requested.add(request_key(request))

    def request_taken(self, request: Request) -> None:
        self.requested.add(request_key(request))

    def request_dropped(self, request: Request, spider) -> None:
        # The scheduler's dupefilter: another request for the same article is already done or queued.
        self.resolve(request_key(request), DUPLICATE, "duplicate request")

    def response_received(self, response: Response, request: Request, spider) -> None:
        # A discovery page that answered 200 was read, a 304 had nothing new; error statuses end in
        # the errback as failures.
        if info(request).discovery and response.status in (200, 304):
            self.resolve(request_key(request), DISCOVERY if response.status == 200 else NOT_MODIFIED)

    def item_scraped(self, item, response: Response, spider) -> None:
        if response is not None:
            self.resolve(request_key(response.request), ITEM)

    def item_dropped(self, item, response: Response, exception, spider) -> None:
        if response is None:
            return
        self.resolve(
            request_key(response.request),
            DUPLICATE if isinstance(exception, DuplicateItem) else REJECT,
            str(exception),
        )

    # --- the report ---------------------------------------------------------
    def unaccounted(self) -> list[str]:
        return sorted(self.requested - self.outcomes.keys())

    def report(self) -> dict[str, Any]:
        counts = Counter(outcome.kind for outcome in self.outcomes.values())
        detailed = Counter(str(outcome) for outcome in self.outcomes.values())
        unaccounted = self.unaccounted()
        return {
            "urls": len(self.outcomes.keys() | self.requested),
            "outcomes": dict(sorted(counts.items())),
            "outcomeDetails": dict(sorted(detailed.items())),
            "unaccounted": unaccounted[:MAX_LISTED_FAILURES],
            "unaccountedCount": len(unaccounted),
            "failures": self.failures,
        }

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats
        report = self.report()
        stats.set_value("ledger/urls", report["urls"])
        stats.set_value("ledger/unaccounted", report["unaccountedCount"])
        for outcome, count in report["outcomes"].items():
            stats.set_value(f"ledger/{outcome}", count)
        if report["unaccountedCount"]:
            spider.logger.warning(
                "%d URLs have no outcome (crawl ended early?): %s",
                report["unaccountedCount"],
                ", ".join(report["unaccounted"][:5]),
            )
