"""Dates and discovery that cannot lose a page: implausible dates are passed over with their reason,
relative dates count from a sane clock, sitemaps are bounded, a URL too long gets an outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from conftest import FIXTURES, PROJECT, fixture_response, project_crawler
from faultsite import FaultSite
from scrapy.http import HtmlResponse, Request, XmlResponse

from newscrawl.article.dates import normalize_date_or_day
from newscrawl.crawl.spiders.sites import spider_for

NuSpider = spider_for("nu")
from newscrawl.extract.common import page_context
from newscrawl.extract.registry import site_named
from newscrawl.extract.requestinfo import META_KEY, RequestInfo

ZWEMBAD = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"
FETCHED = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)  # the fixture archive's date for this page


def zwembad(replace: dict[bytes, bytes], headers: dict | None = None) -> dict:
    """The NU.nl fixture article with its date markup changed, parsed as the spider would."""
    page = fixture_response("nu", ZWEMBAD)
    body = page.body
    for old, new in replace.items():
        assert old in body, old
        body = body.replace(old, new)
    response = HtmlResponse(
        ZWEMBAD, body=body, encoding="utf-8", request=page.request, headers={**page.headers, **(headers or {})}
    )
    return site_named("nu").parse_article(response)


def test_a_placeholder_publication_date_is_passed_over_for_the_next_source():
    item = zwembad({b'"datePublished": "2025-03-31T14:05:00+02:00"': b'"datePublished": "1970-01-01T00:00:00Z"'})
    assert item["datePublished"] == "2025-03-31T14:05:00+02:00" and item["metadata"]["datePublishedSource"] == "meta"
    assert item["metadata"]["warnings"] == ["datePublished: json-ld 1970-01-01T01:00:00+01:00 before 1990, not used"]


def test_a_publication_date_after_the_fetch_is_passed_over():
    item = zwembad(
        {
            b'"datePublished": "2025-03-31T14:05:00+02:00"': b'"datePublished": "2099-03-31T14:05:00+02:00"',
            b'content="2025-03-31T12:05:00Z"': b'content="2025-04-03T12:05:00Z"',
        }
    )
    assert item["datePublished"] == "2025-03-31T14:05:00+02:00" and item["metadata"]["datePublishedSource"] == "visible"
    assert item["metadata"]["warnings"] == [
        "datePublished: json-ld 2099-03-31T14:05:00+02:00 more than a day after the fetch, not used",
        "datePublished: meta 2025-04-03T14:05:00+02:00 more than a day after the fetch, not used",
    ]


def test_a_modification_before_the_publication_is_not_a_modification():
    item = zwembad({b'"dateModified": "2025-03-31T14:05:00+02:00"': b'"dateModified": "2025-03-30T09:00:00+02:00"'})
    assert "dateModified" not in item and item["datePublished"] == "2025-03-31T14:05:00+02:00"
    assert item["metadata"]["warnings"] == [
        "dateModified: json-ld 2025-03-30T09:00:00+02:00 is before datePublished 2025-03-31T14:05:00+02:00, not used"
    ]
    later = zwembad({b'"dateModified": "2025-03-31T14:05:00+02:00"': b'"dateModified": "2025-03-31T16:00:00+02:00"'})
    assert later["dateModified"] == "2025-03-31T16:00:00+02:00" and "warnings" not in later["metadata"]


def test_a_nonsense_date_header_is_no_reference_for_relative_dates():
    request = Request(ZWEMBAD, meta={META_KEY: RequestInfo(archived_at=FETCHED)})
    for header, sane in (
        ("Tue, 01 Apr 2025 09:00:05 GMT", True),
        ("Thu, 01 Jan 1970 00:00:00 GMT", False),
        ("Sat, 01 Apr 2045 09:00:00 GMT", False),
        ("gisteren", False),
    ):
        response = HtmlResponse(ZWEMBAD, body=b"<html></html>", request=request, headers={"Date": header})
        context = page_context(response)
        assert (context.reference_time != FETCHED) is sane and bool(context.warnings) is not sane, header
        # "gisteren" is the day before the fetch, whatever the header said.
        assert normalize_date_or_day("gisteren", context.reference_time) == "2025-03-31"
    item = zwembad({}, headers={"Date": "Thu, 01 Jan 1970 00:00:00 GMT"})
    assert item["metadata"]["warnings"][0].startswith(
        "dateReference: the server's Date header 'Thu, 01 Jan 1970 00:00:00 GMT'"
    )


@pytest.mark.parametrize(
    "text, day", [("2 dagen geleden", "2025-03-30"), ("1 dag geleden", "2025-03-31"), ("3 weken geleden", None)]
)
def test_days_ago_is_a_day_not_an_instant(text, day):
    value = normalize_date_or_day(text, FETCHED)
    assert value is None or len(value) == 10
    if day:
        assert value == day
    assert len(normalize_date_or_day("2 uur geleden", FETCHED)) > 10  # hours ago: an instant


def test_item_warnings_are_counted_and_logged(caplog):
    crawler = project_crawler(NuSpider)
    page = fixture_response("nu", ZWEMBAD)
    body = page.body.replace(
        b'"datePublished": "2025-03-31T14:05:00+02:00"', b'"datePublished": "1985-06-01T10:00:00Z"'
    )
    list(crawler.spider.parse_article(HtmlResponse(ZWEMBAD, body=body, encoding="utf-8", request=page.request)))
    assert crawler.stats.get_value("item_warnings/datePublished") == 1
    assert "json-ld 1985-06-01T12:00:00+02:00 before 1990, not used" in caplog.text


def sitemap_index(children: int) -> bytes:
    locs = "".join(f"<sitemap><loc>https://www.nu.nl/sitemap_articles_{n}.xml</loc></sitemap>" for n in range(children))
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>'.encode()


def test_sitemaps_are_bounded_in_depth_and_count():
    crawler = project_crawler(NuSpider, SITEMAP_MAX_DEPTH=2, SITEMAP_MAX_FILES=3, ARCHIVE=True)
    spider = crawler.spider
    spider.walk_archive = True

    def read(depth: int, children: int) -> list:
        request = Request(
            "https://www.nu.nl/sitemap_index.xml",
            meta={META_KEY: RequestInfo(discovery=True, via="sitemap", depth=depth)},
        )
        return list(spider.parse_sitemap(XmlResponse(request.url, body=sitemap_index(children), request=request)))

    assert [info.depth for info in (r.meta[META_KEY] for r in read(0, 2))] == [1, 1]
    assert read(2, 2) == []  # a third level of indexes: not followed
    assert crawler.stats.get_value("discovery/sitemap_limit/depth") == 2
    assert len(read(0, 5)) == 1  # 2 + 1 = SITEMAP_MAX_FILES for the run
    assert crawler.stats.get_value("discovery/sitemap_limit/files") == 4


def test_a_url_too_long_gets_an_outcome(tmp_path):
    """Through the fault proxy: a start URL over URLLENGTH_LIMIT is never asked for, and is accounted for."""
    long_url = "https://www.nu.nl/binnenland/6400199/" + "lang-" * 430 + "artikel.html"
    assert len(long_url) > 2083
    site = FaultSite(FIXTURES / "nu" / "site.json", {}, tmp_path)
    port = site.start()
    env = {
        **os.environ,
        "https_proxy": f"http://127.0.0.1:{port}",
        "http_proxy": f"http://127.0.0.1:{port}",
        "no_proxy": "",
        "PYTHONPATH": str(PROJECT),
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
    }
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "nu",
                "-o",
                str(tmp_path / "nu.jsonl"),
                "-a",
                f"start_urls={long_url},{ZWEMBAD}",
                "-a",
                "related_depth=0",
                "-s",
                f"STATE_DB={tmp_path / 's.sqlite3'}",
                "-s",
                f"STATS_FILE={tmp_path / 'stats.json'}",
                "-s",
                f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        site.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    assert long_url not in [entry.url for entry in site.log]
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text("utf-8"))
    assert {"url": long_url, "reason": "url_too_long"}.items() <= next(
        f for f in manifest["urls"]["failures"] if f["url"] == long_url
    ).items()
    stats = json.loads((tmp_path / "stats.json").read_text("utf-8"))
    assert stats["failures/article/url_too_long"] == 1 and stats["ledger/unaccounted"] == 0
