"""Reserved rights at crawl time: the site's TDMRep file, and what its robots.txt says to AI crawlers.

``TdmRepMiddleware`` reads ``/.well-known/tdmrep.json`` once per host before the host's first
other request (TDMRep: the file is checked before the content), as Scrapy's robots.txt middleware
reads robots.txt, and gives each request the rule that matches its path (``RequestInfo.tdm_file``;
the parser weighs it against the response's headers and the page's metadata: newscrawl/extract/tdm.py).
The file is asked for on the site's own host only (the scope middleware sees the request like any
other), within ``TDMREP_MAXSIZE`` bytes; a missing, broken or oversized file is counted and said,
and the crawl goes on as if the file said nothing. In replay, an archive without the file is the
same: nothing is fetched.

``AiCrawlerRules`` records, per host, whether robots.txt lets each named AI crawler fetch the
site's front page (stats ``robotstxt/ai/<host>/<agent>``; the manifest's ``rights``).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from newscrawl.extract.requestinfo import META_KEY, RequestInfo, attached_info
from newscrawl.extract.tdm import WELL_KNOWN, Rule, file_declaration, read_rules

logger = logging.getLogger(__name__)

# The crawlers publishers name in robots.txt to keep their text out of AI training and answers.
AI_CRAWLERS = (
    "GPTBot",
    "ChatGPT-User",
    "OAI-SearchBot",
    "Google-Extended",
    "CCBot",
    "ClaudeBot",
    "anthropic-ai",
    "PerplexityBot",
    "Bytespider",
    "Applebot-Extended",
    "meta-externalagent",
    "Amazonbot",
    "cohere-ai",
)
FILE_META = "newscrawl_tdmrep"  # marks the file's own request


POLICIES = ("record", "obey")


def tdm_obeyed(settings) -> bool:
    """TDM_POLICY: "record" (the default) or "obey"; anything else stops the crawl before it starts."""
    policy = str(settings.get("TDM_POLICY") or "record").strip().lower()
    if policy not in POLICIES:
        raise ValueError(f"TDM_POLICY must be one of {', '.join(POLICIES)}, not {policy!r}")
    return policy == "obey"


class TdmRepMiddleware:
    def __init__(self, crawler):
        tdm_obeyed(crawler.settings)  # a misspelt TDM_POLICY is refused before the first request
        self.crawler = crawler
        self.stats = crawler.stats
        self.maxsize = crawler.settings.getint("TDMREP_MAXSIZE")
        self.rules: dict[str, tuple[Rule, ...] | Deferred] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if request.meta.get(FILE_META) or parts.path == "/robots.txt" or parts.scheme not in ("http", "https"):
            return
        rules = await self._rules(parts.scheme, parts.netloc)
        found = file_declaration(rules, parts.path or "/") if rules else None
        # A redirect's request shares its info with the first: the rule of the new path replaces the old.
        if found is not None or isinstance(request.meta.get(META_KEY), RequestInfo):
            attached_info(request).tdm_file = found

    async def _rules(self, scheme: str, netloc: str) -> tuple[Rule, ...]:
        known = self.rules.get(netloc)
        if isinstance(known, tuple):
            return known
        if isinstance(known, Deferred):
            return await maybe_deferred_to_future(known)
        waiting: Deferred = Deferred()
        self.rules[netloc] = waiting
        rules = await self._fetch(f"{scheme}://{netloc}{WELL_KNOWN}", netloc)
        self.rules[netloc] = rules
        waiting.callback(rules)
        return rules

    async def _fetch(self, url: str, netloc: str) -> tuple[Rule, ...]:
        request = Request(
            url,
            priority=1000,
            callback=NO_CALLBACK,
            meta={FILE_META: True, "download_maxsize": self.maxsize},
            dont_filter=True,
        )
        try:
            response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            return self._none(netloc, "unavailable", str(exc))
        except Exception as exc:  # noqa: BLE001 (a file we cannot fetch says nothing; the crawl goes on)
            return self._none(netloc, "unavailable", f"{type(exc).__name__}: {exc}")
        if response.status != 200:
            self.stats.set_value(f"tdmrep/{netloc}", f"absent ({response.status})")
            return ()
        rules, problem = read_rules(response.body)
        if problem:
            self.stats.inc_value("tdmrep/invalid")
            logger.warning("%s%s: %s", netloc, WELL_KNOWN, problem)
        self.stats.set_value(f"tdmrep/{netloc}", f"{len(rules)} rules" + (f"; {problem}" if problem else ""))
        return rules

    def _none(self, netloc: str, status: str, why: str) -> tuple[Rule, ...]:
        self.stats.set_value(f"tdmrep/{netloc}", f"{status} ({why[:160]})")
        logger.info("%s%s not read (%s): read as saying nothing", netloc, WELL_KNOWN, why[:200])
        return ()


class AiCrawlerRules:
    """Records what robots.txt says to each named AI crawler, per host, when Scrapy has read it."""

    def __init__(self, crawler):
        self.stats = crawler.stats
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        parts = urlsplit(request.url)
        front = f"{parts.scheme}://{parts.netloc}/"
        for agent in AI_CRAWLERS:
            try:
                allowed = robotparser.allowed(front, agent)
            except Exception:  # noqa: BLE001 (a robots.txt the parser cannot answer records nothing)
                continue
            self.stats.set_value(f"robotstxt/ai/{parts.netloc}/{agent}", "allowed" if allowed else "disallowed")
