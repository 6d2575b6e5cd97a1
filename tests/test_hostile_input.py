"""Hostile and unusual input: no exception escapes a parser, whatever the page, feed or API says.

Property-based (Hypothesis): arbitrary JSON values in every JSON-LD field, arbitrary API answers,
arbitrary feed item texts and arbitrary HTML nesting go through the real parsers. Plus the cases
found by hand, each as it was met.
"""

import json

from conftest import fixture_sites
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse

from newscrawl.article.text import block_text
from newscrawl.extract.common import Skip
from newscrawl.extract.registry import site_named
from newscrawl.extract.requestinfo import META_KEY, RequestInfo

# Every site with a fixture site (package or declared), by an article URL of it (its `scrapy check`
# URL): no site named here but WNL for its WordPress API.
SITES = sorted(fixture_sites())
URLS = {name: fixture_sites()[name].site.check.url for name in SITES}
WNL_URL = "https://wnl.tv/2025/03/31/een-bericht/"  # the WordPress API test below is about WNL's API
TEXT = "".join(f"<p>Alinea {n} van een bericht met genoeg woorden voor een echte zin erin.</p>" for n in range(4))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["@type", "name", "url", "@graph", "headline", "x"]), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "@type",
    "headline",
    "description",
    "author",
    "datePublished",
    "dateModified",
    "keywords",
    "articleSection",
    "image",
    "@graph",
]


def page(site: str, head: str, body: str = f"<h1>Kop</h1>{TEXT}") -> HtmlResponse:
    url = URLS[site]
    html = f"<html><head><title>Kop</title>{head}</head><body>{body}</body></html>"
    return HtmlResponse(
        url, body=html.encode("utf-8"), encoding="utf-8", request=Request(url, meta={META_KEY: RequestInfo()})
    )


def parse(site: str, response):
    with fixture_sites()[site].registered() as registered:
        result = registered.parse_article(response)
    assert isinstance(result, Skip) or result["site"] == site
    return result


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(site=st.sampled_from(SITES), values=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
def test_any_json_ld_value_in_any_field(site, values):
    block = json.dumps({"@type": "NewsArticle", **values}).replace("</", "<\\/")
    parse(site, page(site, f'<script type="application/ld+json">{block}</script>'))


@settings(max_examples=100, deadline=None)
@given(answer=json_values, pages=st.text(max_size=8))
def test_any_wordpress_api_answer(answer, pages):
    url = "https://wnl.tv/wp-json/wp/v2/posts?per_page=20&page=1&_embed=1"
    header = pages.encode("ascii", "ignore")
    response = TextResponse(
        url, body=json.dumps(answer).encode(), headers={"Content-Type": "application/json", "X-WP-TotalPages": header}
    )
    links, total = site_named("wnl").discovery_reader.parse_api(response)
    assert total >= 0 and all(link.url.startswith("https://wnl.tv/") for link in links)


@settings(max_examples=100, deadline=None)
@given(title=st.text(max_size=40), link=st.text(max_size=60), date=st.text(max_size=30), guid=st.text(max_size=30))
def test_any_feed_item_text(title, link, date, guid):
    from xml.sax.saxutils import escape

    clean = lambda s: escape("".join(ch for ch in s if ch.isprintable()))  # noqa: E731 (XML 1.0 allows no control characters)
    body = (
        f"<?xml version='1.0'?><rss version='2.0'><channel><item><title>{clean(title)}</title><link>{clean(link)}</link>"
        f"<pubDate>{clean(date)}</pubDate><guid>{clean(guid)}</guid></item></channel></rss>"
    )
    for name in SITES:
        reader = fixture_sites()[name].site.discovery_reader
        for source in fixture_sites()[name].site.sources:
            if source.kind == "feed":
                url = reader.source_url(source.path, "binnenland" if source.per_section else None)
                with fixture_sites()[name].registered():
                    reader.parse_feed(XmlResponse(url, body=body.encode("utf-8")))


@settings(max_examples=60, deadline=None)
@given(
    tags=st.lists(
        st.sampled_from(["div", "span", "p", "article", "section", "em", "a", "li", "ul", "figure", "header", "time"]),
        max_size=60,
    ),
    text=st.text(max_size=80),
)
def test_any_html_nesting(tags, text):
    from xml.sax.saxutils import escape

    body = "".join(f"<{t}>" for t in tags) + escape(text) + "".join(f"</{t}>" for t in reversed(tags)) + TEXT
    for site in SITES:
        parse(site, page(site, "", body))


def test_json_ld_values_of_the_wrong_type_give_nothing_rather_than_an_error():
    block = json.dumps(
        {
            "@type": [{"x": 1}, "NewsArticle"],
            "author": 5,
            "keywords": 5,
            "headline": {"a": 1},
            "datePublished": ["x"],
            "articleSection": [{"name": "x"}],
            "image": 7,
        }
    )
    for site in SITES:
        item = parse(site, page(site, f'<script type="application/ld+json">{block}</script>'))
        assert item["headline"] == "Kop" and "authors" not in item and "keywords" not in item, site


def test_absurdly_nested_json_ld_is_ignored():
    deep = "[" * 100_000 + "]" * 100_000
    for site in SITES:
        assert parse(site, page(site, f'<script type="application/ld+json">{deep}</script>'))["headline"] == "Kop"


def test_thousands_of_nested_inline_tags_are_one_block():
    # Deeper than Python's recursion limit (the parser stops at its own depth; a tree can be deeper).
    from lxml import etree

    paragraph = node = etree.Element("p")
    for _ in range(5000):
        node = etree.SubElement(node, "span")
    node.text, paragraph[0].tail = "diep", " en verder"
    assert block_text(paragraph) == "diep en verder"
    # And as a page: no exception, a headline still found.
    deep = "<span>" * 5000 + "diep" + "</span>" * 5000
    for site in SITES:
        assert parse(site, page(site, "", f"<h1>Kop</h1>{TEXT}<p>{deep}</p>"))["headline"] == "Kop"


def test_api_items_that_are_not_posts_and_a_bogus_page_count():
    answer = [1, "x", None, {"link": 5}, {"link": WNL_URL, "title": "Gewone titel", "date_gmt": 7}]
    response = TextResponse(
        "https://wnl.tv/wp-json/wp/v2/posts",
        body=json.dumps(answer).encode(),
        headers={"Content-Type": "application/json", "X-WP-TotalPages": "abc"},
    )
    links, total = site_named("wnl").discovery_reader.parse_api(response)
    assert [(link.url, link.title, link.published) for link in links] == [
        (WNL_URL, "Gewone titel", None)
    ] and total == 0
