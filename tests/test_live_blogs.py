"""Live blogs are items (issue 34): a NU.nl and a NOS live blog, each in two captures, become
LiveBlogPosting items with their updates in page order, each dated to the instant; a crawl that
finds new updates writes a new revision; no update text appears in other items."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, PROJECT, fixture_response, page_url
from faultsite import FaultSite
from scrapy.http import HtmlResponse

from newscrawl.extract.registry import site_named

NU_BLOG = "https://www.nu.nl/binnenland/6400108/live-verkiezingsavond-gemeenteraad.html"
NOS_BLOG = "https://nos.nl/liveblog/2561004-storm-trekt-over-het-land"

# Later in the evening NU.nl's blog has two more entries on top, one after midnight; the page shows
# each entry's time of day only (written for this test, in the fixture's markup).
NU_LATER = """<li class="timeline__entry"><time>00:20</time><h2 class="timeline__title">Opkomst lager dan in 2022</h2><p class="textblock paragraph">De opkomst ligt landelijk op 48 procent, vier punten lager dan vier jaar geleden.</p></li><li class="timeline__entry"><time>23:55</time><p class="textblock paragraph">In Utrecht zijn alle stemmen geteld: GroenLinks blijft de grootste partij.</p></li>"""
NOS_LATER = """<li class="sc-3e4f5a6b-1 iTeMmm"><div class="sc-3e4f5a6b-2 hEaDer"><time datetime="2025-04-01T09:20:00Z">11:20</time></div><h2 class="sc-3e4f5a6b-3 tItLe">Afsluitdijk dicht voor vrachtverkeer</h2><div class="sc-3e4f5a6b-4 bOdYyy"><p>Rijkswaterstaat heeft de Afsluitdijk afgesloten voor vrachtwagens en auto's met aanhanger.</p></div></li>"""


NU_ANCHOR = '<ol class="timeline">'  # where new entries go: on top of the list
NOS_ANCHOR = '<ul class="sc-3e4f5a6b-0 uPdAtE">'


def capture(site: str, url: str, anchor: str, later_html: str) -> HtmlResponse:
    """The fixture page, with ``later_html`` on top of its updates (the later capture) or as it is."""
    page = fixture_response(site, url)
    return page.replace(body=page.text.replace(anchor, anchor + later_html, 1).encode("utf-8"))


def nu_capture(later: bool) -> HtmlResponse:
    return capture("nu", NU_BLOG, NU_ANCHOR, NU_LATER if later else "")


def nos_capture(later: bool) -> HtmlResponse:
    return capture("nos", NOS_BLOG, NOS_ANCHOR, NOS_LATER if later else "")


def updates(item) -> list[tuple[str, str | None, str]]:
    return [(u["datePublished"], u.get("headline"), u["articleBody"]) for u in item["liveBlogUpdate"]]


def test_a_nu_live_blog_in_two_captures_lists_its_updates_in_page_order_dated_across_midnight():
    nu = site_named("nu")
    first = nu.parse_article(nu_capture(later=False))
    assert first["articleType"] == "LiveBlogPosting"
    assert first["headline"] == "Verkiezingsavond gemeenteraad: volg de uitslagen"
    assert first["datePublished"] == "2025-03-31T21:00:00+02:00"
    assert updates(first) == [
        ("2025-03-31T21:35:00+02:00", None, "Eerste uitslag binnen: de lokale partij blijft de grootste."),
        ("2025-03-31T21:10:00+02:00", None, "De stembureaus zijn gesloten, het tellen begint."),
    ]
    later = nu.parse_article(nu_capture(later=True))
    assert updates(later) == [
        (
            "2025-04-01T00:20:00+02:00",  # after midnight: the next day
            "Opkomst lager dan in 2022",
            "De opkomst ligt landelijk op 48 procent, vier punten lager dan vier jaar geleden.",
        ),
        (
            "2025-03-31T23:55:00+02:00",
            None,
            "In Utrecht zijn alle stemmen geteld: GroenLinks blijft de grootste partij.",
        ),
        *updates(first),
    ]
    # The blog's text is its updates' text, once each; the page's chrome is not in it.
    assert later["articleBody"].count("De stembureaus zijn gesloten") == 1
    assert "NUjij" not in later["articleBody"] and "Advertentie" not in later["articleBody"]
    assert later["metadata"]["contentHash"] != first["metadata"]["contentHash"]
    assert later["metadata"]["bodyExtractor"] == "selectors"


def test_a_nos_live_blog_in_two_captures():
    nos = site_named("nos")
    first = nos.parse_article(nos_capture(later=False))
    assert first["articleType"] == "LiveBlogPosting"
    assert first["datePublished"] == "2025-04-01T06:00:00+02:00"  # the blog's coverage start
    assert [(when, headline) for when, headline, _ in updates(first)] == [
        ("2025-04-01T10:45:00+02:00", "Boom op het spoor bij Haarlem"),
        ("2025-04-01T09:30:00+02:00", "Windstoten tot 110 kilometer per uur"),
        ("2025-04-01T08:05:00+02:00", None),
        ("2025-04-01T07:10:00+02:00", "Code oranje in Zeeland"),
    ]
    assert updates(first)[0][2] == (
        "Tussen Haarlem en Leiden rijden geen treinen. Een omgewaaide boom ligt op het spoor.\n\n"
        "ProRail verwacht dat de storing tot het begin van de middag duurt."
    )
    # A photo's caption and credit are the picture's, not the update's text.
    assert "ANP" not in first["articleBody"] and first["images"][0]["credit"] == "ANP"
    # The intro above the updates is the blog's summary, the topic list its related links.
    assert first["description"].startswith("Code oranje in Zeeland en Noord-Holland")
    assert first["relatedUrls"] == [
        "https://nos.nl/artikel/2561001-gemeenten-krijgen-meer-tijd-voor-opvang-van-asielzoekers"
    ]
    later = nos.parse_article(nos_capture(later=True))
    assert updates(later)[0] == (
        "2025-04-01T11:20:00+02:00",
        "Afsluitdijk dicht voor vrachtverkeer",
        "Rijkswaterstaat heeft de Afsluitdijk afgesloten voor vrachtwagens en auto's met aanhanger.",
    )
    assert updates(later)[1:] == updates(first)


def test_updates_are_found_when_the_classes_are_renamed():
    """A redesign renames the timeline: the markup-independent rule (entries with one <time> each)
    finds the same updates."""
    import re

    nu = site_named("nu")
    page = nu_capture(later=True)
    renamed = re.sub(r'class="timeline[^"]*"', 'class="feed-x1"', page.text)
    item = nu.parse_article(page.replace(body=renamed.encode("utf-8")))
    assert item["articleType"] == "LiveBlogPosting"
    assert updates(item) == updates(nu.parse_article(page))
    assert item["metadata"]["bodyExtractor"] == "generic"


def test_no_update_text_appears_in_other_items():
    """A regular article that embeds the live blog's latest updates keeps only its own text."""
    nu = site_named("nu")
    article = fixture_response("nu", page_url("nu", "article_6400101_zwembad"))
    widget = (
        '<aside class="liveblog-widget"><h2>Live: verkiezingsavond</h2><ol class="timeline">'
        '<li class="timeline__entry"><time>21:35</time><p class="textblock paragraph">Eerste uitslag binnen: '
        "de lokale partij blijft de grootste.</p></li></ol></aside>"
    )
    html = article.text.replace('<h2 class="textblock subheader"', widget + '<h2 class="textblock subheader"', 1)
    item = nu.parse_article(article.replace(body=html.encode("utf-8")))
    assert item["articleType"] == "NewsArticle" and "liveBlogUpdate" not in item
    assert "Eerste uitslag" not in item["articleBody"]
    nos = site_named("nos")
    article = fixture_response("nos", page_url("nos", "article_2561001"))
    widget = (
        '<section class="sc-00-0 aa"><h2>Liveblog: storm</h2><ul><li><time datetime="2025-04-01T08:45:00Z">10:45</time>'
        "<p>Tussen Haarlem en Leiden rijden geen treinen.</p></li></ul></section>"
    )
    html = article.text.replace("</article>", widget + "</article>", 1)
    item = nos.parse_article(article.replace(body=html.encode("utf-8")))
    assert "liveBlogUpdate" not in item and "Haarlem" not in item["articleBody"]


# --- a crawl that finds new updates writes a new revision ----------------------------------------


class BlogSite(FaultSite):
    """A site fixture whose live blog can move on between crawls (``later``: the second capture)."""

    def __init__(self, site: str, blog: str, later_html: str, anchor: str, workdir: Path):
        super().__init__(FIXTURES / site / "site.json", {}, workdir)
        status, headers, body = self.pages[blog]
        html = body.decode("utf-8")
        self.pages[blog] = (status, headers, html.replace(anchor, anchor + later_html, 1).encode("utf-8"))


def crawl(site: FaultSite, spider: str, tmp_path: Path, run: str, now: str) -> list[dict]:
    """A real crawl through the site's proxy, on one state for every run (what the site held)."""
    out = tmp_path / f"{run}.jsonl"
    result = site.crawl(
        spider,
        out,
        PROJECT,
        f"STATE_DB={tmp_path / 'state'}.sqlite3",
        f"HEALTH_SAMPLES_DIR={tmp_path / run}-samples",
        "RELATED_DEPTH=1",
        "AUTOTHROTTLE_ENABLED=0",
        "DOWNLOAD_DELAY=0",
        f"CRAWL_NOW={now}",
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


@pytest.mark.parametrize(
    ("spider", "blog", "later_html", "anchor", "new_updates"),
    [
        ("nu", NU_BLOG, NU_LATER, NU_ANCHOR, 2),
        ("nos", NOS_BLOG, NOS_LATER, NOS_ANCHOR, 1),
    ],
)
def test_a_crawl_that_finds_new_updates_writes_a_new_revision(tmp_path, spider, blog, later_html, anchor, new_updates):
    first = crawl(BlogSite(spider, blog, "", anchor, tmp_path), spider, tmp_path, "first", "2025-04-01T11:00:00+02:00")
    [blog_line] = [line for line in first if line["canonicalUrl"] == blog]
    assert blog_line["metadata"]["revision"] == 1
    # Half an hour later: the blog, still live, is due again (LIVEBLOG_REVISIT_MINUTES), whatever the
    # listings and the sitemap's lastmod say.
    again = crawl(
        BlogSite(spider, blog, later_html, anchor, tmp_path), spider, tmp_path, "again", "2025-04-01T11:30:00+02:00"
    )
    revised = [line for line in again if line["canonicalUrl"] == blog]
    assert len(revised) == 1, [line["canonicalUrl"] for line in again]
    assert revised[0]["metadata"]["revision"] == 2
    assert len(revised[0]["liveBlogUpdate"]) == len(blog_line["liveBlogUpdate"]) + new_updates
    assert revised[0]["liveBlogUpdate"][new_updates:] == blog_line["liveBlogUpdate"]
    # Nothing else changed on the site: no other article is written again.
    assert [line["canonicalUrl"] for line in again] == [blog]
