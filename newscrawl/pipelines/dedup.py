"""Deduplication and revisions: by site + articleId, then by content hash, across runs.

* first version of an article ever seen → revision 1, emitted
* same article again with the same text (same run or a later crawl) → dropped, counted
* same article with changed text → revision + 1, emitted
* another articleId with exactly the same text (a copy under a second id) → dropped, counted

The state is written only once an item has passed every pipeline (item_scraped),
so an item rejected by validation is not remembered as seen.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from ..state import SeenStore

logger = logging.getLogger(__name__)


class DedupPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = crawler.settings.get("STATE_DB")
        self.store: SeenStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        self.store = SeenStore(self.path)
        logger.info("Dedup state: %s (%d articles known)", self.path, len(self.store))

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.store:
            self.store.close()

    def _drop(self, reason: str, message: str) -> DropItem:
        self.stats.inc_value(f"dedup/{reason}")
        self.stats.inc_value("dedup/dropped")
        return DropItem(message, log_level="DEBUG")

    def process_item(self, item, spider: Spider | None = None):
        adapter = ItemAdapter(item)
        site, article_id = adapter["site"], adapter["articleId"]
        content_hash = adapter["metadata"]["contentHash"]
        seen = self.store.get(site, article_id)
        if seen is None:
            copy = self.store.find_by_hash(content_hash)
            if copy is not None:
                raise self._drop("same_content", f"same text as {copy.site}:{copy.article_id}: {adapter['url']}")
            revision = 1
        elif seen.content_hash == content_hash:
            raise self._drop("unchanged", f"unchanged since revision {seen.revision}: {adapter['url']}")
        else:
            revision = seen.revision + 1
        adapter["metadata"]["revision"] = revision
        return item

    def item_scraped(self, item, response, spider: Spider) -> None:
        # Counted here, not in process_item: an item rejected later by validation is neither new nor revised.
        adapter = ItemAdapter(item)
        metadata = adapter["metadata"]
        if metadata["revision"] == 1:
            self.stats.inc_value("dedup/new")
        else:
            self.stats.inc_value("dedup/revised")
            logger.info("Article changed, revision %d: %s", metadata["revision"], adapter["url"])
        self.store.record(
            adapter["site"],
            adapter["articleId"],
            metadata["contentHash"],
            metadata["revision"],
            adapter["canonicalUrl"],
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
