"""WNL parsers beyond the exact expected items (tests/test_sites.py); discovery from feed, sitemaps, API and archives."""

import pytest
from conftest import FIXTURES, fixture_response, page_url

from newscrawl.article.text import BOILERPLATE_PHRASES
from newscrawl.extract.common import Skip
from newscrawl.extract.registry import site_named

WNL_SITE = site_named("wnl")
wnl = WNL_SITE.discovery_reader

W = "https://wnl.tv"
EXPECTED = sorted((FIXTURES / "wnl" / "expected").glob("*.json"))
P1 = f"{W}/2025/03/31/kabinet-wil-snellere-bouw-van-kleine-kerncentrales/"


def parsed(name: str):
    return WNL_SITE.parse_article(fixture_response("wnl", page_url("wnl", name)))


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.stem)
def test_no_boilerplate_in_any_text_field(expected_path):
    item = parsed(expected_path.stem)
    text = "\n".join([item["headline"], item["articleBody"], *(a["name"] for a in item.get("authors", []))])
    assert [
        phrase
        for phrase in BOILERPLATE_PHRASES + ("Lees ook", "Lees meer", "Door:", "Foto:", "Klik hier")
        if phrase in text
    ] == []


def test_missing_div_does_not_let_cta_promos_or_teasers_into_the_body():
    # The theme forgot </div>: lxml nests footer, CTA, promo and teasers inside .entry-content.
    item = parsed("post_500101_kerncentrales")
    assert item["articleBody"].endswith("Eerder protesteerden boeren in Den Haag.")
    assert [a["name"] for a in item["authors"]] == ["Redactie"]


def test_photo_caption_is_split_into_credit_and_caption():
    assert parsed("post_500101_kerncentrales")["mainImage"] == {
        "url": "https://wnl.tv/wp-content/uploads/2025/03/ANP-520001234.jpg",
        "caption": "Minister Sophie Hermans bij een persconferentie.",
        "credit": "ANP",
    }
    assert (
        parsed("post_500105_ns")["mainImage"]["credit"] == "ANP"
        and "caption" not in parsed("post_500105_ns")["mainImage"]
    )


def test_lees_ook_links_are_related_not_body():
    item = parsed("post_500101_kerncentrales")
    assert item["relatedUrls"] == [
        f"{W}/2025/03/30/boeren-protesteren-in-den-haag-tegen-nieuwe-stikstofregels/",  # inline, www + no slash + utm
        f"{W}/2024/10/27/nachtelijke-storing-bij-ns-na-invoering-wintertijd/",  # Lees ook (the off-site one is dropped)
    ]


def test_programme_label_is_the_section_and_not_part_of_the_date():
    item = parsed("post_500102_boeren")
    assert (item["articleSection"], item["datePublishedRaw"]) == ("goedemorgen-nederland", "30 maart 2025 — 08:12")


def test_bullet_list_items_and_br_lines_are_kept_as_lines():
    assert "\n\neen langere overgangstermijn voor de nieuwe regels;\n\n" in parsed("post_500102_boeren")["articleBody"]
    assert (
        "- Een maximale huurprijs voor woningen tot 187 punten;\n- Tijdelijke"
        in parsed("post_500103_huurwet")["articleBody"]
    )


def test_layout_b_without_date_metadata_gets_the_url_day_and_says_so():
    item = parsed("post_500104_podcast")
    assert item["datePublished"] == "2025-03-28" and item["metadata"]["datePublishedSource"] == "url"
    assert item["metadata"]["sources"]["datePublished"] == "url"


def test_editor_typed_byline_is_the_author():
    item = parsed("post_500102_boeren")
    assert [a["name"] for a in item["authors"]] == ["Anouk de Vries"] and "Door" not in item["articleBody"]


def test_static_page_and_archive_are_not_articles():
    assert isinstance(WNL_SITE.parse_article(fixture_response("wnl", f"{W}/category/politiek/")), Skip)
    assert isinstance(WNL_SITE.parse_article(fixture_response("wnl", f"{W}/")), Skip)


def test_feed_links_with_utc_dates():
    links = wnl.parse_feed(fixture_response("wnl", f"{W}/feed/"))
    assert [(link.url, link.published) for link in links] == [
        (P1, "2025-03-31T09:42:10+02:00"),
        (f"{W}/2025/03/30/boeren-protesteren-in-den-haag-tegen-nieuwe-stikstofregels/", "2025-03-30T08:12:40+02:00"),
        (f"{W}/2024/10/27/nachtelijke-storing-bij-ns-na-invoering-wintertijd/", "2024-10-27T02:45:00+02:00"),
    ]


def test_yoast_sitemaps_even_with_a_comment_before_the_xml_declaration():
    children, links = wnl.parse_sitemap(fixture_response("wnl", f"{W}/sitemap_index.xml"))
    assert [(c.url, c.lastmod) for c in children] == [
        (f"{W}/post-sitemap.xml", "2023-06-12T17:00:00+02:00"),
        (f"{W}/post-sitemap2.xml", "2025-03-31T16:20:00+02:00"),
    ]  # page and category sitemaps hold no posts
    children, links = wnl.parse_sitemap(fixture_response("wnl", f"{W}/post-sitemap2.xml"))
    assert children == [] and len(links) == 4 and all(link.via == "sitemap" for link in links)


def test_rest_api_posts():
    links, pages = wnl.parse_api(fixture_response("wnl", f"{W}/wp-json/wp/v2/posts?per_page=20&page=1&_embed=1"))
    assert pages == 1
    assert [(link.url, link.published, link.title) for link in links][1] == (
        P1,
        "2025-03-31T09:42:10+02:00",
        "Kabinet wil snellere bouw van ‘kleine kerncentrales’",
    )
    assert {link.via for link in links} == {"api"}


def test_home_page_teasers_in_every_url_variant():
    urls = [link.url for link in wnl.parse_listing(fixture_response("wnl", f"{W}/"))]
    assert urls == [
        P1,
        f"{W}/2025/03/30/boeren-protesteren-in-den-haag-tegen-nieuwe-stikstofregels/",
        f"{W}/2025/03/25/verwijderd-bericht/",
        f"{W}/2024/10/27/nachtelijke-storing-bij-ns-na-invoering-wintertijd/",
    ]


def test_js_loaded_archive_needs_rendering_and_the_rendered_page_has_more_teasers():
    plain = fixture_response("wnl", f"{W}/category/politiek/")
    rendered = fixture_response("wnl", f"{W}/category/politiek/", rendered=True)
    assert wnl.needs_rendering(plain)
    plain_urls = {link.url for link in wnl.parse_listing(plain)}
    rendered_urls = {link.url for link in wnl.parse_listing(rendered)}
    assert rendered_urls - plain_urls == {f"{W}/2025/03/31/tweede-kamer-stemt-over-defensiebegroting/"}
    assert not wnl.needs_rendering(fixture_response("wnl", f"{W}/category/economie/"))


def test_archive_pagination():
    assert wnl.listing_next_page(fixture_response("wnl", f"{W}/category/economie/")) == f"{W}/category/economie/page/2/"
