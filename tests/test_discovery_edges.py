"""Discovery edge cases: gzipped sitemaps, WordPress core sitemaps, huge sitemaps, replay size limits."""

import gzip
import resource
import tracemalloc

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, XmlResponse

from newscrawl.extract.common import SitemapRef
from newscrawl.extract.registry import site_named

WNL = site_named("wnl").discovery_reader
NU = site_named("nu").discovery_reader
URLSET = (
    """<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>"""
)


def test_a_gzipped_child_sitemap_is_read():
    xml = URLSET.format(
        "<url><loc>https://www.nu.nl/binnenland/6400101/x.html</loc><lastmod>2025-03-31T12:00:00Z</lastmod></url>"
    )
    response = Response(
        "https://www.nu.nl/sitemap_articles_2025-03.xml.gz",
        body=gzip.compress(xml.encode()),
        headers={"Content-Type": "application/x-gzip"},
    )
    children, links = NU.parse_sitemap(response)
    assert [(link.url, link.modified) for link in links] == [
        ("https://www.nu.nl/binnenland/6400101/x.html", "2025-03-31T14:00:00+02:00")
    ]


def test_wordpress_core_sitemaps_are_read_newest_first():
    index = (
        """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"""
        + "".join(f"<sitemap><loc>https://wnl.tv/wp-sitemap-posts-post-{n}.xml</loc></sitemap>" for n in (1, 2, 10, 3))
        + "</sitemapindex>"
    )
    children, _ = WNL.parse_sitemap(XmlResponse("https://wnl.tv/wp-sitemap.xml", body=index.encode()))
    assert [c.url for c in WNL.select_child_sitemaps(children, None, False)] == [
        "https://wnl.tv/wp-sitemap-posts-post-10.xml"
    ]
    assert len(WNL.select_child_sitemaps(children, None, True)) == 4  # archive=1: all of them
    dated = [
        SitemapRef("https://wnl.tv/post-sitemap.xml", "2025-03-01T00:00:00+01:00"),
        SitemapRef("https://wnl.tv/post-sitemap2.xml", "2024-01-01T00:00:00+01:00"),
    ]
    assert [c.url for c in WNL.select_child_sitemaps(dated, None, False)] == ["https://wnl.tv/post-sitemap.xml"]


def test_a_sitemap_of_fifty_thousand_urls_is_read_without_its_whole_tree():
    entries = "".join(
        f"<url><loc>https://www.nu.nl/binnenland/{6000000 + n}/artikel-{n}.html</loc><lastmod>2025-03-31</lastmod></url>"
        for n in range(50_000)
    )
    response = XmlResponse("https://www.nu.nl/sitemap_articles.xml", body=URLSET.format(entries).encode())
    tracemalloc.start()
    _, links = NU.parse_sitemap(response)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(links) == 50_000
    # The links themselves take some 30 MB; a parsed tree of the 5 MB document would add far more.
    print(
        f"\n50,000-URL sitemap: peak {peak / 2**20:.0f} MB traced, maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    assert peak < 80 * 2**20


def test_replay_applies_the_download_size_limits(tmp_path):
    from datetime import UTC, datetime

    from warcio.warcwriter import WARCWriter

    from newscrawl.crawl.archive import WarcArchive, WarcReplayMiddleware, write_response_record

    path = tmp_path / "big.warc.gz"
    with path.open("wb") as stream:
        write_response_record(
            WARCWriter(stream, gzip=True),
            "https://www.nu.nl/big.html",
            200,
            [("Content-Type", "text/html")],
            b"x" * 2_000_000,
            datetime(2025, 4, 1, tzinfo=UTC),
        )
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    stats = MemoryStatsCollector(get_crawler())
    middleware = WarcReplayMiddleware(WarcArchive.open(str(path)), stats, maxsize=1_000_000, warnsize=500_000)
    with pytest.raises(IgnoreRequest, match="larger than download max size"):
        middleware.process_request(Request("https://www.nu.nl/big.html"))
    assert stats.get_value("replay/too_large") == 1
    from twisted.python.failure import Failure

    from newscrawl.crawl.failures import failure_reason

    try:
        middleware.process_request(Request("https://www.nu.nl/big.html"))
    except IgnoreRequest as error:
        assert failure_reason(Failure(error)) == "too_large"
