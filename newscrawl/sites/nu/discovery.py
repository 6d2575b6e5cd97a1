"""NU.nl discovery pages: front/section listings (RSS and sitemaps are standard). docs/sites/nu.md."""

from __future__ import annotations

from scrapy.http import Response

from newscrawl.article.dates import normalize_date
from newscrawl.article.text import normalize_text
from newscrawl.extract import Discovery, Link, page_selector


class NuDiscovery(Discovery):
    def site_listing(self, response: Response) -> list[Link]:
        """Teasers on the front page and section/dossier pages (relative times are hints only)."""
        links: list[Link] = []
        for teaser in page_selector(response).css("a.teaser[href], .widgetbar a[href]"):
            datetime_attr = teaser.css("time::attr(datetime)").get()
            link = self.make_link(
                teaser.attrib.get("href"),
                response.url,
                "listing",
                published=normalize_date(datetime_attr) if datetime_attr else None,
                title=normalize_text(teaser.css(".teaser__title").xpath("string()").get()) or None,
            )
            if link:
                links.append(link)
        return links

    def listing_next_page(self, response: Response) -> str | None:
        """The "Meer laden" link of a section page (``?page=2``), kept as is: the query matters here."""
        href = page_selector(response).css('a.load-more::attr(href), link[rel="next"]::attr(href)').get()
        return response.urljoin(href) if href else None
