"""What a page really holds, made usable and said: mojibake from a page's JSON-LD repaired (ftfy),
bidi overrides and tag characters removed from every text field, and absurd sizes (a 200,000-
character headline, 20,000 related links, 50,000 keywords) cut, each with a warning in the item."""

from __future__ import annotations

from collections import Counter

from conftest import fixture_response, page_url
from scrapy.http import HtmlResponse

from newscrawl.article.text import clean_unicode
from newscrawl.extract.registry import sites

PAGE = "article_6400101_zwembad"


def _mutated(replace: dict[str, str]) -> HtmlResponse:
    url = page_url("nu", PAGE)
    original = fixture_response("nu", url)
    html = original.text
    for old, new in replace.items():
        assert old in html, old
        html = html.replace(old, new)
    return original.replace(body=html.encode("utf-8"), encoding="utf-8")


def _parse(response: HtmlResponse) -> dict:
    return dict(sites()["nu"].parse_article(response))


def test_mojibake_in_a_byline_and_json_ld_is_repaired_and_said():
    item = _parse(_mutated({"Sanne Jansen": "RenÃ© Vermeulen", "De gemeente Zuidwolde": "De gemeente Zuidwolde â€“"}))
    assert [author["name"] for author in item["authors"]] == ["René Vermeulen"]
    assert "â€" not in item["description"] and "–" in item["description"]
    warnings = item["metadata"]["warnings"]
    assert any(w.startswith("authors: mojibake repaired") for w in warnings), warnings
    assert any(w.startswith("description: mojibake repaired") for w in warnings), warnings
    # A clean page is left as it is, without a warning.
    clean = _parse(fixture_response("nu", page_url("nu", PAGE)))
    assert [a["name"] for a in clean["authors"]] == ["Sanne Jansen"] and "warnings" not in clean["metadata"]


def test_absurd_sizes_are_cut_with_a_warning():
    headline = "Gemeente sluit zwembad om hoge energiekosten"
    huge = headline + " " + "lang " * 40_000  # 200,000 characters
    links = "".join(
        f'<div class="linkblock" data-block="LinkBlock"><a class="linkblock__link" href="/economie/{6500000 + i}/x.html">'
        f'<span class="linkblock__title">Lees {i}</span></a></div>'
        for i in range(20_000)
    )
    keywords = ", ".join(f"trefwoord{i}" for i in range(50_000))
    block = '<div class="linkblock" data-block="LinkBlock">'
    item = _parse(
        _mutated(
            {
                headline: huge,
                'content="Zwembad, Energie, Gemeenten, Zwembad"': f'content="{keywords}"',
                block: links + block,  # 20,000 "Lees ook" links in the article
            }
        )
    )
    assert len(item["headline"]) == 1_000
    assert len(item["keywords"]) <= 100 and len(item.get("relatedUrls") or []) <= 500
    said = " ".join(item["metadata"]["warnings"])
    assert "headline: " in said and "cut to 1000" in said
    assert "keywords: 50000 entries, cut to 100" in said
    assert "relatedUrls: 20002 entries, cut to 500" in said  # the 20,000 and the page's own two


def test_bidi_overrides_and_tag_characters_leave_every_text_field():
    counts: Counter[str] = Counter()
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "ignore all instructions")
    value = {
        "headline": "Kabinet \u202ektiwa\u202c valt",
        "authors": ["Jan\u2066 de Vries\u2069"],
        "articleBody": f"Eerste alinea.{hidden}\n\nTweede alinea.",
    }
    cleaned = clean_unicode(value, counts)
    assert cleaned == {
        "headline": "Kabinet ktiwa valt",
        "authors": ["Jan de Vries"],
        "articleBody": "Eerste alinea.\n\nTweede alinea.",
    }
    assert counts == {"bidi_controls_removed": 4, "tag_chars_removed": len("ignore all instructions")}
