"""Incremental crawls: articles that cannot have changed cost no download.

Two mechanisms, both per article, both kept in the state store (``fetches``):

* a discovery ``lastmod`` (sitemap ``<lastmod>``, WordPress API ``modified_gmt``) equal to the
  one seen at the last fetch means the article has not changed: the spider does not request it
  (``incremental/unchanged_skipped``);
* otherwise the request carries the validators of the last fetch (``If-None-Match``,
  ``If-Modified-Since``); a ``304 Not Modified`` ends there (``incremental/not_modified``).

A fetch is recorded only once its item has been emitted or found unchanged by dedup: an item
that was rejected is fetched again next time. ``INCREMENTAL = False`` turns all of it off.
"""

from __future__ import annotations

import logging
from datetime import datetime

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newscrawl.article.clock import crawl_clock
from newscrawl.article.requestinfo import info, response_info
from newscrawl.crawl.durability import flush_feeds
from newscrawl.crawl.outcomes import DuplicateItem
from newscrawl.state import store_for

logger = logging.getLogger(__name__)


class ConditionalRequestMiddleware:
    """Downloader middleware: validators on article requests, 304s counted and handed to the spider."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        if not crawler.settings.getbool("INCREMENTAL"):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.item_done, signal=signals.item_scraped)
        crawler.signals.connect(middleware.item_dropped, signal=signals.item_dropped)
        return middleware

    @property
    def store(self):
        return store_for(self.crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        key = info(request).article_key
        if not key or request.meta.get("playwright"):
            return None
        record = self.store.get_fetch(key)
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
        if info(request).article_key:
            if response.status == 304:
                self.stats.inc_value("incremental/not_modified")
            elif response.status == 200:
                self.stats.inc_value("incremental/fetched")
        return response

    def _record(self, response: Response | None) -> None:
        if response is None or response.status != 200:
            return
        request = response_info(response)
        key = request.article_key
        if not key:
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

    def item_done(self, item, response, spider) -> None:
        # The item must be on disk before the store says "fetched": a kill in between would
        # otherwise leave an article that the next run skips as unchanged but was never written.
        flush_feeds(self.crawler)
        self._record(response)

    def item_dropped(self, item, response, exception, spider) -> None:
        # Unchanged or a copy: the page is known. Rejected by validation: fetch it again next time.
        if isinstance(exception, DuplicateItem):
            self._record(response)


def unchanged_since_last_fetch(crawler: Crawler, article_key: str, modified: str | None) -> bool:
    """True when the discovery lastmod says the article has not changed since it was last fetched."""
    if not modified or not crawler.settings.getbool("INCREMENTAL"):
        return False
    record = store_for(crawler).get_fetch(article_key)
    if record is None or record.lastmod_hint is None:
        return False
    return datetime.fromisoformat(modified) <= datetime.fromisoformat(record.lastmod_hint)
