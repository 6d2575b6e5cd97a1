"""Crash safety of the dataset: a kill -9 at any moment loses no article and duplicates none.

* After each item the feed files are flushed *before* the state store records the item as
  emitted: what the store says was written is in the file (the OS has it, even if we die).
* When a crawl starts on an existing append-mode feed, a torn final line (the process died
  mid-write) is cut off, and every line already in the file is recorded in the state store:
  an item written just before a kill, but not yet recorded, is not written again.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from scrapy.extensions.feedexport import FeedExporter

from newscrawl.article.files import Tally, bounded_lines
from newscrawl.crawl.feeds import feeds, local_path, with_spider_name

logger = logging.getLogger(__name__)


def feed_slots(crawler) -> Iterator:
    """The feed exporter's open slots (their ``uri`` has %(name)s, %(time)s … filled in)."""
    exporter = crawler.get_extension(FeedExporter)
    if exporter is not None:
        yield from exporter.slots


def flush_slots(slots) -> None:
    """Push what the exporters wrote to the files (the OS has it, even if the process dies next)."""
    for slot in slots:
        if slot.file is not None and not slot.file.closed:
            slot.file.flush()


def flush_feeds(crawler) -> None:
    flush_slots(feed_slots(crawler))


def append_mode_feeds(crawler) -> Iterator[Path]:
    """Local feed files the crawl will append to (not -O, not one file per run)."""
    yield from _named_feeds(crawler, with_overwritten=False)


def kept_feeds(crawler) -> Iterator[Path]:
    """Local feed files a later crawl may append to: those of ``append_mode_feeds`` and the ones
    this crawl wrote anew (-O), not one file per run."""
    yield from _named_feeds(crawler, with_overwritten=True)


def _named_feeds(crawler, with_overwritten: bool) -> Iterator[Path]:
    name = crawler.spider.name if crawler.spider else ""
    for uri, options in feeds(crawler.settings).items():
        if (options.get("overwrite") and not with_overwritten) or "%(" in with_spider_name(str(uri), ""):
            continue
        path = local_path(with_spider_name(str(uri), name))
        if path is not None and path.exists():
            yield path


def closed_tallies(crawler) -> dict[str, Tally]:
    """The kept feed files as the state marked them at the close (resolved path → its tally), for
    the manifests written after: they describe a file without reading it again."""
    return crawler.__dict__.setdefault("_newscrawl_closed_tallies", {})


def cut_torn_tail(path: Path) -> bool:
    """Drop a final line without its newline; True when something was cut."""
    with path.open("rb+") as stream:
        size = stream.seek(0, 2)
        if size == 0:
            return False
        stream.seek(size - 1)
        if stream.read(1) == b"\n":
            return False
        # Find the last newline and truncate after it.
        position, chunk = size, 1 << 16
        while position > 0:
            start = max(0, position - chunk)
            stream.seek(start)
            block = stream.read(position - start)
            index = block.rfind(b"\n")
            if index >= 0:
                stream.truncate(start + index + 1)
                return True
            position = start
        stream.truncate(0)
        return True


#: a dataset line longer than this is no line we wrote (a page is at most DOWNLOAD_MAXSIZE): skipped
#: unread, so a file of one endless line costs this much memory, not its size
MAX_LINE_BYTES = 32 * 1024 * 1024


def emitted_lines(path: Path, start: int = 0, skipped: Counter[str] | None = None) -> Iterator[dict]:
    """The items a dataset file holds from byte ``start`` on; a line that is not one (not JSON, no
    object, over MAX_LINE_BYTES) is passed over and counted in ``skipped`` by reason."""
    skipped = Counter() if skipped is None else skipped
    with path.open("rb") as stream:
        stream.seek(start)
        for raw in bounded_lines(stream, MAX_LINE_BYTES, skipped):
            try:
                item = json.loads(raw)
            except ValueError:
                skipped["not_json"] += 1
                continue
            if isinstance(item, dict) and isinstance(item.get("metadata"), dict):
                yield item
            else:
                skipped["not_an_item"] += 1


#: Signal sent once an item's line is written and flushed to every feed (args: item, spider).
#: The state store records an article as emitted on this signal, never before.
item_written = object()


class SafeFeedExporter(FeedExporter):
    """Scrapy's feed exporter, with its write errors made loud.

    Scrapy's exporter writes an item in an ``item_scraped`` handler, whose exceptions Scrapy only
    logs: a line that could not be encoded, a read-only directory, a full disk left the run ``ok``
    and every article marked emitted. Here each item is written and flushed, then ``item_written``
    is sent; a write error is logged once, counted (``feed/write_errors``, ``feed/not_written``),
    fails the run (newscrawl.run.health) and closes the spider (finish reason ``feed_write_error``).
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.write_error: str | None = None

    def item_scraped(self, item, spider) -> None:
        if self.write_error is None:
            try:
                super().item_scraped(item, spider)
                flush_slots(self.slots)
            except Exception as exc:  # any storage or exporter error: the line is not on disk
                self.failed(exc, item)
        if self.write_error is not None:
            self.crawler.stats.inc_value("feed/not_written")
            return
        self.crawler.signals.send_catch_log(item_written, item=item, spider=spider)

    def failed(self, exc: Exception, item) -> None:
        from scrapy.utils.defer import deferred_from_coro

        uris = ", ".join(slot.uri for slot in self.slots) or "the dataset"
        self.write_error = f"{type(exc).__name__}: {exc}"
        self.crawler.stats.inc_value("feed/write_errors")
        self.crawler.stats.set_value("feed/write_failed", f"writing {uris}: {self.write_error}"[:500])
        logger.error(
            "Dataset write failed (%s) for %s: the run fails; articles not written stay unrecorded and the next run "
            "writes them",
            self.write_error,
            uris,
            extra={"spider": self.crawler.spider},
        )
        if self.crawler.engine is not None and self.crawler.spider is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="feed_write_error"))


def write_atomically(path: Path, text: str) -> None:
    """``path`` holds ``text`` whole, or keeps what it held: written beside it, then renamed over it."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
