"""WNL post pages (WordPress + Yoast; docs/sites/wnl.md). No crawling here.

Two article layouts occur in one crawl, each a class: A (``wordpress-a``, since 2023: hero
caption, date line, "Door:" byline in the entry footer) and B (``wordpress-b``, the 2024
redesign: tools bar, author under the headline, no visible date). What the theme does in both
(the post's content blocks, "Lees ook", categories, the post id) is :class:`WnlParser`'s.
Boilerplate is stripped by container class wherever it sits: a missing ``</div>`` makes lxml
nest the footer, CTA, promos and teasers *inside* ``.entry-content``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cached_property
from typing import Any

from lxml import etree
from parsel import Selector, SelectorList

from newscrawl.article.text import block_text, normalize_text
from newscrawl.extract import (
    ArticleParser,
    Candidate,
    Chosen,
    ChosenDate,
    as_selectors,
    attribute_values,
    first_attribute,
    generic_of,
    has_class,
    inside_test,
    link_href,
    split_credit,
    tagged,
)

# Never body, wherever lxml puts them.
_BOILERPLATE_CLASSES = (
    "entry-footer",
    "post-author",
    "membership-cta",
    "promo-block",
    "related-posts",
    "support-block",
    "content-row",
    "article-tools",
    "share-menu",
    "post-header",
    "teaser",
    "hero-teaser",
    "footer",
    "wp-block-embed",
    "sharedaddy",
    "jp-relatedposts",
)
_BOILERPLATE_TEST = " or ".join(has_class(c) for c in _BOILERPLATE_CLASSES) + " or @id='cookie-notice'"
_in_boilerplate = inside_test(
    _BOILERPLATE_CLASSES, tags=("figure", "figcaption", "aside", "footer", "nav", "script"), ids=("cookie-notice",)
)
# A block is a p, a heading or a list item; a p inside a li belongs to the li.
_BLOCKS = etree.XPath(
    ".//*[self::p or self::h2 or self::h3 or self::h4 or self::li][not(ancestor::li) and not(ancestor::p)]"
)
_LINKS = etree.XPath(".//a[@href]")
_CLASSES = etree.XPath("//@class")
_LEES_OOK = re.compile(r"^lees ook\b", re.IGNORECASE)
_BYLINE = re.compile(r"^door\s*:?\s+\S", re.IGNORECASE)
_POST_ID_CLASS = re.compile(r"\bpostid-(\d+)\b")
_TITLE_SUFFIX = re.compile(r"\s+[-–|]\s+WNL$")


class WnlParser(ArticleParser):
    """The theme's rules for both layouts; ``layouts`` (below) says which layout reads a page."""

    layout = "wordpress"
    default_article_type = "Article"  # what WordPress/Yoast declares for every post
    lead_markup = True  # the lead is marked up apart from the text: a page without one has none
    site_rules = frozenset({"headline", "articleBody"})
    boilerplate_xpath = f"//*[{_BOILERPLATE_TEST}]"

    def locate(self) -> None:
        sel = self.sel
        found = the_post(tagged(sel, "article"))
        post = as_selectors(sel, [found] if found is not None else [])
        # Class queries test every element they are given: look inside the post first (the page's
        # chrome is most of it), the whole page only when the post does not hold the element.
        # A theme that forgets a </div> leaves the rest of the page inside the post, so try the
        # post's own children (where the theme puts header and content) before any deeper search.
        content = (post.xpath(f"./*[{has_class('entry-content')}]") or post.css(".entry-content") if post else [])[
            :1
        ] or sel.css(".entry-content")[:1]
        self.post = post
        self.header: Any = (post.xpath(f"./*[{has_class('post-header')}]") if post else [])[:1] or post or sel
        self.content = content[0].root if content else None
        self.blocks, self.lees_ook, self.typed_byline = (
            _content_blocks(self.content) if self.content is not None else ([], [], None)
        )

    def article_id(self) -> Iterator[Candidate]:
        """The WordPress post id (shortlink, ``postid-N`` body class, ``article#post-N``), else the URL's path."""
        sel = self.sel
        match = re.search(r"[?&]p=(\d+)", link_href(sel, "shortlink") or "")
        yield "shortlink", match.group(1) if match else None
        match = _POST_ID_CLASS.search(first_attribute(tagged(sel, "body"), "class") or "")
        yield "body-class", match.group(1) if match else None
        # locate() found the post: the first article#post-…, else (none has such an id) another.
        post_id = self.post[0].attrib.get("id", "") if self.post else ""
        number = post_id.split("-", 1)[1] if post_id.startswith("post-") else ""
        yield "article-id", number if number.isdigit() else None
        yield from super().article_id()

    #: the layout's h1 and byline
    headline_xpath = (
        "string(/descendant::h1[contains(@class, 'entry-title') or contains(@class, 'single-article__title')])"
    )
    byline_xpath = (
        "string((/descendant::footer[contains(@class, 'entry-footer')]/descendant::p[contains(@class, 'post-author')]"
        " | /descendant::*/@class[contains(., 'single-article__author')]/..)[1])"
    )

    #: the class of this layout's h1, and classes only this layout's pages carry (its detector)
    headline_mark: str = ""
    marks: tuple[str, ...] = ()

    @classmethod
    def detect(cls, sel: Selector) -> bool:
        # The h1 says it first (a look at the h1s only: a query of every element's class costs
        # as much as a third of the page's parse); else any element whose class contains one of
        # the layout's names, as loose as its selectors.
        h1 = " ".join(attribute_values(tagged(sel, "h1"), "class"))
        headline_marks = [getattr(layout, "headline_mark", "") for layout in WnlParser.layouts]
        if any(mark and mark in h1 for mark in headline_marks):
            return bool(cls.headline_mark) and cls.headline_mark in h1
        classes = " ".join(_CLASSES(sel.root))
        return any(mark in classes for mark in cls.marks)

    def headline(self) -> Iterator[Candidate]:
        # The layout's h1, then og:title without " - WNL". Yoast's JSON-LD headline is cut at 110
        # characters, so it is never used.
        yield "site", self.sel.xpath(self.headline_xpath).get()
        yield "og:title", _TITLE_SUFFIX.sub("", self.meta.get("og:title") or "")
        yield from list(self.visible_headline())[1:]  # <title>, the page's <h1>

    def description(self) -> Iterator[Candidate]:
        return iter(())  # WordPress has no lead: og:description is the first paragraph, not a lead

    def body_blocks(self) -> tuple[str, list[str]]:
        return ("site" if self.post else "site:outside-article"), self.blocks

    def authors(self, body: Chosen) -> Iterator[Candidate]:
        yield "byline", self.sel.xpath(self.byline_xpath).get()
        yield "typed-byline", self.typed_byline  # "Door: …" as the post's last paragraph
        yield from super().authors(body)  # a typed byline the generic body found, a "Door …" line, JSON-LD, meta

    @cached_property
    def _date_line(self) -> SelectorList[Selector]:
        found: SelectorList[Selector] = self.header.css("time.post-header__date")[:1]
        return found

    def visible_date_attr(self) -> str | None:
        return self._date_line.attrib.get("datetime") if self._date_line else None

    def visible_date(self) -> str:
        return normalize_text(self._date_line.xpath("string()").get()) if self._date_line else ""

    def date_published(self) -> ChosenDate | None:
        chosen = super().date_published()
        if chosen:
            return chosen
        # Layout B shows no date; without metadata only the URL's day is known. Never invent a time.
        url_day = "-".join(self.key.split(":", 1)[1].split("/")[:3])
        return ChosenDate(iso=url_day, raw=url_day, source="url")

    def visible_modified(self) -> str:
        return normalize_text(self.header.css(".post-header__updated").xpath("string()").get()).lstrip("| ").strip()

    def section(self) -> Iterator[Candidate]:
        categories = re.findall(r"\bcategory-([a-z0-9-]+)\b", self.post[0].attrib.get("class", "")) if self.post else []
        yield "site", categories[:1]
        yield from super().section()

    def keywords(self) -> Iterator[Candidate]:
        tags = (meta for meta in tagged(self.sel, "meta") if meta.get("property") == "article:tag")
        yield "meta", attribute_values(tags, "content")
        yield "json-ld", self.ld.get("keywords") if isinstance(self.ld.get("keywords"), (str, list)) else None

    def image_caption(self) -> tuple[str | None, str | None]:
        line = self.header.css("figcaption.post-header__caption").xpath("string()").get()
        return split_credit(line) if line else (None, None)

    def related_urls(self, body: Chosen) -> Iterator[Candidate]:
        if self.content is not None and generic_of(body) is None:
            yield "site", [a.get("href") for a in _LINKS(self.content) if not _in_boilerplate(a)] + self.lees_ook
        yield from super().related_urls(body)


class WordPressA(WnlParser):
    """Layout A (since 2023): ``h1.entry-title`` in a ``.post-header`` with the date line and
    the hero's caption; the byline in the ``.entry-footer``."""

    layout = "wordpress-a"
    layouts = ()
    valid_from = date(2023, 1, 1)
    headline_xpath = "string(/descendant::h1[contains(@class, 'entry-title')])"
    byline_xpath = (
        "string(/descendant::footer[contains(@class, 'entry-footer')]/descendant::p[contains(@class, 'post-author')])"
    )

    headline_mark = "entry-title"
    marks = ("entry-title", "post-header", "entry-footer")


class WordPressB(WnlParser):
    """Layout B (the 2024 redesign): ``h1.single-article__title``, the author under it, an
    ``.article-tools`` bar, and no date on the page: no date line, caption or update line to read."""

    layout = "wordpress-b"
    layouts = ()
    valid_from = date(2024, 1, 1)
    headline_xpath = "string(/descendant::h1[contains(@class, 'single-article__title')])"
    byline_xpath = "string((/descendant::*/@class[contains(., 'single-article__author')]/..)[1])"

    headline_mark = "single-article__title"
    marks = ("single-article__title", "single-article__author", "article-tools")

    def visible_date_attr(self) -> str | None:
        return None

    def visible_date(self) -> str:
        return ""

    def visible_modified(self) -> str:
        return ""

    def image_caption(self) -> tuple[str | None, str | None]:
        return None, None


WnlParser.layouts = (WordPressB, WordPressA)


def the_post(articles: list[etree._Element]) -> etree._Element | None:
    """The first ``article#post-…``, else the first <article>, else None."""
    return next((a for a in articles if a.get("id", "").startswith("post-")), articles[0] if articles else None)


def _only_a_link(block: etree._Element) -> bool:
    """A paragraph that is one link and nothing else (the titles under "Lees ook:")."""
    links = block.xpath(".//a[@href]")
    return len(links) == 1 and normalize_text(links[0].text_content()) == normalize_text(block.text_content())


def _content_blocks(content: etree._Element) -> tuple[list[str], list[str], str | None]:
    """(body blocks, "Lees ook" hrefs, editor-typed byline) of ``.entry-content``."""
    blocks: list[tuple[etree._Element, str]] = []
    for element in _BLOCKS(content):
        if _in_boilerplate(element):
            continue
        text = block_text(element)
        if text:
            blocks.append((element, text))

    body: list[str] = []
    lees_ook: list[str] = []
    in_lees_ook = False
    for element, text in blocks:
        if _LEES_OOK.match(text):
            # "<p><strong>Lees ook:</strong></p>" + link paragraphs, or "Lees ook: <a>…</a>" in one.
            in_lees_ook = True
            lees_ook.extend(element.xpath(".//a/@href"))
            continue
        if in_lees_ook and element.tag == "p" and _only_a_link(element):
            lees_ook.extend(element.xpath(".//a/@href"))
            continue
        in_lees_ook = False
        body.append(text)

    byline = None
    # Older posts end with "<p><em>Door: Vick ten Wolde</em></p>": the byline, not body.
    if body and _BYLINE.match(body[-1]) and len(body[-1]) < 100:
        byline = body.pop()
    return body, lees_ook, byline
