"""Which discovered articles are requested, and when.

Discovery pages (feeds, sitemaps, listings, APIs) are read first and their links merged per
article; when discovery is idle the articles are requested newest first, ``ARTICLE_BATCH`` at a
time, each once, within ``since`` and ``max_articles`` and skipping those whose lastmod has not
moved since the last fetch. Every link that is not requested gets its outcome here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from newscrawl.article.clock import crawl_clock
from newscrawl.article.dates import published_key
from newscrawl.crawl.incremental import unchanged_since_last_fetch
from newscrawl.crawl.outcomes import Outcome, resolve
from newscrawl.extract.common import Link
from newscrawl.extract.urls import link_key
from newscrawl.state import store_for

# Discovery sources, most authoritative first (a sitemap lists the canonical URL; teasers use any variant).
_VIA_RANK = {"sitemap": 0, "api": 1, "rss": 2, "listing": 3, "link": 4, "revisit": 5}


class Frontier:
    def __init__(self, crawler, since: date | None, max_articles: int | None):
        self.crawler = crawler
        self.since = since
        self.max_articles = max_articles
        self.discovered: dict[str, Link] = {}  # merged links of this discovery round, by article key
        self.pending: list[Link] = []  # merged links waiting for their batch, oldest first
        self.scheduled: set[str] = set()  # article keys requested (or settled) in this run
        # Distributed mode, after a worker died: "was this URL finished in this run?" (see NewsSpider.sweep).
        self.is_done: Callable[[str], bool] | None = None
        self._site_known: bool | None = None
        self.revisits: set[str] = set()  # article keys due for a revisit: requested whatever their lastmod says

    def captured(self, link: Link) -> bool:
        """The article was captured by an earlier crawl (the state has its fetch)."""
        key = link_key(link.url)
        return key is not None and store_for(self.crawler).get_fetch(key) is not None

    def site_known(self, site: str) -> bool:
        """An earlier crawl captured articles of the site (a first crawl has no window to overflow)."""
        if self._site_known is None:
            self._site_known = store_for(self.crawler).knows_site(site)
        return self._site_known

    def add_revisits(self, links: list[Link]) -> None:
        """Captured articles due for a revisit: merged with what discovery found of them."""
        for link in links:
            key = link_key(link.url)
            if key is not None and key not in self.scheduled:
                self.revisits.add(key)
                self.remember(link)

    def remember(self, link: Link) -> None:
        """A discovery link: merged with what other discovery pages said about the same article."""
        key = link_key(link.url)
        if key is None or key in self.scheduled:
            return
        known = self.discovered.get(key)
        if link.via != "revisit" and (known is None or (link.published and not known.published)):
            # The coverage ledger: what the site listed, when, and (from whichever page says it) its publication.
            store_for(self.crawler).record_listed(key, link.url, link.published, crawl_clock(self.crawler).iso())
        if known is None:
            self.discovered[key] = link
            if link.via != "revisit":
                self.crawler.stats.inc_value("discovery/links_found")
            return
        # Which URL and "via" an article is requested under must not depend on which discovery
        # page answered first: the most authoritative source wins, then the smallest URL.
        if (_VIA_RANK.get(link.via, 9), link.url) < (_VIA_RANK.get(known.via, 9), known.url):
            known.url, known.via = link.url, link.via
        # Every source fills in what the others did not know.
        for field_name in ("published", "title"):
            if getattr(known, field_name) is None:
                setattr(known, field_name, getattr(link, field_name))
        if link.modified and (
            known.modified is None or datetime.fromisoformat(link.modified) > datetime.fromisoformat(known.modified)
        ):
            known.modified = link.modified
        known.keywords = known.keywords or link.keywords

    def close_discovery_round(self) -> int:
        """Move this round's links into the pending list, newest last; returns how many there were."""
        fresh = list(self.discovered.values())
        self.discovered = {}
        # Oldest first, so that pop() gives the newest; instants, not strings (+01:00 vs +02:00).
        self.pending = sorted(self.pending + fresh, key=lambda link: published_key({"datePublished": link.published}))
        return len(fresh)

    def next_links(self):
        """Pending links, newest first (a generator: the caller stops at its batch size)."""
        while self.pending:
            yield self.pending.pop()

    def has_unscheduled(self) -> bool:
        """Links found by discovery and not yet requested (the crawl is not over while there are)."""
        return bool(self.discovered or self.pending)

    def admit(self, link: Link) -> str | None:
        """The article key when ``link`` is to be requested now; None (with its outcome) when it is
        known, too old, unchanged or over the limit."""
        stats = self.crawler.stats
        key = link_key(link.url)
        if key is None or key in self.scheduled:
            return None
        if self.is_done is not None and self.is_done(link.url):
            self.scheduled.add(key)
            return None
        # Not touched since `since` (lastmod) or published before it: too old, not fetched.
        last_touched = link.modified or link.published
        if self.since and last_touched and datetime.fromisoformat(last_touched).date() < self.since:
            stats.inc_value("discovery/skipped_before_since")
            resolve(self.crawler, link.url, Outcome.not_requested("before_since"))
            return None
        if key not in self.revisits and unchanged_since_last_fetch(self.crawler, key, link.modified):
            self.scheduled.add(key)
            stats.inc_value("incremental/unchanged_skipped")
            resolve(self.crawler, link.url, Outcome.not_requested("unchanged"))
            return None
        if self.max_articles is not None and len(self.scheduled) >= self.max_articles:
            stats.inc_value("discovery/skipped_max_articles")
            resolve(self.crawler, link.url, Outcome.not_requested("max_articles"))
            return None
        self.scheduled.add(key)
        stats.inc_value(f"discovery/articles/{link.via}")
        if key in self.revisits:
            stats.inc_value("revisit/requested")
        return key
