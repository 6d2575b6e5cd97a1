"""NewsSpider: one spider class for every registered site (newscrawl/extract/registry.py).

The spider reads the site's discovery sources and follows links; which articles to request
and when is the frontier's decision (newscrawl/crawl/frontier.py), which pages go through the browser
the render policy's (newscrawl/crawl/render.py), and every page, link and failure gets its outcome in
the URL ledger (newscrawl/crawl/outcomes.py). Page parsing lives in the site's parser and discovery
classes: no field extraction here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Request, Response, TextResponse, XmlResponse
from twisted.python.failure import Failure

from newscrawl.article.clock import crawl_clock
from newscrawl.crawl.failures import failure_detail, failure_reason
from newscrawl.crawl.frontier import Frontier
from newscrawl.crawl.incremental import enabled as incremental_crawl
from newscrawl.crawl.outcomes import NOT_MODIFIED, Outcome, request_key, resolve
from newscrawl.crawl.render import RenderPolicy
from newscrawl.crawl.revisits import due_links, is_gone, known_fetch, withdrawal, withdrawal_status
from newscrawl.crawl.scope import OutOfScope, Scope
from newscrawl.crawl.spiders.arguments import PASSED_THROUGH, SpiderArgs
from newscrawl.crawl.tdm import tdm_obeyed
from newscrawl.extract.common import Link, Skip
from newscrawl.extract.item import ArticleItem
from newscrawl.extract.registry import Site
from newscrawl.extract.requestinfo import META_KEY, RequestInfo, attached_info, info
from newscrawl.extract.urls import link_key


def as_html(response: Response) -> Response:
    """An XHTML page (``<?xml …?>`` first) served as text/html is HTML: Scrapy makes an XmlResponse
    of it, whose namespaced XPath would find no <title>, <meta> or <h1>."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    if isinstance(response, XmlResponse) and "html" in content_type:
        return response.replace(cls=HtmlResponse)
    return response


class NewsSpider(scrapy.Spider):
    """A site's crawl; its arguments (``-a name=value``) are :class:`SpiderArgs`
    (newscrawl/crawl/spiders/arguments.py)."""

    site: Site  # set on each generated subclass (newscrawl/crawl/spiders/sites.py)
    frontier: Frontier  # set in from_crawler
    render: RenderPolicy  # set in from_crawler

    def __init__(self, *args: Any, **kwargs: Any):
        # Ours are read into one typed object (a wrong one is one line: BadArgument); Scrapy's
        # own (``_job`` from Scrapyd) become attributes as usual.
        ours = {name: kwargs.pop(name) for name in SpiderArgs.names() if name in kwargs}
        self.args = SpiderArgs.parse({**ours, **{k: v for k, v in kwargs.items() if k not in PASSED_THROUGH}})
        super().__init__(*args, **kwargs)
        self.sections = list(self.args.sections if self.args.sections is not None else self.site.default_sections)
        self.walk_archive = self.args.archive
        self.render_arg = self.args.render
        self.start_url_override = list(self.args.start_urls)
        self.since = self.args.since
        self.max_articles = self.args.max_articles
        self.related_depth_arg = self.args.related_depth
        self.discovery = self.site.discovery_reader
        self.sitemaps_requested = 0  # child sitemaps requested in this run (SITEMAP_MAX_FILES)
        self._callbacks: dict[Callable, Callable] = {}  # see request()
        self.revisits_added = False

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.frontier = Frontier(crawler, spider.since, spider.max_articles)
        spider.render = RenderPolicy(crawler, spider.site.can_render, spider.render_arg, spider.logger)
        crawler.signals.connect(spider.schedule_discovered, signal=signals.spider_idle)
        return spider

    @property
    def related_depth(self) -> int:
        return self.related_depth_arg if self.related_depth_arg is not None else self.settings.getint("RELATED_DEPTH")

    # --- start -------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        # Scrapy ≥ 2.13 calls start(); a spider with only start_requests() would crawl nothing.
        if not self.render.check_browser():
            return
        if self.start_url_override:
            for url in self.start_url_override:
                yield self.start_request(url)
        else:
            for request in self.discovery_requests():
                yield request

    def start_request(self, url: str) -> Request:
        """A URL given by the user: an article, or a discovery page of the kind its URL says."""
        kind = self.discovery.source_kind(url)
        if kind == "article":
            self.frontier.scheduled.add(link_key(url) or url)
            # No validators for a URL asked for by name: it is fetched in full.
            return self.render.maybe_rendered(self.request(url, self.parse_article, RequestInfo(via="start")))
        request = self.discovery_request(url, kind)
        info(request).conditional = False  # named by the user: read in full, whatever an earlier run read
        return request

    def discovery_requests(self) -> Iterator[Request]:
        """The site's discovery sources, in the order the site declares them."""
        for source in self.site.sources:
            if source.archive_only and not self.walk_archive:
                continue
            for section in self.sections if source.per_section else [None]:
                yield self.discovery_request(self.discovery.source_url(source.path, section), source.kind)

    def request(self, url: str, callback: Callable, request_info: RequestInfo, **kwargs: Any) -> Request:
        # One bound method per callback for the whole crawl: Scrapy checks each response's callback
        # for a generator's return value (reading its source), remembering the answer only while that
        # callable lives; a bound method made per request was read again for every page.
        callback = self._callbacks.setdefault(callback, callback)
        # After a dead worker (distributed), rediscovered URLs must pass the shared seen-set.
        return Request(
            url,
            callback=callback,
            errback=self._callbacks.setdefault(self.on_error, self.on_error),
            dont_filter=self.frontier.is_done is not None,
            meta={META_KEY: request_info},
            **kwargs,
        )

    def discovery_request(self, url: str, kind: str, page: int = 1, depth: int = 0) -> Request:
        """A feed, sitemap, API or listing request; listings are HTML pages, the only ones ever rendered.
        ``depth``: how deep a sitemap is nested in indexes."""
        callbacks = {
            "feed": self.parse_feed,
            "sitemap": self.parse_sitemap,
            "api": self.parse_api,
            "listing": self.parse_listing,
        }
        request = self.request(url, callbacks[kind], RequestInfo(discovery=True, via=kind, page=page, depth=depth))
        return self.render.maybe_rendered(request) if kind == "listing" else request

    # --- discovery pages -------------------------------------------------------
    def parse_feed(self, response: Response) -> Iterator[Request]:
        if response.status == 304:
            return  # not changed since its last read: nothing new here
        skipped: Counter[str] = Counter()
        links = self.discovery.parse_feed(response, skipped)
        # Read feeds and the articles they listed: every feed empty is a silence (newscrawl/run/coverage.py).
        self.crawler.stats.inc_value("discovery/feeds_read")
        self.crawler.stats.inc_value("discovery/feed_links", len(links))
        for reason, count in skipped.items():
            self.crawler.stats.inc_value(f"discovery/feed_entries_skipped/{reason}", count)
            self.logger.warning("%s: %d feed entries passed over (%s)", response.url, count, reason)
        yield from self.follow_links(links)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if response.status == 304:
            return  # not changed since its last read: nothing new here
        children, links = self.discovery.parse_sitemap(response)
        depth = info(response.request).depth + 1
        for child in self.discovery.select_child_sitemaps(children, self.since, self.walk_archive):
            limit = (
                "depth"
                if depth > self.settings.getint("SITEMAP_MAX_DEPTH")
                else "files"
                if self.sitemaps_requested >= self.settings.getint("SITEMAP_MAX_FILES")
                else None
            )
            if limit:
                stats = self.crawler.stats
                if not stats.get_value(f"discovery/sitemap_limit/{limit}"):
                    self.logger.warning(
                        "Sitemap %s limit reached (SITEMAP_MAX_%s): %s and further child sitemaps are not read",
                        limit,
                        limit.upper(),
                        child.url,
                    )
                stats.inc_value(f"discovery/sitemap_limit/{limit}")
                continue
            self.sitemaps_requested += 1
            yield self.discovery_request(child.url, "sitemap", depth=depth)
        yield from self.follow_links(links)

    def parse_api(self, response: Response) -> Iterator[Request]:
        if response.status == 304:
            return  # not changed since its last read: nothing new here
        links, total_pages = self.discovery.parse_api(response)
        yield from self.follow_links(links)
        page = info(response.request).page
        if page < total_pages and self.next_page_wanted(response, links, page, "API_MAX_PAGES"):
            source = next(s for s in self.site.sources if s.kind == "api")
            yield self.discovery_request(self.discovery.source_url(source.path, page=page + 1), "api", page=page + 1)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        if response.status == 304:
            return  # not changed since its last read: nothing new here
        # A start URL is classed by its path; a feed or sitemap at any other path is known by its content.
        kind = self.discovery.content_kind(response)
        if kind != "listing":
            self.crawler.stats.inc_value(f"discovery/kind_by_content/{kind}")
            yield from self.parse_feed(response) if kind == "feed" else self.parse_sitemap(response)
            return
        if self.discovery.needs_rendering(response):
            rendered = self.render.rendered_again(response)
            if rendered is not None:
                # The plain page may still hold server-side teasers: follow those now too.
                yield rendered
        links = self.discovery.parse_listing(response)
        # Links per listing page, for the run's health: far fewer than in earlier runs = a listing redesign.
        self.crawler.stats.inc_value("discovery/listing_pages")
        self.crawler.stats.inc_value("discovery/listing_links", len(links))
        yield from self.follow_links(links)
        page = info(response.request).page
        next_page = self.discovery.listing_next_page(response)
        if next_page and self.next_page_wanted(response, links, page, "LISTING_MAX_PAGES"):
            yield self.discovery_request(next_page, "listing", page=page + 1)

    def next_page_wanted(self, response: Response, links: list[Link], page: int, setting: str) -> bool:
        """Read the next page of a listing or API: within its usual pages; beyond them while every
        article a page shows is one the crawl never captured (the window overflowed since the last
        crawl, a burst), up to DISCOVERY_OVERFLOW_PAGES more."""
        usual = self.settings.getint(setting)
        if page < usual:
            return True
        if (
            not links
            or not self.frontier.site_known(self.site.name)
            or any(self.frontier.captured(link) for link in links)
        ):
            return False
        stats = self.crawler.stats
        if page >= usual + self.settings.getint("DISCOVERY_OVERFLOW_PAGES"):
            stats.inc_value("discovery/overflow/bound_reached")
            self.logger.warning(
                "%s: page %d still shows only articles never captured, and DISCOVERY_OVERFLOW_PAGES is reached: "
                "older ones may be missing (crawl more often, or raise the setting)",
                response.url,
                page,
            )
            return False
        stats.inc_value("discovery/overflow/pages")
        self.logger.info("%s: every article on page %d is new: reading page %d too", response.url, page, page + 1)
        return True

    # --- articles ----------------------------------------------------------
    def follow_links(self, links: Iterable[Link], depth: int = 0) -> Iterator[Request]:
        """Related links (depth > 0) are requested now; discovery links wait until discovery is done."""
        if depth == 0:
            for link in links:
                self.frontier.remember(link)
            return
        for link in links:
            request = self.article_request(link, depth)
            if request is not None:
                yield request

    def schedule_discovered(self, spider=None) -> None:
        """spider_idle: discovery is done; request the articles it found, newest first.

        A batch (ARTICLE_BATCH) at a time, the next one at the next idle: a backfill of 100,000
        articles then holds 100,000 small links in memory, not 100,000 queued requests.
        """
        if not self.revisits_added:
            # Discovery is done: the articles due for a revisit join what it found (newscrawl/crawl/revisits.py).
            self.revisits_added = True
            if incremental_crawl(self.crawler.settings):
                self.frontier.add_revisits(due_links(self.crawler, self.site.name))
        if self.frontier.discovered:
            found = self.frontier.close_discovery_round()
            if self.crawler.stats.get_value("discovery/done_time") is None:
                # When the article phase began: benchmarks measure the marginal rate from here.
                self.crawler.stats.set_value("discovery/done_time", datetime.now(UTC))
            self.logger.info("Discovery done: %d articles found", found)
        batch = self.settings.getint("ARTICLE_BATCH")
        scheduled = 0
        for link in self.frontier.next_links():
            request = self.article_request(link, 0)
            if request is not None:
                self.crawler.engine.crawl(request)
                scheduled += 1
                if scheduled >= batch:
                    break
        if scheduled:
            self.logger.debug("Requested %d articles, %d waiting", scheduled, len(self.frontier.pending))
            raise DontCloseSpider

    def has_unscheduled(self) -> bool:
        return self.frontier.has_unscheduled()

    def sweep(self, is_done: Callable[[str], bool]) -> None:
        """Distributed mode: another worker died with requests of this run in flight, and the shared
        seen-set would filter them if rediscovered. Read discovery again, past the seen-set, and
        request every article not finished in this run (the dedup claims stop double items)."""
        self.frontier.is_done = is_done
        self.frontier.scheduled = set()
        self.crawler.stats.inc_value("cluster/sweeps")
        for request in self.discovery_requests():
            self.crawler.engine.crawl(request)

    def article_request(self, link: Link, depth: int) -> Request | None:
        """A request for a discovered article, or None when the frontier does not admit it."""
        key = self.frontier.admit(link)
        if key is None:
            return None
        request_info = RequestInfo(
            via=link.via, depth=depth, article_key=key, hints=link.hints(), revisit=key in self.frontier.revisits
        )
        return self.render.maybe_rendered(self.request(link.url, self.parse_article, request_info))

    def off_site(self, response: Response) -> Skip | None:
        """A page whose final URL is not on the site never becomes an item, whatever canonical it claims."""
        refusal = self.scope.refusal(response.url)
        return Skip("off_site", f"final URL {response.url}: {refusal[1]}") if refusal else None

    @cached_property
    def scope(self) -> Scope:
        return Scope.for_spider(self, self.crawler.settings)

    @staticmethod
    def unreadable(response: Response) -> Skip | None:
        """A page no parser can read: not text (a PDF or an image at an article URL) or empty.

        The Content-Type decides: Scrapy makes an HtmlResponse of a PDF served at a ``.html`` URL.
        """
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        textual = not content_type or any(kind in content_type for kind in ("html", "xml", "text/"))
        if not isinstance(response, TextResponse) or not textual:
            return Skip("not_html", f"Content-Type {content_type or 'unknown'}")
        if not response.body.strip():
            return Skip("empty_body", "200 with an empty body")
        return None

    def parse_article(self, response: Response) -> Iterator[ArticleItem | Request]:
        """An article page → its item, then requests for its related articles."""
        stats = self.crawler.stats
        key = request_key(response.request)
        if response.status == 304:
            resolve(self.crawler, key, NOT_MODIFIED)
            return  # not modified since the last fetch (counted by the middleware)
        request_info = info(response.request)
        known = known_fetch(self.crawler, request_info.article_key) if is_gone(response) else None
        if known is not None and not self.off_site(response):
            # A captured article taken down: one withdrawal line (dedup drops it when already recorded).
            stats.inc_value("revisit/withdrawn_seen")
            self.logger.info("Withdrawn (%s): %s", withdrawal_status(response), key)
            yield withdrawal(self.crawler, str(request_info.article_key), known, response, request_info.via)
            return
        fetch = attached_info(response.request) if response.request is not None else None
        if fetch is not None and fetch.archived_at is None:
            # When the page was fetched, on the crawl's clock (CRAWL_NOW): dateDownloaded, "gisteren", date bounds.
            fetch.fetched_at = crawl_clock(self.crawler).now()
        result = self.off_site(response) or self.unreadable(response) or self.site.parse_article(as_html(response))
        if not isinstance(result, Skip) and not self.scope.allows(result.get("canonicalUrl") or ""):
            result = Skip("off_site", f"canonical {result.get('canonicalUrl')} is not on the site")
        if isinstance(result, Skip):
            stats.inc_value(f"skipped/{result.reason}")
            resolve(self.crawler, key, Outcome.skipped(result.reason), result.detail)
            self.logger.info("Not an article (%s): %s %s", result.reason, response.url, result.detail)
            return
        metadata = result["metadata"]
        stats.inc_value(f"extraction/body/{metadata['bodyExtractor']}")
        if metadata["bodyExtractor"] != "selectors":
            stats.inc_value("extraction/body/fallback")
            self.logger.warning("Body selectors found nothing, used %s: %s", metadata["bodyExtractor"], response.url)
        if result.get("isAccessibleForFree") is False:
            stats.inc_value("extraction/paywalled")  # a preview: counted apart (run health, coverage)
        if metadata["tdm"]["reserved"]:
            stats.inc_value("extraction/tdm_reserved")
            if tdm_obeyed(self.settings):
                stats.inc_value("skipped/tdm_reserved")
                resolve(self.crawler, key, Outcome.skipped("tdm_reserved"), f"by its {metadata['tdm']['source']}")
                self.logger.info(
                    "Text-and-data mining reserved (%s), TDM_POLICY=obey: %s", metadata["tdm"]["source"], response.url
                )
                return
        for field_name, source in metadata.get("sources", {}).items():
            stats.inc_value(f"extraction/source/{field_name}/{source}")
        for warning in metadata.get("warnings", []):
            stats.inc_value(f"item_warnings/{warning.split(':', 1)[0]}")
            self.logger.warning("%s: %s", response.url, warning)
        published = result.get("datePublished")
        if self.since and published and datetime.fromisoformat(published[:10]).date() < self.since:
            stats.inc_value("skipped/before_since")
            resolve(self.crawler, key, Outcome.skipped("before_since"))
            self.logger.info("Published %s, before since=%s: %s", published, self.since, response.url)
            return
        # Register the canonical key too: a short link resolves only after the fetch.
        self.frontier.scheduled.add(f"{result['site']}:{result['articleId']}")
        yield result
        depth = info(response.request).depth
        if depth < self.related_depth:
            related = [Link(url=url, via="link") for url in result.get("relatedUrls", [])]
            related += [
                Link(url=link.url, via="link", title=link.title) for link in self.discovery.teaser_links(response)
            ]
            yield from self.follow_links(related, depth + 1)

    # --- failures ----------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        """Every failed request: one clear log line and a counted reason; the crawl goes on."""
        if failure.check(OutOfScope):
            return  # refused by the scope: logged, counted and given its outcome there
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on a download's failure
        reason = failure_reason(failure)
        kind = "discovery" if info(request).discovery else "article"
        detail = failure_detail(failure, reason)
        self.crawler.stats.inc_value(f"failures/{kind}/{reason}")
        resolve(self.crawler, request_key(request), Outcome.failure(reason), detail)
        level = logging.INFO if kind == "discovery" and reason == "http_404" else logging.WARNING
        self.logger.log(level, "Failed %s (%s): %s — %s", kind, reason, request.url, detail)
