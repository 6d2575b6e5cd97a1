"""NU.nl discovery parsers: RSS (both formats), sitemaps, listings."""

from conftest import fixture_response

from newscrawl.extract.registry import site_named

nu = site_named("nu").discovery_reader

NU = "https://www.nu.nl"
A = f"{NU}/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


def test_rss_2024_format():
    links = nu.parse_feed(fixture_response("nu", f"{NU}/rss/Algemeen"))
    assert [link.url for link in links] == [
        f"{NU}/economie/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html",
        A,
        f"{NU}/dieren/6400107/bekijk-hoe-een-zeearend-een-vis-uit-het-water-plukt.html",
        f"{NU}/tech/6400104/storing-bij-digitale-overheidsdiensten-na-zomertijdwissel.html",
    ]
    assert {link.via for link in links} == {"rss"}
    assert links[3].published == "2025-03-30T03:30:00+02:00"
    assert links[1].title == "Gemeente sluit zwembad om hoge energiekosten"


def test_rss_2023_format_short_links_and_related_links():
    links = nu.parse_feed(fixture_response("nu", f"{NU}/rss/Binnenland"))
    assert [link.url for link in links] == [
        f"{NU}/algemeen/6400103/storm-trekt-over-noorse-kust-in-nacht-van-de-klokwissel.html",
        A,  # atom:link rel=related on the bare host, normalised
        f"{NU}/-/6400105/",  # guid-only item: the short link
        f"{NU}/-/6400111/",
    ]
    assert links[0].published == "2024-10-27T02:30:00+01:00"


def test_news_sitemap_skips_bogus_locs_and_carries_keywords():
    children, links = nu.parse_sitemap(fixture_response("nu", f"{NU}/sitemap_news.xml"))
    assert children == []
    assert [link.url for link in links] == [
        A,
        f"{NU}/algemeen/6400112/gemeente-sluit-zwembad-om-energiekosten.html",
        f"{NU}/binnenland/6400108/live-verkiezingsavond-gemeenteraad.html",
    ]
    assert links[0].keywords == ["Zwembad", "Energie"]
    assert (links[0].published, links[0].modified) == ("2025-03-31T14:05:00+02:00", "2025-03-31T14:05:00+02:00")


def test_a_sitemap_lastmod_is_never_taken_for_a_publication_date():
    _, links = nu.parse_sitemap(fixture_response("nu", f"{NU}/sitemap_articles_2025-03.xml"))
    assert [(link.published, link.modified) for link in links][0] == (None, "2025-03-31T14:05:00+02:00")


def test_sitemap_index_lists_child_sitemaps():
    children, links = nu.parse_sitemap(fixture_response("nu", f"{NU}/sitemap_index.xml"))
    assert [c.url for c in children] == [
        f"{NU}/sitemap_sections.xml",
        f"{NU}/sitemap_articles_2025-03.xml",
        f"{NU}/sitemap_articles_2024-09.xml",
    ]
    assert children[2].lastmod == "2024-10-01T00:10:00+02:00"
    assert links == []


def test_front_page_teasers_normalised_without_video_partners_or_menus():
    links = nu.parse_listing(fixture_response("nu", f"{NU}/"))
    urls = [link.url for link in links]
    assert urls == [
        f"{NU}/-/6400105/",  # breaking bar short link
        A,
        f"{NU}/politiek/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html",
        f"{NU}/binnenland/6400109/artikel-dat-is-verwijderd.html",
        A,  # again from "Meest gelezen" with a tracking query: the spider dedupes, the parser reports
        f"{NU}/cultuur/6400106/rijksmuseum-toont-voor-het-eerst-tekeningen-uit-privecollectie.html",
    ]
    assert links[1].published == "2025-03-31T14:05:00+02:00"  # from the datetime attribute, not "2 uur geleden"
    assert links[3].published is None  # a relative time alone is not a date


def test_section_page_and_its_next_page():
    response = fixture_response("nu", f"{NU}/binnenland")
    assert [link.url for link in nu.parse_listing(response)] == [
        A,
        f"{NU}/binnenland/6400110/kabinet-geeft-persconferentie-over-nieuwe-maatregelen.html",
    ]
    assert nu.listing_next_page(response) == f"{NU}/binnenland?page=2"
