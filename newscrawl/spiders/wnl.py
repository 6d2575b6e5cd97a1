"""The WNL spider (wnl.tv, WordPress): discovery only; page parsing lives in newscrawl/sites/wnl.py.

Arguments (``-a name=value``):
  start_urls     comma-separated URLs to start from instead of the discovery pages
  sections       comma-separated category slugs whose archive page and feed to read
                 (default: politiek,binnenland,economie)
  since          ISO date: skip posts published before it (and post sitemaps not modified since)
  max_articles   fetch at most this many post pages
  related_depth  how many "Lees ook"/related hops to follow (default: RELATED_DEPTH)
  archive        1 = walk every post sitemap (a backfill), not only the most recently modified one
  render         auto (default): render listings whose teasers are loaded by JavaScript;
                 1: render every HTML page; 0: never render
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from ..sites import wnl
from ..urls import article_key
from .base import NewsSpider

BASE = "https://wnl.tv"
API_PAGE_SIZE = 20


class WnlSpider(NewsSpider):
    name = "wnl"
    site = "wnl"
    default_sections = ("politiek", "binnenland", "economie")
    allowed_domains = ["wnl.tv"]
    can_render = True
    custom_settings = {
        # scrapy-playwright handles only requests with meta playwright=True; the rest go to Scrapy's HTTP handler.
        "DOWNLOAD_HANDLERS": {
            "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        },
    }

    def discovery_requests(self) -> Iterator[Request]:
        yield self.discovery_request(f"{BASE}/feed/", self.parse_feed)
        for section in self.sections:
            yield self.discovery_request(f"{BASE}/category/{section}/feed/", self.parse_feed)
        # Yoast's index or WordPress core's: whichever the site has (the other one 404s, counted).
        yield self.discovery_request(f"{BASE}/sitemap_index.xml", self.parse_sitemap)
        yield self.discovery_request(f"{BASE}/wp-sitemap.xml", self.parse_sitemap)
        yield self.discovery_request(self.api_url(1), self.parse_api, api_page=1)
        yield self.discovery_request(f"{BASE}/", self.parse_listing, page=True, listing_page=1)
        for section in self.sections:
            yield self.discovery_request(f"{BASE}/category/{section}/", self.parse_listing, page=True, listing_page=1)

    @staticmethod
    def api_url(page: int) -> str:
        return f"{BASE}/wp-json/wp/v2/posts?per_page={API_PAGE_SIZE}&page={page}&_embed=1"

    def callback_for(self, url: str) -> Callable[[Response], Any]:
        path = urlsplit(url).path
        if article_key(url):
            return self.parse_article
        if path.endswith("/feed/") or path.endswith("/feed"):
            return self.parse_feed
        if path.endswith(".xml"):
            return self.parse_sitemap
        if path.startswith("/wp-json/"):
            return self.parse_api
        return self.parse_listing

    def parse_article(self, response: Response):
        """Contracts, checked offline by `scrapy check wnl -s REPLAY_WARC=tests/fixtures/wnl/site.warc.gz`.

        @url https://wnl.tv/2025/03/31/kabinet-wil-snellere-bouw-van-kleine-kerncentrales/
        @returns items 1 1
        @returns requests 1 10
        @scrapes url canonicalUrl site articleId articleType headline articleBody authors datePublished articleSection relatedUrls metadata
        """
        return super().parse_article(response)

    def parse_article_page(self, response: Response):
        return wnl.parse_article(response)

    def teaser_links(self, response: Response):
        # "Meer nieuws", "Ook de moeite waard", "Meer van WNL": followed, never in relatedUrls.
        return wnl.parse_listing(response)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        yield from self.follow_links(wnl.parse_feed(response))

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        children, links = wnl.parse_sitemap(response)
        for child in self.select_child_sitemaps(children):
            yield self.discovery_request(child.url, self.parse_sitemap)
        yield from self.follow_links(links)

    def select_child_sitemaps(self, children):
        """All post sitemaps with archive=1; those modified since `since`; otherwise the newest one only."""
        if self.walk_archive or not children:
            return children
        if self.since:
            return [c for c in children if not c.lastmod or c.lastmod[:10] >= self.since.isoformat()]
        return [max(children, key=lambda c: c.lastmod or "")]

    def parse_api(self, response: Response) -> Iterator[Request]:
        links, total_pages = wnl.parse_api_posts(response)
        yield from self.follow_links(links)
        page = response.meta.get("api_page", 1)
        if page < min(total_pages, self.settings.getint("API_MAX_PAGES", 2)):
            yield self.discovery_request(self.api_url(page + 1), self.parse_api, api_page=page + 1)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        if wnl.needs_rendering(response):
            rendered = self.rendered_again(response)
            if rendered is not None:
                # The plain page may still hold server-side teasers: follow those now too.
                yield rendered
        yield from self.follow_links(wnl.parse_listing(response))
        page = response.meta.get("listing_page", 1)
        next_page = wnl.listing_next_page(response)
        if next_page and page < self.settings.getint("LISTING_MAX_PAGES", 2):
            yield self.discovery_request(next_page, self.parse_listing, page=True, listing_page=page + 1)
