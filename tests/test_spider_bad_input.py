"""Pages no parser can read end as a counted, logged skip, never as a spider error."""

from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from newscrawl.crawl.spiders.sites import spider_for

NuSpider = spider_for("nu")

URL = "https://www.nu.nl/binnenland/6400199/een-artikel.html"


def spider():
    crawler = get_crawler(NuSpider)
    return crawler._create_spider(), crawler.stats


def test_pdf_at_an_article_url_is_skipped_with_its_content_type():
    nu, stats = spider()
    response = Response(
        URL, body=b"%PDF-1.7 \x00\x01", headers={"Content-Type": "application/pdf"}, request=Request(URL)
    )
    assert list(nu.parse_article(response)) == []
    assert stats.get_value("skipped/not_html") == 1


def test_empty_200_is_skipped():
    nu, stats = spider()
    assert list(nu.parse_article(HtmlResponse(URL, body=b"  \n", request=Request(URL)))) == []
    assert stats.get_value("skipped/empty_body") == 1


def test_garbage_html_is_not_an_article():
    nu, stats = spider()
    body = b"<html><body><div><p>Geen artikel hier</div></span></body>"
    assert list(nu.parse_article(HtmlResponse(URL, body=body, request=Request(URL)))) == []
    assert stats.get_value("skipped/not_article") == 1


def test_consent_wall_instead_of_the_article_is_never_an_item():
    nu, stats = spider()
    wall = b"""<html><head><title>NU.nl</title></head><body><div class="privacy-gate"><h2>NU.nl gebruikt cookies</h2>
    <p>Wij en derde partijen gebruiken cookies om je de beste ervaring te bieden.</p><button>Akkoord</button>
    <a href="/privacy-instellingen">Instellingen aanpassen</a></div></body></html>"""
    assert list(nu.parse_article(HtmlResponse(URL, body=wall, request=Request(URL)))) == []
    assert stats.get_value("skipped/consent_wall") == 1


def test_pdf_at_an_html_url_is_not_read_as_html():
    # Scrapy picks HtmlResponse from the .html extension when the Content-Type has no class of its own.
    nu, stats = spider()
    response = HtmlResponse(
        URL, body=b"%PDF-1.7\n%\xe2\xe3", headers={"Content-Type": "application/pdf"}, request=Request(URL)
    )
    assert list(nu.parse_article(response)) == []
    assert stats.get_value("skipped/not_html") == 1
