"""NOS pages: the parser reads no class name (Next.js generates them per build), so a new build,
or an <article> turned into <div>s, changes nothing in the item but where the body was found."""

import json
import re

from conftest import FIXTURES, fixture_response, page_url
from scrapy.http import HtmlResponse

from newscrawl.extract.common import Skip
from newscrawl.extract.registry import site_named

NOS = site_named("nos")
NAME = "article_2561001"
EXPECTED = json.loads((FIXTURES / "nos" / "expected" / f"{NAME}.json").read_text("utf-8"))


def mutated(change) -> HtmlResponse:
    original = fixture_response("nos", page_url("nos", NAME))
    return original.replace(body=change(original.text).encode("utf-8"))


def test_a_new_build_with_other_class_names_gives_the_same_item():
    item = NOS.parse_article(mutated(lambda html: re.sub(r'class="[^"]*"', 'class="sc-00000000-9 zZzZzZ"', html)))
    item["metadata"].pop("sources")
    assert dict(item) == EXPECTED


def test_without_an_article_element_the_text_and_topic_links_are_still_found():
    item = NOS.parse_article(mutated(lambda html: re.sub(r"<(/?)article\b", r"<\1div", html)))
    for name in ("headline", "articleBody", "relatedUrls", "articleSection", "datePublished"):
        assert item.get(name) == EXPECTED.get(name), name


def test_video_pages_are_not_items_and_liveblogs_are_typed_items():
    result = NOS.parse_article(fixture_response("nos", page_url("nos", "video_2561005")))
    assert isinstance(result, Skip) and result.reason == "video"
    blog = NOS.parse_article(fixture_response("nos", page_url("nos", "liveblog_2561004")))
    assert blog["articleType"] == "LiveBlogPosting" and len(blog["liveBlogUpdate"]) == 4


def test_a_feed_given_as_a_start_url_is_read_as_a_feed_whatever_its_path(tmp_path):
    # feeds.nos.nl/nosnieuwsbinnenland has no /rss or /feed in its path: its content says it is RSS.
    from conftest import replay_crawl

    feed = "https://feeds.nos.nl/nosnieuwsbinnenland"
    lines, stats, _ = replay_crawl("nos", tmp_path, "-a", f"start_urls={feed}", "-a", "related_depth=0")
    assert sorted(json.loads(line)["articleId"] for line in lines) == ["2561001", "2561002"]
    assert stats["discovery/kind_by_content/feed"] == 1


PROMO = (
    '<article class="sc-11111111-0 pRoMo"><a href="/artikel/2561003-kamer-debatteert-over-spreidingswet">'
    "<h2>Kamer debatteert over spreidingswet</h2><p>Lees het verslag van het debat van vanmiddag.</p></a></article>"
)
TEASERS = (
    '<div class="sc-22222222-0 tEaSeR">'
    + "".join(
        f'<p><a href="/artikel/{2562000 + i}-teaser-{i}">Nieuws uit de regio: bericht nummer {i} van vandaag</a></p>'
        for i in range(9)
    )
    + "</div>"
)


def test_a_promo_article_before_the_real_one_is_not_the_item():
    # A promo card is an <article> too, first in <main>: the article is the one holding the h1.
    item = NOS.parse_article(
        mutated(
            lambda html: html.replace(
                '<main id="content" class="sc-e5f6a7b8-0 wXyZab">',
                '<main id="content" class="sc-e5f6a7b8-0 wXyZab">' + PROMO,
                1,
            )
        )
    )
    item["metadata"].pop("sources")
    assert dict(item) == EXPECTED


def test_a_block_of_nine_teaser_paragraphs_is_not_the_body():
    # Nine <p> outnumber the text box's five; their text is links. The body is the text box's prose.
    item = NOS.parse_article(
        mutated(
            lambda html: html.replace('<section class="sc-3c4d5e6f-0', TEASERS + '<section class="sc-3c4d5e6f-0', 1)
        )
    )
    assert item["articleBody"] == EXPECTED["articleBody"]
