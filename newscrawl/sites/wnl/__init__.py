"""WNL (wnl.tv, WordPress + Yoast): the site, its discovery sources and its parser. Markup: docs/sites/wnl.md."""

import re

from newscrawl.extract import Check, Site, Source
from newscrawl.sites.wnl.discovery import WnlDiscovery
from newscrawl.sites.wnl.parser import WnlParser

SITE = Site(
    name="wnl",
    title="WNL",
    host="wnl.tv",
    aliases=frozenset({"www.wnl.tv"}),
    # /<yyyy>/<mm>/<dd>/<slug>/: WordPress permalinks; the post id is read from the page.
    article_path=re.compile(r"^/(?P<id>\d{4}/\d{2}/\d{2}/[^/]+)/$"),
    trailing_slash=True,
    parser=WnlParser,
    discovery=WnlDiscovery,
    sources=(
        Source("feed", "/feed/"),
        Source("feed", "/category/{section}/feed/"),
        # Yoast's index or WordPress core's: whichever the site has (the other one 404s, counted).
        Source("sitemap", "/sitemap_index.xml"),
        Source("sitemap", "/wp-sitemap.xml"),
        Source("api", "/wp-json/wp/v2/posts?per_page=20&page={page}&_embed=1"),
        Source("listing", "/"),
        Source("listing", "/category/{section}/"),
    ),
    default_sections=("politiek", "binnenland", "economie"),
    can_render=True,
    check=Check(
        url="https://wnl.tv/2025/03/31/kabinet-wil-snellere-bouw-van-kleine-kerncentrales/",
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
