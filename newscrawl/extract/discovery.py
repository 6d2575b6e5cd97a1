"""Discovery readers: feeds, sitemaps, listings and APIs → article links. No crawling here.

A site's Discovery subclass reads the discovery pages its ``Site.sources`` declare; the spider
decides what to fetch. The defaults read standard RSS and sitemaps and accept any link that is
an article (or a short link) of the site.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from newscrawl.article.text import normalize_text
from newscrawl.extract import feeds
from newscrawl.extract.common import Link, SitemapRef, page_selector
from newscrawl.extract.registry import Site
from newscrawl.extract.urls import link_key, normalize_url


class Discovery:
    def __init__(self, site: Site):
        self.site = site

    def make_link(self, href: str | None, base: str, via: str, **hints: Any) -> Link | None:
        """A discovered link if it is one of the site's articles (or a short link that redirects to one)."""
        url = normalize_url(href, base)
        key = link_key(url) if url else None
        if url is None or key is None or not key.startswith(f"{self.site.name}:"):
            return None
        return Link(url=url, via=via, **hints)

    def source_url(self, path: str, section: str | None = None, page: int = 1) -> str:
        if section is not None:
            path = path.replace("{section}", section).replace("{Section}", section[:1].upper() + section[1:])
        path = path.replace("{page}", str(page))
        return path if "://" in path else self.site.base_url + path

    def source_kind(self, url: str) -> str:
        """What a start URL given by the user is: article, feed, sitemap, api or listing (by its path;
        a "listing" whose content is a feed or a sitemap is read as one: ``content_kind``)."""
        path = urlsplit(url).path
        if link_key(url):
            return "article"
        if path.endswith((".xml", ".xml.gz")):
            return "sitemap"
        if path.startswith("/rss") or path.rstrip("/").endswith("/feed") or path == "/feed":
            return "feed"
        if path.startswith("/wp-json/"):
            return "api"
        return "listing"

    @staticmethod
    def content_kind(response: Response) -> str:
        """What a discovery page is by its content, whatever its URL said: "feed" (RSS, Atom, RDF),
        "sitemap" (urlset, sitemapindex) or "listing" (anything else: an HTML page)."""
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        start = response.body[:1024].lstrip().lower()
        if b"<urlset" in start or b"<sitemapindex" in start:
            return "sitemap"
        if any(kind in content_type for kind in ("rss", "atom")) or any(
            tag in start for tag in (b"<rss", b"<feed", b"<rdf:rdf")
        ):
            return "feed"
        return "listing"

    # --- readers -------------------------------------------------------------
    def parse_feed(self, response: Response, skipped: Counter[str] | None = None) -> list[Link]:
        """The feed's article links; entries passed over are counted in ``skipped`` by reason."""
        return feeds.parse_rss(response, self.make_link, skipped)

    def parse_sitemap(self, response: Response) -> tuple[list[SitemapRef], list[Link]]:
        return feeds.parse_sitemap(response, self.make_link)

    def select_child_sitemaps(self, children: list[SitemapRef], since: date | None, archive: bool) -> list[SitemapRef]:
        """Which child sitemaps of an index to read: all of them."""
        return children

    def parse_listing(self, response: Response) -> list[Link]:
        """Teasers of a front, section or archive page: the site's teaser rule, else every article link."""
        return self.site_listing(response) or self.any_article_links(response)

    def site_listing(self, response: Response) -> list[Link]:
        """The site's own teaser markup (none by default)."""
        return []

    def any_article_links(self, response: Response) -> list[Link]:
        """Every link to one of the site's articles on the page, in page order, each once: what a
        listing still offers when its teaser classes have changed (menus and footers hold none)."""
        links: list[Link] = []
        seen: set[str] = set()
        for anchor in page_selector(response).xpath("//body//a[@href]"):
            link = self.make_link(
                anchor.attrib["href"],
                response.url,
                "listing",
                title=normalize_text(anchor.xpath("string()").get()) or None,
            )
            if link and link.url not in seen:
                seen.add(link.url)
                links.append(link)
        return links

    def listing_next_page(self, response: Response) -> str | None:
        return None

    def needs_rendering(self, response: Response) -> bool:
        """True when a listing loads its teasers with JavaScript (only for sites that can render)."""
        return False

    def parse_api(self, response: Response) -> tuple[list[Link], int]:
        """(links, total pages) of an API listing page."""
        return [], 0

    def teaser_links(self, response: Response) -> list[Link]:
        """Teaser blocks on an article page ("Meer nieuws" …) worth following; not part of the item."""
        return []
