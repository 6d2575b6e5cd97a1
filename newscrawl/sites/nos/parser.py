"""NOS article pages (a Next.js app; docs/sites/nos.md). No crawling here.

The app's class names (``sc-6d77a1d1-1 eFgHiJ``) are generated per build, so nothing here
selects by class: the article is the <article> in <main>, its body the element of it that holds
the most paragraphs, its section the section link above the headline, its related links the
"Meer over dit onderwerp" list. JSON-LD gives headline, dates and authors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.article.text import block_text, normalize_text
from newscrawl.extract import ArticleParser, Candidate, Chosen, first_h1, live_entries, the_article

_ARTICLE = etree.XPath("//main//article")
_BLOCKS = etree.XPath(
    ".//*[self::p or self::h2 or self::h3 or self::li or self::blockquote]"
    "[not(ancestor::li) and not(ancestor::p) and not(ancestor::blockquote)]"
)
_NEVER_BODY = frozenset({"figure", "figcaption", "header", "nav", "aside", "section", "footer", "button", "script"})
_SECTION_LINK = re.compile(r"^/nieuws/(?P<section>[a-z-]+)$")
_MORE_ABOUT = re.compile(r"^meer over dit onderwerp", re.IGNORECASE)


def _own_prose(box: etree._Element) -> int:
    """Characters of the box's own paragraphs (its <p> children) outside links."""
    total = 0
    for child in box:
        if child.tag == "p":
            text = len(normalize_text(child.xpath("string()")))
            linked = sum(len(normalize_text(a.xpath("string()"))) for a in child.iter("a"))
            total += max(0, text - linked)
    return total


class NosParser(ArticleParser):
    layout = "nextjs"
    default_article_type = "NewsArticle"
    site_rules = frozenset({"headline", "articleBody"})
    lead_markup = False  # NOS prints no lead apart from the text: the page's summary is the description

    def page_type(self) -> str | None:
        # A liveblog is an item of its own type (LiveBlogPosting); a video page holds no text.
        kind = urlsplit(self.response.url).path.split("/")[1]
        return {"liveblog": "liveblog", "video": "video"}.get(kind)

    def live_entries(self) -> tuple[str, list[Any]]:
        """The updates: the run of entries with one <time> each in the <article> (the app's
        classes are generated per build: the structure, not a class, finds them)."""
        if self.article is None:
            return super().live_entries()
        return "site", live_entries(self.article)

    def locate(self) -> None:
        # The article is the one that holds the headline, not the first: a promo or teaser card
        # before it is an <article> too. Among several with an h1, the one with the most text.
        self.article = the_article(_ARTICLE(self.root))

    def headline(self) -> Iterator[Candidate]:
        h1 = self.article.find(".//h1") if self.article is not None else None
        if h1 is not None:
            yield "site", block_text(h1)
        elif self.live:
            # A liveblog's <title> carries its label ("Liveblog: …"): the page's h1 is the headline.
            scope = self.root.find(".//main")
            yield "h1", first_h1(scope if scope is not None else self.root)
        yield from super().headline()

    def body_blocks(self) -> tuple[str, list[str]]:
        """The blocks of the article's text box: the element of the <article> with the most <p>
        children (the app wraps the text in one), without embeds, figures and the topic list."""
        if self.article is None:
            return "site", []
        boxes = [element for element in self.article.iter("div") if not self._outside_text(element)]
        # The text box by what it holds: the most paragraph text that is not link text. A block of
        # teasers has as many <p> (each a link, or a line) but little prose of its own.
        box = max(boxes, key=_own_prose, default=None)
        if box is None or not _own_prose(box):
            return "site", []
        blocks = [
            block_text(element)
            for element in _BLOCKS(box)
            if not self._outside_text(element, box) and not self._in_embed(element, box)
        ]
        return "site", [block for block in blocks if block]

    def _outside_text(self, element: etree._Element, stop: etree._Element | None = None) -> bool:
        node: etree._Element | None = element
        while node is not None and node is not stop and node is not self.article:
            if node.tag in _NEVER_BODY:
                return True
            node = node.getparent()
        return False

    @staticmethod
    def _in_embed(element: etree._Element, box: etree._Element) -> bool:
        node = element.getparent()
        while node is not None and node is not box:
            if node.get("data-embed") is not None:
                return True
            node = node.getparent()
        return False

    def section(self) -> Iterator[Candidate]:
        # The section link above the headline (/nieuws/binnenland), then the standards; never the
        # URL's first segment ("artikel" is the page type, not the section).
        # The link sits beside the headline (in the article's header): look in the h1's parent.
        scope = self.article if self.article is not None else self.root.find(".//main")
        h1 = scope.find(".//h1") if scope is not None else None
        parent = h1.getparent() if h1 is not None else None
        for link in parent.iter("a") if parent is not None else ():
            match = _SECTION_LINK.match(link.get("href") or "")
            if match:
                yield "site", match.group("section")
                break
        section = self.ld.get("articleSection")
        yield "json-ld", section if isinstance(section, str) else None
        yield "meta", self.meta.get("article:section")

    def related_urls(self, body: Chosen) -> Iterator[Candidate]:
        # The topic list by its heading, in the article or (an <article> gone in a redesign) the page.
        scope = self.article if self.article is not None else self.root
        if scope is not None:
            for heading in scope.iter("h2", "h3"):
                if _MORE_ABOUT.match(normalize_text(heading.text_content())):
                    box = heading.getparent()
                    yield "site", [a.get("href") for a in box.iter("a") if a.get("href")] if box is not None else []
                    break
        yield from super().related_urls(body)
