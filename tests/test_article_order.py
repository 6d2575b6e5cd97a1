"""Discovered articles are requested newest first (as instants, not strings), a batch at a time."""

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.crawl.spiders.sites import spider_for

NuSpider = spider_for("nu")
from newscrawl.state import StateStore


def test_discovered_articles_are_requested_newest_first_in_batches(tmp_path):
    from scrapy.exceptions import DontCloseSpider

    from newscrawl.extract.common import Link

    crawler = get_crawler(
        NuSpider, {"ARTICLE_BATCH": 2, "STATE_DB": str(tmp_path / "state.sqlite3"), "EXTENSIONS": {StateStore: 0}}
    )
    spider = crawler._create_spider()
    crawler.spider = spider
    requested: list[str] = []
    crawler.engine = type("Engine", (), {"crawl": lambda self, request: requested.append(request.url)})()
    # As strings "…10:30+02:00" > "…09:45+00:00", but as instants 08:30 UTC is the older one.
    for article_id, published in (
        ("1", "2025-03-30T10:30:00+02:00"),
        ("2", "2025-03-30T09:45:00+00:00"),
        ("3", "2025-03-29T12:00:00+01:00"),
    ):
        spider.frontier.remember(
            Link(url=f"https://www.nu.nl/binnenland/{article_id}00000/x.html", via="sitemap", published=published)
        )
    with pytest.raises(DontCloseSpider):
        spider.schedule_discovered()
    assert requested == ["https://www.nu.nl/binnenland/200000/x.html", "https://www.nu.nl/binnenland/100000/x.html"]
    assert spider.has_unscheduled()
    with pytest.raises(DontCloseSpider):
        spider.schedule_discovered()  # the next idle: the next batch
    assert requested[2:] == ["https://www.nu.nl/binnenland/300000/x.html"]
    spider.schedule_discovered()  # nothing left: the spider may close
    assert not spider.has_unscheduled()
