"""The markup-independent readers (newscrawl/extract/generic.py) and the field chains that use them,
on small pages written for each rule."""

from lxml import html as lxml_html
from scrapy.http import HtmlResponse, Request, XmlResponse

from newscrawl.extract import body as body_finder
from newscrawl.extract import generic
from newscrawl.extract.common import Skip
from newscrawl.extract.registry import site_named
from newscrawl.extract.requestinfo import META_KEY, RequestInfo

WNL = site_named("wnl")
URL = "https://wnl.tv/2025/03/31/een-bericht/"
PARAGRAPHS = "".join(
    f"<p>Dit is alinea {n} van het bericht, met genoeg woorden om een echte zin te zijn.</p>" for n in range(1, 5)
)


def page(body: str, head: str = "<title>Een bericht - WNL</title>") -> HtmlResponse:
    html = f"<html><head>{head}</head><body>{body}</body></html>".encode()
    return HtmlResponse(URL, body=html, encoding="utf-8", request=Request(URL, meta={META_KEY: RequestInfo()}))


def root(body: str, head: str = ""):
    return lxml_html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def test_title_without_the_site_name_and_the_section_label():
    assert (
        generic.title_headline(root("", "<title>Kop van het stuk | Binnenland - NU.nl</title>"), "NU.nl")
        == "Kop van het stuk"
    )
    assert generic.title_headline(root("", "<title>Kop - met streepje - WNL</title>"), "WNL") == "Kop - met streepje"
    assert generic.title_headline(root("", "<title>NU.nl</title>"), "NU.nl") is None  # only the site's name


def test_byline_is_a_short_visible_door_line_not_in_the_page_chrome():
    scope = root(
        "<nav><p>Door de redactie gekozen</p></nav><div hidden><p>Door Verborgen</p></div><p><em>Door: Anouk de Vries</em></p>"
    )
    assert generic.byline_text(scope) == "Door: Anouk de Vries"


def test_visible_dutch_date_under_the_headline():
    scope = root("<p>30 maart 2025</p><h1>Kop</h1><div><span>Lotte Bakker · 28 mrt 2025 om 17:00</span></div>")
    assert generic.visible_date_near(scope.find(".//h1"), scope) == "28 mrt 2025 om 17:00"


def test_clean_blocks_cut_what_the_selectors_cut():
    blocks = [
        (None, "De kop"),
        (None, "Echte eerste alinea van het artikel."),
        (None, "Lees ook:"),
        (lxml_html.fragment_fromstring('<p><a href="/x">Ander stuk</a></p>'), "Ander stuk"),
        (None, "Foto: ANP"),
        (None, "Laatste alinea."),
        (None, "Door: Piet Jansen"),
    ]
    body, pointers, byline = body_finder.clean_blocks(blocks, "De kop", None)
    assert body == ["Echte eerste alinea van het artikel.", "Laatste alinea."]
    assert pointers == ["/x"] and byline == "Door: Piet Jansen"


def test_a_menu_and_a_headline_are_no_body():
    assert not body_finder.has_prose(["Voorpagina Net binnen Binnenland Buitenland Politiek", "Kop van het stuk"])
    assert body_finder.has_prose(["Het kabinet wil de bouw van kleine kerncentrales versnellen, zei de minister."])


def test_redesigned_post_falls_back_to_standards_and_says_which():
    body = f'<div class="x1"><h1 class="x2">Een bericht</h1><p class="x3">Door Mark Jansen en Eva de Wit</p>{PARAGRAPHS}</div>'
    head = (
        '<title>Een bericht - WNL</title><link rel="canonical" href="https://wnl.tv/2025/03/31/een-bericht/">'
        '<meta property="article:published_time" content="2025-03-31T08:00:00+00:00">'
    )
    item = WNL.parse_article(page(body, head))
    assert item["headline"] == "Een bericht" and [a["name"] for a in item["authors"]] == ["Mark Jansen", "Eva de Wit"]
    assert item["articleBody"].startswith("Dit is alinea 1") and item["datePublished"] == "2025-03-31T10:00:00+02:00"
    assert item["metadata"]["sources"] == {
        "headline": "title",
        "articleBody": "trafilatura",
        "authors": "typed-byline",
        "datePublished": "meta",
        "inLanguage": "detected",  # from the post's own text
    }


def test_hidden_cookie_notice_never_makes_a_post_a_consent_wall():
    notice = '<div id="x" style="display: none"><p>Wij gebruiken cookies om onze website te verbeteren.</p></div>'
    item = WNL.parse_article(page(f"<h1>Een bericht</h1>{PARAGRAPHS}{notice}"))
    assert not isinstance(item, Skip) and "cookies" not in item["articleBody"]
    wall = WNL.parse_article(
        page(
            "<div><h2>WNL gebruikt cookies</h2><p>Wij gebruiken cookies.</p><button>Akkoord</button></div>",
            "<title>WNL</title>",
        )
    )
    assert isinstance(wall, Skip) and wall.reason == "consent_wall"


def test_a_page_with_neither_markup_metadata_nor_text_is_not_an_article():
    result = WNL.parse_article(
        page("<h1>Pagina niet gevonden</h1><p>Sorry.</p>", "<title>Pagina niet gevonden - WNL</title>")
    )
    assert isinstance(result, Skip) and result.reason == "not_article"


def test_meta_time_off_by_an_hour_from_the_visible_line_is_an_offset_bug():
    head = '<title>Een bericht - WNL</title><meta property="article:published_time" content="2025-03-30T02:30:00Z">'
    item = WNL.parse_article(page(f"<h1>Een bericht</h1><p>30 mrt 2025 om 03:30</p>{PARAGRAPHS}", head))
    assert item["datePublished"] == "2025-03-30T03:30:00+02:00" and item["metadata"]["datePublishedSource"] == "visible"


def test_json_ld_section_becomes_a_slug():
    head = '<title>Een bericht - WNL</title><script type="application/ld+json">{"@type": "Article", "articleSection": ["Goedemorgen Nederland"]}</script>'
    item = WNL.parse_article(page(f"<h1>Een bericht</h1>{PARAGRAPHS}", head))
    assert (
        item["articleSection"] == "goedemorgen-nederland" and item["metadata"]["sources"]["articleSection"] == "json-ld"
    )


def test_an_xhtml_page_served_as_html_is_read_as_html():
    from newscrawl.crawl.spiders.base import as_html

    body = b'<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Kop - WNL</title></head><body><h1>Kop</h1></body></html>'
    response = XmlResponse(URL, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert (
        isinstance(as_html(response), HtmlResponse) and as_html(response).xpath("//title/text()").get() == "Kop - WNL"
    )


def test_listing_with_renamed_teasers_still_gives_its_article_links():
    response = HtmlResponse(
        "https://wnl.tv/",
        body=b'<html><body><div class="q"><a href="/2025/03/31/een-bericht/">Een bericht</a>'
        b'<a href="/over-wnl/">Over</a></div></body></html>',
        encoding="utf-8",
    )
    links = WNL.discovery_reader.parse_listing(response)
    assert [(link.url, link.title) for link in links] == [("https://wnl.tv/2025/03/31/een-bericht/", "Een bericht")]


def test_a_byline_that_goes_on_to_the_date_gives_only_the_names():
    # Found by the redesign harness on the declared fixture site: the byline's date part was a name.
    body = f"<h1>Kop</h1><p>Door Ilse de Groot · 1 april 2025, 09:30</p>{PARAGRAPHS}"
    assert WNL.parse_article(page(body))["authors"] == [{"name": "Ilse de Groot"}]
    for line, names in [
        ("Door Anne-Marie Jansen | 09:30", ["Anne-Marie Jansen"]),
        ("Door Piet Jansen en Eva de Wit — Den Haag", ["Piet Jansen", "Eva de Wit"]),
        ("Door Jan-Willem de Vries", ["Jan-Willem de Vries"]),
    ]:
        assert WNL.parse_article(page(f"<h1>Kop</h1><p>{line}</p>{PARAGRAPHS}"))["authors"] == [
            {"name": n} for n in names
        ], line
