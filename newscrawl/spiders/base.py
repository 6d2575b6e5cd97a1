"""What every news spider does the same way: discovery, limits, rendering and failures.

A site spider says where discovery starts and which parser reads which page; this base class
decides what to fetch next. Discovery pages (feeds, sitemaps, listings, APIs) are read first and
their links merged per article; when discovery is idle the articles are requested, newest first,
each once, within ``since`` and ``max_articles`` and skipping those whose lastmod has not moved.
Related links of an article are followed at once, up to RELATED_DEPTH hops. Every page and link
ends in one outcome in the URL ledger; every failure is logged with its reason and counted
under ``failures/…``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response, TextResponse
from twisted.python.failure import Failure

from ..dataset import published_key
from ..failures import failure_reason
from ..incremental import unchanged_since_last_fetch
from ..items import ArticleItem
from ..ledger import request_key, resolve
from ..render import browser_path, render_meta
from ..sites.common import Link, Skip
from ..urls import article_key


# Discovery sources, most authoritative first (a sitemap lists the canonical URL; teasers use any variant).
_VIA_RANK = {"sitemap": 0, "api": 1, "rss": 2, "listing": 3, "link": 4}


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
    #: sections (or categories) whose listing and feed are read when ``-a sections`` is not given
    default_sections: tuple[str, ...] = ()

    def __init__(
        self,
        *args: Any,
        start_urls: str | None = None,
        since: str | None = None,
        max_articles: str | int | None = None,
        related_depth: str | int | None = None,
        render: str | None = None,
        sections: str | None = None,
        archive: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.sections = [s.strip().strip("/") for s in sections.split(",") if s.strip()] if sections is not None else list(self.default_sections)
        # archive=1: walk every archive sitemap (a backfill), not only the recent ones.
        self.walk_archive = str(archive).lower() in ("1", "true", "yes")
        # render: "auto" (default) renders pages that load content with JavaScript, "1" every page, "0" none.
        self.render_mode = {"1": "always", "true": "always", "always": "always", "0": "never", "false": "never", "never": "never"}.get(
            str(render).lower() if render is not None else "auto", "auto"
        )
        self.browser_ok = True
        # Discovery first, articles second: links from every discovery page are merged per article
        # (a sitemap's lastmod, the API's post id, a feed's date) and scheduled when discovery is done.
        self.discovered: dict[str, Link] = {}
        self.pending: list[Link] = []  # merged links waiting for their batch, oldest first
        # Spider arguments arrive as strings from `scrapy crawl -a` and Scrapyd.
        self.start_url_override = [u.strip() for u in start_urls.split(",") if u.strip()] if start_urls else []
        self.since = _parse_since(since)
        self.max_articles = int(max_articles) if max_articles not in (None, "") else None
        self._related_depth_arg = int(related_depth) if related_depth not in (None, "") else None
        self.scheduled_articles: set[str] = set()
        # Distributed mode, after a worker died: "was this URL finished in this run?" (see sweep()).
        self.sweeping: Callable[[str], bool] | None = None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.schedule_discovered, signal=signals.spider_idle)
        return spider

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

    def link_key(self, url: str) -> str | None:
        """Which article a link points to (any URL variant, or a short link), None for non-articles."""
        return article_key(url) or self.short_link_key(url)

    # --- start -------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        # Scrapy ≥ 2.13 calls start(); a spider with only start_requests() would crawl nothing.
        if not self.check_browser():
            return
        if self.start_url_override:
            for url in self.start_url_override:
                key = self.link_key(url)
                if key:
                    self.scheduled_articles.add(key)
                yield self.maybe_rendered(Request(url, callback=self.callback_for(url), errback=self.on_error, meta={"discovered_via": "start", "related_depth": 0}))
        else:
            for request in self.discovery_requests():
                yield request

    def discovery_request(self, url: str, callback: Callable[[Response], Any], *, page: bool = False, **meta: Any) -> Request:
        """A feed, sitemap or API request; ``page=True`` for HTML pages (the only ones ever rendered)."""
        request = Request(url, callback=callback, errback=self.on_error, dont_filter=self.sweeping is not None, meta={"discovery": True, **meta})
        return self.maybe_rendered(request) if page else request

    # --- JavaScript rendering (newscrawl/render.py) ---------------------------
    #: spiders that may render set this and install the scrapy-playwright handler
    can_render: bool = False

    def check_browser(self) -> bool:
        """Say at start-up whether pages can be rendered; False stops a crawl that must render everything."""
        if not self.can_render or self.render_mode == "never" or self.settings.get("REPLAY_WARC"):
            return True  # replay serves rendered pages from the archive: no browser needed
        path = browser_path(self.settings)
        if path:
            self.logger.info("JavaScript rendering: %s (%s)", path, "every page" if self.render_mode == "always" else "pages that need it")
            return True
        self.browser_ok = False
        self.crawler.stats.set_value("render/browser_missing", 1)
        wanted = (self.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
        message = f"No Chromium at {wanted!r}: install Debian's package (apt-get install chromium) or set PLAYWRIGHT_LAUNCH_OPTIONS executable_path"
        if self.render_mode == "always":
            self.logger.error("%s. render=1 needs it: nothing crawled.", message)
            return False
        self.logger.warning("%s. Listings loaded by JavaScript will be read without their JS teasers.", message)
        return True

    def maybe_rendered(self, request: Request) -> Request:
        if self.can_render and self.render_mode == "always" and self.browser_ok:
            request.meta.update(render_meta())
            self.crawler.stats.inc_value("render/requests")
        return request

    def rendered_again(self, response: Response) -> Request | None:
        """The same page once more, through the browser, for a page whose content needs JavaScript."""
        if not self.can_render or self.render_mode != "auto" or response.meta.get("playwright"):
            return None
        if not self.browser_ok:
            self.crawler.stats.inc_value("render/unavailable")
            return None
        self.crawler.stats.inc_value("render/requests")
        self.logger.debug("Rendering %s: its teasers are loaded by JavaScript", response.url)
        return response.request.replace(dont_filter=True, meta={**response.meta, **render_meta()})

    # --- articles ----------------------------------------------------------
    def follow_links(self, links: Iterable[Link], depth: int = 0) -> Iterator[Request]:
        """Related links (depth > 0) are requested now; discovery links wait until discovery is done."""
        if depth == 0:
            for link in links:
                self.remember(link)
            return
        for link in links:
            request = self.article_request(link, depth)
            if request is not None:
                yield request

    def remember(self, link: Link) -> None:
        key = self.link_key(link.url)
        if key is None or key in self.scheduled_articles:
            return
        known = self.discovered.get(key)
        if known is None:
            self.discovered[key] = link
            return
        # Which URL and "via" an article is requested under must not depend on which discovery
        # page answered first: the most authoritative source wins, then the smallest URL.
        if (_VIA_RANK.get(link.via, 9), link.url) < (_VIA_RANK.get(known.via, 9), known.url):
            known.url, known.via = link.url, link.via
        # Every source fills in what the others did not know.
        for field_name in ("published", "title", "post_id"):
            if getattr(known, field_name) is None:
                setattr(known, field_name, getattr(link, field_name))
        if link.modified and (known.modified is None or datetime.fromisoformat(link.modified) > datetime.fromisoformat(known.modified)):
            known.modified = link.modified
        known.keywords = known.keywords or link.keywords

    def schedule_discovered(self, spider=None) -> None:
        """spider_idle: discovery is done; request the articles it found, newest first.

        A batch (ARTICLE_BATCH) at a time, the next one at the next idle: a backfill of 100,000
        articles then holds 100,000 small links in memory, not 100,000 queued requests.
        """
        if self.discovered:
            fresh = list(self.discovered.values())
            self.discovered = {}
            # Oldest first, so that pop() gives the newest; instants, not strings (+01:00 vs +02:00).
            self.pending = sorted(self.pending + fresh, key=lambda link: published_key({"datePublished": link.published}))
            if self.crawler.stats.get_value("discovery/done_time") is None:
                # When the article phase began: benchmarks measure the marginal rate from here.
                self.crawler.stats.set_value("discovery/done_time", datetime.now(UTC))
            self.logger.info("Discovery done: %d articles found", len(fresh))
        batch = self.settings.getint("ARTICLE_BATCH", 1000)
        scheduled = 0
        while self.pending and scheduled < batch:
            request = self.article_request(self.pending.pop(), 0)
            if request is not None:
                self.crawler.engine.crawl(request)
                scheduled += 1
        if scheduled:
            self.logger.debug("Requested %d articles, %d waiting", scheduled, len(self.pending))
            raise DontCloseSpider

    def has_unscheduled(self) -> bool:
        """Links found by discovery and not yet requested (the crawl is not over while there are)."""
        return bool(self.discovered or self.pending)

    def sweep(self, is_done: Callable[[str], bool]) -> None:
        """Distributed mode: another worker died with requests of this run in flight, and the shared
        seen-set would filter them if rediscovered. Read discovery again, past the seen-set, and
        request every article not finished in this run (the dedup claims stop double items)."""
        self.sweeping = is_done
        self.scheduled_articles = set()
        self.crawler.stats.inc_value("cluster/sweeps")
        for request in self.discovery_requests():
            self.crawler.engine.crawl(request)

    def article_request(self, link: Link, depth: int) -> Request | None:
        """A request for a discovered article, or None when it is known, too old, or over the limit."""
        stats = self.crawler.stats
        key = self.link_key(link.url)
        if key is None or key in self.scheduled_articles:
            return None
        if self.sweeping is not None and self.sweeping(link.url):
            self.scheduled_articles.add(key)
            return None
        # Not touched since `since` (lastmod) or published before it: too old, not fetched.
        last_touched = link.modified or link.published
        if self.since and last_touched and datetime.fromisoformat(last_touched).date() < self.since:
            stats.inc_value("discovery/skipped_before_since")
            resolve(self.crawler, link.url, "not_requested:before_since")
            return None
        if unchanged_since_last_fetch(self.crawler, key, link.modified):
            self.scheduled_articles.add(key)
            stats.inc_value("incremental/unchanged_skipped")
            resolve(self.crawler, link.url, "not_requested:unchanged")
            return None
        if self.max_articles is not None and len(self.scheduled_articles) >= self.max_articles:
            stats.inc_value("discovery/skipped_max_articles")
            resolve(self.crawler, link.url, "not_requested:max_articles")
            return None
        self.scheduled_articles.add(key)
        stats.inc_value(f"discovery/articles/{link.via}")
        hints = {"published": link.published, "modified": link.modified, "title": link.title, "keywords": link.keywords, "post_id": link.post_id}
        return self.maybe_rendered(
            Request(
                link.url,
                callback=self.parse_article,
                errback=self.on_error,
                dont_filter=self.sweeping is not None,
                meta={"discovered_via": link.via, "hints": hints, "related_depth": depth, "article_key": key},
            )
        )

    def parse_article_page(self, response: Response) -> ArticleItem | Skip:
        raise NotImplementedError

    @staticmethod
    def unreadable(response: Response) -> Skip | None:
        """A page no parser can read: not text (a PDF or an image at an article URL) or empty.

        The Content-Type decides: Scrapy makes an HtmlResponse of a PDF served at a ``.html`` URL.
        """
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        textual = not content_type or any(kind in content_type for kind in ("html", "xml", "text/"))
        if not isinstance(response, TextResponse) or not textual:
            return Skip("not_html", f"Content-Type {content_type or 'unknown'}")
        if not response.body.strip():
            return Skip("empty_body", "200 with an empty body")
        return None

    def teaser_links(self, response: Response) -> list[Link]:
        """Teaser blocks on an article page ("Meer nieuws" …) worth following; not part of the item."""
        return []

    def parse_article(self, response: Response) -> Iterator[ArticleItem | Request]:
        """An article page → its item, then requests for its related articles."""
        stats = self.crawler.stats
        key = request_key(response.request)
        if response.status == 304:
            resolve(self.crawler, key, "not_modified")
            return  # not modified since the last fetch (counted by the middleware)
        result = self.unreadable(response) or self.parse_article_page(response)
        if isinstance(result, Skip):
            stats.inc_value(f"skipped/{result.reason}")
            resolve(self.crawler, key, f"skipped:{result.reason}", result.detail)
            self.logger.info("Not an article (%s): %s %s", result.reason, response.url, result.detail)
            return
        stats.inc_value(f"extraction/body/{result['metadata']['bodyExtractor']}")
        if result["metadata"]["bodyExtractor"] != "selectors":
            self.logger.warning("Body selectors found nothing, used %s: %s", result["metadata"]["bodyExtractor"], response.url)
        published = result.get("datePublished")
        if self.since and published and datetime.fromisoformat(published[:10]).date() < self.since:
            stats.inc_value("skipped/before_since")
            resolve(self.crawler, key, "skipped:before_since")
            self.logger.info("Published %s, before since=%s: %s", published, self.since, response.url)
            return
        # Register the canonical key too: a short link resolves only after the fetch.
        self.scheduled_articles.add(f"{result['site']}:{result['articleId']}")
        yield result
        depth = response.meta.get("related_depth", 0)
        if depth < self.related_depth:
            related = [Link(url=url, via="link") for url in result.get("relatedUrls", [])]
            related += [Link(url=link.url, via="link", title=link.title) for link in self.teaser_links(response)]
            yield from self.follow_links(related, depth + 1)

    # --- failures ----------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        """Every failed request: one clear log line and a counted reason; the crawl goes on."""
        request = failure.request
        reason = failure_reason(failure)
        kind = "discovery" if request.meta.get("discovery") else "article"
        self.crawler.stats.inc_value(f"failures/{kind}/{reason}")
        resolve(self.crawler, request_key(request), f"failure:{reason}", failure.getErrorMessage())
        level = logging.INFO if kind == "discovery" and reason == "http_404" else logging.WARNING
        self.logger.log(level, "Failed %s (%s): %s — %s", kind, reason, request.url, failure.getErrorMessage())
