"""The browser used for rendering only loads the site's own hosts (and loopback, for tests)."""

from types import SimpleNamespace

import pytest

from newscrawl.render import should_abort_request


@pytest.mark.parametrize(
    "url, resource_type, aborted",
    [
        ("https://wnl.tv/category/politiek/", "document", False),
        ("https://www.wnl.tv/wp-json/wnl/v1/more", "fetch", False),
        ("https://www.nu.nl/api/f1/graphql", "xhr", False),
        ("http://127.0.0.1:8123/teasers.json", "fetch", False),
        ("https://www.googletagmanager.com/gtm.js?id=GTM-1", "script", True),
        ("https://advertising-cdn.dpgmedia.cloud/header-bidding/prod/nunl/hb.js", "script", True),
        ("https://images.nu.nl/m/abc_wd1280/x.jpg", "image", True),
        ("https://wnl.tv/wp-content/uploads/2025/03/foto.jpg", "image", True),
        ("https://wnl.tv/wp-content/themes/wnl/fonts/x.woff2", "font", True),
        ("https://evil.example/steal.js", "script", True),
    ],
)
def test_browser_requests_outside_the_site_are_aborted(url, resource_type, aborted):
    assert should_abort_request(SimpleNamespace(url=url, resource_type=resource_type)) is aborted


def test_sitemaps_and_feeds_that_list_other_hosts_lead_to_no_request_there():
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import XmlResponse
    from scrapy.utils.test import get_crawler

    from newscrawl.middlewares import LoggedOffsiteMiddleware
    from newscrawl.crawlinfo import META_KEY, RequestInfo
    from newscrawl.sites.registry import site_named
    from newscrawl.spiders.sites import NuSpider

    nu = site_named("nu").discovery_reader

    body = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://sitemaps.example.net/nu/articles.xml</loc></sitemap></sitemapindex>"""
    children, _ = nu.parse_sitemap(XmlResponse("https://www.nu.nl/sitemap_index.xml", body=body))
    crawler = get_crawler(NuSpider)
    crawler.spider = crawler._create_spider()
    middleware = LoggedOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request(children[0].url, meta={META_KEY: RequestInfo(discovery=True, via="sitemap")}))
    assert crawler.stats.get_value("failures/discovery/offsite") == 1
    urlset = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>https://www.telegraaf.nl/nieuws/1234567/iets.html</loc></url>
      <url><loc>https://www.nu.nl/binnenland/6400101/x.html</loc></url></urlset>"""
    _, links = nu.parse_sitemap(XmlResponse("https://www.nu.nl/sitemap_news.xml", body=urlset))
    assert [link.url for link in links] == ["https://www.nu.nl/binnenland/6400101/x.html"]
