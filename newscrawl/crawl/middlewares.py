"""Small downloader middlewares of our own."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import TextResponse

from newscrawl.crawl import signals as crawl_signals
from newscrawl.crawl.outcomes import Outcome, request_key, resolve
from newscrawl.crawl.scope import OutOfScope, Scope
from newscrawl.extract.common import release_selector
from newscrawl.extract.consent import consent_redirect
from newscrawl.extract.requestinfo import info

logger = logging.getLogger(__name__)


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """USER_AGENT with ``{contact}`` replaced by CONTACT_URL, so operators can set their own contact."""

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        middleware = cls(settings["USER_AGENT"].replace("{contact}", settings.get("CONTACT_URL")))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware


class ScopeMiddleware:
    """Every request, at every hop, stays on the site (newscrawl/crawl/scope.py): dropped otherwise.

    It runs first among the downloader middlewares, so a retry, each redirect hop and a robots.txt
    request pass it like the first request; ``dont_filter`` (set on every retry) does not exempt a
    request, as it does in Scrapy's offsite filter. A URL longer than URLLENGTH_LIMIT is dropped here
    too. Each dropped request is logged at WARNING, counted (``failures/<kind>/offsite``,
    ``…/refused_address``, ``…/url_too_long``) and given its outcome.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.scope: Scope | None = None

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.scope = Scope.for_spider(spider, self.crawler.settings)
        self.max_length = self.crawler.settings.getint("URLLENGTH_LIMIT")

    def consent_wall(self, request: Request, reason: str, origin: str | None) -> str | None:
        """Why a redirect off the site is a consent wall (newscrawl/extract/consent.py), or None."""
        site = getattr(self.crawler.spider, "site", None)
        if reason != "offsite" or origin is None or site is None:
            return None
        return consent_redirect(request.url, origin, site.consent_hosts)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.scope is None:
            self.spider_opened(self.crawler.spider)
        assert self.scope is not None
        refusal = self.scope.refusal(request.url)
        if refusal is None and self.max_length and len(request.url) > self.max_length:
            # Here rather than Scrapy's UrlLengthMiddleware (off), which drops a callback's long link
            # without an outcome and never sees the articles the frontier schedules.
            refusal = ("url_too_long", f"{len(request.url)} characters (URLLENGTH_LIMIT {self.max_length})")
        if refusal is None:
            return
        reason, detail = refusal
        origin = (request.meta.get("redirect_urls") or [None])[0]
        wall = self.consent_wall(request, reason, origin)
        if wall:
            # The site asks for consent first: named so (never "offsite"), and the consent host is never asked.
            self.crawler.stats.inc_value("skipped/consent_wall")
            resolve(self.crawler, request_key(request), Outcome.skipped("consent_wall"), wall)
            logger.warning("Consent wall: %s %s", origin, wall, extra={"spider": self.crawler.spider})
            raise OutOfScope(f"consent_wall: {wall}")
        robots = request.meta.get("dont_obey_robotstxt") and urlsplit(request_key(request)).path == "/robots.txt"
        kind = "robots" if robots else "discovery" if info(request).discovery else "article"
        self.crawler.stats.inc_value(f"failures/{kind}/{reason}")
        if not robots:  # robots.txt is no URL of the crawl's own; Scrapy reads a failed one as "allow all"
            resolve(
                self.crawler,
                request_key(request),
                Outcome.failure(reason),
                f"redirected from {origin}" if origin else detail,
            )
        logger.warning(
            "Failed %s (%s): %s — %s%s",
            kind,
            reason,
            request.url,
            detail,
            f", redirected from {origin}" if origin else "",
            extra={"spider": self.crawler.spider},
        )
        raise OutOfScope(f"{reason}: {detail}")


class ConsentCookiesMiddleware:
    """CONSENT_COOKIES (off by default): the consent cookies an operator is entitled to send, sent
    as a Cookie header on requests to the site's own hosts only (the scope is checked first), so
    that a site that asks for consent first serves its articles. Nothing is accepted or clicked."""

    def __init__(self, cookies: dict[str, str], hosts: frozenset[str]):
        self.header = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.hosts = hosts

    @classmethod
    def from_crawler(cls, crawler):
        cookies = {str(k): str(v) for k, v in crawler.settings.getdict("CONSENT_COOKIES").items()}
        site = getattr(crawler.spidercls, "site", None)
        if not cookies or site is None:
            raise NotConfigured
        return cls(cookies, site.hosts)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if (urlsplit(request.url).hostname or "") in self.hosts:
            request.headers["Cookie"] = self.header


def retry_after_seconds(value: bytes | None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, but a 429 or 503 with Retry-After waits as long as the site asks (up to RETRY_AFTER_MAX).

    Only this request waits; the rest of the crawl goes on.
    """

    def __init__(self, settings, crawler=None):
        super().__init__(settings)
        self.max_delay = settings.getfloat("RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    # Scrapy awaits a coroutine from a downloader middleware's process_response.
    async def process_response(self, request: Request, response, spider: Spider | None = None):  # type: ignore[override]
        if (
            response.status in (429, 503)
            and not request.meta.get("dont_retry")
            and response.status in self.retry_http_codes
        ):
            delay = retry_after_seconds(response.headers.get(b"Retry-After"))
            if delay is not None and request.meta.get("retry_times", 0) < self.max_retry_times:
                delay = min(delay, self.max_delay)
                self.crawler.stats.inc_value("retry/retry_after_waits")
                logger.info("%s %s: waiting %.0f s as Retry-After asks", response.status, request.url, delay)
                await asyncio.sleep(delay)
        return super().process_response(request, response)


_LATIN_LABELS = {"iso-8859-1", "latin-1", "latin1", "cp1252", "windows-1252", "us-ascii", "ascii"}
_UTF8_LABELS = {"utf-8", "utf8"}
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# A well-formed multi-byte UTF-8 sequence: its presence says the page is UTF-8 (a stray bad byte
# in it is damage, not another charset); its absence beside invalid bytes says a legacy charset.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class CharsetRepairMiddleware:
    """A page whose declared charset contradicts its bytes is read as the bytes allow.

    * labelled ISO-8859-1/Windows-1252, but valid UTF-8: read as UTF-8 (misconfigured servers and
      CDNs; read as labelled, "privécollectie" becomes "privÃ©collectie"). Multi-byte UTF-8
      sequences almost never occur in real Latin-1 text.
    * labelled UTF-8 (header or ``<meta>``), but not UTF-8 and without one UTF-8 sequence: the
      legacy charset the web falls back to, Windows-1252 (read as labelled, every "é" would be
      U+FFFD). A UTF-8 page with a few broken bytes stays UTF-8; the parser flags its replacement
      characters (metadata.warnings).
    A byte-order mark decides before any label (w3lib's and the HTML standard's rule): those
    pages are left to Scrapy, which reads the BOM first.
    """

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request: Request, response, spider: Spider | None = None):
        if not isinstance(response, TextResponse):
            return response
        body, label = response.body, response.encoding.lower()
        if body.isascii() or body.startswith(_BOMS) or label not in _LATIN_LABELS | _UTF8_LABELS:
            return response
        try:
            body.decode("utf-8")
            valid_utf8 = True
        except UnicodeDecodeError:
            valid_utf8 = False
        if label in _LATIN_LABELS and valid_utf8:
            encoding = "utf-8"
        elif label in _UTF8_LABELS and not valid_utf8 and _UTF8_SEQUENCE.search(body) is None:
            encoding = "cp1252"
        else:
            return response
        self.stats.inc_value("charset/repaired")
        logger.info(
            "Labelled %s but %s, read as %s: %s",
            response.encoding,
            "UTF-8" if encoding == "utf-8" else "not UTF-8",
            encoding,
            response.url,
        )
        return response.replace(encoding=encoding)


class ReleaseParsedTreeMiddleware:
    """Spider middleware: free each page's parsed tree as soon as its callback is done with it.

    A page's tree (newscrawl.extract.common.page_selector) would otherwise live until the garbage
    collector frees its response. It runs when enough *Python* objects were allocated,
    but an lxml tree (1–2 MB of C memory for a 100 KB page) counts as one object, so dozens of
    dead trees piled up: peak RSS 534 MB → 120 MB for a 1,000-article crawl (BENCHMARKS.md).
    """

    def process_spider_output(self, response, result, spider=None):
        yield from result
        release_selector(response)

    async def process_spider_output_async(self, response, result, spider=None):
        async for output in result:
            yield output
        release_selector(response)


class ParseErrorMiddleware:
    """Spider middleware: a page that breaks a parser is an outcome, not a lost URL.

    Any exception in a callback (a page parser, a feed or sitemap reader) is logged once with its
    class, counted as ``failures/<discovery|article>/parse_error`` and ``parse_errors/<Class>``,
    recorded in the URL ledger as ``failure:parse_error``, and the page is kept with the layout
    samples (newscrawl/run/health.py), which fails the run when more than HEALTH_MAX_PARSE_ERROR_SHARE
    of the article pages broke. The crawl goes on.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_exception(self, response, exception, spider=None):
        request = response.request
        kind = "discovery" if info(request).discovery else "article"
        name = type(exception).__name__
        stats = self.crawler.stats
        stats.inc_value(f"failures/{kind}/parse_error")
        stats.inc_value(f"parse_errors/{name}")
        detail = f"{name}: {str(exception)[:300]}"
        resolve(self.crawler, request_key(request), Outcome.failure("parse_error"), detail)
        self.crawler.signals.send_catch_log(crawl_signals.page_parse_error, response=response, kind=kind, detail=detail)
        logger.error(
            "Parse error on %s page %s (%s); the crawl goes on",
            kind,
            response.url,
            detail,
            exc_info=exception,
            extra={"spider": self.crawler.spider},
        )
        return []


class GzippedDiscoveryMiddleware:
    """A gzipped discovery file (a ``.xml.gz`` sitemap, served as application/gzip, so no
    Content-Encoding for Scrapy's decompression to undo and bound) is unpacked here, at most to
    SITEMAP_MAX_BYTES: past it the request fails as ``too_large``, like a Content-Encoding bomb
    (IgnoreRequest, reason from its message), not as a traceback in the sitemap reader."""

    def process_response(self, request: Request, response, spider: Spider | None = None):
        if not info(request).discovery or response.body[:2] != b"\x1f\x8b":
            return response
        from scrapy.exceptions import IgnoreRequest
        from scrapy.http import XmlResponse
        from scrapy.utils._compression import _DecompressionMaxSizeExceeded

        from newscrawl.extract.feeds import SITEMAP_MAX_BYTES, sitemap_body

        try:
            body = sitemap_body(response)  # the sitemap reader's own unpacking, within its bound
        except _DecompressionMaxSizeExceeded:
            raise IgnoreRequest(
                f"gzipped {response.url} unpacks past the size limit ({SITEMAP_MAX_BYTES} bytes, the sitemap protocol's)"
            ) from None
        except (OSError, EOFError, ValueError) as exc:  # not gzip after all, or cut short: read as it came
            logger.warning("%s: gzip body not unpacked (%s)", response.url, exc)
            return response
        return response.replace(cls=XmlResponse, body=body)


class CrawlDelayMiddleware:
    """robots.txt's ``Crawl-delay`` for our user agent is honoured per host: the host's download
    slot waits at least that long between requests, unrandomised, and AutoThrottle does not lower
    it (``autothrottle_dont_adjust_delay``). Capped at ROBOTSTXT_CRAWL_DELAY_MAX (a robots.txt
    asking an hour would stall the crawl: the cap is used and said). Counted as
    ``robotstxt/crawl_delay/<host>``."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.delays: dict[str, float] = {}
        self.user_agent = crawler.settings.get("USER_AGENT", "")
        self.cap = crawler.settings.getfloat("ROBOTSTXT_CRAWL_DELAY_MAX")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response, spider: Spider | None = None):
        parts = urlsplit(request.url)
        if parts.path == "/robots.txt" and response.status == 200 and parts.hostname:
            from protego import Protego

            try:
                asked = Protego.parse(
                    response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
                ).crawl_delay(self.user_agent)
            except Exception:  # noqa: BLE001 (a robots.txt Protego cannot read sets no delay)
                asked = None
            if asked:
                delay = min(float(asked), self.cap)
                if delay < float(asked):
                    logger.warning(
                        "%s asks a Crawl-delay of %s s: capped at %s s (ROBOTSTXT_CRAWL_DELAY_MAX)",
                        parts.hostname,
                        asked,
                        delay,
                    )
                self.delays[parts.hostname] = delay
                self.crawler.stats.set_value(f"robotstxt/crawl_delay/{parts.hostname}", delay)
        return response

    def process_request(self, request: Request, spider: Spider | None = None):
        if not self.delays:  # no robots.txt asked for one: every request passes untouched
            return None
        delay = self.delays.get(urlsplit(request.url).hostname or "")
        if delay:
            request.meta["autothrottle_dont_adjust_delay"] = True
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None and (slot.delay < delay or slot.randomize_delay):
                slot.delay, slot.randomize_delay = max(slot.delay, delay), False
        return None
