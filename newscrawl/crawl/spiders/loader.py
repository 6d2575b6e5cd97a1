"""Scrapy's spider loader, plus one spider for each site the SITES_FILE declares.

Scrapy makes the spider loader before any command runs, so the sites file is read here: a wrong
file stops the command with its mistakes, one line each (exit 2), before anything is crawled or
scheduled.
"""

from __future__ import annotations

import builtins
import sys
from typing import Self

from scrapy import Request, Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newscrawl.crawl.spiders.sites import spider_class
from newscrawl.extract.declared import SitesFileError, use_sites_file


class SiteSpiderLoader:
    """The spiders of SPIDER_MODULES (one per site package) and of the sites SITES_FILE declares."""

    def __init__(self, settings: BaseSettings):
        try:
            declared = use_sites_file(settings.get("SITES_FILE") or None)
        except SitesFileError as error:
            print(f"newscrawl: refused: SITES_FILE\n{error}", file=sys.stderr)
            raise SystemExit(2) from None
        self.modules = SpiderLoader(settings)
        self.declared: dict[str, type[Spider]] = {name: spider_class(site) for name, site in declared.items()}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name in self.declared:
            return self.declared[spider_name]
        return self.modules.load(spider_name)

    def list(self) -> list[str]:
        return sorted({*self.modules.list(), *self.declared})

    def find_by_request(self, request: Request) -> builtins.list[str]:
        found = self.modules.find_by_request(request)
        return found + [name for name, spider in self.declared.items() if spider.handles_request(request)]
