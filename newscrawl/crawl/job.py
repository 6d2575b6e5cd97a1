"""Which Scrapyd job a crawl is."""

from __future__ import annotations

import os

from scrapy.crawler import Crawler


def job_id(crawler: Crawler) -> str | None:
    """The Scrapyd job this crawl is (Scrapyd passes it as the spider argument ``_job``; older
    versions set SCRAPY_JOB), or None for a crawl started by hand."""
    return getattr(crawler.spider, "_job", None) or os.environ.get("SCRAPY_JOB")
