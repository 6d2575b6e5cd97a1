"""Small downloader middlewares of our own."""

from __future__ import annotations

import logging

from scrapy import Request, Spider, signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import IgnoreRequest

from .ledger import request_key, resolve

logger = logging.getLogger(__name__)


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """USER_AGENT with ``{contact}`` replaced by CONTACT_URL, so operators can set their own contact."""

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        middleware = cls(settings["USER_AGENT"].replace("{contact}", settings.get("CONTACT_URL", "")))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware


class LoggedOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite filter, with every dropped request logged and counted like other failures.

    Scrapy drops an off-site request when it is scheduled, before any errback
    can see it, and logs only the first one per domain at DEBUG. A redirect of
    an article to another host is a lost article: it deserves a WARNING.
    """

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            super().process_request(request)
        except IgnoreRequest:
            origin = (request.meta.get("redirect_urls") or [None])[0]
            kind = "discovery" if request.meta.get("discovery") else "article"
            self.stats.inc_value(f"failures/{kind}/offsite")
            resolve(self.crawler, request_key(request), "failure:offsite", f"redirected from {origin}" if origin else "off-site link")
            logger.warning(
                "Failed %s (offsite): %s%s",
                kind,
                request.url,
                f" — redirected from {origin}" if origin else "",
                extra={"spider": self.crawler.spider},
            )
            raise
