"""Which of the project's modules one article passes through: to its item, and to its JSONL line.

    .venv/bin/python benchmarks/article_path.py

A replay crawl of one NU.nl fixture article (no related links) with a profiler switched on when
the article's response arrives and off when its item has been scraped (written to the feed), and
the article's parser alone on the same page. Prints the modules, by package, and their number.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import HtmlResponse, Request
from scrapy.utils.project import get_project_settings

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"
WARC = ROOT / "tests" / "fixtures" / "nu" / "site.warc.gz"


def recorder(into: set[str]) -> Any:
    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            module = frame.f_globals.get("__name__", "")
            if module.startswith("newscrawl"):
                into.add(module)

    return profile


class Tracer:
    """On for the article's response, off once its item is scraped (after the feed exporter's handler)."""

    modules: set[str] = set()
    state = "waiting"

    @classmethod
    def from_crawler(cls, crawler: Any) -> Tracer:
        tracer = cls()
        crawler.signals.connect(tracer.received, signals.response_received)
        crawler.signals.connect(tracer.scraped, signals.item_scraped)
        return tracer

    def received(self, response: Any, request: Any, spider: Any) -> None:
        if response.url == ARTICLE and Tracer.state == "waiting":
            Tracer.state = "on"
            sys.setprofile(recorder(Tracer.modules))

    def scraped(self, item: Any, response: Any, spider: Any) -> None:
        sys.setprofile(None)
        Tracer.state = "done"


def show(title: str, modules: set[str]) -> None:
    by_package: dict[str, list[str]] = defaultdict(list)
    for module in sorted(modules):
        package, _, name = module.rpartition(".")
        by_package[package].append(name)
    print(f"{title}: {len(modules)} modules in {len(by_package)} packages")
    for package, names in by_package.items():
        print(f"  {package}: {', '.join(names)}")


def main() -> None:
    os.chdir(ROOT)
    tmp = tempfile.mkdtemp()
    settings = get_project_settings()
    settings.set("REPLAY_WARC", str(WARC))
    settings.set("STATE_DB", f"{tmp}/state.sqlite3")
    settings.set("FEEDS", {f"{tmp}/nu.jsonl": {"format": "jsonlines"}})
    settings.set("LOG_LEVEL", "ERROR")
    settings.set("HEALTH_SAMPLES_DIR", f"{tmp}/samples")
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), Tracer: 10**6})
    process = CrawlerProcess(settings)
    process.crawl("nu", start_urls=ARTICLE, related_depth="0")
    process.start()

    from newscrawl.crawl.archive import WarcArchive
    from newscrawl.extract.registry import site_named

    record = WarcArchive.open(str(WARC)).get(ARTICLE, False)
    assert record is not None
    response = HtmlResponse(ARTICLE, body=record["body"], headers=record["headers"], request=Request(ARTICLE))
    site = site_named("nu")
    site.parse_article(response.replace())  # imports and caches warmed
    parsed: set[str] = set()
    fresh = response.replace()
    sys.setprofile(recorder(parsed))
    site.parse_article(fresh)
    sys.setprofile(None)
    show("to the item (the parser alone)", parsed)
    show("from the response to the JSONL line (the crawl)", Tracer.modules)


if __name__ == "__main__":
    main()
