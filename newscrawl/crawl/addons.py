"""Scrapy add-ons of the project (ADDONS setting)."""

from __future__ import annotations

from newscrawl.crawl.feeds import default_feed


class DefaultFeed:
    """Write to DEFAULT_FEED only for `scrapy crawl` (WRITE_DEFAULT_FEED) and only when no feed was configured.

    FEEDS is a merged dict setting: a default in settings.py would be written
    *in addition to* a ``-O file`` or Scrapyd's items feed. Add-ons run after
    the command line and the spider's settings, so this one only fills a gap.
    """

    def update_settings(self, settings) -> None:
        uri = default_feed(settings)
        if uri:
            settings.set("FEEDS", {uri: {"format": "jsonlines", "encoding": "utf-8"}}, priority="addon")
