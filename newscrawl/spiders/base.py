"""What every news spider does the same way: bookkeeping of discovery, limits and failures.

A site spider says where discovery starts and which parser reads which page;
this base class decides what to fetch next: each article once, within
``since`` and ``max_articles``, related links up to RELATED_DEPTH hops, and
every failure logged with its reason and counted under ``failures/…``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from ..items import ArticleItem
from ..sites.common import Link, Skip
from ..urls import article_key


def _parse_since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ValueError(f"since must be an ISO date (YYYY-MM-DD), got {value!r}") from exc


class NewsSpider(scrapy.Spider):
    #: canonical host of the site; subclasses set it
    site: str = ""

    def __init__(
        self,
        *args: Any,
        start_urls: str | None = None,
        since: str | None = None,
        max_articles: str | int | None = None,
        related_depth: str | int | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        # Spider arguments arrive as strings from `scrapy crawl -a` and Scrapyd.
        self.start_url_override = [u.strip() for u in start_urls.split(",") if u.strip()] if start_urls else []
        self.since = _parse_since(since)
        self.max_articles = int(max_articles) if max_articles not in (None, "") else None
        self._related_depth_arg = int(related_depth) if related_depth not in (None, "") else None
        self.scheduled_articles: set[str] = set()

    @property
    def related_depth(self) -> int:
        if self._related_depth_arg is not None:
            return self._related_depth_arg
        return self.settings.getint("RELATED_DEPTH", 2)

    # --- what subclasses provide -------------------------------------------
    def discovery_requests(self) -> Iterable[Request]:
        raise NotImplementedError

    def callback_for(self, url: str) -> Callable[[Response], Any]:
        """The callback for a start URL given by the user (an article, a feed, a listing …)."""
        raise NotImplementedError

    def short_link_key(self, url: str) -> str | None:
        """The article key of a short link that redirects to an article (NU.nl /-/<id>/)."""
        return None

    # --- start -------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        # Scrapy ≥ 2.13 calls start(); a spider with only start_requests() would crawl nothing.
        if self.start_url_override:
            for url in self.start_url_override:
                key = article_key(url) or self.short_link_key(url)
                if key:
                    self.scheduled_articles.add(key)
                yield Request(url, callback=self.callback_for(url), errback=self.on_error, meta={"discovered_via": "start", "related_depth": 0})
        else:
            for request in self.discovery_requests():
                yield request

    def discovery_request(self, url: str, callback: Callable[[Response], Any], **meta: Any) -> Request:
        return Request(url, callback=callback, errback=self.on_error, meta={"discovery": True, **meta})

    # --- articles ----------------------------------------------------------
    def follow_links(self, links: Iterable[Link], depth: int = 0) -> Iterator[Request]:
        for link in links:
            request = self.article_request(link, depth)
            if request is not None:
                yield request

    def article_request(self, link: Link, depth: int) -> Request | None:
        """A request for a discovered article, or None when it is known, too old, or over the limit."""
        stats = self.crawler.stats
        key = article_key(link.url) or self.short_link_key(link.url)
        if key is None or key in self.scheduled_articles:
            return None
        if self.since and link.published and datetime.fromisoformat(link.published).date() < self.since:
            stats.inc_value("discovery/skipped_before_since")
            return None
        if self.max_articles is not None and len(self.scheduled_articles) >= self.max_articles:
            stats.inc_value("discovery/skipped_max_articles")
            return None
        self.scheduled_articles.add(key)
        stats.inc_value(f"discovery/articles/{link.via}")
        hints = {"published": link.published, "title": link.title, "keywords": link.keywords}
        return Request(
            link.url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"discovered_via": link.via, "hints": hints, "related_depth": depth},
        )

    def parse_article_page(self, response: Response) -> ArticleItem | Skip:
        raise NotImplementedError

    def parse_article(self, response: Response) -> Iterator[ArticleItem | Request]:
        """An article page → its item, then requests for its related articles."""
        stats = self.crawler.stats
        result = self.parse_article_page(response)
        if isinstance(result, Skip):
            stats.inc_value(f"skipped/{result.reason}")
            self.logger.info("Not an article (%s): %s %s", result.reason, response.url, result.detail)
            return
        stats.inc_value(f"extraction/body/{result['metadata']['bodyExtractor']}")
        if result["metadata"]["bodyExtractor"] != "selectors":
            self.logger.warning("Body selectors found nothing, used %s: %s", result["metadata"]["bodyExtractor"], response.url)
        published = result.get("datePublished")
        if self.since and published and datetime.fromisoformat(published).date() < self.since:
            stats.inc_value("skipped/before_since")
            self.logger.info("Published %s, before since=%s: %s", published, self.since, response.url)
            return
        # Register the canonical key too: a short link resolves only after the fetch.
        self.scheduled_articles.add(f"{result['site']}:{result['articleId']}")
        yield result
        depth = response.meta.get("related_depth", 0)
        if depth < self.related_depth:
            related = (Link(url=url, via="link") for url in result.get("relatedUrls", []))
            yield from self.follow_links(related, depth + 1)

    # --- failures ----------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        """Every failed request: one clear log line and a counted reason; the crawl goes on."""
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = f"http_{status}"
        elif failure.check(IgnoreRequest):
            reason = "ignored"
        elif failure.check(DNSLookupError):
            reason = "dns"
        elif failure.check(TimeoutError, TCPTimedOutError):
            reason = "timeout"
        else:
            reason = type(failure.value).__name__
        kind = "discovery" if request.meta.get("discovery") else "article"
        self.crawler.stats.inc_value(f"failures/{kind}/{reason}")
        level = logging.INFO if kind == "discovery" and reason == "http_404" else logging.WARNING
        self.logger.log(level, "Failed %s (%s): %s — %s", kind, reason, request.url, failure.getErrorMessage())
