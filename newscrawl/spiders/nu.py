"""The NU.nl spider: discovery only; page parsing lives in newscrawl/sites/nu.py.

Arguments (``-a name=value``):
  start_urls     comma-separated URLs to start from instead of the discovery pages
  sections       comma-separated section slugs whose page and RSS feed to read
                 (default: binnenland,buitenland,politiek,economie)
  since          ISO date: skip articles published before it
  max_articles   fetch at most this many article pages
  related_depth  how many related-link hops to follow (default: RELATED_DEPTH)
  archive        1 = also walk the sitemap index (the monthly archive sitemaps): a backfill
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from ..sites import nu
from ..urls import article_key, nu_short_url_id
from .base import NewsSpider

BASE = "https://www.nu.nl"


class NuSpider(NewsSpider):
    name = "nu"
    site = "nu"
    default_sections = ("binnenland", "buitenland", "politiek", "economie")
    allowed_domains = ["www.nu.nl"]

    def discovery_requests(self) -> Iterator[Request]:
        yield self.discovery_request(f"{BASE}/rss/Algemeen", self.parse_rss)
        for section in self.sections:
            # Feed names are capitalised section names (/rss/Binnenland).
            yield self.discovery_request(f"{BASE}/rss/{section[:1].upper()}{section[1:]}", self.parse_rss)
        yield self.discovery_request(f"{BASE}/sitemap_news.xml", self.parse_sitemap)
        if self.walk_archive:
            yield self.discovery_request(f"{BASE}/sitemap_index.xml", self.parse_sitemap)
        yield self.discovery_request(f"{BASE}/", self.parse_listing, page=True, listing_page=1)
        for section in self.sections:
            yield self.discovery_request(f"{BASE}/{section}", self.parse_listing, page=True, listing_page=1)

    def callback_for(self, url: str) -> Callable[[Response], Any]:
        path = urlsplit(url).path
        if article_key(url) or nu_short_url_id(url):
            return self.parse_article
        if path.startswith("/rss"):
            return self.parse_rss
        if path.endswith(".xml"):
            return self.parse_sitemap
        return self.parse_listing

    def short_link_key(self, url: str) -> str | None:
        article_id = nu_short_url_id(url)
        return f"nu:{article_id}" if article_id else None

    def parse_article(self, response: Response):
        """Contracts, checked offline by `scrapy check nu -s REPLAY_WARC=tests/fixtures/nu/site.warc.gz`.

        @url https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html
        @returns items 1 1
        @returns requests 1 10
        @scrapes url canonicalUrl site articleId articleType headline description articleBody authors datePublished relatedUrls metadata
        """
        return super().parse_article(response)

    def parse_article_page(self, response: Response):
        return nu.parse_article(response)

    def parse_rss(self, response: Response) -> Iterator[Request]:
        yield from self.follow_links(nu.parse_rss(response))

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        children, links = nu.parse_sitemap(response)
        for child in children:
            yield self.discovery_request(child.url, self.parse_sitemap)
        yield from self.follow_links(links)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        yield from self.follow_links(nu.parse_listing(response))
        page = response.meta.get("listing_page", 1)
        next_page = nu.listing_next_page(response)
        if next_page and page < self.settings.getint("LISTING_MAX_PAGES", 2):
            yield self.discovery_request(next_page, self.parse_listing, page=True, listing_page=page + 1)
