"""One spider per registered site: `scrapy crawl <site>` for every package under newscrawl/sites/.

Scrapy finds spiders as classes in the SPIDER_MODULES; this module makes one NewsSpider subclass
per site, with the site's name, hosts and settings, and the site's ``scrapy check`` contract on
its article callback.
"""

from __future__ import annotations

from newscrawl.crawl.spiders.base import NewsSpider
from newscrawl.extract.registry import Site, sites

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
            "__doc__": f"{site.title}: discovery from {', '.join(sorted({s.kind for s in site.sources}))}; articles by {site.parser_class.__name__}.",
            "name": site.name,
            "site": site,
            # Redirects to any other host (even an alias) are counted as offsite.
            "allowed_domains": site.crawl_hosts,
            "custom_settings": custom_settings,
            "parse_article": parse_article,
        },
    )


#: the spider class of every registered site, by name
SPIDERS: dict[str, type[NewsSpider]] = {}
for _site in sites().values():
    SPIDERS[_site.name] = spider_class(_site)
    globals()[SPIDERS[_site.name].__name__] = SPIDERS[_site.name]
del _site  # Scrapy's spider loader collects every spider class among the module's globals: each once
