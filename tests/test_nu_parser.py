"""NU.nl article parser: what the stored pages must give beyond the exact expected items (tests/test_sites.py)."""

import pytest
from conftest import FIXTURES, fixture_response, page_url

from newscrawl.article.text import BOILERPLATE_PHRASES
from newscrawl.extract.common import Skip
from newscrawl.extract.registry import site_named

NU = "https://www.nu.nl"
NU_SITE = site_named("nu")
EXPECTED = sorted((FIXTURES / "nu" / "expected").glob("*.json"))


def test_expected_items_cover_the_checklist():
    # Guard against the fixture set silently shrinking.
    assert len(EXPECTED) >= 9


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.stem)
def test_no_boilerplate_in_any_text_field(expected_path):
    item = NU_SITE.parse_article(fixture_response("nu", page_url("nu", expected_path.stem)))
    text = "\n".join(str(item.get(field, "")) for field in ("headline", "description", "articleBody"))
    assert [phrase for phrase in BOILERPLATE_PHRASES if phrase in text] == []


def test_same_article_under_another_section_slug_has_one_canonical():
    a = NU_SITE.parse_article(
        fixture_response("nu", f"{NU}/economie/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html")
    )
    b = NU_SITE.parse_article(
        fixture_response("nu", f"{NU}/politiek/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html")
    )
    assert b["url"].startswith(f"{NU}/politiek/")
    assert a["canonicalUrl"] == b["canonicalUrl"] and a["articleId"] == b["articleId"] == "6400102"
    assert a["metadata"]["contentHash"] == b["metadata"]["contentHash"]


def test_video_page_is_skipped_with_reason():
    result = NU_SITE.parse_article(
        fixture_response("nu", f"{NU}/dieren/6400107/bekijk-hoe-een-zeearend-een-vis-uit-het-water-plukt.html")
    )
    assert isinstance(result, Skip) and result.reason == "video"


def test_liveblog_using_article_classes_is_a_live_blog_not_an_article():
    result = NU_SITE.parse_article(
        fixture_response("nu", f"{NU}/binnenland/6400108/live-verkiezingsavond-gemeenteraad.html")
    )
    # Its entries use the article's paragraph classes: read as updates, each with its time.
    assert result["articleType"] == "LiveBlogPosting"
    assert [u["datePublished"] for u in result["liveBlogUpdate"]] == [
        "2025-03-31T21:35:00+02:00",
        "2025-03-31T21:10:00+02:00",
    ]


def test_front_page_is_not_an_article():
    result = NU_SITE.parse_article(fixture_response("nu", f"{NU}/"))
    assert isinstance(result, Skip) and result.reason == "not_article"


def test_redesigned_page_falls_back_to_the_generic_extractor():
    item = NU_SITE.parse_article(
        fixture_response(
            "nu", f"{NU}/cultuur/6400106/rijksmuseum-toont-voor-het-eerst-tekeningen-uit-privecollectie.html"
        )
    )
    assert item["metadata"]["bodyExtractor"] == "trafilatura"
    assert item["metadata"]["sources"]["articleBody"] == "trafilatura"
    assert item["articleBody"].startswith("Het Rijksmuseum in Amsterdam toont")
    assert item["headline"] not in item["articleBody"].split("\n\n")  # the h1 is not repeated as a paragraph


def test_empty_article_has_no_body_rather_than_chrome():
    item = NU_SITE.parse_article(
        fixture_response("nu", f"{NU}/binnenland/6400110/kabinet-geeft-persconferentie-over-nieuwe-maatregelen.html")
    )
    assert "articleBody" not in item  # the NUjij teaser must not be taken for the article


def test_relative_visible_date_counts_from_the_server_date_not_the_wall_clock():
    item = NU_SITE.parse_article(
        fixture_response("nu", f"{NU}/opmerkelijk/6400105/kaaswiel-van-80-kilo-gestolen-uit-goudse-winkel.html")
    )
    assert (item["datePublishedRaw"], item["datePublished"]) == ("gisteren om 10:15", "2025-03-31T10:15:00+02:00")
    assert item["metadata"]["datePublishedSource"] == "visible"


def test_json_ld_wins_when_meta_disagrees():
    item = NU_SITE.parse_article(
        fixture_response("nu", f"{NU}/tech/6400104/storing-bij-digitale-overheidsdiensten-na-zomertijdwissel.html")
    )
    # meta says 02:30Z (04:30 CEST), JSON-LD and the visible line say 03:30 CEST.
    assert item["datePublished"] == "2025-03-30T03:30:00+02:00"
    assert item["metadata"]["datePublishedSource"] == "json-ld"


def test_discovery_metadata_is_carried_into_the_item():
    item = NU_SITE.parse_article(
        fixture_response("nu", f"{NU}/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html", via="rss")
    )
    assert item["metadata"]["discoveredVia"] == "rss"


def test_feed_date_is_the_last_resort_for_published():
    html = b"""<html><head><link rel="canonical" href="https://www.nu.nl/binnenland/6400199/zonder-datum.html"></head>
    <body data-page-type="article"><article><h1 class="headline"><span class="headline__text">Zonder datum</span></h1>
    <div class="article__body"><p class="textblock paragraph">Een alinea.</p></div></article></body></html>"""
    from scrapy.http import HtmlResponse, Request

    from newscrawl.extract.requestinfo import META_KEY, Hints, RequestInfo

    url = "https://www.nu.nl/binnenland/6400199/zonder-datum.html"
    hints = Hints(published="2025-03-31T14:05:00+02:00")
    response = HtmlResponse(url, body=html, request=Request(url, meta={META_KEY: RequestInfo(via="rss", hints=hints)}))
    item = NU_SITE.parse_article(response)
    assert item["datePublished"] == "2025-03-31T14:05:00+02:00"
    assert item["metadata"]["datePublishedSource"] == "feed"
