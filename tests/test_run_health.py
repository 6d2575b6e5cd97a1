"""Run health that cannot be fooled: a run that loses its articles fails, a healthy one passes
however it was started, and a page that breaks a parser is an outcome, not a crash."""

import json
import shutil
import subprocess
import sys

from conftest import FIXTURES, project_crawler, replay_crawl
from scrapy.http import HtmlResponse, Request

from newscrawl.crawl.middlewares import ParseErrorMiddleware
from newscrawl.crawl.spiders.sites import spider_for

NuSpider = spider_for("nu")
from newscrawl.extract.requestinfo import META_KEY, RequestInfo
from newscrawl.run.health import RunHealth
from newscrawl.run.ledger import UrlLedger
from newscrawl.tools.fixtures import pack

WALL = """<html><head><title>NU.nl</title></head><body><div class="privacy-gate"><h2>NU.nl gebruikt cookies</h2>
<p>Wij en derde partijen gebruiken cookies om je de beste ervaring te bieden.</p><button>Akkoord</button></div></body></html>"""


def check_run(manifest):
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", "check-run", str(manifest)], capture_output=True, text=True
    )


def test_a_run_whose_article_pages_are_all_consent_walls_fails(tmp_path):
    site = tmp_path / "nu-walls"
    shutil.copytree(FIXTURES / "nu", site, ignore=shutil.ignore_patterns("*.warc.gz", "expected"))
    for page in [*(site / "site").glob("article_*.html"), *(site / "site").glob("liveblog_*.html")]:
        page.write_text(WALL, "utf-8")
    pack(site / "site.json", tmp_path / "walls.warc.gz")
    lines, stats, log = replay_crawl("nu", tmp_path, archive=tmp_path / "walls.warc.gz")
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())
    assert lines == [] and stats["skipped/consent_wall"] >= 5
    assert manifest["status"] == "failed" and any("none became an item" in p for p in manifest["layout"]["problems"])
    assert "Run failed on nu" in log
    assert check_run(tmp_path / "nu.jsonl.manifest.json").returncode == 1


def test_a_run_that_reached_nothing_fails(tmp_path):
    # Every feed, sitemap and section page fails (here: an archive of another site, so each is missing).
    lines, stats, log = replay_crawl("nu", tmp_path, archive=FIXTURES / "wnl" / "site.warc.gz")
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())
    assert lines == [] and manifest["counts"]["items"] == 0 and manifest["counts"]["failures"] >= 10
    assert manifest["status"] == "failed" and any(
        p.startswith("reached nothing") for p in manifest["layout"]["problems"]
    )
    assert "Run failed on nu" in log
    result = check_run(tmp_path / "nu.jsonl.manifest.json")
    assert result.returncode == 1 and "reached nothing" in result.stdout + result.stderr


def test_a_healthy_run_started_from_a_feed_passes_the_check(tmp_path):
    lines, stats, _ = replay_crawl(
        "nu", tmp_path, "-a", "start_urls=https://www.nu.nl/rss/Algemeen", "-a", "related_depth=0"
    )
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())
    assert lines and manifest["urls"]["unaccountedCount"] == 0 and manifest["urls"]["outcomes"]["discovery"] == 1
    result = check_run(tmp_path / "nu.jsonl.manifest.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_page_that_breaks_a_parser_is_a_counted_outcome_and_a_sample(tmp_path):
    crawler = project_crawler(
        NuSpider, HEALTH_SAMPLES_DIR=str(tmp_path / "samples"), STATE_DB=str(tmp_path / "s.sqlite3")
    )
    ledger, monitor = UrlLedger.from_crawler(crawler), RunHealth.from_crawler(crawler)
    url = "https://www.nu.nl/binnenland/6400199/een-artikel.html"
    response = HtmlResponse(
        url, body=b"<html><body><h1>x</h1></body></html>", request=Request(url, meta={META_KEY: RequestInfo(via="rss")})
    )
    assert (
        ParseErrorMiddleware.from_crawler(crawler).process_spider_exception(
            response, ValueError("kapot"), crawler.spider
        )
        == []
    )
    assert str(ledger.outcomes[url]) == "failure:parse_error"
    assert ledger.failures == [{"url": url, "reason": "parse_error", "detail": "ValueError: kapot"}]
    assert (
        crawler.stats.get_value("failures/article/parse_error") == 1
        and crawler.stats.get_value("parse_errors/ValueError") == 1
    )
    figures = monitor.assess()
    assert figures["status"] == "failed" and figures["parseErrors"] == 1
    assert monitor.samples[0][0] == url and "parse error: ValueError: kapot" in monitor.samples[0][4]


def test_a_field_or_listing_links_far_below_the_sites_baseline_fail_the_run(tmp_path):
    import re

    state = tmp_path / "state.sqlite3"
    healthy = tmp_path / "healthy"
    healthy.mkdir()
    replay_crawl("nu", healthy, "-s", f"STATE_DB={state}")
    assert json.loads((healthy / "nu.jsonl.manifest.json").read_text())["status"] == "ok"

    # The same site with its images gone from every article (a field no layout check covers) and
    # the section pages' teasers gone (a listing redesign the front page hides).
    site = tmp_path / "nu-changed"
    shutil.copytree(FIXTURES / "nu", site, ignore=shutil.ignore_patterns("*.warc.gz", "expected"))
    for page in (site / "site").glob("article_*.html"):
        html = re.sub(r'<meta property="og:image"[^>]*>', "", page.read_text("utf-8"))
        page.write_text(re.sub(r'"image": \{[^}]*\},?\s*', "", html), "utf-8")  # and JSON-LD's image
    for page in [*(site / "site").glob("section_*.html"), site / "site" / "front.html"]:
        page.write_text(re.sub(r"<a[^>]*>", "<span>", page.read_text("utf-8")).replace("</a>", "</span>"), "utf-8")
    pack(site / "site.json", tmp_path / "changed.warc.gz")
    changed = tmp_path / "changed"
    changed.mkdir()
    # INCREMENTAL off: every article is fetched again (their sitemap lastmod did not move).
    _, _, log = replay_crawl(
        "nu", changed, "-s", f"STATE_DB={state}", "-s", "INCREMENTAL=False", archive=tmp_path / "changed.warc.gz"
    )
    manifest = json.loads((changed / "nu.jsonl.manifest.json").read_text())
    problems = manifest["layout"]["problems"]
    assert manifest["status"] == "failed"
    assert any(p.startswith("mainImage on 0% of articles (usually ") for p in problems), problems
    assert any("links per listing page (usually" in p for p in problems), problems


def test_a_scrapyd_job_is_named_in_its_manifest_and_rejects(tmp_path):
    replay_crawl("nu", tmp_path, "-a", "_job=job-42")  # as Scrapyd passes it
    assert json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())["job"] == "job-42"
    [reject] = [json.loads(line) for line in (tmp_path / "nu.rejects.jsonl").read_text().splitlines()]
    assert reject["job"] == "job-42" and reject["time"].endswith("+00:00") and reject["errors"]


def test_a_job_without_news_keeps_no_empty_dataset_file_and_its_manifest_says_so(tmp_path):
    from conftest import run_scrapy

    feed = f"{tmp_path}/nu/nu-%(time)s.jsonl"  # per-job files, as the scheduler writes them
    args = [
        "crawl",
        "nu",
        "-s",
        f"REPLAY_WARC={FIXTURES / 'nu' / 'site.warc.gz'}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        "-s",
        f"DEFAULT_FEED={feed}",
    ]
    run_scrapy(*args)
    import time

    time.sleep(1.1)  # the next job's %(time)s differs
    run_scrapy(*args)  # the same archive again: nothing new or changed
    datasets = sorted((tmp_path / "nu").glob("nu-*.jsonl"))
    manifests = sorted((tmp_path / "nu").glob("nu-*.jsonl.manifest.json"))
    assert len(datasets) == 1 and len(datasets[0].read_text().splitlines()) == 7
    assert len(manifests) == 2
    second = json.loads(manifests[1].read_text())
    assert (
        second["noNewArticles"] is True
        and second["file"] is None
        and second["counts"]["items"] == 0
        and second["status"] == "ok"
    )
