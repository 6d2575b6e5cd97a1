"""The project's spider loader: one spider per registered site (every package under
newscrawl/sites/ and every site the SITES_FILE declares), plus any spider class of SPIDER_MODULES.

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
from newscrawl.extract.registry import sites


class SiteSpiderLoader:
    """A spider per registered site (packages and SITES_FILE), and the classes of SPIDER_MODULES."""

    def __init__(self, settings: BaseSettings):
        try:
            use_sites_file(settings.get("SITES_FILE") or None)
        except SitesFileError as error:
            print(f"newscrawl: refused: SITES_FILE\n{error}", file=sys.stderr)
            raise SystemExit(2) from None
        self.modules = SpiderLoader(settings)
        self.sites = sites()

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        if spider_name in self.sites:
            return spider_class(self.sites[spider_name])
        return self.modules.load(spider_name)

    def list(self) -> list[str]:
        return sorted({*self.modules.list(), *self.sites})

    def find_by_request(self, request: Request) -> builtins.list[str]:
        found = self.modules.find_by_request(request)
        return found + [name for name, site in self.sites.items() if spider_class(site).handles_request(request)]
