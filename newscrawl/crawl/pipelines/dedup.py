"""Deduplication and revisions: by site + articleId, then by content hash, across runs.

* first version of an article ever seen → revision 1, emitted
* same article again with the same text (same run or a later crawl) → dropped, counted
* same article with changed text → revision + 1, emitted
* another articleId with exactly the same text (a copy under a second id) → dropped, counted

The state is written only once an item has passed every pipeline (item_scraped),
so an item rejected by validation is not remembered as seen. Until then the item's
key and hash are claimed in the store (in memory; in Redis for distributed workers):
Scrapy runs pipelines asynchronously, so a copy can reach this pipeline before the
original has been written.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newscrawl.article.clock import crawl_clock
from newscrawl.article.files import Tally, head_digest, tally
from newscrawl.crawl.durability import (
    SafeFeedExporter,
    append_mode_feeds,
    closed_tallies,
    cut_torn_tail,
    emitted_lines,
    flush_feeds,
    item_written,
    kept_feeds,
)
from newscrawl.crawl.outcomes import DuplicateItem
from newscrawl.crawl.revisits import withdrawal_hash
from newscrawl.state import Store, state_db, store_for

logger = logging.getLogger(__name__)


def learn_from_feed(store: Store, path: Path, start: int = 0, skipped: Counter[str] | None = None) -> int:
    """Record the articles a dataset file holds (from byte ``start``) that the state does not know
    (a writer died between writing a line and recording it); returns how many. The file is the
    truth; a line without the fields a record needs is passed over, counted in ``skipped``."""
    learned = 0
    skipped = Counter() if skipped is None else skipped
    for item in emitted_lines(path, start, skipped):
        metadata = item["metadata"]
        site, article_id, content_hash = item.get("site"), item.get("articleId"), metadata.get("contentHash")
        revision = metadata.get("revision", 1)
        if not all(isinstance(value, str) and value for value in (site, article_id, content_hash)) or not (
            isinstance(revision, int) and not isinstance(revision, bool)
        ):
            skipped["incomplete"] += 1
            continue
        seen = store.get(str(site), str(article_id))
        if seen is None or (seen.content_hash != content_hash and revision >= seen.revision):
            store.record(
                str(site),
                str(article_id),
                str(content_hash),
                revision,
                str(item.get("canonicalUrl") or ""),
                str(metadata.get("dateDownloaded") or ""),
                item.get("dateModified") if isinstance(item.get("dateModified"), str) else None,
            )
            learned += 1
    return learned


class DedupPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = state_db(crawler.settings)
        self.store: Store  # opened with the spider
        self.confirmed: dict[str, int] = {}  # appended file → the bytes its mark answers for, checked at the start

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.item_written, signal=item_written)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        self.store = store_for(self.crawler)
        # With the project's exporter, an article is recorded once its line is on disk (item_written);
        # a crawl without a dataset (no FEEDS) records it when scraped.
        self.await_writes = self.crawler.get_extension(SafeFeedExporter) is not None
        self.reconcile_with_feeds()
        logger.info("Dedup state: %s (%d articles known)", self.path, len(self.store))

    def reconcile_with_feeds(self) -> None:
        """A feed we append to is the truth about what was emitted: repair its tail, learn the lines
        the state does not answer for. Those are the lines after the mark the last clean close
        left (what a run that died wrote), never the history before it: a start costs what the
        last run left unconfirmed, not the size of the dataset, and an article the state let
        expire stays expired. A file without a mark, or not the file the mark was made on (its
        first bytes differ, it is shorter), is read whole."""
        for path in append_mode_feeds(self.crawler):
            if cut_torn_tail(path):
                self.stats.inc_value("durability/torn_lines_cut")
                logger.warning("Cut a torn final line (an earlier run died mid-write) from %s", path)
            start = self.confirmed[str(path.resolve())] = self.confirmed_bytes(path)
            self.stats.inc_value("durability/feed_bytes_read", path.stat().st_size - start)
            skipped: Counter[str] = Counter()
            learned = learn_from_feed(self.store, path, start=start, skipped=skipped)
            for reason, count in skipped.items():
                self.stats.inc_value(f"durability/lines_skipped/{reason}", count)
                logger.warning("%d lines of %s are not whole items (%s): passed over", count, path, reason)
            if learned:
                self.stats.inc_value("durability/items_learned_from_feed", learned)
                logger.warning(
                    "%d items in %s were not in the state store (an earlier run died): recorded now", learned, path
                )

    def confirmed_bytes(self, path: Path) -> int:
        """Where the lines the state does not answer for begin: the last clean close's mark, if the
        file is still the one it was made on; else 0."""
        mark = self.store.feed_mark(str(path.resolve()))
        if mark is None:
            return 0
        offset, head = mark
        if path.stat().st_size < offset or head_digest(path, offset) != head:
            logger.warning("%s is not the file the state last saw (rewritten or replaced): read whole", path)
            return 0
        return offset

    def close_spider(self, spider: Spider | None = None) -> None:
        """Every line written is recorded by now (each on item_written): mark the files so. A file
        written anew (-O) too: a later crawl appending to it starts from this mark."""
        exporter = self.crawler.get_extension(SafeFeedExporter)
        if exporter is not None and exporter.write_error is not None:
            return  # a file the run could not write to whole: the next start reads its tail again
        for path in kept_feeds(self.crawler):
            key = str(path.resolve())
            # The file's lines and digest go on from the last mark's: what this run added is read,
            # not the history before it (a file written anew, or without a tally, is read whole).
            since = Tally.from_text(self.store.feed_tally(key)) if self.confirmed.get(key) else None
            if since is not None and since.size != self.confirmed[key]:
                since = None
            described = tally(path, since)
            self.stats.inc_value("manifest/file_bytes_read", described.size - (since.size if since else 0))
            self.store.set_feed_mark(key, described.size, head_digest(path, described.size), described.as_text())
            closed_tallies(self.crawler)[key] = described

    def _drop(self, reason: str, message: str) -> DuplicateItem:
        self.stats.inc_value(f"dedup/{reason}")
        if reason != "unchanged":
            # dedup/dropped: duplicates (one article twice, one text under two ids). An article
            # unchanged since an earlier run is no duplicate: dedup/unchanged counts those.
            self.stats.inc_value("dedup/dropped")
        return DuplicateItem(message, log_level="DEBUG")

    def process_item(self, item, spider: Spider | None = None):
        adapter = ItemAdapter(item)
        site, article_id = adapter["site"], adapter["articleId"]
        content_hash = adapter["metadata"]["contentHash"]
        conflict = self.store.claim(site, article_id, content_hash)
        if conflict is not None:
            if conflict.startswith("same_content:"):
                raise self._drop("same_content", f"same text as {conflict.split(':', 1)[1]}: {adapter['url']}")
            raise self._drop(conflict, f"already emitted in this run: {adapter['url']}")
        seen = self.store.get(site, article_id)
        if seen is None:
            copy = self.store.find_by_hash(content_hash)
            if copy is not None:
                self.store.release(site, article_id, content_hash)
                raise self._drop("same_content", f"same text as {copy.site}:{copy.article_id}: {adapter['url']}")
            revision = 1
        elif seen.content_hash == content_hash:
            self.store.release(site, article_id, content_hash)
            raise self._drop("unchanged", f"unchanged since revision {seen.revision}: {adapter['url']}")
        else:
            revision = seen.revision + 1
            withdrawn = "withdrawn" in adapter["metadata"]
            if (
                not withdrawn
                and seen.content_hash != withdrawal_hash(f"{site}:{article_id}")
                and adapter.get("dateModified") == seen.date_modified
            ):
                # The text changed and the page's dateModified did not (or it has none): an undated edit.
                adapter["metadata"]["silentEdit"] = True
        adapter["metadata"]["revision"] = revision
        return item

    def item_dropped(self, item, response, exception, spider) -> None:
        """Rejected after this pipeline (validation): release the claim, nothing was emitted."""
        if isinstance(exception, DuplicateItem):
            return
        adapter = ItemAdapter(item)
        metadata = adapter.get("metadata") or {}
        if adapter.get("site") and adapter.get("articleId") and metadata.get("contentHash"):
            self.store.release(adapter["site"], adapter["articleId"], metadata["contentHash"])

    def item_scraped(self, item, response, spider: Spider) -> None:
        if self.await_writes:
            return  # recorded by item_written, once the line is on disk
        # Another exporter has written the item (it handles item_scraped first): make it reach the
        # file before the store says "emitted", so that a kill in between cannot lose it.
        flush_feeds(self.crawler)
        self.record(item)

    def item_written(self, item, spider: Spider) -> None:
        self.record(item)

    def record(self, item) -> None:
        # Counted here, not in process_item: an item rejected later by validation is neither new nor revised.
        adapter = ItemAdapter(item)
        metadata = adapter["metadata"]
        if "withdrawn" in metadata:
            self.stats.inc_value("dedup/withdrawn")
            logger.info("Article withdrawn (revision %d): %s", metadata["revision"], adapter["url"])
        elif metadata["revision"] == 1:
            self.stats.inc_value("dedup/new")
        else:
            self.stats.inc_value("dedup/revised")
            if metadata.get("silentEdit"):
                self.stats.inc_value("dedup/silent_edits")
            logger.info("Article changed, revision %d: %s", metadata["revision"], adapter["url"])
        self.store.record(
            adapter["site"],
            adapter["articleId"],
            metadata["contentHash"],
            metadata["revision"],
            adapter["canonicalUrl"],
            crawl_clock(self.crawler).iso(),
            adapter.get("dateModified"),
        )
        # Recorded: the store answers for this article from now on, the claim has done its job.
        self.store.release(adapter["site"], adapter["articleId"], metadata["contentHash"])
