"""A page's parsed tree is let go once its callback's output is out (ReleaseParsedTreeMiddleware)."""

import asyncio

from scrapy.http import HtmlResponse, Request

from newscrawl.middlewares import ReleaseParsedTreeMiddleware

URL = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


def page() -> HtmlResponse:
    return HtmlResponse(URL, body=b"<html><body><article><p>Tekst</p></article></body></html>", encoding="utf-8", request=Request(URL))


def test_the_tree_is_released_after_the_last_output_not_before():
    response = page()
    parsed = response.selector
    outputs = ReleaseParsedTreeMiddleware().process_spider_output(response, iter(["item", "request"]))
    assert next(outputs) == "item"
    assert response.selector is parsed  # still in use while the callback yields
    assert list(outputs) == ["request"]
    assert response.selector is not parsed  # released: a later reader parses again
    assert response.css("p::text").get() == "Tekst"


def test_the_async_path_releases_too():
    response = page()
    parsed = response.selector

    async def result():
        yield "item"

    async def consume():
        return [x async for x in ReleaseParsedTreeMiddleware().process_spider_output_async(response, result())]

    assert asyncio.run(consume()) == ["item"]
    assert response.selector is not parsed
