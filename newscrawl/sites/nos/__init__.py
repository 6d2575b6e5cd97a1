"""NOS (nos.nl): the site, its discovery sources and its parser. Markup: docs/sites/nos.md."""

import re

from newscrawl.extract import Check, Discovery, Site, Source
from newscrawl.sites.nos.parser import NosParser

SITE = Site(
    name="nos",
    title="NOS",
    host="nos.nl",
    aliases=frozenset({"www.nos.nl"}),
    # /artikel/<id>-<slug>; liveblogs (items of type LiveBlogPosting) and video pages (skipped with
    # their outcome) share the id sequence. The slug is not part of the identity.
    article_path=re.compile(r"^/(?:artikel|liveblog|video)/(?P<id>\d{6,8})-[a-z0-9-]+$"),
    parser=NosParser,
    discovery=Discovery,  # standard RSS, sitemaps and listing links
    sources=(
        Source("feed", "https://feeds.nos.nl/nosnieuwsalgemeen"),
        Source("feed", "https://feeds.nos.nl/nosnieuws{section}"),
        Source("sitemap", "/sitemap/nieuws.xml"),
        Source("listing", "/nieuws/laatste"),
        Source("listing", "/nieuws/{section}"),
    ),
    default_sections=("binnenland", "politiek"),
    layout_min_coverage={"authors": 0.0},  # NOS names a reporter on few articles; the organisation always
    check=Check(
        url="https://nos.nl/artikel/2561001-gemeenten-krijgen-meer-tijd-voor-opvang-van-asielzoekers",
        scrapes=(
            "url",
            "canonicalUrl",
            "site",
            "articleId",
            "articleType",
            "headline",
            "articleBody",
            "authors",
            "datePublished",
            "articleSection",
            "relatedUrls",
            "metadata",
        ),
    ),
)
