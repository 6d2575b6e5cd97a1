"""NU.nl (DPG Media): the site, its discovery sources and its parser. Markup: docs/sites/nu.md."""

import re

from newscrawl.extract import Check, Site, Source
from newscrawl.sites.nu.discovery import NuDiscovery
from newscrawl.sites.nu.parser import NuParser

SITE = Site(
    name="nu",
    title="NU.nl",
    host="www.nu.nl",
    aliases=frozenset({"nu.nl"}),
    # /<section>/<id>/<slug>.html; /video/… pages are not articles. The section slug is not part
    # of the identity: one article is filed under several sections.
    article_path=re.compile(r"^/(?!video/)[a-z0-9-]+/(?P<id>\d{6,8})/[^/]+\.html$"),
    short_link_path=re.compile(r"^/-/(?P<id>\d{6,8})/?$"),
    parser=NuParser,
    discovery=NuDiscovery,
    sources=(
        Source("feed", "/rss/Algemeen"),
        Source("feed", "/rss/{Section}"),  # feed names are capitalised section names
        Source("sitemap", "/sitemap_news.xml"),
        Source("sitemap", "/sitemap_index.xml", archive_only=True),  # the monthly archive sitemaps
        Source("listing", "/"),
        Source("listing", "/{section}"),
    ),
    default_sections=("binnenland", "buitenland", "politiek", "economie"),
    check=Check(
        url="https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html",
        scrapes=(
            "url",
            "canonicalUrl",
            "site",
            "articleId",
            "articleType",
            "headline",
            "description",
            "articleBody",
            "authors",
            "datePublished",
            "relatedUrls",
            "metadata",
        ),
    ),
)
