"""The generic body: the article's text found without the site's classes.

The densest block container of the page (the element whose own paragraphs hold the most text), or
trafilatura where the two agree, cleaned the way the site selectors are: no repeated headline or
lead, no "Lees ook" pointers or link lists, no typed bylines, photo credits or captions. The last
link of articleBody's chain (newscrawl/extract/base.py); the page's other readers are in
newscrawl/extract/generic.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from newscrawl.article.text import BOILERPLATE_PHRASES, block_text, normalize_lines, normalize_text
from newscrawl.extract.agencies import is_credit_line
from newscrawl.extract.generic import BYLINE, CHROME_TAGS, VISIBLE_DATE, in_chrome, is_hidden

_BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "li", "blockquote", "pre"})
_CONTAINER_CHILDREN = frozenset({"p", "h2", "h3", "h4", "ul", "ol", "blockquote", "pre"})
# Dutch markers of a block that points elsewhere: "Lees ook: …", "Bekijk ook", "Meer over dit onderwerp".
_POINTER = re.compile(
    r"^(?:lees\s+(?:ook|meer|verder|hier)|bekijk\s+(?:ook|hier|de\s+video)|meer\s+over\b|ook\s+interessant|kijk\s+ook|luister\s+ook)\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(r"^(?:foto|beeld|fotograaf|bron\s+foto)\s*:", re.IGNORECASE)


@dataclass
class GenericBody:
    blocks: list[str]
    extractor: str  # "generic" (densest container) | "trafilatura"
    links: list[str] = field(default_factory=list)  # hrefs inside the body's container (and its pointer blocks)
    byline: str | None = None  # a typed "Door: …" or credit ("Bron: ANP") line taken out of the body


def _link_text_share(element: etree._Element, text: str) -> float:
    linked = sum(len(normalize_text("".join(a.itertext()))) for a in element.iter("a"))
    return linked / max(len(text), 1)


def densest_container(root: etree._Element) -> etree._Element | None:
    """The element whose own paragraph children hold the most text that is not links: the body's box."""
    best, best_score = None, 0
    body = root.find(".//body")
    for element in (body if body is not None else root).iter():
        if not isinstance(element.tag, str) or element.tag in CHROME_TAGS or element.tag in _BLOCK_TAGS:
            continue
        score = 0
        for child in element:
            if isinstance(child.tag, str) and child.tag in _CONTAINER_CHILDREN:
                text = normalize_text(child.text_content())
                if text and _link_text_share(child, text) < 0.5:
                    score += len(text)
        if score > best_score and not is_hidden(element) and not in_chrome(element):
            best, best_score = element, score
    return best if best_score >= 80 else None


_HEADINGS = frozenset({"h2", "h3", "h4", "head"})


def container_blocks(container: etree._Element) -> list[tuple[etree._Element, str]]:
    """The container's paragraphs, subheads, list items and quotes in page order; chrome, hidden
    parts and teasers (an <article> inside the body, a heading that is only a link) left out."""
    blocks = []
    for element in container.iter(*_BLOCK_TAGS):
        parent = element.getparent()
        skip = False
        while parent is not None and parent is not container:
            if (parent.tag in _BLOCK_TAGS and parent.tag != "blockquote") or parent.tag == "article":
                skip = True
                break
            parent = parent.getparent()
        if skip or in_chrome(element, container) or is_hidden(element):
            continue
        text = block_text(element)
        if text and not (element.tag in _HEADINGS and _only_links(element, text)):
            blocks.append((element, text))
    return blocks


def _only_links(element: etree._Element | None, text: str) -> bool:
    if element is None:
        return False
    links = element.xpath(".//a[@href]")
    return bool(links) and normalize_text("".join("".join(a.itertext()) for a in links)) == normalize_text(text)


def clean_blocks(
    blocks: list[tuple[etree._Element | None, str]], headline: str | None, lead: str | None
) -> tuple[list[str], list[str], str | None]:
    """What the site selectors also leave out: (body, "Lees ook" hrefs, typed byline).

    Leading blocks that repeat the headline or the lead go; a "Lees ook"-style block and the
    link-only blocks after it are links, not text; photo credits and chrome phrases go; a short
    "Door: …" as the first or last block is the byline.
    """
    repeats = {normalize_text(t).lower() for t in (headline, lead) if t}
    title = normalize_text(headline).lower() if headline else None
    body: list[tuple[etree._Element | None, str]] = []
    byline = None
    pointers: list[str] = []
    in_pointer = False
    for element, text in blocks:
        lowered = text.lower()
        if not body and (lowered in repeats or (title and title in lowered and len(lowered) < len(title) + 100)):
            continue  # the headline (with its label, byline or date line run into it) or the lead, again
        if len(body) < 3 and len(text) < 100 and BYLINE.match(text) and byline is None:
            byline = text  # a byline between the headline and the text
            continue
        if len(text) < 80 and len(text.split()) <= 10 and VISIBLE_DATE.search(text):
            continue  # a date line ("Bijgewerkt 1 apr 2025 om 08:45", "Lotte Bakker · 28 mrt 2025")
        if _POINTER.match(text) and len(text) < 200:
            in_pointer = True
            if element is not None:
                pointers.extend(element.xpath(".//a/@href"))
            continue
        if in_pointer and (
            _only_links(element, text) or (element is None and len(text) < 120 and not text.endswith("."))
        ):
            if element is not None:
                pointers.extend(element.xpath(".//a/@href"))
            continue
        in_pointer = False
        if _CREDIT.match(text) or (len(text) < 200 and any(phrase in text for phrase in BOILERPLATE_PHRASES)):
            continue
        body.append((element, text))
    if (
        body
        and byline is None
        and len(body[-1][1]) < 100
        and (BYLINE.match(body[-1][1]) or is_credit_line(body[-1][1]))
    ):
        byline = body.pop()[1]  # the editor's "Door: …" under the text, or a credit line ("Bron: ANP")
    # A body does not end in a subhead: trailing headings belong to what follows it (a promo, teasers).
    while body and body[-1][0] is not None and body[-1][0].tag in _HEADINGS:
        body.pop()
    return [text for _, text in body], pointers, byline


def _in_teaser(element: etree._Element, container: etree._Element) -> bool:
    """Inside an <article> within the body's box: a teaser of another article."""
    node = element.getparent()
    while node is not None and node is not container:
        if node.tag == "article":
            return True
        node = node.getparent()
    return False


def structural_body(container: etree._Element | None, headline: str | None, lead: str | None) -> GenericBody | None:
    if container is None:
        return None
    blocks, pointers, byline = clean_blocks(container_blocks(container), headline, lead)
    if not has_prose(blocks):
        return None
    links = [
        a.get("href")
        for a in container.iter("a")
        if a.get("href") and not in_chrome(a, container) and not _in_teaser(a, container)
    ]
    return GenericBody(blocks, "generic", links + pointers, byline)


# Measured on real pages of 300 other sites (benchmarks/realworld.py): trafilatura's defaults
# (tables kept, no precision bias, no deduplication), on the whole page, find the most main text.
TRAFILATURA_SETTINGS: dict[str, Any] = {}
MAX_LINK_BLOCK = 80
_HIDDEN_XPATH = (
    "/descendant::*/@hidden/.. | /descendant::*/@aria-hidden[. = 'true']/.."
    " | /descendant::*/@style[contains(translate(., 'DISPLAYNOE: ', 'displaynoe'), 'display:none')]/.."
)


def trafilatura_body(
    root: etree._Element, boilerplate_xpath: str | None, headline: str | None, lead: str | None, **settings: Any
) -> GenericBody | None:
    """trafilatura on a copy of the page without what no reader sees (and the site's known boilerplate), block by block."""
    import copy

    page = copy.deepcopy(root)
    # What no reader sees is never body (a consent layer, a collapsed menu), nor the site's known boilerplate.
    for element in page.xpath(_HIDDEN_XPATH + (f" | {boilerplate_xpath}" if boilerplate_xpath else "")):
        parent = element.getparent()
        if parent is not None:
            element.drop_tree() if hasattr(element, "drop_tree") else parent.remove(element)
    return trafilatura_html_body(etree.tostring(page, encoding="unicode", method="html"), headline, lead, **settings)


def trafilatura_html_body(html: str, headline: str | None, lead: str | None, **settings: Any) -> GenericBody | None:
    import trafilatura  # heavy import, only needed on the fallback path

    xml = trafilatura.extract(
        html, output_format="xml", include_links=True, include_comments=False, **{**TRAFILATURA_SETTINGS, **settings}
    )
    if not xml:
        return None
    try:
        doc = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return None
    main = doc.find(".//main")
    for line_break in doc.iter("lb"):
        line_break.tail = "\n" + (line_break.tail or "")
    for ref in doc.iter("ref"):
        ref.tag = "a"  # trafilatura's links, as HTML links for the cleaning rules
        if ref.get("target"):
            ref.set("href", ref.get("target"))
    blocks: list[tuple[etree._Element | None, str]] = []
    for element in _xml_blocks(main if main is not None else doc):
        text = normalize_lines(" ".join(element.itertext()) if element.tag == "row" else "".join(element.itertext()))
        if text and not _is_link_list(element, text):
            blocks.append((element, text))
    links = [a.get("href") for a in doc.iter("a") if a.get("href")]
    body, pointers, byline = clean_blocks(blocks, headline, lead)
    return GenericBody(body, "trafilatura", links + pointers, byline) if has_prose(body) else None


def _is_link_list(element: etree._Element, text: str) -> bool:
    """A menu entry, a teaser title or a row of menu links run together: not body."""
    if _POINTER.match(text):
        return False
    share = _link_text_share(element, text)
    return len(text) < MAX_LINK_BLOCK and share > 0.8


def has_prose(blocks: list[str]) -> bool:
    """A real sentence (ten words and a full stop) or some length: not a page of menus and labels."""
    return words(blocks) >= 40 or any(len(block.split()) >= 10 and re.search(r"[.!?:;…]", block) for block in blocks)


def _xml_blocks(main: etree._Element) -> Iterator[etree._Element]:
    """trafilatura's blocks in order: paragraphs, headings, each paragraph of a quote, each list
    item, each table row; text that trafilatura left between blocks becomes a block of its own."""
    for child in main:
        if child.tag == "list":
            yield from child.iter("item")
        elif child.tag == "table":
            yield from child.iter("row")
        elif child.tag == "quote" and child.find("p") is not None:
            yield from child.iter("p")
        else:
            yield child
        if child.tail and child.tail.strip():
            loose = etree.Element("p")
            loose.text = child.tail
            yield loose


def generic_body(
    root: etree._Element,
    container: etree._Element | None,
    boilerplate_xpath: str,
    headline: str | None,
    lead: str | None,
) -> GenericBody | None:
    """The generic body of a page whose site selectors found nothing; ``container`` is its densest_container()."""
    return choose_body(
        structural_body(container, headline, lead), trafilatura_body(root, boilerplate_xpath, headline, lead)
    )


def choose_body(structural: GenericBody | None, extracted: GenericBody | None) -> GenericBody | None:
    """trafilatura's blocks, with the links of the densest container when that container holds them.

    Measured on 300 real pages of other sites (benchmarks/realworld.py): trafilatura with its
    defaults on the whole page finds the most main text and, cleaned, leaks the least; the densest
    container alone finds a quarter less and leaks more. But the container is the body's box on a
    news page, and its links are the article's related links (trafilatura keeps only some), so
    they are taken from it when it agrees with trafilatura (holds 80 % of its words). When
    trafilatura finds nothing, the container is the body.
    """
    if extracted is None:
        return structural
    if structural is not None:
        ours = set(" ".join(structural.blocks).lower().split())
        theirs = " ".join(extracted.blocks).lower().split()
        if sum(word in ours for word in theirs) >= 0.8 * max(len(theirs), 1):
            extracted.links = list(dict.fromkeys(structural.links + extracted.links))
            extracted.byline = extracted.byline or structural.byline
    return extracted


def words(blocks: Iterator[str] | list[str]) -> int:
    return sum(len(b.split()) for b in blocks)
