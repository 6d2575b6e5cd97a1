"""A living NU.nl on 127.0.0.1 whose content follows a simulated clock, and the scheduler's crawls of it.

The site publishes by the hour of the day (few at night, more by day) with one burst larger than
its feed and its front page show, edits articles after publication (headline or body; some edits
move ``dateModified``, the silent ones do not), and withdraws a few (410, 404, or a redirect to
the section page). Every page carries an ETag and a Last-Modified and answers conditional requests
with 304. Variants: with a news sitemap (the last 48 hours, ``lastmod`` = ``dateModified``) or without.

It keeps its own record of what it published and when (``record()``), to compare with the dataset.
``simulate()`` runs hourly crawls of it in one process (Scrapy's CrawlerRunner), each with
``CRAWL_NOW`` at the site's hour, as a scheduler would, and writes per run what the crawl did.

    python tests/livingsite.py OUT_DIR [--variant sitemap|plain] [--hours 48] [-s NAME=VALUE …]
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faultsite import Logged, ProxySite  # noqa: E402

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BASE = "https://www.nu.nl"
SECTIONS = ("binnenland", "buitenland", "politiek", "economie")
WORDS = (
    "gemeente kabinet minister onderzoek provincie rechter politie school ziekenhuis water energie wonen "
    "boeren verkiezingen begroting kamer europa markt prijzen werk jongeren klimaat stikstof verkeer spoor "
    "haven zorg cultuur museum sport voetbal wielrennen weer storm rivier dijk burgemeester raad plan besluit"
).split()
FEED_SIZE = 10  # items in /rss/Algemeen
PAGE_SIZE = 10  # teasers per front page; ?page=N goes further back
#: the simulation's start: a Monday, midnight in Amsterdam
START = datetime(2025, 4, 7, 0, 0, tzinfo=AMSTERDAM)


@dataclass
class Edit:
    at: datetime
    kind: str  # "headline" | "body"
    silent: bool  # dateModified is not moved


@dataclass
class Article:
    article_id: int
    section: str
    published: datetime
    headline: str
    lead: str
    paragraphs: list[str]
    author: str
    edits: list[Edit] = field(default_factory=list)
    withdrawn_at: datetime | None = None
    withdrawn_as: int | None = None  # 404, 410 or 301 (to the section page)

    @property
    def url(self) -> str:
        return f"{BASE}/{self.section}/{self.article_id}/artikel-{self.article_id}.html"

    def live(self, now: datetime) -> bool:
        return self.published <= now and (self.withdrawn_at is None or now < self.withdrawn_at)

    def version(self, now: datetime) -> tuple[str, list[str], datetime]:
        """Headline, paragraphs and dateModified as the page shows them at ``now``."""
        headline, paragraphs, modified = self.headline, list(self.paragraphs), self.published
        for number, edit in enumerate(e for e in self.edits if e.at <= now):
            if edit.kind == "headline":
                headline = f"{self.headline} (bijgewerkt {number + 1})"
            else:
                paragraphs.append(f"Update {number + 1}: de {WORDS[number % len(WORDS)]} reageert inmiddels.")
            if not edit.silent:
                modified = edit.at
        return headline, paragraphs, modified

    def text_hash(self, now: datetime) -> str:
        headline, paragraphs, _ = self.version(now)
        return hashlib.sha256("\n".join([headline, *paragraphs]).encode()).hexdigest()


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."


def _rate(hour: int) -> float:
    """Articles per hour by the hour of the day in Amsterdam."""
    return 0.7 if hour < 6 else 2.0 if hour < 8 else 4.6 if hour < 23 else 1.5


def timeline(
    hours: int, seed: int = 7, burst_hour: int = 30, burst: int = 25, silent_from: int | None = None
) -> list[Article]:
    """Publications over ``hours`` from START, with ``burst`` extra articles in hour ``burst_hour``;
    edits (a third of them silent) and four withdrawals, all at least a day before the end, so that
    "caught within 24 hours" can be judged for each."""
    rng = random.Random(seed)
    end = START + timedelta(hours=hours)
    articles: list[Article] = []
    for hour in range(hours if silent_from is None else min(hours, silent_from)):
        begin = START + timedelta(hours=hour)
        count = int(_rate(begin.hour)) + (rng.random() < _rate(begin.hour) % 1) + (burst if hour == burst_hour else 0)
        for minute in sorted(rng.sample(range(60), min(count, 60)) + [rng.randrange(60) for _ in range(count - 60)]):
            number = len(articles)
            articles.append(
                Article(
                    article_id=7100000 + number,
                    section=SECTIONS[number % len(SECTIONS)],
                    published=begin + timedelta(minutes=minute, seconds=rng.randrange(60)),
                    headline=f"{_sentence(rng)[:-1]} ({7100000 + number})",
                    lead=_sentence(rng),
                    paragraphs=[" ".join(_sentence(rng) for _ in range(3)) for _ in range(rng.randint(4, 8))],
                    author=rng.choice(("Sanne Jansen", "Pieter de Vries", "Fatima El Amrani", "Joris Bakker")),
                )
            )
    last_edit = end - timedelta(hours=24)
    for article in articles:
        if article.published > last_edit - timedelta(minutes=30):
            continue
        for _ in range(rng.choice((0, 1, 1, 2, 2))):
            at = article.published + timedelta(minutes=rng.randint(20, 20 * 60))
            if at < last_edit:
                article.edits.append(Edit(at, rng.choice(("headline", "body")), silent=rng.random() < 0.33))
        article.edits.sort(key=lambda e: e.at)
    candidates = [a for a in articles if a.published < last_edit - timedelta(hours=4)]
    for article, status in zip(rng.sample(candidates, min(4, len(candidates))), (410, 404, 410, 301)):
        article.withdrawn_at = min(article.published + timedelta(hours=rng.randint(3, 20)), last_edit)
        article.withdrawn_as = status
        article.edits = [e for e in article.edits if e.at < article.withdrawn_at]
    return articles


def _http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def article_page(article: Article, now: datetime) -> str:
    headline, paragraphs, modified = article.version(now)
    published, modified_iso = article.published.isoformat(), modified.isoformat()
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": published,
        "dateModified": modified_iso,
        "author": [{"@type": "Person", "name": article.author}],
        "publisher": {"@type": "Organization", "name": "NU.nl"},
    }
    body = "\n".join(
        f'<p class="textblock paragraph" data-text-role="ARTICLE_BODY">{html.escape(p)}</p>' for p in paragraphs
    )
    updated = (
        f'<span class="datetime__updated">Bijgewerkt <time datetime="{modified_iso}"></time></span>'
        if modified != article.published
        else ""
    )
    return f"""<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"/>
<title>{html.escape(headline)} | NU.nl</title>
<link rel="canonical" href="{article.url}"/>
<meta property="og:title" content="{html.escape(headline)}"/>
<meta name="article:published_time" content="{published}"/>
<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script></head>
<body class="screen screen--article" data-page-type="article" data-section="{article.section}">
<main id="main"><article class="article" data-article-id="{article.article_id}">
<header class="article__header"><h1 class="headline title"><span class="headline__text">{html.escape(headline)}</span></h1>
<div class="article__meta"><div class="textblock author" data-text-role="ARTICLE_AUTHOR">Door {article.author}</div>
<div class="textblock datetime"><time datetime="{published}">{article.published:%d-%m-%Y %H:%M}</time>{updated}</div></div>
</header><div class="article__body">
<div class="textblock excerpt" data-text-role="ARTICLE_EXCERPT"><p>{html.escape(article.lead)}</p></div>
{body}
</div></article></main></body></html>"""


class LivingSite(ProxySite):
    """The site at ``self.now`` (set by the simulation before each crawl), through the test proxy."""

    def __init__(self, workdir: Path, articles: list[Article], news_sitemap: bool):
        self.workdir = workdir
        self.articles = articles
        self.by_id = {a.article_id: a for a in articles}
        self.news_sitemap = news_sitemap
        self.now = START
        self.log: list[Logged] = []
        self.hosts: list[str] = []
        self.broken: list[str] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._init_tls()

    def live(self) -> list[Article]:
        """Published and not withdrawn at ``now``, newest first."""
        return sorted((a for a in self.articles if a.live(self.now)), key=lambda a: a.published, reverse=True)

    def page(self, url: str) -> tuple[int, dict[str, str], bytes, datetime | None]:
        """Status, headers, body and Last-Modified of ``url`` at ``now``."""
        parts = urlsplit(url)
        path = parts.path
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n", None
        live = self.live()
        newest = live[0].published if live else START
        if path == "/rss/Algemeen":
            items = "".join(
                f"<item><title>{html.escape(a.headline)}</title><link>{a.url}</link>"
                f"<pubDate>{format_datetime(a.published)}</pubDate>"
                f'<guid isPermaLink="false">article-{a.article_id}</guid><category>{a.section}</category></item>'
                for a in live[:FEED_SIZE]
            )
            body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>NU - Algemeen</title>{items}</channel></rss>'
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, body.encode(), newest
        if path == "/sitemap_news.xml" and self.news_sitemap:
            recent = [a for a in live if self.now - a.published <= timedelta(hours=48)]
            entries = "".join(
                f"<url><loc>{a.url}</loc><lastmod>{a.version(self.now)[2].isoformat()}</lastmod><news:news>"
                f"<news:publication><news:name>NU.nl</news:name><news:language>nl</news:language></news:publication>"
                f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
                f"<news:title>{html.escape(a.version(self.now)[0])}</news:title></news:news></url>"
                for a in recent
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
            )
            return 200, {"Content-Type": "application/xml; charset=utf-8"}, body.encode(), None
        if path == "/":
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            shown = live[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            teasers = "".join(
                f'<a class="teaser" href="{a.url.removeprefix(BASE)}">{html.escape(a.version(self.now)[0])}</a>'
                for a in shown
            )
            more = (
                f'<a class="load-more button" href="/?page={page + 1}">Meer laden</a>'
                if len(live) > page * PAGE_SIZE
                else ""
            )
            body = f"<html><body data-page-type='frontpage'><main>{teasers}{more}</main></body></html>"
            return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode(), None
        if path in {f"/{s}" for s in SECTIONS}:
            return (
                200,
                {"Content-Type": "text/html; charset=utf-8"},
                b"<html><body data-page-type='section'><main></main></body></html>",
                None,
            )
        segments = path.strip("/").split("/")
        article = self.by_id.get(int(segments[1])) if len(segments) == 3 and segments[1].isdigit() else None
        if article is None or article.published > self.now:
            return (
                404,
                {"Content-Type": "text/html"},
                b"<html><body data-page-type='error'>Niet gevonden</body></html>",
                None,
            )
        if not article.live(self.now):
            if article.withdrawn_as == 301:
                return 301, {"Location": f"{BASE}/{article.section}"}, b"", None
            return article.withdrawn_as or 410, {"Content-Type": "text/html"}, b"<html><body>Weg</body></html>", None
        return (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            article_page(article, self.now).encode(),
            article.version(self.now)[2],
        )

    def respond(self, sock, url: str, headers: dict[str, str]) -> None:
        status, extra, body, last_modified = self.page(url)
        if status == 200:
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            extra = {**extra, "ETag": etag}
            if last_modified is not None:
                extra["Last-Modified"] = _http_date(last_modified)
            if self._not_modified(headers, etag, extra.get("Last-Modified")):
                return self._send(sock, url, 304, {"ETag": etag}, b"", "ok")
        return self._send(sock, url, status, extra, body, "ok")

    @staticmethod
    def _not_modified(headers: dict[str, str], etag: str, last_modified: str | None) -> bool:
        """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since."""
        if "if-none-match" in headers:
            return etag in [tag.strip() for tag in headers["if-none-match"].split(",")]
        since = headers.get("if-modified-since")
        if since and last_modified:
            try:
                return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def record(self) -> dict:
        """What the site did, for comparison with the dataset."""
        return {
            "articles": [
                {
                    "key": f"nu:{a.article_id}",
                    "url": a.url,
                    "published": a.published.isoformat(),
                    "withdrawnAt": a.withdrawn_at.isoformat() if a.withdrawn_at else None,
                    "withdrawnAs": a.withdrawn_as,
                    "versions": [
                        {"at": at.isoformat(), "silent": silent, "hash": a.text_hash(at)}
                        for at, silent in [(a.published, False), *((e.at, e.silent) for e in a.edits)]
                    ],
                }
                for a in self.articles
            ]
        }


def simulate(
    out: Path, variant: str = "sitemap", hours: int = 48, settings: dict | None = None, silent_from: int | None = None
) -> None:
    """Hourly crawls of the living site, in this process; writes out/nu.jsonl, out/site.json (the
    site's record) and out/runs.jsonl (per run: the crawl's clock, its stats, the site's answers, CPU)."""
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    import os

    from scrapy.crawler import CrawlerRunner
    from scrapy.utils.log import configure_logging
    from scrapy.utils.project import get_project_settings
    from twisted.internet import defer, reactor

    out.mkdir(parents=True, exist_ok=True)
    site = LivingSite(out, timeline(hours, silent_from=silent_from), news_sitemap=variant == "sitemap")
    port = site.start()
    os.environ.update(
        {"https_proxy": f"http://127.0.0.1:{port}", "http_proxy": f"http://127.0.0.1:{port}", "no_proxy": ""}
    )
    configure_logging({"LOG_LEVEL": "WARNING", "LOG_FILE": str(out / "crawl.log")})
    base = get_project_settings()
    base.setdict(
        {
            "FEEDS": {str(out / "nu.jsonl"): {"format": "jsonlines"}},
            "STATE_DB": str(out / "state.sqlite3"),
            "SPIDERMON_ENABLED": True,
            # The simulation's hour is short: no waiting between requests to the one local proxy.
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "HEALTH_SAMPLES_DIR": str(out / "samples"),
            **(settings or {}),
        },
        priority="cmdline",
    )
    runs = (out / "runs.jsonl").open("w", encoding="utf-8")

    @defer.inlineCallbacks
    def crawl_every_hour():
        try:
            for hour in range(1, hours + 1):
                site.now = START + timedelta(hours=hour)
                settings_now = base.copy()
                settings_now.set("CRAWL_NOW", site.now.isoformat(), priority="cmdline")
                runner = CrawlerRunner(settings_now)
                crawler = runner.create_crawler("nu")
                answered = len(site.log)
                cpu = resource.getrusage(resource.RUSAGE_SELF)
                began = time.monotonic()
                yield runner.crawl(crawler, sections="")
                used = resource.getrusage(resource.RUSAGE_SELF)
                served = site.log[answered:]
                stats = {
                    k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in crawler.stats.get_stats().items()
                }
                runs.write(
                    json.dumps(
                        {
                            "now": site.now.isoformat(),
                            "seconds": round(time.monotonic() - began, 3),
                            "cpu": round(used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime, 3),
                            "served": {
                                "requests": len(served),
                                "full": sum(1 for e in served if e.status != 304),
                                "notModified": sum(1 for e in served if e.status == 304),
                                "articleFull": sum(1 for e in served if e.status == 200 and "/artikel-" in e.url),
                                "articleNotModified": sum(
                                    1 for e in served if e.status == 304 and "/artikel-" in e.url
                                ),
                            },
                            "stats": stats,
                            "problems": json.loads((out / "nu.jsonl.manifest.json").read_text("utf-8"))["problems"],
                        }
                    )
                    + "\n"
                )
                runs.flush()
        finally:
            runs.close()
            site.stop()
            reactor.stop()

    reactor.callWhenRunning(crawl_every_hour)
    reactor.run()
    (out / "site.json").write_text(json.dumps(site.record()), "utf-8")
    (out / "hosts.json").write_text(json.dumps(sorted(set(site.hosts))), "utf-8")
    (out / "served.json").write_text(json.dumps([[entry.url, entry.status] for entry in site.log]), "utf-8")


def page_hash(item: dict) -> str:
    """The site's own text hash (Article.text_hash) of what a dataset line holds."""
    return hashlib.sha256("\n".join([item["headline"], *item["articleBody"].split("\n\n")]).encode()).hexdigest()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def judge(out: Path) -> dict:
    """The dataset against the site's record: what was captured, how late, which edits and
    withdrawals were seen, duplicates, and full downloads per captured version."""
    record = json.loads((out / "site.json").read_text("utf-8"))
    runs = [json.loads(line) for line in (out / "runs.jsonl").read_text("utf-8").splitlines()]
    end = datetime.fromisoformat(runs[-1]["now"])
    lines = [json.loads(line) for line in (out / "nu.jsonl").read_text("utf-8").splitlines()]
    by_key: dict[str, list[dict]] = {}
    for item in lines:
        by_key.setdefault(f"{item['site']}:{item['articleId']}", []).append(item)
    downloads: dict[str, int] = {}
    for url, status in json.loads((out / "served.json").read_text("utf-8")):
        if status == 200 and "/artikel-" in url:
            downloads[url] = downloads.get(url, 0) + 1
    published = [a for a in record["articles"] if datetime.fromisoformat(a["published"]) <= end]
    missing, latencies, edits, caught, silent, silent_caught, late_edits = [], [], 0, 0, 0, 0, []
    withdrawn, withdrawals_recorded, per_version = 0, 0, []
    for article in published:
        items = by_key.get(article["key"], [])
        texts = [
            (datetime.fromisoformat(i["metadata"]["dateDownloaded"]), page_hash(i)) for i in items if "headline" in i
        ]
        if not texts:
            missing.append(article["key"])
            continue
        latencies.append((min(t for t, _ in texts) - datetime.fromisoformat(article["published"])).total_seconds() / 60)
        versions = [v["hash"] for v in article["versions"]]
        for number, version in enumerate(article["versions"][1:], start=1):
            at = datetime.fromisoformat(version["at"])
            if at + timedelta(hours=24) > end:
                continue  # not judged: the simulation ends within a day of the edit
            edits += 1
            silent += version["silent"]
            later = set(versions[number:])
            if any(at <= t <= at + timedelta(hours=24) and h in later for t, h in texts):
                caught += 1
                silent_caught += version["silent"]
            else:
                late_edits.append(f"{article['key']} edit {number} at {version['at']}")
        if article["withdrawnAt"]:
            withdrawn += 1
            marks = [i for i in items if "withdrawn" in i["metadata"]]
            withdrawals_recorded += len(marks) == 1
        per_version.append(downloads.get(article["url"], 0) / len({h for _, h in texts}))
    seen_pairs = [(f"{i['site']}:{i['articleId']}", i["metadata"]["contentHash"]) for i in lines]
    revisions = [(f"{i['site']}:{i['articleId']}", i["metadata"]["revision"]) for i in lines]
    return {
        "published": len(published),
        "captured": len(published) - len(missing),
        "missing": missing,
        "latencyMinutes": {"p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95)},
        "edits": edits,
        "editsCaughtWithin24h": caught,
        "silentEdits": silent,
        "silentEditsCaught": silent_caught,
        "editsMissed": late_edits,
        "withdrawn": withdrawn,
        "withdrawalsRecordedOnce": withdrawals_recorded,
        "lines": len(lines),
        "duplicateLines": len(seen_pairs) - len(set(seen_pairs)) + len(revisions) - len(set(revisions)),
        "maxFullDownloadsPerVersion": max(per_version, default=0),
        "articleFullDownloads": sum(downloads.values()),
        "requests": sum(r["served"]["requests"] for r in runs),
        "notModified": sum(r["served"]["notModified"] for r in runs),
        "cpuSeconds": round(sum(r["cpu"] for r in runs), 2),
        "silentEditFlags": sum(1 for i in lines if i["metadata"].get("silentEdit")),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--variant", choices=("sitemap", "plain"), default="sitemap")
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--silent-from", type=int, help="the site publishes nothing from this hour on")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    options = parser.parse_args()
    overrides = {}
    for pair in options.settings:
        name, _, value = pair.partition("=")
        overrides[name] = json.loads(value) if value[:1] in "[{" else value
    simulate(options.out, options.variant, options.hours, overrides, options.silent_from)
    print(json.dumps(judge(options.out), indent=1))
