"""Backfill: the registered sites' articles in WARC files someone else made (CC-NEWS, another
crawler, our own recordings), through the crawl's own pipeline.

One :class:`Scan` reads the files once, for every site asked for; each site has its own crawler
in the same process (its spider from :func:`backfill_spider`), so each dataset gets its own
validation, deduplication, revisions, health verdict and manifest, exactly as a crawl's. A kept
record becomes a request that :class:`ArchivedRecordMiddleware` answers with the record's response:
nothing is ever fetched, and a request for anything else (a redirect's target, robots.txt) is
refused and counted.

Which records are kept: response records of a site's own hosts, at one of its article URLs,
captured (``WARC-Date``, an Amsterdam day) within ``--from``/``--until``. A copy of an article
on another host (syndication, an aggregator) is no article of the site, whatever its canonical
link says. Each page is read with the layout valid on its capture date (``PageParser.for_page``).

Resume: each site's state records, per file, the offset before which every kept record of that
site has ended (written, dropped or refused); a new run starts each file at the smallest offset
of the sites asked, and passes over a site's records before its own. Deduplication makes a record
read twice harmless; the mark only saves the reading.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import zlib
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from newscrawl.article.dates import AMSTERDAM, format_utc
from newscrawl.article.files import head_digest
from newscrawl.crawl.archive import archived_response, grouped_headers
from newscrawl.crawl.durability import item_written
from newscrawl.crawl.pipelines.dedup import learn_from_feed
from newscrawl.crawl.spiders.base import NewsSpider
from newscrawl.crawl.warcfile import PROBLEMS, Entry, HttpResponse, parse_response, read_entries
from newscrawl.extract.item import ArticleItem
from newscrawl.extract.registry import Site, site_for_host
from newscrawl.extract.requestinfo import RequestInfo
from newscrawl.extract.urls import article_key
from newscrawl.state import store_for

logger = logging.getLogger(__name__)

#: request meta key of a kept record
META_RECORD = "newscrawl_archived"
#: how many kept records wait for one site before the scan waits for its crawler
QUEUE_LIMIT = 64
#: a site's resume mark is saved when this many of its records ended or this many seconds passed
#: since the last save, and at the end of each file (the state commits it with its next batch)
MARK_RECORDS = 64
MARK_SECONDS = 1.0


def mark_key(site: str, path: str) -> str:
    """The state's key for a site's resume mark in a WARC file."""
    return f"backfill:{site}:{os.path.realpath(path)}"


#: what a work source answers when every file is taken but another worker may still die with one
WAIT = "wait"
#: seconds between two asks for work while waiting
WAIT_SECONDS = 1.0


class LocalWork:
    """The files of one process, in the order given; each site's marks in its own state."""

    def __init__(self, files: list[str]):
        self.files = deque(files)
        self.inherited: list[tuple[str, str]] = []  # (site, dataset) a dead worker wrote: none here

    def next_file(self) -> str | None:
        """The next file to read; None when there is none."""
        return self.files.popleft() if self.files else None

    def beat(self) -> None:
        """This worker is alive (a cluster's work source tells the others)."""

    def done(self, path: str) -> None:
        """Every record of the file was read."""

    def mark(self, crawler: Crawler, site: str, path: str) -> tuple[int, str] | None:
        return store_for(crawler).feed_mark(mark_key(site, path))

    def set_mark(self, crawler: Crawler, site: str, path: str, offset: int, head: str) -> None:
        store_for(crawler).set_feed_mark(mark_key(site, path), offset, head)

    def close(self) -> None:
        """The backfill ended (this process will ask for no more work)."""


@dataclass(slots=True)
class ArchivedPage:
    """A kept record: where it is, what it holds."""

    site: str
    file: str
    offset: int
    captured: datetime
    url: str
    response: HttpResponse

    def source(self) -> dict[str, Any]:
        """metadata.archive: where the line came from."""
        return {"warcFile": self.file, "recordOffset": self.offset, "captureDate": format_utc(self.captured)}


@dataclass
class FileProgress:
    """One file's reading: how far the scan is, and each site's records still in the crawl."""

    path: str
    size: int
    head: str  # digest of the file's first bytes: the same file at the next run
    start: dict[str, int]  # each site's resume offset when the run began
    scanned: int = 0  # the end of the last record read
    done: bool = False  # every record read
    pending: dict[str, set[int]] = field(default_factory=dict)  # site → offsets of kept records not yet ended
    saved: dict[str, int] = field(default_factory=dict)  # site → the mark last saved
    saved_at: dict[str, float] = field(default_factory=dict)
    ended: Counter[str] = field(default_factory=Counter)  # site → records ended since the last save

    def mark(self, site: str) -> int:
        waiting = self.pending.get(site)
        return min(waiting) if waiting else self.scanned


@dataclass
class Scan:
    """The files of a backfill, read once for every site asked; shared by the sites' crawlers."""

    files: list[str]
    sites: dict[str, Site]
    since: date | None = None
    until: date | None = None
    max_block: int = 16 * 1024 * 1024
    #: (k, n): this process keeps the articles whose key hashes to k of n (--processes n)
    shard: tuple[int, int] | None = None
    #: records by what became of them (the report's ``records``)
    counts: Counter[str] = field(default_factory=Counter)
    #: the first problems, with where they are (the report lists these; counts has them all)
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_limit: int = 1000
    progress: dict[str, FileProgress] = field(default_factory=dict)
    queues: dict[str, deque[ArchivedPage]] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)  # sites whose crawler has stopped taking records
    crawlers: dict[str, Crawler] = field(default_factory=dict)
    finished: bool = False
    #: where the files come from: this process's list (LocalWork), or a cluster's queue
    work: Any = None
    _pages: Iterator[ArchivedPage | str] | None = None
    _last: tuple[dict[str, str], tuple[str, Site | None]] | None = None  # the record the reader last asked of

    def __post_init__(self) -> None:
        self.queues = {name: deque() for name in self.sites}
        if self.work is None:
            self.work = LocalWork(self.files)

    # --- reading ------------------------------------------------------------------------
    def classify(self, headers: dict[str, str]) -> tuple[str, Site | None]:
        """What a record is to this backfill: ``kept`` (with its site) or why it is passed over."""
        kind = headers.get("warc-type", "")
        if kind != "response":
            return f"type/{kind or 'none'}", None
        url = headers.get("warc-target-uri", "").strip("<>")
        host = (urlsplit(url).hostname or "").lower()
        site = site_for_host(host)
        if site is None or site.name not in self.sites:
            return "other_host", None
        key = article_key(url)
        if key is None:
            return "not_article_url", site
        if self.shard is not None and zlib.crc32(key.encode()) % self.shard[1] != self.shard[0]:
            return "other_process", site  # another process of this backfill reads this article
        captured = _captured(headers.get("warc-date", ""))
        if captured is None:
            return "no_capture_date", site
        day = captured.astimezone(AMSTERDAM).date()
        if (self.since and day < self.since) or (self.until and day > self.until):
            return "outside_dates", site
        return "kept", site

    def _keep(self, headers: dict[str, str]) -> bool:
        # The reader asks while it inflates the record; _page reads the answer for the same headers.
        self._last = (headers, self.classify(headers))
        return self._last[1][0] == "kept"

    def _classified(self, headers: dict[str, str]) -> tuple[str, Site | None]:
        last = self._last
        return last[1] if last is not None and last[0] is headers else self.classify(headers)

    def _problem(self, path: str, entry: Entry, reason: str, detail: str) -> None:
        self.counts[f"problem/{reason}"] += 1
        if len(self.problems) < self.problem_limit:
            self.problems.append(
                {"file": path, "offset": entry.offset, "reason": reason, "detail": detail, "url": entry.url or None}
            )
        logger.warning(
            "%s at offset %d: %s (%s)%s", path, entry.offset, reason, detail, f" {entry.url}" if entry.url else ""
        )

    def open_file(self, path: str) -> FileProgress | None:
        """The file's progress, resumed from the sites' marks; None when it cannot be read."""
        try:
            size = os.path.getsize(path)
            head = head_digest(Path(path), size)
        except OSError as exc:
            self.counts["problem/unreadable_file"] += 1
            self.problems.append({"file": path, "offset": 0, "reason": "unreadable_file", "detail": str(exc)})
            logger.error("Cannot read %s: %s", path, exc)
            return None
        start: dict[str, int] = {}
        for name, crawler in self.crawlers.items():
            mark = self.work.mark(crawler, name, path)
            start[name] = mark[0] if mark is not None and mark[1] == head and mark[0] <= size else 0
        progress = FileProgress(path, size, head, start, pending={name: set() for name in self.sites})
        self.progress[path] = progress
        return progress

    def pages(self) -> Iterator[ArchivedPage | str]:
        """The kept records of every file the work source gives, in order (WAIT while it says
        so); counts everything else."""
        while True:
            self.work.beat()
            path = self.work.next_file()
            if path is None:
                return
            if path == WAIT:
                yield WAIT
                continue
            self.learn_inherited()
            yield from self.file_pages(path)
            self.work.done(path)

    def learn_inherited(self) -> None:
        """Before reading a dead worker's file: what it wrote, the state learns (a line written
        just before it died, and not yet recorded, is not written twice)."""
        for site, dataset in self.work.inherited:
            crawler = self.crawlers.get(site)
            if crawler is not None and Path(dataset).exists():
                learned = learn_from_feed(store_for(crawler), Path(dataset))
                self.counts["inherited_lines_learned"] += learned
        self.work.inherited = []

    def file_pages(self, path: str) -> Iterator[ArchivedPage]:
        progress = self.open_file(path)
        if progress is None:
            return
        begin = min(progress.start.values(), default=0)
        if begin >= progress.size and progress.size > 0:
            self.counts["files/already_read"] += 1
            progress.scanned, progress.done = progress.size, True
            return
        if begin:
            self.counts["files/resumed"] += 1
            logger.info("Resuming %s at byte %d of %d", path, begin, progress.size)
        self.counts["files/read"] += 1
        try:
            with open(path, "rb") as stream:
                for entry in read_entries(stream, begin, self._keep, self.max_block):
                    page = self._page(path, progress, entry)
                    progress.scanned = entry.offset + entry.length
                    self.work.beat()
                    if page is not None:
                        progress.pending[page.site].add(page.offset)
                        yield page
        except OSError as exc:
            self._problem(path, Entry(progress.scanned, 0, {}), "unreadable_file", str(exc))
        progress.done = True
        for name in self.sites:
            self.save_mark(name, path)

    def _page(self, path: str, progress: FileProgress, entry: Entry) -> ArchivedPage | None:
        self.counts["records"] += 1
        if entry.problem is not None:
            self._problem(path, entry, entry.problem, entry.detail)
            return None
        reason, site = self._classified(entry.headers)
        if reason != "kept" or site is None:
            self.counts[reason] += 1
            return None
        if entry.offset < progress.start.get(site.name, 0):
            self.counts["before_resume_mark"] += 1  # this site read it in an earlier run
            return None
        if entry.data is None:
            self._problem(path, entry, "too_large", f"more than {self.max_block} bytes")
            return None
        response = parse_response(entry.data)
        if response is None:
            self._problem(path, entry, "not_http", PROBLEMS["not_http"])
            return None
        self.counts["kept"] += 1
        captured = _captured(entry.headers.get("warc-date", ""))
        assert captured is not None  # classify kept it for its date
        return ArchivedPage(site.name, path, entry.offset, captured, entry.url, response)

    async def take(self, site: str) -> AsyncIterator[ArchivedPage]:
        """The kept records of ``site``, read as its crawler asks for them; the scan waits for a
        site whose crawler is behind (at most QUEUE_LIMIT records wait per site)."""
        if self._pages is None:
            self._pages = self.pages()
        queue = self.queues[site]
        while True:
            if queue:
                yield queue.popleft()
                continue
            if self.finished:
                return
            behind = [
                name for name, waiting in self.queues.items() if len(waiting) >= QUEUE_LIMIT and name not in self.closed
            ]
            if behind:
                await asyncio.sleep(0.001)
                continue
            for _ in range(256):  # read on until a record of this site, or a while
                page = next(self._pages, None)
                if page is None:
                    self.finished = True
                    self.work.close()
                    break
                if page == WAIT:
                    await asyncio.sleep(WAIT_SECONDS)  # another worker holds the last files
                    break
                assert isinstance(page, ArchivedPage)
                if page.site in self.closed:
                    self.counts["site_stopped"] += 1
                    continue
                self.queues[page.site].append(page)
                if page.site == site or len(self.queues[page.site]) >= QUEUE_LIMIT:
                    break

    # --- the end of a record ------------------------------------------------------------
    def ended(self, site: str, source: dict[str, Any] | None) -> None:
        """A kept record of ``site`` has ended in the crawl (written, dropped, refused, failed)."""
        if not source:
            return
        path, offset = source.get("warcFile"), source.get("recordOffset")
        progress = self.progress.get(str(path))
        if progress is None:
            return
        progress.pending[site].discard(offset)
        progress.ended[site] += 1
        due = (
            progress.ended[site] >= MARK_RECORDS or time.monotonic() - progress.saved_at.get(site, 0.0) >= MARK_SECONDS
        )
        if due or progress.done:
            self.save_mark(site, str(path))

    def save_mark(self, site: str, path: str) -> None:
        progress = self.progress.get(path)
        crawler = self.crawlers.get(site)
        if progress is None or crawler is None:
            return
        mark = progress.mark(site)
        if mark <= max(progress.saved.get(site, 0), progress.start.get(site, 0)):
            return
        self.work.set_mark(crawler, site, path, mark, progress.head)
        progress.saved[site], progress.saved_at[site], progress.ended[site] = mark, time.monotonic(), 0

    def close_site(self, site: str) -> None:
        """The site's crawler stopped: save its marks, drop what waits for it."""
        for path in self.progress:
            self.save_mark(site, path)
        self.closed.add(site)
        dropped = len(self.queues[site])
        if dropped:
            self.counts["site_stopped"] += dropped
        self.queues[site].clear()


def _captured(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


class BackfillSpider(NewsSpider):
    """A site's spider fed by a :class:`Scan` instead of discovery (one class per site: :func:`backfill_spider`)."""

    scan: Scan

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        cls.scan.crawlers[spider.site.name] = crawler
        for handler, signal in (
            (spider._written, item_written),
            (spider._dropped, signals.item_dropped),
            (spider._dropped, signals.item_error),
            (spider._callback_error, signals.spider_error),
            (spider._closed, signals.spider_closed),
        ):
            crawler.signals.connect(handler, signal=signal)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        async for page in self.scan.take(self.site.name):
            yield self.archived_request(page)

    def archived_request(self, page: ArchivedPage) -> Request:
        request_info = RequestInfo(via="archive", article_key=article_key(page.url), archived_at=page.captured)
        request = self.request(page.url, self.parse_article, request_info)
        request.meta[META_RECORD] = page
        # Two captures of one URL are two records: never filtered as one request.
        return request.replace(dont_filter=True)

    def schedule_discovered(self, spider=None) -> None:
        """Nothing is discovered in a backfill: no revisits, no related links."""

    def parse_article(self, response: Response) -> Iterator[ArticleItem | Request]:
        page: ArchivedPage | None = response.meta.get(META_RECORD)
        emitted = False
        for output in super().parse_article(response):
            if isinstance(output, Request):
                continue  # nothing is fetched in a backfill
            if page is not None:
                output["metadata"]["archive"] = page.source()
            emitted = True
            yield output
        if not emitted and page is not None:
            self.scan.ended(self.site.name, page.source())

    def on_error(self, failure) -> None:
        super().on_error(failure)
        page = failure.request.meta.get(META_RECORD) if hasattr(failure, "request") else None
        if page is not None:
            self.scan.ended(self.site.name, page.source())

    def _written(self, item, spider) -> None:
        self.scan.ended(self.site.name, (item.get("metadata") or {}).get("archive"))

    def _dropped(self, item, response=None, spider=None, **kwargs: Any) -> None:
        self.scan.ended(self.site.name, (item.get("metadata") or {}).get("archive"))

    def _callback_error(self, failure, response=None, spider=None) -> None:
        page = response.meta.get(META_RECORD) if response is not None else None
        if page is not None:
            self.scan.ended(self.site.name, page.source())

    def _closed(self, spider, reason) -> None:
        self.scan.close_site(self.site.name)


def backfill_spider(site: Site, scan: Scan) -> type[BackfillSpider]:
    """The backfill spider of ``site``, fed by ``scan``."""
    # The site's politeness does not apply (nothing is fetched), nor its browser.
    settings = {k: v for k, v in site.settings.items() if k != "DOWNLOAD_HANDLERS"}
    return type(
        f"{site.name.title().replace('_', '')}BackfillSpider",
        (BackfillSpider,),
        {
            "__module__": __name__,
            "name": site.name,
            "site": site,
            "scan": scan,
            "allowed_domains": site.crawl_hosts,
            "custom_settings": settings,
        },
    )


class ArchivedRecordMiddleware:
    """Downloader middleware of a backfill: a kept record's request is answered with its response;
    any other request (a redirect's target, robots.txt, tdmrep.json) is refused, never fetched."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivedRecordMiddleware:
        return cls(crawler.stats)

    def process_request(self, request: Request, spider: Spider | None = None) -> Response:
        page: ArchivedPage | None = request.meta.get(META_RECORD)
        if page is None or page.url != request.url:
            self.stats.inc_value("backfill/not_fetched")
            logger.info("Not in the archive's record, not fetched (a backfill fetches nothing): %s", request.url)
            raise IgnoreRequest(f"a backfill fetches nothing: {request.url}")
        self.stats.inc_value("backfill/records")
        answer = page.response
        return archived_response(
            request,
            answer.status,
            grouped_headers(answer.headers),
            answer.body,
            page.captured,
            flag="archive",
            by_content_type=True,
        )
