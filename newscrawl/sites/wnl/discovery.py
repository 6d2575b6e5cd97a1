"""WNL discovery pages: archives and home page, post sitemaps, the WordPress REST API. docs/sites/wnl.md."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import Response

from newscrawl.article.dates import normalize_date
from newscrawl.article.text import normalize_text
from newscrawl.extract import Discovery, Link, SitemapRef, page_selector


class WnlDiscovery(Discovery):
    def site_listing(self, response: Response) -> list[Link]:
        """Teasers ("Lees meer") on the home page and category archives, in page order, first occurrence kept."""
        links: list[Link] = []
        seen: set[str] = set()
        for teaser in page_selector(response).css(
            "article.teaser, article.hero-teaser, .content-row__items article, .teaser-list article"
        ):
            title = normalize_text(teaser.css(".teaser__title, .hero-teaser__title").xpath("string()").get()) or None
            for href in teaser.css("a[href]::attr(href)").getall():
                link = self.make_link(href, response.url, "listing", title=title)
                if link and link.url not in seen:
                    seen.add(link.url)
                    links.append(link)
        return links

    def teaser_links(self, response: Response) -> list[Link]:
        # "Meer nieuws", "Ook de moeite waard", "Meer van WNL": followed, never in relatedUrls.
        return self.site_listing(response)

    def listing_next_page(self, response: Response) -> str | None:
        href = page_selector(response).css('a.next.page-numbers::attr(href), link[rel="next"]::attr(href)').get()
        return response.urljoin(href) if href else None

    def needs_rendering(self, response: Response) -> bool:
        """True when the page loads teasers with JavaScript: empty ``[data-endpoint]`` rows or a "Meer laden" button without a link."""
        for container in page_selector(response).css("[data-endpoint]"):
            if not container.xpath("./*"):
                return True
        return bool(page_selector(response).css("button.load-more, button[data-load-more]"))

    def parse_sitemap(self, response: Response) -> tuple[list[SitemapRef], list[Link]]:
        """Yoast ``sitemap_index.xml`` / core ``wp-sitemap.xml`` and their post sitemaps; only post sitemaps hold posts."""
        children, links = super().parse_sitemap(response)
        return [c for c in children if _is_post_sitemap(c.url)], links

    def select_child_sitemaps(self, children: list[SitemapRef], since: date | None, archive: bool) -> list[SitemapRef]:
        """All post sitemaps with archive=1; those modified since `since`; otherwise the newest one only.

        WordPress core's sitemaps (wp-sitemap-posts-post-N.xml) carry no lastmod and list posts by
        id, oldest first: the newest is the highest-numbered one (older ones only with archive=1).
        """
        if archive or not children:
            return children
        if since and any(c.lastmod for c in children):
            return [c for c in children if not c.lastmod or c.lastmod[:10] >= since.isoformat()]
        return [max(children, key=lambda c: (c.lastmod or "", _sitemap_number(c.url)))]

    def parse_api(self, response: Response) -> tuple[list[Link], int]:
        """``/wp-json/wp/v2/posts``: (links with UTC dates, total pages from X-WP-TotalPages)."""
        try:
            posts = json.loads(response.text)
        except ValueError:
            return [], 0
        links: list[Link] = []
        for post in posts if isinstance(posts, list) else []:
            if not isinstance(post, dict) or not isinstance(post.get("link"), str):
                continue  # another shape than WordPress's: nothing to take from it
            date_gmt, modified_gmt = _text(post.get("date_gmt")), _text(post.get("modified_gmt"))
            link = self.make_link(
                post["link"],
                response.url,
                "api",
                published=normalize_date(f"{date_gmt}Z") if date_gmt else None,
                modified=normalize_date(f"{modified_gmt}Z") if modified_gmt else None,
                title=_rendered_text(post.get("title")),
            )
            if link:
                links.append(link)
        return links, _total_pages(response.headers.get(b"X-WP-TotalPages"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _rendered_text(title: Any) -> str | None:
    """WordPress's ``{"rendered": "…"}`` title (HTML), or a plain string from another plugin."""
    raw = title.get("rendered") if isinstance(title, dict) else title
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        tree = etree.HTML(f"<p>{raw}</p>")
    except ValueError:  # control characters lxml refuses
        return None
    return normalize_text(tree.xpath("string()")) or None if tree is not None else None


def _total_pages(header: bytes | None) -> int:
    """X-WP-TotalPages; a value that is not a small number reads as no further pages."""
    try:
        return max(0, min(int((header or b"0").decode("latin-1").strip() or 0), 10_000))
    except ValueError:
        return 0


def _sitemap_number(url: str) -> int:
    """The N of post-sitemapN.xml / wp-sitemap-posts-post-N.xml (0 when there is none)."""
    match = re.search(r"(\d+)\.xml(?:\.gz)?$", urlsplit(url).path)
    return int(match.group(1)) if match else 0


def _is_post_sitemap(url: str) -> bool:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.startswith("post-sitemap") or name.startswith("wp-sitemap-posts-post")
