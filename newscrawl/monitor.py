"""Layout-change detection: the number one failure of news scrapers is a redesign nobody noticed.

Each run measures, over every article page it parsed (emitted, duplicate or rejected), how often
the fields that need the site's selectors were found, and how often the generic extractor had
to fill the body. Under the thresholds the run is failed:

* an ERROR line in the log ("Layout change suspected …"),
* ``layout/status = failed`` in the stats, ``status: failed`` and the reasons in the manifest,
* a sample of the offending pages saved as a fixture folder (pages + ``site.json``) that
  ``python -m newscrawl.archive pack`` turns into a replay archive for a new parser test.

``scrapy crawl`` exits 1 only when it cannot start; ``newscrawl check-run MANIFEST`` exits 1 for
a failed run, for cron, Scrapyd hooks and CI.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from .feeds import with_spider_name
from .runtime import runtime

logger = logging.getLogger(__name__)

class LayoutMonitor:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        # LAYOUT_MIN_COVERAGE, with the site's own overrides (a site that rarely prints bylines …).
        site = getattr(crawler.spidercls, "site", None)
        self.min_coverage: dict[str, float] = {**settings.getdict("LAYOUT_MIN_COVERAGE"), **(site.layout_min_coverage if site else {})}
        self.max_fallback_share = settings.getfloat("LAYOUT_MAX_FALLBACK_SHARE")
        self.min_articles = settings.getint("LAYOUT_MIN_ARTICLES")
        self.max_samples = settings.getint("LAYOUT_SAMPLES")
        # The share of articles whose headline and body the site's own rules found (metadata.sources).
        self.min_site_rules = settings.getfloat("LAYOUT_MIN_SITE_RULES")
        self.site_rules = 0
        self.samples_dir = settings.get("LAYOUT_SAMPLES_DIR")
        self.articles = 0
        self.fallbacks = 0
        self.present: Counter[str] = Counter()
        self.samples: list[tuple[str, int, dict, bytes, list[str]]] = []
        self._verdict: dict | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LayoutMonitor:
        monitor = cls(crawler)
        runtime(crawler).monitor = monitor
        crawler.signals.connect(monitor.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(monitor.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(monitor.spider_closed, signal=signals.spider_closed)
        return monitor

    def item_scraped(self, item, response, spider) -> None:
        self.observe(item, response)

    def item_dropped(self, item, response, exception, spider) -> None:
        self.observe(item, response)

    def observe(self, item, response) -> None:
        adapter = ItemAdapter(item)
        self.articles += 1
        missing = [name for name in self.min_coverage if not adapter.get(name)]
        for name in self.min_coverage:
            if adapter.get(name):
                self.present[name] += 1
        metadata = adapter.get("metadata") or {}
        fallback = metadata.get("bodyExtractor") not in (None, "selectors")
        self.fallbacks += fallback
        sources = metadata.get("sources") or {}
        # A page without a body is counted by the coverage check; here only which rules found what there is.
        by_site_rules = sources.get("headline") == "site" and sources.get("articleBody", "site") == "site"
        self.site_rules += by_site_rules
        if (missing or fallback or not by_site_rules) and response is not None and len(self.samples) < self.max_samples:
            problems = [f"no {name}" for name in missing] + (["body by fallback extractor"] if fallback else [])
            problems += [] if by_site_rules else [f"headline by {sources.get('headline')}, body by {sources.get('articleBody')}"]
            headers = {k.decode("latin-1"): v[-1].decode("latin-1") for k, v in response.headers.items() if k.lower() in (b"content-type",)}
            self.samples.append((response.url, response.status, headers, response.body, problems))

    def verdict(self) -> dict:
        """{status, articles, coverage, fallbackShare, problems}; status "ok", "failed" or "too_few" (not judged)."""
        if self._verdict is not None:
            return self._verdict
        coverage = {name: round(self.present[name] / self.articles, 4) if self.articles else None for name in self.min_coverage}
        share = round(self.fallbacks / self.articles, 4) if self.articles else None
        problems = [f"{name} on {coverage[name]:.0%} of articles (minimum {minimum:.0%})" for name, minimum in self.min_coverage.items() if self.articles and coverage[name] < minimum]
        if self.articles and share > self.max_fallback_share:
            problems.append(f"generic extractor needed for {share:.0%} of bodies (maximum {self.max_fallback_share:.0%})")
        site_share = round(self.site_rules / self.articles, 4) if self.articles else None
        if self.articles and site_share < self.min_site_rules:
            problems.append(f"the site's own rules found headline and body on {site_share:.0%} of articles (minimum {self.min_site_rules:.0%}): "
                            "the rest fell back to standards (see metadata.sources)")
        status = "too_few" if self.articles < self.min_articles else ("failed" if problems else "ok")
        return {"status": status, "articles": self.articles, "coverage": coverage, "fallbackShare": share, "siteRuleShare": site_share, "problems": problems}

    def spider_closed(self, spider, reason: str) -> None:
        verdict = self.verdict()
        self._verdict = verdict  # fixed from here on: the manifest reports the same
        stats = self.crawler.stats
        stats.set_value("layout/status", verdict["status"])
        stats.set_value("layout/articles", verdict["articles"])
        if verdict["status"] != "failed":
            return
        saved = self.save_samples(spider.name)
        logger.error(
            "Layout change suspected on %s: %s. %d sample pages saved to %s (pack them with python -m newscrawl.archive pack).",
            spider.name, "; ".join(verdict["problems"]), len(self.samples), saved,
        )

    def save_samples(self, spider_name: str) -> Path | None:
        if not self.samples:
            return None
        directory = Path(with_spider_name(self.samples_dir, spider_name))
        (directory / "site").mkdir(parents=True, exist_ok=True)
        records = []
        for index, (url, status, headers, body, problems) in enumerate(self.samples, start=1):
            name = f"{index:02d}-" + re.sub(r"[^a-z0-9]+", "-", url.lower().split("//", 1)[-1])[-60:].strip("-") + ".html"
            (directory / "site" / name).write_bytes(body)
            records.append({"url": url, "status": status, "file": f"site/{name}", "headers": headers, "problems": problems})
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        manifest = {"description": f"Pages of a {spider_name} run where the layout seemed to have changed", "date": now, "records": records}
        (directory / "site.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return directory
