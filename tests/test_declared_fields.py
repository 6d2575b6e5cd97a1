"""Fields declared once (newscrawl/extract/fields.py) and layouts chosen by detector and date.

The item class, the loader's processors, the coverage lists of runs and datasets and the export
schema are all made from the schema and the parsers' declarations: these tests check that each
of them follows, and that a site's layouts read the pages of their own days.
"""

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from conftest import fixture_response, page_url
from scrapy.http import HtmlResponse, Request

from newscrawl.article.schema import article_schema, field_order
from newscrawl.extract.base import ArticleParser, baseline_fields, coverage_fields
from newscrawl.extract.fields import declared_fields, field
from newscrawl.extract.item import ArticleItem
from newscrawl.extract.registry import site_named, sites
from newscrawl.extract.requestinfo import META_KEY, RequestInfo
from newscrawl.sites.wnl.parser import WnlParser, WordPressA, WordPressB
from newscrawl.tools.export import arrow_schema

WNL = site_named("wnl")


def test_every_parser_declares_its_fields_in_schema_order_with_their_inputs_first():
    for site in sites().values():
        for parser in (site.parser, *site.parser.layouts):
            names = [spec.name for spec in parser.fields]
            assert names == [name for name in field_order() if name in names]
            for position, spec in enumerate(parser.fields):
                assert set(spec.inputs) <= set(names[:position]), (parser, spec)
                assert callable(getattr(parser, spec.method))


def test_a_field_the_schema_lacks_or_an_input_read_too_early_is_refused_when_the_class_is_made():
    with pytest.raises(TypeError, match="fields the schema does not have: teaser"):

        class WithTeaser(ArticleParser):
            @field("teaser")
            def teaser(self) -> Iterator:
                yield "site", "x"

    with pytest.raises(TypeError, match="inputs keywords are not declared before it"):

        class HeadlineFromKeywords(ArticleParser):
            @field("headline", inputs=("keywords",))
            def headline(self, keywords) -> Iterator:
                yield "site", "x"


def test_a_plug_in_changes_how_a_field_is_read_never_whether_runs_count_it():
    with pytest.raises(TypeError, match="authors is counted .* declare the field in newscrawl/extract/base.py"):

        class QuietAuthors(ArticleParser):
            @field("authors", coverage=False)
            def authors(self) -> Iterator:
                yield "site", "x"

    with pytest.raises(TypeError, match="inLanguage is counted"):

        class CountedLanguage(ArticleParser):
            @field("inLanguage")
            def language(self) -> Iterator:
                yield "site", "nl"

    class OwnLanguage(ArticleParser):  # a field of its own, read but not counted: allowed
        @field("inLanguage", coverage=False, baseline=False)
        def language(self) -> Iterator:
            yield "site", "fy"

    assert "inLanguage" in [spec.name for spec in OwnLanguage.fields]
    assert "inLanguage" not in coverage_fields()


def test_the_fields_runs_count_are_known_without_importing_a_site_plug_in():
    code = (
        "import sys; from newscrawl.extract.base import coverage_fields, baseline_fields; "
        "from newscrawl.run import health, manifest; from newscrawl.tools import dataset; "
        "assert coverage_fields() and baseline_fields(); "
        "print(sorted(m for m in sys.modules if m.startswith('newscrawl.sites.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_site_overrides_a_field_by_its_method_name_and_keeps_its_declaration():
    class Shouting(ArticleParser):
        layout = "shouting"

        def headline(self) -> Iterator:
            for source, value in super().headline():
                yield source, value.upper() if isinstance(value, str) else value

    assert declared_fields(Shouting) == declared_fields(ArticleParser)
    response = fixture_response("nu", page_url("nu", "article_6400101_zwembad"))
    item = Shouting(response, site_named("nu")).parse()
    assert item["headline"] == item["headline"].upper() and item["metadata"]["parser"] == "nu/shouting"


def test_the_item_class_the_coverage_lists_and_the_export_columns_follow_the_schema():
    properties = article_schema()["properties"]
    assert list(ArticleItem.fields) == list(properties)
    # Coverage: what the parsers declare (the crawl facts url, site … are not counted).
    assert coverage_fields() == tuple(spec.name for spec in ArticleParser.fields if spec.coverage)
    assert {"headline", "articleBody", "authors", "datePublished", "dateModified", "mainImage"} <= set(
        coverage_fields()
    )
    assert not {"url", "canonicalUrl", "site", "articleId", "relatedUrls"} & set(coverage_fields())
    assert "dateModified" not in baseline_fields() and "relatedUrls" in baseline_fields()
    schema = arrow_schema()
    metadata = list(properties["metadata"]["properties"])
    assert set(schema.names) == (set(properties) - {"metadata"}) | set(metadata) | {"publishedDate"}
    assert schema.names.index("publishedDate") == schema.names.index("datePublished") + 1
    for name in ("datePublished", "dateModified", "dateDownloaded"):
        assert str(schema.field(name).type) == "timestamp[s, tz=Europe/Amsterdam]"
    assert str(schema.field("wordCount").type) == "int32"
    assert str(schema.field("mainImage").type) == "struct<url: string, caption: string, credit: string>"


def wnl_page(name: str, fetched: datetime | None = None, html: str | None = None) -> HtmlResponse:
    """A WNL fixture page, as fetched on another day or with its markup changed."""
    original = fixture_response("wnl", page_url("wnl", name))
    info = RequestInfo(archived_at=fetched or original.meta[META_KEY].archived_at)
    return HtmlResponse(
        original.url,
        body=html.encode() if html is not None else original.body,
        encoding="utf-8",
        request=Request(original.url, meta={META_KEY: info}),
    )


def parser_of(response: HtmlResponse) -> str:
    return WNL.parse_article(response)["metadata"]["parser"]


def test_each_wnl_page_is_read_by_the_layout_its_markup_shows():
    assert WNL.parser is WnlParser and WnlParser.layouts == (WordPressB, WordPressA)
    assert parser_of(wnl_page("post_500101_kerncentrales")) == "wnl/wordpress-a"
    assert parser_of(wnl_page("post_500103_huurwet")) == "wnl/wordpress-b"


def test_a_page_fetched_before_a_layout_existed_is_read_with_the_rules_of_its_day():
    # Layout B dates from 2024: a page archived in 2023 is read as layout A, whatever it shows.
    in_2023 = datetime(2023, 6, 1, 9, tzinfo=UTC)
    assert parser_of(wnl_page("post_500103_huurwet", fetched=in_2023)) == "wnl/wordpress-a"
    assert WordPressB.valid_on(in_2023.date()) is False and WordPressA.valid_on(in_2023.date()) is True


def test_a_page_no_detector_knows_goes_to_the_newest_layout_and_still_gives_its_article():
    page = wnl_page("post_500101_kerncentrales")
    html = page.text
    for name in ("entry-title", "post-header", "entry-footer"):
        html = html.replace(name, "x" + name.replace("-", ""))
    item = WNL.parse_article(wnl_page("post_500101_kerncentrales", html=html))
    expected = WNL.parse_article(page)
    assert item["metadata"]["parser"] == "wnl/wordpress-b"
    assert item["headline"] == expected["headline"] and item["articleBody"] == expected["articleBody"]
    assert item["metadata"]["sources"]["headline"] != "site"


def test_layout_a_reads_the_date_line_layout_b_has_none():
    # The same page (with its date line), once as A, once forced to B: B never looks for one.
    page = wnl_page("post_500102_boeren")
    a = WordPressA(page, WNL).parse()
    b = WordPressB(page, WNL).parse()
    assert a["datePublishedRaw"] == "30 maart 2025 — 08:12"
    assert b["datePublishedRaw"] != a["datePublishedRaw"]


def test_the_h1_decides_between_layouts_before_other_classes_do():
    # A layout B page that also carries a class of layout A's footer (a widget, a plugin) stays B.
    page = wnl_page("post_500103_huurwet")
    html = page.text.replace("</body>", '<div class="entry-footer">Delen</div></body>')
    assert parser_of(wnl_page("post_500103_huurwet", html=html)) == "wnl/wordpress-b"


def test_a_fields_candidates_are_made_once_though_the_agencies_read_them_all_again():
    # The authors field stops at its first candidate; the agencies read every one: the site's
    # byline is read once for both, and the agencies still see the candidates after it.
    made: list[str] = []

    class CountingA(WordPressA):
        def authors(self, body):
            for source, raw in super().authors(body):
                made.append(source)
                yield source, raw

    page = wnl_page("post_500101_kerncentrales")
    item = CountingA(page, WNL).parse()
    expected = WordPressA(page, WNL).parse()
    assert [a["name"] for a in item["authors"]] == [a["name"] for a in expected["authors"]] != []
    assert item["agencies"] == expected["agencies"]
    # Each candidate made once, in the order WnlParser.authors and ArticleParser.authors give them:
    # the layout's byline and the typed one, the credit under the text, "Door …", rel=author,
    # JSON-LD, meta (the agencies went on to the last).
    assert made == ["byline", "typed-byline", "typed-byline", "byline", "rel-author", "json-ld", "meta"]
