import pytest
from lxml import html

from newscrawl.article.text import block_text, join_blocks, normalize_text, unique
from newscrawl.extract.urls import article_key, normalize_url, short_link_key


def test_normalize_text_rules():
    decomposed = "Oekrai\u0308ne"  # i + combining diaeresis
    assert normalize_text(decomposed) == "Oekraïne"
    assert normalize_text("  twee\u00a0\u00a0woorden\n en\u200b\u00adzo  ") == "twee woorden enzo"
    assert normalize_text("„Zo” — ‘echt’…") == "„Zo” — ‘echt’…"


def test_block_text_inline_tags_add_no_spaces_and_br_is_a_line():
    p = html.fragment_fromstring(
        "<p>Hij zei <a href='#'>eerder</a>, en <em>toen</em>:<br> eerste<br/><br>  tweede &nbsp;</p>"
    )
    assert block_text(p) == "Hij zei eerder, en toen:\neerste\ntweede"


def test_block_text_skips_scripts_but_keeps_their_tail():
    p = html.fragment_fromstring("<p>voor<script>var x=1;</script> na</p>")
    assert block_text(p) == "voor na"


def test_join_blocks_and_unique():
    assert join_blocks(["a", "", "b"]) == "a\n\nb"
    assert unique(["x", "y", "x", "", "z"]) == ["x", "y", "z"]


@pytest.mark.parametrize(
    "href, base, expected",
    [
        (
            "/binnenland/6333736/politie.html?utm_source=nu.nl#top",
            "https://www.nu.nl/",
            "https://www.nu.nl/binnenland/6333736/politie.html",
        ),
        ("http://www.nu.nl/formule-1/6333721/x.html", None, "https://www.nu.nl/formule-1/6333721/x.html"),
        (
            "https://nu.nl/economie/6333688/x.html?utm_medium=meestgelezen",
            None,
            "https://www.nu.nl/economie/6333688/x.html",
        ),
        ("https://www.wnl.tv/2024/10/21/slug?utm_source=x", None, "https://wnl.tv/2024/10/21/slug/"),
        ("http://wnl.tv/2024/10/21/slug/", None, "https://wnl.tv/2024/10/21/slug/"),
        ("https://shop.nu.nl/deals?utm_source=nu.nl#x", None, "https://shop.nu.nl/deals?utm_source=nu.nl"),
        ("mailto:redactie@nu.nl", None, None),
        ("javascript:void(0)", None, None),
        ("", None, None),
    ],
)
def test_normalize_url(href, base, expected):
    assert normalize_url(href, base) == expected


def test_article_keys_identify_one_article_under_many_urls():
    variants = [
        "https://www.nu.nl/binnenland/6333736/politie-waarschuwt.html",
        "http://nu.nl/politiek/6333736/politie-waarschuwt.html?utm_source=rss",
        "https://www.nu.nl/binnenland/6333736/ander-slug.html#reacties",
    ]
    assert {article_key(u) for u in variants} == {"nu:6333736"}
    assert (
        article_key("https://wnl.tv/2024/10/21/slug/")
        == article_key("https://www.wnl.tv/2024/10/21/slug?x=1")
        == "wnl:2024/10/21/slug"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://www.nu.nl/video/6333745/bekijk.html",
        "https://www.nu.nl/-/6333770/",
        "https://www.nu.nl/binnenland",
        "https://www.nu.nl/rss/Algemeen",
        "https://shop.nu.nl/a/1234567/b.html",
        "https://wnl.tv/over-wnl/",
    ],
)
def test_non_articles_have_no_key(url):
    assert article_key(url) is None


def test_short_link_key():
    assert short_link_key("https://www.nu.nl/-/6333770/") == "nu:6333770"
    assert short_link_key("https://nu.nl/-/6333770") == "nu:6333770"
    assert short_link_key("https://www.nu.nl/algemeen/6333770/x.html") is None
    assert short_link_key("https://wnl.tv/-/6333770/") is None  # a site without short links
