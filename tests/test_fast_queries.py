"""The extraction's tree queries written for speed answer exactly what their plain forms answer.

libxml2 tests a predicate on every element a ``//*[...]`` step walks, and walks every node
(text included) under ``//tag[...]``; the project's queries ask the attribute axis first or walk
``descendant::`` instead (newscrawl/extract/generic.py, common.py, body.py, the sites' parsers).
Each is held here to its plain form, the reference, on random trees and at random scopes.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html
from parsel import Selector
from scrapy.http import HtmlResponse

from newscrawl.extract import body, common, generic
from newscrawl.extract.skeleton import the_article
from newscrawl.sites.nu import parser as nu
from newscrawl.sites.wnl import parser as wnl

# (the fast query, its plain form): an absolute query is asked of the document, a relative one of
# every element too.
QUERIES = [
    (generic._AUTHOR_MARKED, ".//*[@rel='author' or @itemprop='author']"),
    (
        etree.XPath(body._HIDDEN_XPATH),
        "//*[@hidden] | //*[@aria-hidden='true']"
        " | //*[contains(translate(@style, 'DISPLAYNOE: ', 'displaynoe'), 'display:none')]",
    ),
    (
        generic._MODIFIED,
        "//meta[contains(translate(@property, 'MODIFEDUPAT', 'modifedupat'), 'modified')"
        " or contains(translate(@property, 'MODIFEDUPAT', 'modifedupat'), 'updated')"
        " or contains(translate(@name, 'MODIFEDUPAT', 'modifedupat'), 'modified')"
        " or contains(translate(@name, 'MODIFEDUPAT', 'modifedupat'), 'updated')]"
        " | //*[@itemprop='dateModified']",
    ),
    (nu._ROLE_BLOCKS, ".//*[@data-text-role='ARTICLE_BODY' or @data-text-role='ARTICLE_SUBHEADER']"),
    (etree.XPath(wnl.WordPressA.headline_xpath), "string(//h1[contains(@class, 'entry-title')])"),
    (
        etree.XPath(wnl.WordPressA.byline_xpath),
        "string(//footer[contains(@class, 'entry-footer')]//p[contains(@class, 'post-author')])",
    ),
    (
        etree.XPath(wnl.WordPressB.byline_xpath),
        "string((//*[contains(@class, 'single-article__author')])[1])",
    ),
    (
        etree.XPath(wnl.WnlParser.byline_xpath),
        "string((//footer[contains(@class, 'entry-footer')]//p[contains(@class, 'post-author')]"
        " | //*[contains(@class, 'single-article__author')])[1])",
    ),
]

TAGS = ["div", "p", "span", "a", "meta", "link", "script", "h1", "footer", "article", "time", "li", "title", "body"]
ATTRIBUTES = st.fixed_dictionaries(
    {},
    optional={
        "rel": st.sampled_from(["author", "canonical", "shortlink", "Author", "author nofollow", ""]),
        "itemprop": st.sampled_from(["author", "dateModified", "datePublished", "name"]),
        "hidden": st.just(""),
        "aria-hidden": st.sampled_from(["true", "false"]),
        "style": st.sampled_from(["display: none", "DISPLAY:NONE", "color: red", "display:block"]),
        "class": st.sampled_from(
            ["entry-title", "entry-footer", "post-author x", "single-article__author", "y", "headline__label"]
            + ["headline", "x\theadline", "headline\u00a0y", "headline__text"]
        ),
        "id": st.sampled_from(["post-12", "post-", "main"]),
        "data-page-type": st.sampled_from(["article", "liveblog", ""]),
        "data-text-role": st.sampled_from(["ARTICLE_BODY", "ARTICLE_SUBHEADER", "ARTICLE_AUTHOR"]),
        "content": st.sampled_from(["", "2025-03-31T10:00:00+02:00", "Lotte Bakker"]),
        "property": st.sampled_from(["article:modified_time", "og:updated_time", "og:title", "article:tag"]),
        "name": st.sampled_from(["last-Modified", "author", "description"]),
        "type": st.sampled_from(["application/ld+json", "text/javascript"]),
        "href": st.sampled_from(["https://wnl.tv/a/", "/b/"]),
    },
)


def element(depth: int) -> st.SearchStrategy[str]:
    children = st.lists(element(depth - 1), max_size=3) if depth else st.just([])
    return st.builds(
        lambda tag, attributes, text, inner: "<{0}{1}>{2}{3}</{0}>".format(
            tag, "".join(f' {name}="{value}"' for name, value in attributes.items()), text, "".join(inner)
        ),
        st.sampled_from(TAGS),
        ATTRIBUTES,
        st.sampled_from(["", "Door Lotte", "tekst", '{"@type": "NewsArticle"}']),
        children,
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(element(3), min_size=1, max_size=4))
def test_every_fast_query_answers_what_its_plain_form_answers(parts: list[str]) -> None:
    document = lxml_html.document_fromstring(f"<html><head></head><body>{''.join(parts)}</body></html>")
    for fast, plain in QUERIES:
        absolute = plain.removeprefix("string(").lstrip("(").startswith("/")
        scopes = [document] if absolute else [document, *document.iter()]
        for scope in scopes:
            if not isinstance(scope.tag, str):
                continue
            assert fast(scope) == scope.xpath(plain), (plain, etree.tostring(scope))


def first(found: list) -> object:
    return found[0] if found else None


# (what a reader finds in the page's one walk, its plain XPath): asked of the page's selector and of
# a selector of any element in it (the plain forms are absolute: the whole page either way).
LOOKUPS = [
    *((lambda sel, tag=tag: common.tagged(sel, tag), f"//{tag}") for tag in common.INDEXED_TAGS),
    (common.jsonld_texts, '//script[@type="application/ld+json"]/text()'),
    (lambda sel: common.link_href(sel, "canonical"), ('//link[@rel="canonical"]/@href', first)),
    (lambda sel: common.link_href(sel, "shortlink"), ('//link[@rel="shortlink"]/@href', first)),
    (lambda sel: common.attribute_values(common.tagged(sel, "h1"), "class"), "//h1/@class"),
    (lambda sel: common.attribute_values(common.tagged(sel, "body"), "data-page-type"), "//body/@data-page-type"),
    (lambda sel: common.first_attribute(common.tagged(sel, "body"), "class"), ("//body/@class", first)),
    (
        lambda sel: common.attribute_values(
            (meta for meta in common.tagged(sel, "meta") if meta.get("property") == "article:tag"), "content"
        ),
        '//meta[@property="article:tag"]/@content',
    ),
    (
        lambda sel: nu.headline_label(common.tagged(sel, "h1")),
        ("//h1//*[contains(concat(' ', normalize-space(@class), ' '), ' headline__label ')]/text()", first),
    ),
    (
        lambda sel: nu.headline_h1(common.tagged(sel, "h1")),
        ("(//h1[contains(concat(' ', normalize-space(@class), ' '), ' headline ')])[1]", first),
    ),
    (
        lambda sel: wnl.the_post(common.tagged(sel, "article")),
        lambda document: first(
            document.xpath('(//article[starts-with(@id, "post-")])[1]') or document.xpath("//article")
        ),
    ),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(element(3), min_size=1, max_size=4), head=st.lists(element(1), max_size=3))
def test_the_one_walk_finds_what_each_plain_query_finds(parts: list[str], head: list[str]) -> None:
    document = lxml_html.document_fromstring(f"<html><head>{''.join(head)}</head><body>{''.join(parts)}</body></html>")
    for element_ in list(document.iter())[:6]:
        if not isinstance(element_.tag, str):
            continue
        sel = Selector(root=element_, type="html")
        for lookup, plain in LOOKUPS:
            if callable(plain):
                expected = plain(document)
            else:
                query, shape = plain if isinstance(plain, tuple) else (plain, list)
                expected = shape(document.xpath(query))
            assert lookup(sel) == expected, (plain, etree.tostring(document))


def test_the_tags_are_let_go_with_the_page() -> None:
    response = HtmlResponse("https://www.nu.nl/a/1/b.html", body=b"<html><head><title>T</title></head></html>")
    selector = common.page_selector(response)
    assert [t.text for t in common.tagged(response, "title")] == ["T"]
    assert selector in common._TAGGED
    common.release_selector(response)
    assert selector not in common._TAGGED


def test_itemprop_dates_are_found_by_their_attribute_in_page_order() -> None:
    document = lxml_html.document_fromstring(
        '<html><body><span itemprop="name">Kop</span><time itemprop="datePublished" datetime="2025-03-31">'
        '31 maart</time><meta itemprop="datePublished" content="2025-04-01"></body></html>'
    )
    assert generic.itemprop_date(document, "datePublished") == "2025-03-31"
    assert generic.itemprop_date(document, "dateCreated") is None


def test_a_byline_still_opens_with_door_behind_invisible_characters_or_inside_its_first_child() -> None:
    def scope(html: str) -> etree._Element:
        return lxml_html.document_fromstring(f"<html><body><article>{html}</article></body></html>").find(".//article")

    # The element's own text opens with an invisible character: the fast path must not judge it.
    assert generic.byline_text(scope("<p>\u200bDoor Lotte Bakker</p>")) == "Door Lotte Bakker"
    assert generic.byline_text(scope("<p>\u00adDOOR: Jan de Vries</p>")) == "DOOR: Jan de Vries"
    # Only whitespace before the first child: the head is read from the pieces.
    assert generic.byline_text(scope("<p>  <em>Door</em> Piet Jansen</p>")) == "Door Piet Jansen"
    # Text of its own that does not open with "door": never a byline, whatever follows.
    assert generic.byline_text(scope("<p>Foto: ANP <em>Door Piet Jansen</em></p>")) == "Door Piet Jansen"
    assert generic.byline_text(scope("<p>Deur open, door de wind</p>")) is None


def article_id(found: etree._Element | None) -> str | None:
    return found.get("id") if found is not None else None


def test_the_article_is_the_one_with_the_headline_else_the_longest() -> None:
    document = lxml_html.document_fromstring(
        "<html><body><article id='teaser'>Een veel langere tekst dan het stuk zelf heeft, een teaser.</article>"
        "<article id='stuk'><h1>Kop</h1>Het stuk zelf.</article><article id='ander'><h1>Kop</h1>Korter</article>"
        "</body></html>"
    )
    articles = list(document.iter("article"))
    assert article_id(the_article(articles)) == "stuk"  # the longest of those with an h1
    assert article_id(the_article([articles[0], articles[2]])) == "ander"  # an h1 wins over length
    assert article_id(the_article([articles[0]])) == "teaser"
    teasers = lxml_html.document_fromstring(
        "<html><body><article id='a'>Kort</article><article id='b'>Wat langer</article>"
        "<article id='c'>Wat langer</article></body></html>"
    )
    assert article_id(the_article(teasers.iter("article"))) == "b"  # the first of the longest
    assert the_article([]) is None
