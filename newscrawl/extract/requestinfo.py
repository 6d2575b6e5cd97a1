"""What the crawl knows about a request beyond its URL: one typed object in ``request.meta``.

Spiders, middlewares, the ledger and the parsers read and write this object (under the meta key
``"newscrawl"``) instead of loose meta keys, so the protocol between them is written down once.
It survives Scrapy's request serialisation (JOBDIR, scrapy-redis): plain dataclasses pickle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scrapy import Request

from newscrawl.extract.tdm import Declaration

META_KEY = "newscrawl"


@dataclass
class Hints:
    """What a discovery page said about an article: hints for `since`, incremental fetching and
    missing fields (a feed date when the page shows none), never the article's identity."""

    published: str | None = None  # ISO, Amsterdam
    modified: str | None = None  # ISO; a sitemap lastmod or API modified time
    title: str | None = None
    keywords: list[str] = field(default_factory=list)


@dataclass
class RequestInfo:
    discovery: bool = False  # a feed, sitemap, listing or API page (not an article)
    via: str = "start"  # how the article was found: rss | sitemap | listing | api | link | start
    depth: int = 0  # related-link hops from a discovered article
    article_key: str | None = None  # "site:id" of an article request
    hints: Hints = field(default_factory=Hints)
    page: int = 1  # the page number of a paginated listing or API
    archived_at: datetime | None = None  # replay: when the archived response was recorded
    fetched_at: datetime | None = None  # when the crawl received the response, on its clock (CRAWL_NOW)
    revisit: bool = False  # a captured article requested because its revisit was due (newscrawl/crawl/revisits.py)
    # False for a URL the user named (start_urls): fetched in full, without the validators of a last read
    conditional: bool = True
    # The site's tdmrep.json rule for this URL, if one matched (newscrawl/crawl/tdm.py)
    tdm_file: Declaration | None = None


def info(request: Request | None) -> RequestInfo:
    """The request's info; a default one for requests the spiders did not make (robots.txt, a saved page)."""
    if request is None:
        return RequestInfo()
    found = request.meta.get(META_KEY)
    return found if isinstance(found, RequestInfo) else RequestInfo()


def attached_info(request: Request) -> RequestInfo:
    """The request's info, attached first when it has none (to record a fact about its response)."""
    found = request.meta.get(META_KEY)
    if not isinstance(found, RequestInfo):
        found = request.meta[META_KEY] = RequestInfo()
    return found


def response_info(response: Any) -> RequestInfo:
    # A response built from a saved page has no request.
    try:
        return info(response.request)
    except AttributeError:
        return RequestInfo()
