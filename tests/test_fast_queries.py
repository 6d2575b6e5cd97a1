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

from newscrawl.extract import body, common, generic
from newscrawl.extract.skeleton import the_article
from newscrawl.sites.nu import parser as nu
from newscrawl.sites.wnl import parser as wnl

# (the fast query, its plain form): an absolute query is asked of the document, a relative one of
# every element too.
QUERIES = [
    (generic._AUTHOR_MARKED, ".//*[@rel='author' or @itemprop='author']"),
    (common._META_TAGS, "//meta[@content]"),
    (common._CANONICAL, '//link[@rel="canonical"]/@href'),
    (common._JSONLD_TEXTS, '//script[@type="application/ld+json"]/text()'),
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

TAGS = ["div", "p", "span", "a", "meta", "link", "script", "h1", "footer", "article", "time", "li"]
ATTRIBUTES = st.fixed_dictionaries(
    {},
    optional={
        "rel": st.sampled_from(["author", "canonical", "Author", "author nofollow", ""]),
        "itemprop": st.sampled_from(["author", "dateModified", "datePublished", "name"]),
        "hidden": st.just(""),
        "aria-hidden": st.sampled_from(["true", "false"]),
        "style": st.sampled_from(["display: none", "DISPLAY:NONE", "color: red", "display:block"]),
        "class": st.sampled_from(["entry-title", "entry-footer", "post-author x", "single-article__author", "y"]),
        "data-text-role": st.sampled_from(["ARTICLE_BODY", "ARTICLE_SUBHEADER", "ARTICLE_AUTHOR"]),
        "content": st.sampled_from(["", "2025-03-31T10:00:00+02:00", "Lotte Bakker"]),
        "property": st.sampled_from(["article:modified_time", "og:updated_time", "og:title"]),
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
