"""Incremental crawls: articles that cannot have changed cost no download.

Two mechanisms, both per article, both kept in the state store (``fetches``):

* a discovery ``lastmod`` (sitemap ``<lastmod>``, WordPress API ``modified_gmt``) equal to the
  one seen at the last fetch means the article has not changed: the spider does not request it
  (``incremental/unchanged_skipped``);
* otherwise the request carries the validators of the last fetch (``If-None-Match``,
  ``If-Modified-Since``); a ``304 Not Modified`` ends there (``incremental/not_modified``).

Discovery pages (feeds, sitemaps, listings, APIs) carry the validators of their last read too,
kept only when that run settled every article it found; a 304 means nothing new there.

A fetch is recorded only once its item has been emitted or found unchanged by dedup: an item
that was rejected is fetched again next time. ``INCREMENTAL = False`` turns all of it off.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cached_property
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newscrawl.article.clock import crawl_clock
from newscrawl.crawl import signals as crawl_signals
from newscrawl.crawl.durability import flush_feeds
from newscrawl.crawl.outcomes import DuplicateItem, Outcome
from newscrawl.crawl.revisits import GONE_STATUSES, after_visit, schedule
from newscrawl.extract.requestinfo import info, response_info
from newscrawl.extract.urls import link_key
from newscrawl.state import FetchRecord, store_for

logger = logging.getLogger(__name__)


def enabled(settings) -> bool:
    """INCREMENTAL: lastmod skipping, conditional requests, revisits and the discovery pages' validators."""
    return settings.getbool("INCREMENTAL")


class ConditionalRequestMiddleware:
    """Downloader middleware: validators on article requests, 304s counted and handed to the spider."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.discovery_read: dict[str, Any] = {}  # discovery URL → headers of its 200, kept at the run's end
        self.failed = False  # an article request of this run failed: it must be retried

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        if not enabled(crawler.settings):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.item_done, signal=signals.item_scraped)
        crawler.signals.connect(middleware.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.url_resolved, signal=crawl_signals.url_resolved)
        return middleware

    @cached_property
    def revisit_hours(self) -> list[float]:
        """REVISIT_AFTER_HOURS, read once (when the first article is recorded)."""
        return schedule(self.crawler)

    @property
    def store(self):
        return store_for(self.crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("playwright"):
            return None
        if info(request).discovery:
            if not info(request).conditional:
                return None
            return self._conditional(request, self.store.get_fetch(discovery_key(request.url)))
        key = info(request).article_key
        if not key:
            return None
        record = self.store.get_fetch(key)
        if record is None:
            return None
        # A captured article that now answers 404/410 is a withdrawal for the spider to record, not
        # a failure; a redirect of it is followed even to a section page this run has read already.
        request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", []), *GONE_STATUSES]
        request.dont_filter = True
        return self._conditional(request, record)

    def _conditional(self, request: Request, record: FetchRecord | None) -> None:
        if record is None:
            return None
        if record.etag:
            request.headers.setdefault(b"If-None-Match", record.etag.encode("latin-1"))
        if record.last_modified:
            request.headers.setdefault(b"If-Modified-Since", record.last_modified.encode("latin-1"))
        if record.etag or record.last_modified:
            # Let the 304 reach the spider instead of being filtered as an HTTP error.
            request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", []), 304]
            self.stats.inc_value("incremental/conditional_requests")
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if info(request).discovery:
            if response.status == 304:
                self.stats.inc_value("incremental/discovery_not_modified")
            elif response.status == 200 and (response.headers.get(b"ETag") or response.headers.get(b"Last-Modified")):
                self.discovery_read[request.url] = response.headers
            return response
        key = info(request).article_key
        if key:
            if info(request).revisit:
                self.stats.inc_value(f"revisit/status/{response.status}")
            if response.status == 304:
                self.stats.inc_value("incremental/not_modified")
                after_visit(self.crawler, self.revisit_hours, key, self.store.get_fetch(key))
            elif response.status == 200:
                self.stats.inc_value("incremental/fetched")
        return response

    def _record(self, item, response: Response | None) -> None:
        if response is None:
            return
        request = response_info(response)
        key = request.article_key
        if not key:
            return
        withdrawn = (item.get("metadata") or {}).get("withdrawn")
        if withdrawn or response.status != 200:
            if withdrawn:
                # On disk: the state may say "gone" now. The schedule goes on: a return is a new revision.
                self.store.set_gone(key, withdrawn)
                after_visit(self.crawler, self.revisit_hours, key, self.store.get_fetch(key))
            return
        headers = response.headers
        etag = headers.get(b"ETag")
        last_modified = headers.get(b"Last-Modified")
        self.store.record_fetch(
            key,
            response.url,
            etag.decode("latin-1") if etag else None,
            last_modified.decode("latin-1") if last_modified else None,
            request.hints.modified,
            crawl_clock(self.crawler).iso(),
        )
        record = self.store.get_fetch(key)
        if record is not None and record.gone:
            self.store.set_gone(key, None)
            self.stats.inc_value("revisit/returned")
        after_visit(
            self.crawler, self.revisit_hours, key, record, item.get("datePublished"), item.get("liveBlogUpdate")
        )

    def url_resolved(self, url: str, outcome: Outcome, detail: str = "") -> None:
        # An article that failed must be found again to be retried; a failed discovery page keeps no validators anyway.
        self.failed = self.failed or (outcome.kind == "failure" and link_key(url) is not None)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """The discovery pages' validators are kept only after a run that finished with every article
        it found settled: a 304 next time says "nothing new", and an article that failed in this run
        must be found again to be retried."""
        if reason != "finished" or self.failed:
            if self.discovery_read:
                logger.info("Discovery validators not kept: the run did not settle every article it found")
            return
        when = crawl_clock(self.crawler).iso()
        for url, headers in self.discovery_read.items():
            etag, last_modified = headers.get(b"ETag"), headers.get(b"Last-Modified")
            self.store.record_fetch(
                discovery_key(url),
                url,
                etag.decode("latin-1") if etag else None,
                last_modified.decode("latin-1") if last_modified else None,
                None,
                when,
            )

    def item_done(self, item, response, spider) -> None:
        # The item must be on disk before the store says "fetched": a kill in between would
        # otherwise leave an article that the next run skips as unchanged but was never written.
        flush_feeds(self.crawler)
        self._record(item, response)

    def item_dropped(self, item, response, exception, spider) -> None:
        # Unchanged or a copy: the page is known. Rejected by validation: fetch it again next time.
        if isinstance(exception, DuplicateItem):
            self._record(item, response)


def discovery_key(url: str) -> str:
    """The state's key for a discovery page's validators ("@" is in no site name: never an article key)."""
    return f"@{url}"


def unchanged_since_last_fetch(crawler: Crawler, article_key: str, modified: str | None) -> bool:
    """True when the discovery lastmod says the article has not changed since it was last fetched."""
    if not modified or not enabled(crawler.settings):
        return False
    record = store_for(crawler).get_fetch(article_key)
    if record is None or record.lastmod_hint is None:
        return False
    return datetime.fromisoformat(modified) <= datetime.fromisoformat(record.lastmod_hint)
