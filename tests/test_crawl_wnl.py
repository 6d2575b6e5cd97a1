"""End to end for WNL: replayed crawls of the fixture site, and real rendering in Chromium against 127.0.0.1."""

import json
import os
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import FIXTURES, PROJECT, replay_crawl

from newscrawl.article.text import BOILERPLATE_PHRASES
from newscrawl.crawl.pipelines.validation import schema_errors
from newscrawl.crawl.render import browser_path
from newscrawl.extract.urls import article_key

ARCHIVE = FIXTURES / "wnl" / "site.warc.gz"
# 500106 is deleted (404); 400111 sits only in the oldest post sitemap; 500110 is linked only from
# teasers that JavaScript loads into the politiek archive.
POSTS = {"500101", "500102", "500103", "500104", "500105", "500108", "500109", "500110"}


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("wnl")
    lines, stats, log = replay_crawl("wnl", tmp_path, "-L", "DEBUG")
    return tmp_path, [json.loads(line) for line in lines], stats, log


def test_exact_post_set_valid_and_without_boilerplate(first_crawl):
    _, items, stats, _ = first_crawl
    ids = [item["articleId"] for item in items]
    assert sorted(ids) == sorted(POSTS)
    for item in items:
        assert schema_errors(item) == []
        text = "\n".join([item["headline"], item["articleBody"]])
        assert [p for p in BOILERPLATE_PHRASES if p in text] == [], item["url"]
    assert stats["item_scraped_count"] == 8 and stats.get("validation/rejected", 0) == 0


def test_both_layouts_and_the_fallback_in_one_crawl(first_crawl):
    _, items, stats, _ = first_crawl
    by_id = {item["articleId"]: item for item in items}
    assert by_id["500104"]["datePublished"] == "2025-03-28"  # layout B, no date metadata
    assert by_id["500103"]["datePublished"] == "2025-03-29T16:30:00+01:00"  # layout B with JSON-LD
    assert by_id["500102"]["articleSection"] == "goedemorgen-nederland"  # layout A with a programme label
    assert by_id["500108"]["metadata"]["bodyExtractor"] == "trafilatura"
    assert stats["extraction/body/fallback"] == 1


def test_each_post_fetched_once_and_old_slug_redirect_followed(first_crawl):
    _, items, stats, log = first_crawl
    crawled = [line.split("<GET ")[1].split(">")[0] for line in log.splitlines() if "Crawled (200)" in line]
    keys = [article_key(url) for url in crawled if article_key(url)]
    assert sorted(keys) == sorted(set(keys))
    assert (
        "Redirecting (301) to <GET https://wnl.tv/2025/03/29/wat-betekent-de-nieuwe-huurwet-voor-u/>" in log
        or stats.get("dupefilter/filtered", 0) >= 1
    )
    by_id = {item["articleId"]: item for item in items}
    assert by_id["500103"]["url"] == "https://wnl.tv/2025/03/29/wat-betekent-de-nieuwe-huurwet-voor-u/"


def test_missing_sources_are_counted_not_fatal(first_crawl):
    _, _, stats, log = first_crawl
    assert stats["failures/article/http_404"] == 1 and "verwijderd-bericht" in log
    # wp-sitemap.xml (the site uses Yoast), and the binnenland/economie category feeds and the binnenland archive.
    assert stats["failures/discovery/http_404"] == 4
    assert stats.get("replay/missing", 0) == 0


def test_js_listing_is_rendered_only_where_needed(first_crawl):
    _, items, stats, _ = first_crawl
    assert stats["render/requests"] == 1 and stats["replay/hit/rendered"] == 1
    assert next(i for i in items if i["articleId"] == "500110")["metadata"]["discoveredVia"] == "listing"


def test_without_rendering_the_js_only_post_is_not_found(tmp_path):
    lines, stats, _ = replay_crawl("wnl", tmp_path, "-a", "render=0")
    assert {json.loads(line)["articleId"] for line in lines} == POSTS - {"500110"}
    assert "render/requests" not in stats


def test_archive_walk_reads_every_post_sitemap(tmp_path):
    lines, _, _ = replay_crawl("wnl", tmp_path, "-a", "archive=1")
    assert {json.loads(line)["articleId"] for line in lines} == POSTS | {"400111"}


def test_second_run_skips_what_lastmod_says_is_unchanged(first_crawl):
    tmp_path, _, _, _ = first_crawl
    lines, stats, _ = replay_crawl("wnl", tmp_path, name="again")
    assert lines == []
    # WordPress sends no ETags here; the post sitemap and the REST API give a lastmod for 500101,
    # 500103, 500104, 500108 and 500109: not requested at all. 500102, 500105 and 500110 are fetched
    # and found unchanged, and so is 500103 once more: the category feed lists it under its old slug,
    # which only a request (301) can resolve.
    assert stats["run/unchanged_skipped"] == 5
    assert stats["run/fetched"] == stats["dedup/unchanged"] == 4
    # Unchanged articles are not duplicates: the manifest counts them apart.
    counts = json.loads((tmp_path / "again.jsonl.manifest.json").read_text())["counts"]
    assert (counts["unchanged"], counts["duplicatesDropped"], counts["unchangedSkipped"]) == (4, 0, 5)


# --- Real rendering: Chromium against a listing served on 127.0.0.1 ----------------------------

LOCAL_SPIDER = '''
from newscrawl.crawl.spiders.sites import spider_for
WnlSpider = spider_for("wnl")


class LocalWnl(WnlSpider):
    """The real WNL spider confined to 127.0.0.1, reporting the posts it discovers instead of fetching them."""

    name = "localwnl"
    allowed_domains = ["127.0.0.1"]
    custom_settings = {**WnlSpider.custom_settings, "ITEM_PIPELINES": {}, "FEED_EXPORT_FIELDS": None, "ROBOTSTXT_OBEY": False, "ADDONS": {}}

    def follow_links(self, links, depth=0):
        for link in links:
            yield {"url": link.url}

    def parse_listing(self, response):
        for output in super().parse_listing(response):
            if isinstance(output, dict):
                output["rendered"] = bool(response.meta.get("playwright"))
            yield output
'''


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def local_listing():
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(FIXTURES / "wnl" / "render")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/category.html"
    server.shutdown()
    server.server_close()


def scope_for(url: str) -> str:
    """The SCOPE_TEST_HOSTS entry that lets a crawl reach the local server of ``url`` (and nothing else on 127.0.0.1)."""
    parts = urlsplit(url)
    return f"SCOPE_TEST_HOSTS={parts.hostname}:{parts.port}"


def crawl_local(tmp_path: Path, url: str, render: str, *extra: str) -> list[dict]:
    spider = tmp_path / "localwnl.py"
    spider.write_text(LOCAL_SPIDER, "utf-8")
    out = tmp_path / f"found-{render}.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "runspider",
            str(spider),
            "-a",
            f"start_urls={url}",
            "-a",
            f"render={render}",
            "-O",
            str(out),
            "-s",
            f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
            "-s",
            scope_for(url),
            *extra,
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


def _need_browser():
    from scrapy.settings import Settings

    if browser_path(Settings({"PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": "/usr/bin/chromium"}})):
        return
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing on CI: .ci/run installs Debian's chromium")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


JS_POST = "https://wnl.tv/2025/03/31/tweede-kamer-stemt-over-defensiebegroting/"
SERVER_POST = "https://wnl.tv/2025/03/31/kabinet-wil-snellere-bouw-van-kleine-kerncentrales/"


def test_plain_crawl_does_not_see_js_teasers(local_listing, tmp_path):
    found = crawl_local(tmp_path, local_listing, "0")
    assert {f["url"] for f in found} == {SERVER_POST}


def test_rendered_crawl_finds_js_teasers(local_listing, tmp_path):
    _need_browser()
    found = crawl_local(tmp_path, local_listing, "auto")
    urls = {f["url"] for f in found}
    assert urls == {
        SERVER_POST,
        JS_POST,
        "https://wnl.tv/2025/03/30/boeren-protesteren-in-den-haag-tegen-nieuwe-stikstofregels/",
    }
    assert next(f for f in found if f["url"] == JS_POST)["rendered"] is True  # found only in the rendered page


def test_render_always_renders_from_the_start(local_listing, tmp_path):
    _need_browser()
    found = crawl_local(tmp_path, local_listing, "1")
    assert {f["url"] for f in found} >= {SERVER_POST, JS_POST} and all(f["rendered"] for f in found)


def crawl_local_without_browser(tmp_path: Path, url: str, render: str) -> tuple[list[dict], str]:
    spider = tmp_path / "localwnl.py"
    spider.write_text(LOCAL_SPIDER, "utf-8")
    out = tmp_path / f"nobrowser-{render}.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "runspider",
            str(spider),
            "-a",
            f"start_urls={url}",
            "-a",
            f"render={render}",
            "-O",
            str(out),
            "-s",
            'PLAYWRIGHT_LAUNCH_OPTIONS={"executable_path": "/nonexistent/chromium"}',
            "-s",
            f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
            "-s",
            scope_for(url),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()], result.stderr


def test_missing_browser_is_reported_at_start_up(local_listing, tmp_path):
    found, log = crawl_local_without_browser(tmp_path, local_listing, "1")
    assert (
        found == [] and "No Chromium at '/nonexistent/chromium'" in log and "render=1 needs it: nothing crawled" in log
    )
    found, log = crawl_local_without_browser(tmp_path, local_listing, "auto")
    assert {f["url"] for f in found} == {SERVER_POST}  # the crawl goes on without the JS teasers, and says so
    assert (
        "Listings loaded by JavaScript will be read without their JS teasers" in log
        and "'render/unavailable': 1" in log
    )


def test_every_discovered_url_has_exactly_one_outcome(first_crawl):
    _, _, stats, _ = first_crawl
    assert stats["ledger/unaccounted"] == 0
    assert (stats["ledger/item"], stats["ledger/failure"]) == (8, 5)
