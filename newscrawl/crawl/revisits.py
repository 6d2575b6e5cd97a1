"""Over time: captured articles are fetched again on a schedule, and a withdrawal is recorded.

Feeds and listings drop an article within hours, and a sitemap's ``lastmod`` does not move when
an edit is not dated, so neither tells when an article changed. Every captured article is due
again at fixed ages after its publication (``REVISIT_AFTER_HOURS``: often in its first hours,
then at least every 20 hours up to a week), whether a listing still shows it or not. A revisit
is a conditional request (newscrawl/crawl/incremental.py): an unchanged page costs a 304, an
edited one is a new revision. At most ``REVISIT_MAX_PER_RUN`` per run, the most overdue first.

A captured article that answers 404 or 410, or redirects to the front or a section page, is
withdrawn: one line says so (``metadata.withdrawn``, no text) and the state remembers it, so the
next run's 404 adds nothing; if it comes back, its text is a new revision.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.http import Response

from newscrawl.article.clock import crawl_clock
from newscrawl.article.dates import format_utc, instant
from newscrawl.article.schema import SCHEMA_VERSION
from newscrawl.extract.common import Link
from newscrawl.extract.item import ArticleItem
from newscrawl.extract.urls import link_key
from newscrawl.state import FetchRecord, store_for

logger = logging.getLogger(__name__)

#: statuses a captured article answers with when it was taken down
GONE_STATUSES = (404, 410)


def revisit_hours(settings) -> list[float]:
    """REVISIT_AFTER_HOURS as ascending hours: a list, or on the command line "1,2,4" ("" or "[]": none).
    ValueError for anything else (the crawl refuses to start with it)."""
    value = settings.get("REVISIT_AFTER_HOURS")
    items = value if isinstance(value, list | tuple) else str(value or "").strip("[] ").split(",")
    try:
        hours = sorted(float(str(h).strip()) for h in items if str(h).strip())
    except (TypeError, ValueError):
        hours = [-1.0]
    if any(h <= 0 or h != h for h in hours):
        raise ValueError(f"REVISIT_AFTER_HOURS must be hours after publication (positive numbers), not {value!r}")
    return hours


def schedule(crawler: Crawler) -> list[float]:
    """The revisit ages in hours (ascending, positive); empty: revisits are off. Revisits are part of
    an incremental crawl: its components ask only when INCREMENTAL is on (newscrawl/crawl/incremental.py)."""
    return revisit_hours(crawler.settings)


def next_due(published: datetime, after: datetime, hours: list[float]) -> datetime | None:
    """The first scheduled age of the article later than ``after``; None when the schedule is over."""
    for age in hours:
        due = published + timedelta(hours=age)
        if due > after:
            return due
    return None


def live_due(crawler: Crawler, updates: list[dict] | None, now: datetime) -> datetime | None:
    """A live blog still live (its newest update at most LIVEBLOG_LIVE_HOURS old) is due again
    LIVEBLOG_REVISIT_MINUTES from now; None for any other article."""
    times = [when for update in updates or [] if (when := instant(update.get("datePublished"))) is not None]
    if not times or now - max(times) > timedelta(hours=crawler.settings.getfloat("LIVEBLOG_LIVE_HOURS")):
        return None
    return now + timedelta(minutes=crawler.settings.getfloat("LIVEBLOG_REVISIT_MINUTES"))


def after_visit(
    crawler: Crawler,
    hours: list[float],
    article_key: str,
    record: FetchRecord | None,
    published: str | None = None,
    updates: list[dict] | None = None,
) -> None:
    """The article was just fetched (or answered 304; ``record`` is its fetch as the state holds it):
    set its next revisit on the schedule ``hours``, or soon again for a live blog still live (``updates``)."""
    if not hours or record is None:
        return
    now = crawl_clock(crawler).now()
    # A bare date (datePublishedPrecision "day") counts from its start, UTC.
    given = instant(published, UTC)
    due = live_due(crawler, updates, now) or next_due(given or instant(record.published, UTC) or now, now, hours)
    store_for(crawler).set_revisit(
        article_key, published if given else None, due.isoformat(timespec="seconds") if due else None
    )


def due_links(crawler: Crawler, site: str) -> list[Link]:
    """This run's revisits of ``site``: the articles due now, most overdue first, at most REVISIT_MAX_PER_RUN."""
    if not schedule(crawler):
        return []
    limit = crawler.settings.getint("REVISIT_MAX_PER_RUN")
    now = crawl_clock(crawler).now().isoformat(timespec="seconds")
    due = store_for(crawler).due_revisits(site, now, limit + 1)
    if len(due) > limit:
        crawler.stats.inc_value("revisit/deferred")
        logger.info(
            "More than %d revisits are due (REVISIT_MAX_PER_RUN): the most overdue now, the rest next run", limit
        )
    links = [Link(url=record.url, via="revisit", published=record.published) for _, record in due[:limit] if record.url]
    crawler.stats.set_value("revisit/due", len(links))
    return links


def known_fetch(crawler: Crawler, article_key: str | None) -> FetchRecord | None:
    return store_for(crawler).get_fetch(article_key) if article_key else None


def is_gone(response: Response) -> bool:
    """A 404 or 410, or a redirect that ended on the front page or a section page (not an article)."""
    if response.status in GONE_STATUSES:
        return True
    if not response.meta.get("redirect_urls") or link_key(response.url):
        return False
    segments = [part for part in urlsplit(response.url).path.split("/") if part]
    return len(segments) <= 1


def withdrawal_status(response: Response) -> int:
    reasons = response.meta.get("redirect_reasons") or []
    return response.status if response.status in GONE_STATUSES or not reasons else int(reasons[0])


def withdrawal(crawler: Crawler, article_key: str, record: FetchRecord, response: Response, via: str) -> ArticleItem:
    """The one line that says an article is gone: its identity, when it was seen gone, and how."""
    site, article_id = article_key.split(":", 1)
    now = crawl_clock(crawler).now()
    url = response.request.url if response.request is not None else response.url
    item = ArticleItem(
        url=url,
        canonicalUrl=record.url or url,
        site=site,
        articleId=article_id,
        metadata={
            "dateDownloaded": format_utc(now),
            "contentHash": withdrawal_hash(article_key),
            "schemaVersion": SCHEMA_VERSION,
            "discoveredVia": via,
            "withdrawn": format_utc(now),
            "httpStatus": withdrawal_status(response),
        },
    )
    return item


def withdrawal_hash(article_key: str) -> str:
    """The contentHash of an article's withdrawal line: its own per article, so that two withdrawals
    are never "the same text", and the same for every sighting, so that one is recorded once."""
    return hashlib.sha256(f"{article_key}\x1fwithdrawn".encode()).hexdigest()
