"""End to end: `scrapy crawl nu` replayed from the fixture archive, the dataset checked line by line."""

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, replay_crawl, run_scrapy

from newscrawl.article.schema import field_order
from newscrawl.article.text import BOILERPLATE_PHRASES
from newscrawl.crawl.pipelines.validation import schema_errors
from newscrawl.extract.urls import article_key
from newscrawl.tools.fixtures import pack

ARCHIVE = FIXTURES / "nu" / "site.warc.gz"
# What a correct crawl of the fixture site yields: 6400101 and 6400112 carry the same text (one item),
# 6400110 has no body (rejected), 6400107 is a video, 6400108 a live blog (an item of its own type),
# 6400109 a 404, 6400111 a short link that redirects off-site, 6400114 is only in the archive sitemaps.
ARTICLES = {"6400102", "6400103", "6400104", "6400105", "6400106", "6400108"}
ZWEMBAD = {"6400101", "6400112"}


def crawl(tmp_path: Path, *extra: str, archive: Path = ARCHIVE, name: str = "nu") -> tuple[list[str], dict, str]:
    return replay_crawl("nu", tmp_path, *extra, archive=archive, name=name)


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("crawl")
    lines, stats, log = crawl(tmp_path, "-L", "DEBUG")
    return tmp_path, lines, stats, log


def test_exact_article_set_without_duplicates(first_crawl):
    _, lines, stats, _ = first_crawl
    ids = [json.loads(line)["articleId"] for line in lines]
    assert len(ids) == len(set(ids))
    assert set(ids) - ZWEMBAD == ARTICLES
    assert len(set(ids) & ZWEMBAD) == 1  # the republished copy is dropped as the same text
    assert stats["dedup/same_content"] == 1
    assert stats["item_scraped_count"] == stats["dedup/new"] == 7


def test_every_line_is_schema_valid_utf8_json_in_schema_order(first_crawl):
    tmp_path, lines, _, _ = first_crawl
    raw = (tmp_path / "nu.jsonl").read_bytes()
    assert b"\\u" not in raw  # UTF-8, not ASCII escapes
    order = field_order()
    for line in lines:
        item = json.loads(line)
        assert schema_errors(item) == []
        assert list(item) == [field for field in order if field in item]
        assert item["metadata"]["revision"] == 1


def test_no_boilerplate_in_the_dataset(first_crawl):
    _, lines, _, _ = first_crawl
    for line in lines:
        item = json.loads(line)
        text = "\n".join([item["headline"], item.get("description", ""), item["articleBody"]])
        assert [p for p in BOILERPLATE_PHRASES if p in text] == [], item["url"]


def test_bad_input_is_logged_counted_and_the_crawl_goes_on(first_crawl):
    tmp_path, _, stats, log = first_crawl
    assert stats["finish_reason"] == "finished"
    # Non-articles: counted with their reason.
    assert stats["skipped/video"] == 1 and "skipped/liveblog" not in stats  # a live blog is an item
    # 404 article and off-site redirect: failures with a reason in the log.
    assert stats["failures/article/http_404"] == 1
    assert "Failed article (http_404): https://www.nu.nl/binnenland/6400109/" in log
    assert stats["failures/article/offsite"] == 1
    assert "redirected from https://www.nu.nl/-/6400111/" in log
    # Section pages and feeds that do not exist: counted, not fatal.
    assert stats["failures/discovery/http_404"] == 5
    # The page without a body is rejected, with its reason, not lost.
    rejects = [json.loads(line) for line in (tmp_path / "nu.rejects.jsonl").read_text("utf-8").splitlines()]
    assert [(r["item"]["articleId"], r["errors"][0]) for r in rejects] == [
        ("6400110", "articleBody: 'articleBody' is a required property")
    ]
    assert stats["validation/rejected"] == 1
    # The redesigned page is extracted by the fallback, and the run says so.
    assert stats["extraction/body/fallback"] == 1
    # Nothing was fetched outside the archive.
    assert stats.get("replay/missing", 0) == 0 and stats["replay/hit"] == stats["downloader/response_count"]


def test_each_article_is_fetched_once_whatever_url_it_was_linked_by(first_crawl):
    _, lines, _, log = first_crawl
    crawled = re.findall(r"Crawled \((\d+)\) <GET (\S+)>", log)
    keys = [article_key(url) for _, url in crawled if article_key(url)]
    # 6400102 is linked as /economie/… (RSS, Lees ook) and as /politiek/… (front page);
    # 6400101 from five places, with and without tracking queries, http and bare host.
    assert sorted(keys) == sorted(set(keys))
    assert {"nu:6400101", "nu:6400102", "nu:6400103"} <= set(keys)
    items = {json.loads(line)["articleId"]: json.loads(line) for line in lines}
    assert items["6400105"]["url"].endswith(
        "/opmerkelijk/6400105/kaaswiel-van-80-kilo-gestolen-uit-goudse-winkel.html"
    )  # via the 302 short link


def test_a_second_crawl_of_an_unchanged_site_downloads_no_article_again(first_crawl):
    tmp_path, _, first_stats, _ = first_crawl
    lines, stats, log = crawl(tmp_path, name="again")
    assert lines == []
    assert first_stats["run/fetched"] == 10 and first_stats["run/new"] == 7
    # 6400101, its copy 6400112 and the live blog are in sitemaps whose lastmod has not moved: not
    # requested at all (the blog is no longer live on this clock: no live revisit either).
    assert stats["run/unchanged_skipped"] == 3
    # The site sends ETags: the other five articles emitted last time answer 304.
    assert stats["run/not_modified"] == 5
    # No item came from the video and the bodiless page (rejected): they are fetched again.
    assert stats["run/fetched"] == 2 and stats["validation/rejected"] == 1
    assert stats["run/new"] == stats["run/revised"] == 0
    # 24: robots.txt and the site's tdmrep.json (not in the archive: read as saying nothing) among them
    assert "Run summary: 24 requests, fetched=2, not_modified=5, unchanged_skipped=3, new=0, revised=0" in log


def test_a_changed_article_comes_back_as_a_new_revision(first_crawl, tmp_path):
    state_dir, _, _, _ = first_crawl
    site = tmp_path / "nu"
    shutil.copytree(FIXTURES / "nu", site, ignore=shutil.ignore_patterns("*.warc.gz", "expected"))
    page = site / "site" / "article_6400103_storm.html"
    page.write_text(
        page.read_text("utf-8").replace("werden stilgelegd.", "werden stilgelegd. Inmiddels varen ze weer."), "utf-8"
    )
    changed = tmp_path / "changed.warc.gz"
    pack(site / "site.json", changed)
    shutil.copy(state_dir / "state.sqlite3", tmp_path / "state.sqlite3")
    lines, stats, _ = crawl(tmp_path, archive=changed)
    items = [json.loads(line) for line in lines]
    assert [(i["articleId"], i["metadata"]["revision"]) for i in items] == [("6400103", 2)]
    assert "Inmiddels varen ze weer." in items[0]["articleBody"]
    # Only the changed page is downloaded in full (its ETag changed); the other emitted ones answer 304.
    assert stats["run/revised"] == 1 and stats["run/new"] == 0
    assert (stats["run/fetched"], stats["run/not_modified"], stats["run/unchanged_skipped"]) == (3, 4, 3)


def test_since_skips_older_articles_before_fetching_them(tmp_path):
    lines, stats, _ = crawl(tmp_path, "-a", "since=2025-03-30")
    ids = {json.loads(line)["articleId"] for line in lines}
    # 6400103 (Oct 2024) and 6400106 (28 Mar) are older; the live blog 6400108 started on 31 Mar
    assert ids - ZWEMBAD == {"6400102", "6400104", "6400105", "6400108"}
    assert stats["discovery/skipped_before_since"] >= 1


def test_max_articles_caps_article_fetches(tmp_path):
    lines, stats, _ = crawl(tmp_path, "-a", "max_articles=3", "-a", "related_depth=0")
    assert stats["discovery/skipped_max_articles"] > 0
    article_fetches = sum(v for k, v in stats.items() if k.startswith("discovery/articles/"))
    assert article_fetches == 3 and len(lines) <= 3


def test_archive_walk_adds_articles_only_in_the_monthly_sitemaps(tmp_path):
    lines, stats, _ = crawl(tmp_path, "-a", "archive=1")
    ids = {json.loads(line)["articleId"] for line in lines}
    assert "6400114" in ids and ARTICLES <= ids
    assert stats["failures/discovery/http_404"] == 6  # + sitemap_sections.xml


def test_start_urls_override(tmp_path):
    lines, _, _ = crawl(tmp_path, "-a", "start_urls=https://www.nu.nl/-/6400105/", "-a", "related_depth=0")
    assert [json.loads(line)["articleId"] for line in lines] == ["6400105"]
    assert json.loads(lines[0])["metadata"]["discoveredVia"] == "start"


def test_scrapy_parse_works_in_replay_mode_and_writes_no_dataset(tmp_path):
    url = "https://www.nu.nl/economie/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html"
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "nu.jsonl").write_text('{"kept": true}\n')  # a dataset of an earlier crawl
    result = run_scrapy(
        "parse",
        "--spider",
        "nu",
        "-c",
        "parse_article",
        "-s",
        f"REPLAY_WARC={ARCHIVE}",
        "-s",
        f"STATE_DB={tmp_path / 's.sqlite3'}",
        url,
        cwd=tmp_path,
    )
    assert "'articleId': '6400102'" in result.stdout
    # Only `scrapy crawl` writes the default feed: the earlier dataset and its (absent) manifest stay as they were.
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["nu.jsonl"]
    assert (tmp_path / "output" / "nu.jsonl").read_text() == '{"kept": true}\n'


def test_scrapy_crawl_without_a_feed_writes_the_default_one(tmp_path):
    run_scrapy(
        "crawl",
        "nu",
        "-a",
        "start_urls=https://www.nu.nl/-/6400105/",
        "-a",
        "related_depth=0",
        "-s",
        f"REPLAY_WARC={ARCHIVE}",
        "-s",
        f"STATE_DB={tmp_path / 's.sqlite3'}",
        cwd=tmp_path,
    )
    [line] = (tmp_path / "output" / "nu.jsonl").read_text("utf-8").splitlines()
    assert json.loads(line)["articleId"] == "6400105"
    assert (tmp_path / "output" / "nu.jsonl.manifest.json").exists()


def test_every_discovered_url_has_exactly_one_outcome(first_crawl):
    tmp_path, _, stats, _ = first_crawl
    report = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())["urls"]
    assert report["unaccountedCount"] == 0 and stats["ledger/unaccounted"] == 0
    assert report["outcomeDetails"] == {
        "discovery": 7,
        "item": 7,
        "reject": 1,
        "duplicate": 1,
        "skipped:video": 1,
        "failure:http_404": 6,
        "failure:offsite": 1,
    }
    assert {
        "url": "https://www.nu.nl/-/6400111/",
        "reason": "offsite",
        "detail": "redirected from https://www.nu.nl/-/6400111/",
    } in report["failures"]
