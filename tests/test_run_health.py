"""Run health that cannot be fooled: a run that loses its articles fails, a healthy one passes
however it was started, and a page that breaks a parser is an outcome, not a crash."""

import json
import shutil
import subprocess
import sys

from scrapy.http import HtmlResponse, Request

from conftest import FIXTURES, project_crawler, replay_crawl
from newscrawl.archive import pack
from newscrawl.crawlinfo import META_KEY, RequestInfo
from newscrawl.ledger import UrlLedger
from newscrawl.middlewares import ParseErrorMiddleware
from newscrawl.monitor import LayoutMonitor
from newscrawl.spiders.sites import NuSpider

WALL = """<html><head><title>NU.nl</title></head><body><div class="privacy-gate"><h2>NU.nl gebruikt cookies</h2>
<p>Wij en derde partijen gebruiken cookies om je de beste ervaring te bieden.</p><button>Akkoord</button></div></body></html>"""


def check_run(manifest):
    return subprocess.run([sys.executable, "-m", "newscrawl", "check-run", str(manifest)], capture_output=True, text=True)


def test_a_run_whose_article_pages_are_all_consent_walls_fails(tmp_path):
    site = tmp_path / "nu-walls"
    shutil.copytree(FIXTURES / "nu", site, ignore=shutil.ignore_patterns("*.warc.gz", "expected"))
    for page in (site / "site").glob("article_*.html"):
        page.write_text(WALL, "utf-8")
    pack(site / "site.json", tmp_path / "walls.warc.gz")
    lines, stats, log = replay_crawl("nu", tmp_path, archive=tmp_path / "walls.warc.gz")
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())
    assert lines == [] and stats["skipped/consent_wall"] >= 5
    assert manifest["status"] == "failed" and any("none became an item" in p for p in manifest["layout"]["problems"])
    assert "Run failed on nu" in log
    assert check_run(tmp_path / "nu.jsonl.manifest.json").returncode == 1


def test_a_healthy_run_started_from_a_feed_passes_the_check(tmp_path):
    lines, stats, _ = replay_crawl("nu", tmp_path, "-a", "start_urls=https://www.nu.nl/rss/Algemeen", "-a", "related_depth=0")
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())
    assert lines and manifest["urls"]["unaccountedCount"] == 0 and manifest["urls"]["outcomes"]["discovery"] == 1
    result = check_run(tmp_path / "nu.jsonl.manifest.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_page_that_breaks_a_parser_is_a_counted_outcome_and_a_sample(tmp_path):
    crawler = project_crawler(NuSpider, LAYOUT_SAMPLES_DIR=str(tmp_path / "samples"), STATE_DB=str(tmp_path / "s.sqlite3"))
    ledger, monitor = UrlLedger.from_crawler(crawler), LayoutMonitor.from_crawler(crawler)
    url = "https://www.nu.nl/binnenland/6400199/een-artikel.html"
    response = HtmlResponse(url, body=b"<html><body><h1>x</h1></body></html>", request=Request(url, meta={META_KEY: RequestInfo(via="rss")}))
    assert ParseErrorMiddleware.from_crawler(crawler).process_spider_exception(response, ValueError("kapot"), crawler.spider) == []
    assert ledger.outcomes[url] == "failure:parse_error"
    assert ledger.failures == [{"url": url, "reason": "parse_error", "detail": "ValueError: kapot"}]
    assert crawler.stats.get_value("failures/article/parse_error") == 1 and crawler.stats.get_value("parse_errors/ValueError") == 1
    verdict = monitor.verdict()
    assert verdict["status"] == "failed" and verdict["parseErrors"] == 1
    assert monitor.samples[0][0] == url and "parse error: ValueError: kapot" in monitor.samples[0][4]
