"""One article = one request, whatever URL variant links to it.

The fingerprinter gives every URL of one article (other section slug, tracking
query, http, bare host) the same fingerprint, so Scrapy's own dupefilter never
fetches an article twice in a run (and, with JOBDIR, across a resumed run).
"""

from __future__ import annotations

import hashlib

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.request import RequestFingerprinter

from newscrawl.extract.urls import article_key


class ArticleRequestFingerprinter:
    def __init__(self, crawler: Crawler | None = None):
        self._default = RequestFingerprinter(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleRequestFingerprinter:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        key = article_key(request.url) if request.method == "GET" else None
        if key is None:
            return self._default.fingerprint(request)
        return hashlib.sha1(f"article:{key}".encode()).digest()


def redirect_within_article(request: Request) -> bool:
    """A redirect from one URL of an article to another URL of the same article: not a duplicate."""
    redirected_from = request.meta.get("redirect_urls")
    if not redirected_from:
        return False
    key = article_key(request.url)
    return key is not None and key == article_key(redirected_from[-1])


class ArticleDupeFilter(RFPDupeFilter):
    """A redirect from one URL of an article to another URL of the same article is not a duplicate.

    Kept in memory only, also with JOBDIR: Scrapy's requests.seen marks a request seen when it
    is queued, so the requests in flight at a kill -9 would never be fetched after the restart.
    A resumed crawl reads its discovery pages again; the state store (not this filter) is what
    remembers articles across runs.
    """

    @classmethod
    def from_crawler(cls, crawler):
        return cls(None, crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter)

    def request_seen(self, request: Request) -> bool:
        return False if redirect_within_article(request) else super().request_seen(request)
