"""NU.nl article pages (the DPG design in use since 2023; docs/sites/nu.md). No crawling here.

The DPG block classes (``.textblock.paragraph`` …) give the body; meta tags and JSON-LD give
the facts; the generic extractor fills the body when those classes find nothing (a redesign).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.article.text import block_text, join_blocks, normalize_text
from newscrawl.extract import (
    ArticleParser,
    Candidate,
    Chosen,
    as_selectors,
    first_attribute,
    generic_of,
    has_class,
    has_class_name,
    inside_test,
    jsonld_type_names,
    strip_photo_prefix,
    tagged,
)

# Containers whose text is never body, wherever they sit.
_BOILERPLATE_CLASSES = (
    "linkblock",
    "excerpt",
    "imageblock",
    "audioblock",
    "videoblock",
    "podcast-promo",
    "dpg-banner",
    "nujij-teaser",
    "article__meta",
    "article__share",
    "consent-fallback",
    "footer",
    "timeline",
)
_BOILERPLATE_TEST = " or ".join(has_class(c) for c in _BOILERPLATE_CLASSES)
_in_boilerplate = inside_test(_BOILERPLATE_CLASSES, tags=("figure", "figcaption", "aside"))
# Compiled once: lxml would otherwise compile each expression string on every call.
_BODY_BLOCKS = etree.XPath(f".//*[{has_class('textblock')} and ({has_class('paragraph')} or {has_class('subheader')})]")
_INNER_BLOCKS = etree.XPath(".//p | .//li | .//h2 | .//h3 | .//h4")
_TIMELINE_ENTRIES = etree.XPath(f"/descendant::ol[{has_class('timeline')}]/li")
_HEADLINE_TEXT = etree.XPath(f"descendant-or-self::*[{has_class('headline__text')}]")
_LABEL_TEXT = etree.XPath(f"descendant::*[{has_class('headline__label')}]/text()", smart_strings=False)
_ROLE_BLOCKS = etree.XPath("descendant::*/@data-text-role[. = 'ARTICLE_BODY' or . = 'ARTICLE_SUBHEADER']/..")


class NuParser(ArticleParser):
    layout = "dpg-2024"
    default_article_type = "NewsArticle"
    lead_markup = True  # the lead is marked up apart from the text: a page without one has none
    site_rules = frozenset({"headline", "articleBody"})
    # What the generic extractor must not see while these classes exist.
    boilerplate_xpath = f"//*[{_BOILERPLATE_TEST} or {has_class('skip-link')}]"

    def page_type(self) -> str | None:
        response = self.response
        declared = (first_attribute(tagged(response, "body"), "data-page-type") or "").strip().lower()
        types = jsonld_type_names(self.jsonld)
        path = urlsplit(response.url).path
        # A VideoObject beside an article is an embedded video, not a video page.
        if (
            declared == "video"
            or path.startswith("/video/")
            or ("VideoObject" in types and not self.ld and self.meta.get("og:type") != "article")
            or self.meta.get("og:type") == "video.other"
        ):
            return "video"
        h1s, titles = tagged(response, "h1"), tagged(response, "title")
        label = normalize_text(headline_label(h1s)).upper()
        # Without the label's class (a redesign): the headline or the title that opens with "LIVE".
        shown = normalize_text(h1s[0].text_content() if h1s else "")
        title = normalize_text((titles[0].text if titles else "") or "")
        opens_live = shown.startswith("LIVE ") or title.startswith(("LIVE |", "LIVE:", "LIVE "))
        if declared == "liveblog" or "LiveBlogPosting" in types or label == "LIVE" or opens_live:
            return "liveblog"
        if declared in ("frontpage", "section", "error"):
            return "not_article"
        return None

    def locate(self) -> None:
        # A class query tests every element it is given, and the chrome around <article> (menus,
        # scripts, teasers) is most of a page: look up <article> and its two boxes once, query inside.
        self.article = as_selectors(self.sel, tagged(self.sel, "article")[:1])
        self.scope = self.article or self.sel
        self.meta_box = self.scope.css(".article__meta")
        self.body_box = self.scope.css(".article__body")
        return None

    def headline(self) -> Iterator[Candidate]:
        # The h1 without its series label ("NU praat je bij"), then the standards (an h1 whose
        # classes are gone may still carry the label: the page's h1 comes last).
        h1 = headline_h1(tagged(self.sel, "h1"))
        if h1 is not None:
            text_span = _HEADLINE_TEXT(h1)
            yield "site", block_text(text_span[0]) if text_span else _without_label(h1)
        yield from super().headline()

    def description(self) -> Iterator[Candidate]:
        excerpt = (self.body_box.css(".textblock.excerpt") or self.scope.css("[data-text-role=ARTICLE_EXCERPT]"))[:1]
        if excerpt:
            inner = _INNER_BLOCKS(excerpt[0].root) or [excerpt[0].root]
            yield "site", join_blocks(block_text(p) for p in inner)
        yield from super().description()

    def body_blocks(self) -> tuple[str, list[str]]:
        """Paragraph and subheader blocks in page order; a RESTRICTED_HTML div holds several p/li.

        Blocks are looked for in the whole <article>, not only .article__body: a stray </div> in
        malformed pages closes .article__body early and strands the rest.
        """
        container = self.article[0].root if self.article else self.sel.root
        blocks: list[str] = []
        # The blocks' classes, else their text roles (the app's data attributes outlive a CSS redesign).
        rule, elements = "site", _BODY_BLOCKS(container)
        if not elements:
            rule, elements = "site:data-role", _ROLE_BLOCKS(container)
        if not self.article:
            rule += ":outside-article"
        for element in elements:
            if _in_boilerplate(element):
                continue
            inner = _INNER_BLOCKS(element) if element.tag == "div" else []
            for block in inner or [element]:
                blocks.append(block_text(block))
        return rule, [b for b in blocks if b]

    def authors(self, body: Chosen) -> Iterator[Candidate]:
        byline = (self.meta_box.css(".author") or self.scope.css("[data-text-role=ARTICLE_AUTHOR]"))[:1]
        if byline:
            yield "site", block_text(byline[0].root)
        yield from super().authors(body)

    def visible_date_attr(self) -> str | None:
        return (
            (self.meta_box.css(".datetime time") or self.scope.css("[data-text-role=ARTICLE_DATETIME] time"))
            .xpath("@datetime")
            .get()
        )

    def visible_date(self) -> str:
        return normalize_text(
            (
                self.meta_box.css(".datetime time::text")
                or self.scope.css("[data-text-role=ARTICLE_DATETIME] time::text")
            ).get()
        )

    def visible_modified(self) -> str:
        return normalize_text(self.meta_box.css(".datetime__updated::text").get())

    def section(self) -> Iterator[Candidate]:
        yield "url", urlsplit(self.canonical).path.split("/")[1]  # the section slug of the canonical URL

    def live_entries(self) -> tuple[str, list[Any]]:
        """A live blog's updates: the entries of its ``ol.timeline`` (their text uses the article's
        paragraph classes too); else the markup-independent rule."""
        found = _TIMELINE_ENTRIES(self.root)
        return ("site", found) if found else super().live_entries()

    def image_caption(self) -> tuple[str | None, str | None]:
        figure = (self.body_box.css("figure.article__image") or self.scope.css("figure.imageblock"))[:1]
        if not figure:
            return None, None
        caption = normalize_text(figure.css(".caption").xpath("string()").get())
        credit = normalize_text(strip_photo_prefix(figure.css(".copyright").xpath("string()").get() or ""))
        return caption, credit

    def related_urls(self, body: Chosen) -> Iterator[Candidate]:
        if generic_of(body) is None:
            yield (
                "site",
                self.body_box.css(".textblock a::attr(href), .linkblock a::attr(href)").getall() or self._role_links(),
            )
        yield from super().related_urls(body)

    def _role_links(self) -> list[str]:
        """Links in the text-role blocks and in the link blocks among them (classes renamed)."""
        container = self.article[0].root if self.article else self.sel.root
        blocks = _ROLE_BLOCKS(container)
        box = blocks[0].getparent() if blocks else None
        return [a.get("href") for a in box.iter("a") if a.get("href")] if box is not None else []


def headline_h1(h1s: list[etree._Element]) -> etree._Element | None:
    """The first ``h1.headline``."""
    return next((h1 for h1 in h1s if has_class_name(h1, "headline")), None)


def headline_label(h1s: list[etree._Element]) -> str | None:
    """The first text of a ``.headline__label`` inside an h1 (``//h1//*[…headline__label…]/text()``):
    the first h1 with a label holds the page's first label, as an h1 nested in it comes after it."""
    return next((found[0] for h1 in h1s if (found := _LABEL_TEXT(h1))), None)


def _without_label(h1: etree._Element) -> str:
    label_text = "".join(h1.xpath(f".//*[{has_class('headline__label')}]//text()"))
    text = block_text(h1)
    label = normalize_text(label_text)
    return normalize_text(text[len(label) :]) if label and text.startswith(label) else text
