"""A manifest beside every feed file: what the dataset is, where it came from, and how complete it is.

``output/nu.jsonl`` → ``output/nu.jsonl.manifest.json``::

    {"spider", "projectVersion", "schemaVersion", "startTime", "finishTime", "finishReason",
     "counts": {"items", "new", "revised", "rejects", "failures", "duplicatesDropped", ...},
     "fieldCoverage": {"headline": 1.0, "authors": 0.83, ...},
     "datePublished": {"min", "max"}, "file": {"path", "bytes", "lines", "sha256"}}

Coverage and date range are computed from the items this run wrote; the sha256 from the file
as closed, so a consumer can check it received the file the manifest describes.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl import __version__
from newscrawl.article.clock import crawl_clock
from newscrawl.article.dates import published_key
from newscrawl.article.files import Tally, tally
from newscrawl.article.schema import SCHEMA_VERSION, field_order
from newscrawl.crawl.durability import closed_tallies, feed_slots, item_written, write_atomically
from newscrawl.crawl.feeds import local_path
from newscrawl.crawl.job import job_id
from newscrawl.extract.base import coverage_fields
from newscrawl.run.ledger import UrlLedger
from newscrawl.run.verdict import run_verdict

logger = logging.getLogger(__name__)


@cache
def required_counts() -> tuple[str, ...]:
    """The counts every manifest carries (schemas/manifest.schema.json): a stub for a job that
    wrote no manifest gives each as 0."""
    schema = json.loads(resources.files("newscrawl").joinpath("schemas/manifest.schema.json").read_text("utf-8"))
    return tuple(schema["properties"]["counts"]["required"])


def manifest_path_for(feed: Path) -> Path:
    """``output/nu.jsonl`` → ``output/nu.jsonl.manifest.json``."""
    return feed.with_name(feed.name + ".manifest.json")


def run_manifest_path(crawler) -> Path | None:
    """Where this run's manifest goes: beside its first local feed (as the exporter named it)."""
    for slot in feed_slots(crawler):
        path = local_path(slot.uri)
        if path is not None:
            return manifest_path_for(path.resolve())
    return None


def file_facts(path: Path, fd: int | None = None) -> dict:
    """Name, size, lines and sha256 of the file at ``path``, or of the open file ``fd`` (read from its start)."""
    return _facts_of(path, tally(path, fd=fd))


def _facts_of(path: Path, described: Tally) -> dict:
    return {"path": path.name, "bytes": described.size, "lines": described.lines, "sha256": described.sha256}


def _same_file(path: Path, fd: int) -> bool:
    try:
        named, written = path.stat(), os.fstat(fd)
    except OSError:
        return False
    return (named.st_dev, named.st_ino) == (written.st_dev, written.st_ino)


def _where(fd: int) -> str:
    """Where an open file is now (Linux names it in /proc), for a file moved while written."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "(unknown: moved or deleted)"


class FeedManifest:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.present: Counter[str] = Counter()
        self.items = 0
        self.articles = 0  # items that are articles, not withdrawal lines: the field coverage's base
        self.published: list[str] = []
        self.tdm_reserved = 0  # article lines whose publisher reserved text-and-data mining
        # feed path → a duplicate of the descriptor the exporter writes: the file the lines really
        # went to, even if the name was moved or replaced during the crawl
        self.written: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FeedManifest:
        extension = cls(crawler)
        # What reached the file: a line the exporter failed to write is not counted as an item.
        crawler.signals.connect(extension.item_written, signal=item_written)
        crawler.signals.connect(extension.feed_slot_closed, signal=signals.feed_slot_closed)
        return extension

    def item_written(self, item, spider) -> None:
        if not self.written:
            self.hold_files()
        adapter = ItemAdapter(item)
        self.items += 1
        if "withdrawn" in (adapter.get("metadata") or {}):
            return  # a withdrawal line: counted (counts.withdrawn), not an article whose fields cover
        self.articles += 1
        for name in coverage_fields():
            if adapter.get(name):
                self.present[name] += 1
        if adapter.get("datePublished"):
            self.published.append(adapter["datePublished"])
        if (adapter["metadata"].get("tdm") or {}).get("reserved"):
            self.tdm_reserved += 1

    def counts(self) -> dict[str, int]:
        stats = self.crawler.stats
        total = lambda prefix: sum(
            v for k, v in stats.get_stats().items() if k.startswith(prefix) and isinstance(v, int)
        )
        return {
            "items": self.items,
            "new": stats.get_value("dedup/new", 0),
            "revised": stats.get_value("dedup/revised", 0),
            "rejects": stats.get_value("validation/rejected", 0),
            "failures": total("failures/"),
            "duplicatesDropped": stats.get_value("dedup/dropped", 0),
            "unchanged": stats.get_value("dedup/unchanged", 0),
            "notArticles": total("skipped/"),
            "fallbackExtractions": stats.get_value("extraction/body/fallback", 0),
            "requests": stats.get_value("downloader/request_count", 0),
            "notModified": stats.get_value("incremental/not_modified", 0),
            "unchangedSkipped": stats.get_value("incremental/unchanged_skipped", 0),
            "withdrawn": stats.get_value("dedup/withdrawn", 0),
            "paywalled": stats.get_value("extraction/paywalled", 0),
            "silentEdits": stats.get_value("dedup/silent_edits", 0),
            "revisits": stats.get_value("revisit/requested", 0),
            "listed": stats.get_value("discovery/links_found", 0),
        }

    def hold_files(self) -> None:
        for slot in feed_slots(self.crawler):
            path = local_path(slot.uri)
            handle = getattr(slot, "file", None)
            if path is None or handle is None or getattr(handle, "closed", True):
                continue
            try:
                self.written[str(path)] = os.dup(handle.fileno())
            except (OSError, AttributeError, ValueError):  # not a plain file (a post-processing wrapper)
                continue

    def feed_slot_closed(self, slot) -> None:
        path = local_path(slot.uri)
        if path is None:
            return  # remote feed storages get no manifest
        fd = self.written.pop(str(path), None)
        try:
            self.describe(slot, path, fd)
        finally:
            if fd is not None:
                os.close(fd)

    def known_facts(self, path: Path) -> dict | None:
        """The file as the state marked it at the close, if it is still that size: its digest went
        on from the last run's (dedup.close_spider), so a grown dataset is not read whole again."""
        described = closed_tallies(self.crawler).get(str(path.resolve()))
        try:
            return _facts_of(path, described) if described and path.stat().st_size == described.size else None
        except OSError:
            return None

    def describe(self, slot, path: Path, fd: int | None) -> None:
        moved = fd is not None and not _same_file(path, fd)
        if not moved and not path.exists():
            return
        # A per-run file (the URI names %(time)s, as the scheduler's job files do) that got no
        # article is not kept: a data directory of empty job files helps nobody. The manifest says so.
        no_news = not moved and slot.itemcount == 0 and "%(time)s" in slot.uri_template and path.stat().st_size == 0
        facts: dict[str, Any] | None = self.known_facts(path) if not moved else None
        if facts is None:
            facts = file_facts(path, fd if moved else None)
        moved_problem = ""
        if moved and fd is not None and facts is not None:
            # The lines went to the file the exporter opened; the name now points elsewhere (or nowhere).
            facts["path"] = _where(fd)
            moved_problem = (
                f"the dataset file {path} was moved or replaced during the crawl: its lines are in {facts['path']}"
            )
            logger.error("%s", moved_problem)
            self.crawler.stats.set_value("manifest/file_moved", facts["path"])
        if no_news:
            path.unlink()
            facts = None
        start = self.crawler.stats.get_value("start_time")
        spider = self.crawler.spider
        # The same ordering as `newscrawl stats`, so both report the same range for one file.
        published = sorted(self.published, key=lambda d: published_key({"datePublished": d}))
        manifest = {
            "spider": spider.name if spider else None,
            "job": job_id(self.crawler),  # the Scrapyd job id, for jobs Scrapyd ran
            "projectVersion": __version__,
            "schemaVersion": SCHEMA_VERSION,
            "fields": field_order(),
            "startTime": start.isoformat(timespec="seconds") if start else None,
            "finishTime": crawl_clock(self.crawler).iso(),
            "finishReason": self.crawler.stats.get_value("finish_reason"),
            "counts": self.counts(),
            "fieldCoverage": {
                name: round(self.present[name] / self.articles, 4) if self.articles else None
                for name in coverage_fields()
            },
            "datePublished": {"min": published[0], "max": published[-1]} if published else None,
            "file": facts,
        }
        manifest["rights"] = {"tdmReserved": self.tdm_reserved, **reserved_rights(self.crawler.stats.get_stats())}
        if no_news:
            manifest["noNewArticles"] = True  # nothing new or changed: no dataset file was kept
        verdict = run_verdict(self.crawler)
        if verdict is not None:
            # The run's one verdict (newscrawl.run.verdict): what check-run, runs and the alerts say too.
            manifest.update(verdict.for_manifest())
            if verdict.layout is not None:
                manifest["layout"] = verdict.layout
        if moved_problem:
            manifest["status"] = "failed"
            manifest["problems"] = [*manifest.get("problems", []), moved_problem]
        ledger = self.crawler.get_extension(UrlLedger)
        if ledger is not None:
            # Every URL the crawl discovered, by outcome; the failures with their reasons.
            manifest["urls"] = ledger.report()
        target = manifest_path_for(path)
        try:
            write_atomically(target, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        except OSError as exc:
            # The run fails loudly (newscrawl/tools/scrapy_commands/crawl.py exits non-zero); an older manifest stays whole.
            self.crawler.stats.set_value("manifest/write_failed", f"{target}: {exc}"[:500])
            logger.error("Manifest write failed: %s (%s); the run fails", target, exc)
            return
        logger.info("Manifest written: %s", target)


def reserved_rights(stats: dict[str, Any]) -> dict[str, Any]:
    """What the run learnt of the publisher's reserved rights (newscrawl/crawl/tdm.py): each host's
    tdmrep.json, and what each host's robots.txt says to the named AI crawlers."""
    files: dict[str, str] = {}
    crawlers: dict[str, dict[str, str]] = {}
    for key, value in stats.items():
        if key.startswith("tdmrep/") and key.count("/") == 1 and key != "tdmrep/invalid":
            files[key.split("/", 1)[1]] = str(value)
        elif key.startswith("robotstxt/ai/"):
            host, agent = key[len("robotstxt/ai/") :].rsplit("/", 1)
            crawlers.setdefault(host, {})[agent] = str(value)
    return {
        "tdmrep": dict(sorted(files.items())),
        "aiCrawlers": {host: dict(sorted(agents.items())) for host, agents in sorted(crawlers.items())},
    }
