"""ArticleParser: one page in, one ArticleItem (or a Skip) out; one method per field.

The base class owns what every site does the same way: the page's metadata readers, the
canonical URL and identity, the loader, the date precedence, the generic fallback body and the
finishing touches. A site parser overrides the field methods whose markup it knows. Each field
method returns its candidates in order of precedence, the site's own rule first, then the
standards (JSON-LD, meta tags) that no redesign of the CSS touches; the loader keeps the first
one that gives a value.

Inputs are explicit: the response and the typed discovery hints of its request
(:class:`newscrawl.crawlinfo.RequestInfo`). An article's identity comes from the page and its
URL alone, never from how it was found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Any

from parsel import Selector
from scrapy.http import Response

from ..items import ArticleItem
from ..loaders import ArticleLoader, finish_article
from ..text import join_blocks
from ..urls import normalize_url
from .common import (
    ChosenDate,
    PageContext,
    PageMeta,
    Skip,
    add_date,
    canonical_article,
    choose_date,
    fallback_body,
    jsonld_article,
    jsonld_objects,
    no_headline,
    page_context,
)

# (source, raw value): one candidate of a field; the first that gives a value wins.
Candidate = tuple[str, Any]


class ArticleParser:
    #: the layout this parser reads; ``metadata.parser`` says "<site>/<layout>" for every item
    layout: str = ""
    #: ``articleType`` when the page's JSON-LD declares none
    default_article_type: str = "Article"
    #: XPath of the site's chrome, removed before the generic extractor reads the page
    chrome_xpath: str = "//header | //nav | //footer | //aside"

    def __init__(self, response: Response, site):
        self.response = response
        self.site = site
        self.sel: Selector = response.selector

    # --- what the page says, read once ----------------------------------------
    @cached_property
    def meta(self) -> PageMeta:
        return PageMeta(self.response)

    @cached_property
    def jsonld(self) -> list[dict[str, Any]]:
        return jsonld_objects(self.response)

    @cached_property
    def ld(self) -> dict[str, Any]:
        """The page's Article/NewsArticle JSON-LD object, or {}."""
        return jsonld_article(self.jsonld)

    @cached_property
    def context(self) -> PageContext:
        return page_context(self.response)

    @property
    def parser_name(self) -> str:
        return f"{self.site.name}/{self.layout}"

    # --- the skeleton ----------------------------------------------------------
    def parse(self) -> ArticleItem | Skip:
        skip = self.page_type()
        if skip:
            return Skip(skip, self.response.url)
        found = canonical_article(self.response, self.meta, self.site.name)
        if isinstance(found, Skip):
            return found
        self.canonical, self.key = found
        skip = self.locate()
        if skip is not None:
            return skip

        loader = self.loader = ArticleLoader(
            response=self.response,
            selector=self.sel,  # one parse per page: the loader would otherwise parse the HTML again
            site=self.site.name,
            base_url=self.response.url,
            self_key=self.key,
            reference_time=self.context.reference_time,
        )
        loader.add_value("url", self.response.url)
        loader.add_value("canonicalUrl", self.canonical)
        loader.add_value("site", self.site.name)
        loader.add_value("articleId", self.article_id())
        loader.add_value("articleType", self.ld.get("@type") if isinstance(self.ld.get("@type"), str) else None)
        loader.add_value("articleType", self.default_article_type)

        self.add_candidates("headline", self.headline())
        if not loader.get_output_value("headline"):
            return no_headline(self.response)
        self.add_candidates("description", self.description())

        blocks = self.body_blocks()
        body_extractor = "selectors"
        if not blocks:
            fallback = fallback_body(self.sel.root, self.chrome_xpath, loader.get_output_value("headline"))
            if fallback:
                blocks, body_extractor = [fallback], "trafilatura"
        loader.add_value("articleBody", join_blocks(blocks))

        self.add_first_list("authors", self.authors())
        published = self.date_published()
        date_source = self.add_published(published)
        add_date(loader, "dateModified", self.date_modified())
        self.add_candidates("articleSection", self.section())
        self.add_first_list("keywords", self.keywords())
        image = self.image()
        if image:
            loader.add_value("mainImage", image)
        loader.add_value("relatedUrls", list(self.related_urls()))

        return finish_article(
            loader.load_item(),
            downloaded_at=self.context.downloaded_at,
            discovered_via=self.context.discovered_via,
            body_extractor=body_extractor,
            date_published_source=date_source,
            parser=self.parser_name,
        )

    def add_candidates(self, field_name: str, candidates: Iterable[Candidate]) -> None:
        """A single-valued field: every candidate in order; the loader keeps the first with a value."""
        for _source, value in candidates:
            self.loader.add_value(field_name, value)

    def add_first_list(self, field_name: str, candidates: Iterable[Candidate]) -> None:
        """A list field (authors, keywords): the first candidate that gives any value, alone."""
        for _source, value in candidates:
            if not value:
                continue
            self.loader.add_value(field_name, value)
            if self.loader.get_collected_values(field_name):
                return

    def add_published(self, chosen: ChosenDate | None) -> str | None:
        """datePublished and its raw twin; returns the source that gave it."""
        add_date(self.loader, "datePublished", chosen)
        return chosen.source if chosen else None

    # --- page type and scope ------------------------------------------------------
    def page_type(self) -> str | None:
        """'video' / 'liveblog' / 'not_article' for pages that are not items, else None."""
        return None

    def locate(self) -> Skip | None:
        """Find the article's containers before the fields are read; a Skip when there is none."""
        return None

    # --- the fields ------------------------------------------------------------
    def article_id(self) -> str:
        """The site's id of the article: by default the ``id`` group of its canonical URL."""
        return self.key.split(":", 1)[1]

    def headline(self) -> Iterator[Candidate]:
        yield "og:title", self.meta.get("og:title")
        yield "json-ld", self.ld.get("headline")

    def description(self) -> Iterator[Candidate]:
        return iter(())

    def body_blocks(self) -> list[str]:
        """The article's own paragraphs, subheads and list items, in order; [] sends the page to the fallback."""
        return []

    def authors(self) -> Iterator[Candidate]:
        yield "json-ld", jsonld_author_names(self.ld)

    def date_published_candidates(self, visible: str) -> list[Candidate]:
        """Precedence: JSON-LD, the meta tag (UTC), the visible date (its machine form first), the feed."""
        return [
            ("json-ld", self.ld.get("datePublished")),
            ("meta", self.meta.get("article:published_time")),
            ("visible", self.visible_date_attr()),
            ("visible", visible),
            ("feed", self.context.hints.published),
        ]

    def visible_date_attr(self) -> str | None:
        """The ``datetime`` attribute of the page's visible date line."""
        return None

    def visible_date(self) -> str:
        """The publication date as the page shows it (kept as ``datePublishedRaw``)."""
        return ""

    def date_published(self) -> ChosenDate | None:
        visible = self.visible_date()
        return choose_date(self.date_published_candidates(visible), self.context.reference_time, visible)

    def visible_modified(self) -> str:
        return ""

    def date_modified(self) -> ChosenDate | None:
        """JSON-LD, then the meta tag (NU says updated_time, WordPress modified_time), then the visible line."""
        visible = self.visible_modified()
        return choose_date(
            [
                ("json-ld", self.ld.get("dateModified")),
                ("meta", self.meta.get("article:updated_time", "article:modified_time")),
                ("visible", visible),
            ],
            self.context.reference_time,
            visible,
        )

    def section(self) -> Iterator[Candidate]:
        return iter(())

    def keywords(self) -> Iterator[Candidate]:
        yield "meta", self.meta.get("keywords")
        yield "json-ld", self.ld.get("keywords")
        yield "feed", self.context.hints.keywords

    def image(self) -> dict[str, Any] | None:
        """mainImage: og:image with the caption and credit the page shows."""
        url = normalize_url(self.meta.get("og:image"), self.response.url)
        if not url:
            return None
        caption, credit = self.image_caption()
        return {"url": url, "caption": caption, "credit": credit}

    def image_caption(self) -> tuple[str | None, str | None]:
        return None, None

    def related_urls(self) -> Iterable[str]:
        return ()


def jsonld_author_names(ld: dict[str, Any]) -> list[str]:
    authors = ld.get("author") or []
    names = []
    for author in authors if isinstance(authors, list) else [authors]:
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and name:
            names.append(name)
    return names
