"""The run's health (RunHealth): did this run read the site as it should?

Layout change first (the number one failure of news scrapers is a redesign nobody noticed), then
what the run lost (discovery that reached nothing, parse errors, failed articles) and the site's
baselines (a field it always had, gone in one run). Each run measures, over every article page it
parsed (emitted, duplicate or rejected), how often the fields that need the site's selectors were
found, and how often the generic extractor had to fill the body. Under the thresholds the run is failed:

* an ERROR line in the log ("Layout change suspected …"),
* ``layout/status = failed`` in the stats, ``status: failed`` and the reasons in the manifest,
* a sample of the offending pages saved as a fixture folder (pages + ``site.json``) that
  ``python -m newscrawl.tools.fixtures pack`` turns into a replay archive for a new parser test.

``scrapy crawl`` exits 1 only when it cannot start; ``newscrawl check-run MANIFEST`` exits 1 for
a failed run, for cron, Scrapyd hooks and CI.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from newscrawl.article.clock import crawl_clock
from newscrawl.crawl import signals as crawl_signals
from newscrawl.crawl.feeds import with_spider_name
from newscrawl.crawl.outcomes import Outcome
from newscrawl.extract.base import baseline_fields
from newscrawl.run.ledger import UrlLedger
from newscrawl.state import Baseline, store_for

logger = logging.getLogger(__name__)

# The health settings before they shared one prefix: given under the old name, a crawl refuses to
# start (newscrawl/tools/scrapy_commands/crawl.py) rather than run with the default unnoticed.
RENAMED_SETTINGS = {
    "LAYOUT_MIN_COVERAGE": "HEALTH_MIN_COVERAGE",
    "LAYOUT_MAX_FALLBACK_SHARE": "HEALTH_MAX_FALLBACK_SHARE",
    "LAYOUT_MIN_SITE_RULES": "HEALTH_MIN_SITE_RULES",
    "LAYOUT_MAX_PARSE_ERROR_SHARE": "HEALTH_MAX_PARSE_ERROR_SHARE",
    "LAYOUT_MIN_ARTICLES": "HEALTH_MIN_ARTICLES",
    "LAYOUT_SAMPLES": "HEALTH_SAMPLES",
    "LAYOUT_SAMPLES_DIR": "HEALTH_SAMPLES_DIR",
    "RUN_MAX_LOST_SHARE": "HEALTH_MAX_LOST_SHARE",
    "RUN_BASELINE_DROP": "HEALTH_BASELINE_DROP",
    "RUN_BASELINE_FALLBACK_RISE": "HEALTH_BASELINE_FALLBACK_RISE",
}


class RunHealth:
    """Extension: judges the run's health at close (its verdict: newscrawl/run/verdict.py)."""

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        # HEALTH_MIN_COVERAGE, with the site's own overrides (a site that rarely prints bylines …).
        site = getattr(crawler.spidercls, "site", None)
        self.min_coverage: dict[str, float] = {
            **settings.getdict("HEALTH_MIN_COVERAGE"),
            **(site.layout_min_coverage if site else {}),
        }
        self.max_fallback_share = settings.getfloat("HEALTH_MAX_FALLBACK_SHARE")
        self.min_articles = settings.getint("HEALTH_MIN_ARTICLES")
        self.max_samples = settings.getint("HEALTH_SAMPLES")
        # The share of articles whose headline and body the site's own rules found (metadata.sources).
        self.min_site_rules = settings.getfloat("HEALTH_MIN_SITE_RULES")
        self.site_rules = 0
        # The fields the site's own rules give (its parser says); none for a site of standards only.
        self.own_rules: frozenset[str] = site.parser.site_rules if site else frozenset({"headline", "articleBody"})
        self.max_parse_error_share = settings.getfloat("HEALTH_MAX_PARSE_ERROR_SHARE")
        self.max_lost_share = settings.getfloat("HEALTH_MAX_LOST_SHARE")
        self.parse_errors = 0
        # Compared with the site's healthy runs so far (kept in the state store).
        self.baseline_drop = settings.getfloat("HEALTH_BASELINE_DROP")
        self.baseline_fallback_rise = settings.getfloat("HEALTH_BASELINE_FALLBACK_RISE")
        self.site_name = site.name if site else None
        # A site whose article URL pattern no fixture confirms (declared in TOML without check_url):
        # a pattern that matches no link leaves the run empty, not failed, unless it is judged here.
        self.unconfirmed_article_path = site is not None and site.check is None
        self.samples_dir = settings.get("HEALTH_SAMPLES_DIR")
        self.articles = 0
        self.paywalled = 0  # previews, not judged
        self.fallbacks = 0
        self.present: Counter[str] = Counter()
        self.samples: list[tuple[str, int, dict, bytes, list[str]]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunHealth:
        monitor = cls(crawler)
        crawler.signals.connect(monitor.parse_error, signal=crawl_signals.page_parse_error)
        crawler.signals.connect(monitor.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(monitor.item_dropped, signal=signals.item_dropped)
        return monitor

    def item_scraped(self, item, response, spider) -> None:
        self.observe(item, response)

    def item_dropped(self, item, response, exception, spider) -> None:
        self.observe(item, response)

    def observe(self, item, response) -> None:
        adapter = ItemAdapter(item)
        if "withdrawn" in (adapter.get("metadata") or {}):
            return  # a withdrawal line holds no page to judge
        if adapter.get("isAccessibleForFree") is False:
            # A paywalled preview: a short body, perhaps found only by the generic extractor. It says
            # nothing of the layout, and a site is never failed for it: counted apart.
            self.paywalled += 1
            return
        self.articles += 1
        missing = [name for name in self.min_coverage if not adapter.get(name)]
        for name in set(self.min_coverage) | set(baseline_fields()):
            if adapter.get(name):
                self.present[name] += 1
        metadata = adapter.get("metadata") or {}
        # Judged by what the site declares: the generic body is a fallback only for a site with body rules.
        fallback = "articleBody" in self.own_rules and metadata.get("bodyExtractor") not in (None, "selectors")
        self.fallbacks += fallback
        sources = metadata.get("sources") or {}
        # A page without a body is counted by the coverage check; here only which rules found what there is.
        by_site_rules = all(sources.get(name, "site") == "site" for name in self.own_rules)
        self.site_rules += by_site_rules
        if missing or fallback or not by_site_rules:
            problems = [f"no {name}" for name in missing] + (["body by fallback extractor"] if fallback else [])
            problems += (
                []
                if by_site_rules
                else [
                    f"{name} by {sources.get(name)}"
                    for name in sorted(self.own_rules)
                    if sources.get(name, "site") != "site"
                ]
            )
            self.keep_sample(response, problems)

    def parse_error(self, response, kind: str, detail: str) -> None:
        """A page whose parser raised (newscrawl.crawl.middlewares.ParseErrorMiddleware): counted, and kept as a sample."""
        if kind == "article":
            self.parse_errors += 1
        self.keep_sample(response, [f"parse error: {detail}"])

    def keep_sample(self, response, problems: list[str]) -> None:
        if response is None or len(self.samples) >= self.max_samples:
            return
        headers = {
            k.decode("latin-1"): v[-1].decode("latin-1")
            for k, v in response.headers.items()
            if k.lower() in (b"content-type",)
        }
        self.samples.append((response.url, response.status, headers, response.body, problems))

    def run_problems(self) -> list[str]:
        """What makes a run bad whatever the layout: no discovery source answered, article pages fetched
        and none became an item, most article URLs lost to skips and failures, parsers that raise."""
        ledger = self.crawler.get_extension(UrlLedger)
        if ledger is None:
            return []
        articles = Counter(outcome for url, outcome in ledger.outcomes.items() if url not in ledger.discovery_urls)
        kinds: Counter[str] = Counter()
        for outcome, count in articles.items():
            kinds[outcome.kind] += count
        requested = sum(kinds[k] for k in ("item", "reject", "duplicate", "not_modified", "skipped", "failure"))
        good = kinds["item"] + kinds["duplicate"] + kinds["not_modified"]
        lost = kinds["skipped"] + kinds["failure"]
        problems = []
        sources = Counter(ledger.outcomes[url].kind for url in ledger.discovery_urls if url in ledger.outcomes)
        if sources and not good and not sources["discovery"] + sources["not_modified"]:
            # Not one feed, sitemap or listing answered: the run reached nothing (blocked, DNS, proxy, wrong archive).
            problems.append(
                f"reached nothing: none of the {len(ledger.discovery_urls)} discovery sources answered "
                f"({sources['failure']} failed), no article requested"
            )
        walls = articles[Outcome.skipped("consent_wall")]
        if walls and requested and (not good or lost / requested > self.max_lost_share):
            problems.append(
                f"consent wall: {walls} of {requested} article pages asked for consent instead of showing the "
                "article (a redirect to a consent service or a consent page); send the consent cookies you are "
                "entitled to with CONSENT_COOKIES (docs/settings.md), or agree terms with the publisher"
            )
        found = self.crawler.stats.get_value("discovery/links_found", 0)
        if self.unconfirmed_article_path and sources["discovery"] and not found and not requested:
            problem = (
                f"article_path matches no link: the {sources['discovery']} discovery pages read gave no "
                "article URL of the site; check the site's article_path (no check_url confirms it)"
            )
            logger.warning("%s", problem)
            problems.append(problem)
        if requested and not good:
            problems.append(
                f"{requested} article pages requested, none became an item ({lost} skipped or failed, {kinds['reject']} rejected)"
            )
        elif requested >= self.min_articles and lost / requested > self.max_lost_share:
            problems.append(
                f"{lost} of {requested} article URLs ended as skips or failures (maximum {self.max_lost_share:.0%})"
            )
        write_failed = self.crawler.stats.get_value("feed/write_failed")
        if write_failed:
            problems.append(
                f"dataset write failed, {self.crawler.stats.get_value('feed/not_written', 0)} items not written ({write_failed})"
            )
        store_failed = sum(
            v for k, v in self.crawler.stats.get_stats().items() if k.startswith("feedexport/failed_count/")
        )
        if store_failed:
            problems.append(f"{store_failed} dataset files could not be stored")
        parsed = self.articles + self.parse_errors
        if self.parse_errors and self.parse_errors / parsed > self.max_parse_error_share:
            problems.append(f"the parser raised on {self.parse_errors} of {parsed} article pages (failure:parse_error)")
        return problems

    def assess(self) -> dict:
        """What this run's pages say of the layout and the run: {status, articles, coverage,
        fallbackShare, problems, …}; status "ok", "failed" or "too_few" (not judged). One part of
        the run's verdict (newscrawl.run.verdict), which adds the URLs and the finish reason."""
        coverage = {
            name: round(self.present[name] / self.articles, 4) if self.articles else None for name in self.min_coverage
        }
        share = round(self.fallbacks / self.articles, 4) if self.articles else None
        problems = [
            f"{name} on {coverage[name]:.0%} of articles (minimum {minimum:.0%})"
            for name, minimum in self.min_coverage.items()
            if self.articles and (coverage[name] or 0) < minimum
        ]
        if share is not None and share > self.max_fallback_share:
            problems.append(
                f"generic extractor needed for {share:.0%} of bodies (maximum {self.max_fallback_share:.0%})"
            )
        site_share = round(self.site_rules / self.articles, 4) if self.articles else None
        if site_share is not None and site_share < self.min_site_rules:
            problems.append(
                f"the site's own rules found {' and '.join(sorted(self.own_rules))} on {site_share:.0%} of articles (minimum {self.min_site_rules:.0%}): "
                "the rest fell back to standards (see metadata.sources)"
            )
        if self.articles < self.min_articles:
            problems = []  # too few articles to judge the layout by shares
        else:
            problems += self.baseline_problems(self.metrics(share))
        run_problems = self.run_problems()
        status = "failed" if problems or run_problems else ("too_few" if self.articles < self.min_articles else "ok")
        return {
            "status": status,
            "articles": self.articles,
            "parseErrors": self.parse_errors,
            "coverage": coverage,
            "fallbackShare": share,
            "siteRuleShare": site_share,
            "problems": problems + run_problems,
            "layoutProblems": problems,
            "runProblems": run_problems,
        }

    def metrics(self, fallback_share: float | None) -> dict[str, float]:
        """This run's figures, as kept in the site's baseline."""
        figures = (
            {f"coverage/{name}": self.present[name] / self.articles for name in baseline_fields()}
            if self.articles
            else {}
        )
        if fallback_share is not None:
            figures["fallbackShare"] = fallback_share
        stats = self.crawler.stats
        pages = stats.get_value("discovery/listing_pages", 0)
        if pages:
            figures["linksPerListing"] = stats.get_value("discovery/listing_links", 0) / pages
        return figures

    @cached_property
    def baseline(self) -> Baseline | None:
        if not self.site_name:
            return None
        return store_for(self.crawler).get_baseline(self.site_name)

    def baseline_problems(self, figures: dict[str, float]) -> list[str]:
        """What fell far below (or, the fallback share, rose far above) the site's healthy runs."""
        baseline = self.baseline
        if baseline is None:
            return []
        problems = []
        for name, usual in baseline.metrics.items():
            now = figures.get(name)
            if now is None:
                continue
            if name == "fallbackShare":
                if now > usual + self.baseline_fallback_rise:
                    problems.append(f"generic extractor needed for {now:.0%} of bodies (usually {usual:.0%})")
            elif usual >= 0.2 and now < usual * (1 - self.baseline_drop):
                label = (
                    f"{name.split('/', 1)[1]} on {now:.0%} of articles"
                    if name.startswith("coverage/")
                    else f"{now:.1f} links per listing page"
                )
                usual_text = f"{usual:.0%}" if name.startswith("coverage/") else f"{usual:.1f}"
                problems.append(f"{label} (usually {usual_text}, over {baseline.runs} healthy runs)")
        return problems

    def update_baseline(self, verdict: dict) -> None:
        """A healthy run joins the site's baseline (a running mean over the healthy runs)."""
        if not self.site_name:
            return
        figures = self.metrics(verdict["fallbackShare"])
        old = self.baseline
        runs = (old.runs if old else 0) + 1
        merged = {
            name: ((old.metrics.get(name, value) * (runs - 1) + value) / runs if old else value)
            for name, value in figures.items()
        }
        store_for(self.crawler).record_baseline(
            self.site_name,
            Baseline({k: round(v, 4) for k, v in merged.items()}, runs),
            crawl_clock(self.crawler).iso(),
        )

    def conclude(self, status: str, spider_name: str, other_problems: list[str]) -> None:
        """The run's verdict is in (newscrawl.run.verdict): a healthy run joins the site's baseline;
        a failed one keeps its sample pages and says so loudly."""
        figures = self.assess()
        if status == "ok":
            self.update_baseline(figures)
        stats = self.crawler.stats
        stats.set_value("layout/status", figures["status"])
        stats.set_value("layout/articles", figures["articles"])
        if status != "failed":
            return
        saved = self.save_samples(spider_name)
        where = (
            f"{len(self.samples)} sample pages saved to {saved} (pack them with python -m newscrawl.tools.fixtures pack)"
            if saved
            else "no sample pages kept"
        )
        if figures["layoutProblems"]:
            logger.error(
                "Layout change suspected on %s: %s. %s.", spider_name, "; ".join(figures["layoutProblems"]), where
            )
        others = figures["runProblems"] + other_problems  # URLs without an outcome, the finish reason
        if others:
            logger.error("Run failed on %s: %s. %s.", spider_name, "; ".join(others), where)

    def save_samples(self, spider_name: str) -> Path | None:
        if not self.samples:
            return None
        directory = Path(with_spider_name(self.samples_dir, spider_name))
        (directory / "site").mkdir(parents=True, exist_ok=True)
        records = []
        for index, (url, status, headers, body, problems) in enumerate(self.samples, start=1):
            name = (
                f"{index:02d}-" + re.sub(r"[^a-z0-9]+", "-", url.lower().split("//", 1)[-1])[-60:].strip("-") + ".html"
            )
            (directory / "site" / name).write_bytes(body)
            records.append(
                {"url": url, "status": status, "file": f"site/{name}", "headers": headers, "problems": problems}
            )
        # A replay asks each host for robots.txt first: "none" (404) lets it read the samples.
        origins = sorted({f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url, *_ in self.samples})
        records[:0] = [{"url": f"{origin}/robots.txt", "status": 404} for origin in origins]
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        manifest = {
            "description": f"Pages of a {spider_name} run where the layout seemed to have changed",
            "date": now,
            "records": records,
        }
        (directory / "site.json").write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return directory
