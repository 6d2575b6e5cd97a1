"""Schema validation with one precompiled validator; invalid items go to a rejects file, never nowhere.

A reject line is ``{"url", "reason", "errors": [...], "item": {...}}``. The file
sits beside the dataset: ``output/nu.jsonl`` → ``output/nu.rejects.jsonl``
(or ``REJECTS_FILE``). Counted as ``validation/rejected`` and per field.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import IO

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawl.article.clock import crawl_clock
from newscrawl.article.text import clean_unicode
from newscrawl.crawl.feeds import feeds_or_default, local_path, run_time, with_spider_name
from newscrawl.crawl.job import job_id
from newscrawl.extract.registry import quick_validity, schema_errors

logger = logging.getLogger(__name__)


def rejects_path_for(settings, spider_name: str) -> Path:
    """REJECTS_FILE, else ``<first local feed>.rejects.jsonl``, else output/<spider>.rejects.jsonl."""
    explicit = settings.get("REJECTS_FILE")
    if explicit:
        return Path(with_spider_name(explicit, spider_name))
    for uri in feeds_or_default(settings):
        path = local_path(with_spider_name(str(uri), spider_name))
        if path is not None and "%(" not in str(path):
            return path.with_name(path.name.split(".")[0] + ".rejects.jsonl")
    return Path("output") / f"{spider_name}.rejects.jsonl"


class ValidationPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        # jsonschema-rs's yes (a tenth of the reference's cost per item); a no is asked of the
        # reference, whose messages go to the rejects file (tests/test_fast_validation.py holds the two to agreeing)
        self.is_valid = quick_validity()
        self.path: Path | None = None
        self.file: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        assert spider is not None
        # %(time)s: one rejects file per run (the scheduler's per-job files), like the feed's.
        self.path = Path(
            str(rejects_path_for(self.crawler.settings, spider.name)).replace("%(time)s", run_time(self.stats))
        )
        self.job = job_id(self.crawler)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.file:
            self.file.close()
            logger.warning("%d rejected items written to %s", self.stats.get_value("validation/rejected", 0), self.path)

    def process_item(self, item, spider: Spider | None = None):
        # A shallow copy: the loader's nested values are plain dicts and lists already, and asdict()'s
        # recursive walk cost half as much as the validation itself. A nested item class would fail
        # the schema's "object" type, with its reason, never pass unchecked.
        adapter = ItemAdapter(item)
        self._clean(adapter)
        data = dict(adapter.items())
        if self.is_valid(data):
            self.stats.inc_value("validation/valid")
            return item
        errors = schema_errors(data)
        self.stats.inc_value("validation/rejected")
        for error in errors:
            self.stats.inc_value(f"validation/rejected/{error.split(':', 1)[0]}")
        self._write_reject(data, errors)
        raise DropItem(f"Invalid item {data.get('url')}: {'; '.join(errors)}", log_level="WARNING")

    def _clean(self, adapter: ItemAdapter) -> None:
        """Text fields as clean Unicode before they are judged and written (newscrawl.article.text.clean_unicode):
        a lone surrogate from a page's JSON-LD made the exporter fail on the line."""
        counts: Counter[str] = Counter()
        cleaned = {key: clean_unicode(value, counts) for key, value in adapter.items()}
        if not counts:
            return
        for key, value in cleaned.items():
            adapter[key] = value
        for name, count in counts.items():
            self.stats.inc_value(f"text/{name}", count)
        logger.info(
            "Cleaned text of %s: %s", adapter.get("url"), ", ".join(f"{n} {c}" for n, c in sorted(counts.items()))
        )

    def _write_reject(self, data: dict, errors: list[str]) -> None:
        assert self.path is not None  # set when the spider opened
        if self.file is None:  # created on the first reject only: no empty files beside clean datasets
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = self.path.open("a", encoding="utf-8")
        record = {
            "url": data.get("url"),
            "reason": "schema",
            "errors": errors,
            "job": self.job,
            "time": crawl_clock(self.crawler).iso(),
            "item": data,
        }
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.file.flush()
