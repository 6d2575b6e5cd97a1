"""A page's parsed tree is let go once its callback's output is out (ReleaseParsedTreeMiddleware)."""

import asyncio
import gc
import weakref

import pytest
from conftest import fixture_response, page_url
from scrapy.http import HtmlResponse, Request

from newscrawl.crawl.middlewares import ReleaseParsedTreeMiddleware
from newscrawl.extract.common import page_selector, release_selector
from newscrawl.extract.registry import site_named

URL = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


def page() -> HtmlResponse:
    return HtmlResponse(
        URL, body=b"<html><body><article><p>Tekst</p></article></body></html>", encoding="utf-8", request=Request(URL)
    )


def test_the_tree_is_released_after_the_last_output_not_before():
    response = page()
    parsed = page_selector(response)
    outputs = ReleaseParsedTreeMiddleware().process_spider_output(response, iter(["item", "request"]))
    assert next(outputs) == "item"
    assert page_selector(response) is parsed  # still in use while the callback yields
    assert list(outputs) == ["request"]
    assert page_selector(response) is not parsed  # released: a later reader parses again
    assert page_selector(response).css("p::text").get() == "Tekst"


def test_the_async_path_releases_too():
    response = page()
    parsed = page_selector(response)

    async def result():
        yield "item"

    async def consume():
        return [x async for x in ReleaseParsedTreeMiddleware().process_spider_output_async(response, result())]

    assert asyncio.run(consume()) == ["item"]
    assert page_selector(response) is not parsed


def test_the_page_selector_reads_utf8_bytes_directly_and_other_encodings_as_scrapy_does():
    from scrapy.http import HtmlResponse

    html = "<html><head><title>Café – überall</title></head><body><p>Één zin.\x00</p></body></html>"
    for body, encoding in (
        (html.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + html.encode("utf-8"), "utf-8"),
        (html.encode("cp1252"), "cp1252"),
    ):
        response = HtmlResponse("https://www.nu.nl/a/1/b.html", body=body, encoding=encoding)
        selector = page_selector(response)
        assert response.xpath("//title/text()").get() == "Café – überall" == selector.xpath("//title/text()").get()
        assert selector is page_selector(response)  # one tree per page
        assert (
            HtmlResponse(response.url, body=body, encoding=encoding).selector.xpath("string(//p)").get()
            == selector.xpath("string(//p)").get()
        )


@pytest.mark.parametrize(("site", "name"), [("nu", "article_6400101_zwembad"), ("wnl", "post_500101_kerncentrales")])
def test_nothing_of_the_parse_keeps_the_tree_once_it_is_released(site, name):
    # The garbage collector runs rarely in a crawl (GC_THRESHOLDS): a reference cycle through the
    # parser (a generator it holds that holds it) would keep each page's tree until it does.
    response = fixture_response(site, page_url(site, name))
    selector = weakref.ref(page_selector(response))
    gc.disable()
    try:
        item = site_named(site).parse_article(response)
        assert item["headline"] and item["agencies"] is not None
        release_selector(response)
        assert selector() is None
    finally:
        gc.enable()
