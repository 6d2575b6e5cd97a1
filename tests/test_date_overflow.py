"""No date value raises: year 1 or 9999 in a sitemap, a feed or JSON-LD loses no link and no page."""

import pytest
from conftest import fixture_response
from scrapy.http import HtmlResponse, XmlResponse

from newscrawl.article.dates import normalize_date, normalize_date_or_day, parse_any_date
from newscrawl.extract.registry import site_named

EXTREMES = [
    "0001-01-01T00:00:00+02:00",
    "9999-12-31T23:59:59-12:00",
    "Fri, 31 Dec 9999 23:59:59 -1200",
    "1 januari 0001",
]


@pytest.mark.parametrize("value", EXTREMES)
def test_an_extreme_date_is_no_date_not_an_exception(value):
    assert parse_any_date(value) is None and normalize_date(value) is None and normalize_date_or_day(value) is None


def test_a_sitemap_and_a_feed_with_extreme_dates_keep_every_link():
    nu = site_named("nu").discovery_reader
    urls = [f"https://www.nu.nl/binnenland/64001{n:02d}/artikel-{n}.html" for n in range(4)]
    body = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(
            f"<url><loc>{url}</loc><lastmod>{date}</lastmod></url>"
            for url, date in zip(urls, EXTREMES[:2] * 2, strict=True)
        )
        + "</urlset>"
    )
    _, links = nu.parse_sitemap(XmlResponse("https://www.nu.nl/sitemap_news.xml", body=body.encode()))
    assert [link.url for link in links] == urls
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>NU</title>'
        + "".join(
            f"<item><title>Artikel {n}</title><link>{url}</link><pubDate>{EXTREMES[2]}</pubDate></item>"
            for n, url in enumerate(urls)
        )
        + "</channel></rss>"
    )
    links = nu.parse_feed(XmlResponse("https://www.nu.nl/rss/Algemeen", body=rss.encode()))
    assert [link.url for link in links] == urls


def test_an_article_whose_json_ld_says_year_1_is_still_an_item():
    url = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"
    page = fixture_response("nu", url)
    body = page.body.replace(b'"datePublished": "', b'"datePublished": "0001-01-01T00:00:00+02:00", "x": "', 1)
    assert body != page.body
    item = site_named("nu").parse_article(HtmlResponse(url, body=body, encoding="utf-8", request=page.request))
    assert item["articleId"] == "6400101" and item["datePublished"][:4] == "2025"  # the page's visible date, not year 1
