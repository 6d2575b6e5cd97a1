"""The run's one verdict: computed once at close, read by everything that reports on the run.

The layout monitor measures (coverage, fallback share, baselines, lost articles, parse errors),
the URL ledger accounts for every URL, Scrapy gives the finish reason; :class:`RunVerdict` puts
them together once. The manifest writes it, the Spidermon monitor and the alerts say it,
``newscrawl check-run`` and ``newscrawl runs`` read it back from the manifest
(:meth:`Verdict.from_manifest`), and only a run it calls ``ok`` joins the site's baseline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.run.coverage import silence_problems
from newscrawl.run.health import RunHealth
from newscrawl.run.ledger import UrlLedger

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    #: "failed" (a problem below), "ok", or "too_few" (passed, with too few articles to judge the layout)
    status: str
    #: why the run failed, for people: layout, run, URL accounting and finish reason, in that order
    problems: tuple[str, ...] = ()
    #: the layout monitor's figures (coverage, fallback share, …) when it ran
    layout: dict[str, Any] | None = field(default=None, compare=False)
    #: URLs without an outcome (a crawl that ended early)
    unaccounted: int = 0
    finish_reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @classmethod
    def of(
        cls,
        layout: dict[str, Any] | None,
        urls: dict[str, Any] | None,
        finish_reason: str | None,
        coverage: list[str] | None = None,
    ) -> Verdict:
        problems = list(layout["problems"]) if layout else []
        problems += coverage or []
        unaccounted = int(urls.get("unaccountedCount", 0)) if urls else 0
        if unaccounted:
            problems.append(f"{unaccounted} URLs without an outcome")
        if finish_reason not in (None, "finished"):
            problems.append(f"finished with {finish_reason!r}")
        too_few = layout is not None and layout.get("status") == "too_few"
        status = "failed" if problems else "too_few" if too_few else "ok"
        return cls(status, tuple(problems), layout, unaccounted, finish_reason)

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Verdict:
        """The verdict a run manifest records. Manifests written before the verdict had its own
        ``problems`` say the layout's, the URLs' and the finish reason apart: read those."""
        layout = manifest.get("layout") if isinstance(manifest.get("layout"), dict) else None
        urls = manifest.get("urls") if isinstance(manifest.get("urls"), dict) else None
        finish_reason = manifest.get("finishReason")
        recorded = manifest.get("problems")
        if isinstance(recorded, list):
            problems = tuple(str(p) for p in recorded)
            status = "failed" if manifest.get("status") == "failed" or problems else "ok"
        else:
            # Before: the layout's problems counted only when its status said failed.
            failed_layout = layout if layout and manifest.get("status") == "failed" else {}
            layout_problems = {"problems": [str(p) for p in failed_layout.get("problems") or []]}
            problems = cls.of(layout_problems, urls, finish_reason).problems
            status = "failed" if problems else "ok"
        unaccounted = int((urls or {}).get("unaccountedCount", 0) or 0)
        return cls(status, problems, layout, unaccounted, finish_reason)

    def for_manifest(self) -> dict[str, Any]:
        return {"status": "failed" if self.failed else "ok", "problems": list(self.problems)}


class RunVerdict:
    """Extension: the run's verdict, computed when first asked for at close (the manifest asks as
    its dataset closes, the Spidermon monitor after), then fixed."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._verdict: Verdict | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunVerdict:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def verdict(self) -> Verdict:
        if self._verdict is None:
            monitor = self.crawler.get_extension(RunHealth)
            ledger = self.crawler.get_extension(UrlLedger)
            self._verdict = Verdict.of(
                monitor.assess() if monitor is not None else None,
                ledger.report() if ledger is not None else None,
                self.crawler.stats.get_value("finish_reason"),
                silence_problems(self.crawler, self.crawler.spider.name) if self.crawler.spider else None,
            )
        return self._verdict

    def spider_closed(self, spider: Any, reason: str) -> None:
        verdict = self.verdict()
        self.crawler.stats.set_value("run/status", verdict.status)
        monitor = self.crawler.get_extension(RunHealth)
        if monitor is not None:
            layout_problems = set(verdict.layout["problems"]) if verdict.layout else set()
            monitor.conclude(verdict.status, spider.name, [p for p in verdict.problems if p not in layout_problems])
        elif verdict.failed:
            logger.error("Run failed on %s: %s.", spider.name, "; ".join(verdict.problems))


def run_verdict(crawler: Crawler) -> Verdict | None:
    """The verdict of this crawl (None when the RunVerdict extension is not enabled)."""
    extension = crawler.get_extension(RunVerdict)
    return extension.verdict() if extension is not None else None
