"""One spider per registered site: `scrapy crawl <site>` for every package under newscrawl/sites/.

The project's spider loader (newscrawl/crawl/spiders/loader.py) asks here: one NewsSpider subclass
per site, made when first asked for, with the site's name, hosts and settings, and the site's
``scrapy check`` contract on its article callback. Nothing is put into this module's globals.
"""

from __future__ import annotations

from functools import cache

from newscrawl.crawl.spiders.base import NewsSpider
from newscrawl.extract.registry import Site, site_named

# scrapy-playwright handles only requests with meta playwright=True; the rest go to Scrapy's HTTP handler.
_RENDER_HANDLERS = {
    "http": "newscrawl.crawl.browser.ScopedPlaywrightHandler",
    "https": "newscrawl.crawl.browser.ScopedPlaywrightHandler",
}


def _contract(site: Site) -> str:
    check = site.check
    if check is None:  # a declared site: no fixture to check against
        return f"Articles of {site.title}, read by the declared selectors and the page's standards.\n"
    low, high = check.requests
    return (
        f"Contracts, checked offline by `scrapy check {site.name} -s REPLAY_WARC=tests/fixtures/{site.name}/site.warc.gz`.\n\n"
        f"@url {check.url}\n@returns items 1 1\n@returns requests {low} {high}\n@scrapes {' '.join(check.scrapes)}\n"
    )


@cache  # one class per site (a Site is hashed by identity: a re-declared site gets a new one)
def spider_class(site: Site) -> type[NewsSpider]:
    def parse_article(self, response):
        return NewsSpider.parse_article(self, response)

    parse_article.__doc__ = _contract(site)
    custom_settings = dict(site.settings)
    if site.can_render:
        custom_settings.setdefault("DOWNLOAD_HANDLERS", _RENDER_HANDLERS)
    name = f"{site.name.title().replace('_', '')}Spider"
    return type(
        name,
        (NewsSpider,),
        {
            "__module__": __name__,
            "__doc__": f"{site.title}: discovery from {', '.join(sorted({s.kind for s in site.sources}))}; articles by {site.parser.__name__}.",
            "name": site.name,
            "site": site,
            # Redirects to any other host (even an alias) are counted as offsite.
            "allowed_domains": site.crawl_hosts,
            "custom_settings": custom_settings,
            "parse_article": parse_article,
        },
    )


def spider_for(name: str) -> type[NewsSpider]:
    """The spider of the registered site ``name`` (KeyError naming the registered ones)."""
    return spider_class(site_named(name))
