"""How a URL ended, recorded from anywhere in the crawl (see newscrawl/run/ledger.py for the list)."""

from __future__ import annotations

from scrapy import Request
from scrapy.exceptions import DropItem

from newscrawl.crawl import signals


class DuplicateItem(DropItem):
    """An item already emitted before (unchanged, or the same text under another id)."""


def request_key(request: Request | None) -> str:
    """A URL's ledger key: the first URL of its request (redirects keep it)."""
    if request is None:  # a response built by hand (a saved page) has no request
        return ""
    redirected = request.meta.get("redirect_urls")
    return redirected[0] if redirected else request.url


def resolve(crawler, url: str, outcome: str, detail: str = "") -> None:
    """Tell the run (the URL ledger, when enabled) how this URL ended."""
    crawler.signals.send_catch_log(signals.url_resolved, url=url, outcome=outcome, detail=detail)
