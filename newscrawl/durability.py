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
from collections.abc import Iterator
from pathlib import Path

from .feeds import local_path, with_spider_name

logger = logging.getLogger(__name__)


def feed_slots(crawler) -> Iterator:
    """The feed exporter's open slots (their ``uri`` has %(name)s, %(time)s … filled in)."""
    from scrapy.extensions.feedexport import FeedExporter

    for extension in getattr(crawler.extensions, "middlewares", ()):
        if isinstance(extension, FeedExporter):
            yield from extension.slots


def flush_feeds(crawler) -> None:
    for slot in feed_slots(crawler):
        if slot.file is not None and not slot.file.closed:
            slot.file.flush()


def append_mode_feeds(crawler) -> Iterator[Path]:
    """Local feed files the crawl will append to (not -O, not one file per run)."""
    name = crawler.spider.name if crawler.spider else ""
    for uri, options in crawler.settings.getdict("FEEDS").items():
        if options.get("overwrite") or "%(" in with_spider_name(str(uri), ""):
            continue
        path = local_path(with_spider_name(str(uri), name))
        if path is not None and path.exists():
            yield path


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


def emitted_lines(path: Path) -> Iterator[dict]:
    with path.open("rb") as stream:
        for raw in stream:
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if isinstance(item, dict) and isinstance(item.get("metadata"), dict):
                yield item
