"""What every site parser needs: results, page context, metadata readers, date choice. The RSS and
sitemap readers are in newscrawl/extract/feeds.py.

Nothing here knows a site's markup; the site packages (``sites/<site>/``) do.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from weakref import WeakKeyDictionary

from lxml import etree
from parsel import Selector, SelectorList
from scrapy.http import Response
from scrapy.loader import ItemLoader
from scrapy.selector import Selector as ScrapySelector

from newscrawl.article.dates import AMSTERDAM, normalize_date_or_day, parse_machine_date
from newscrawl.article.text import normalize_text
from newscrawl.extract.requestinfo import Hints, response_info
from newscrawl.extract.urls import article_key, normalize_url

logger = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "AnalysisNewsArticle",
        "BackgroundNewsArticle",
        "OpinionNewsArticle",
        "ReportageNewsArticle",
        "ReviewNewsArticle",
        "LiveBlogPosting",
    }
)


@dataclass(frozen=True)
class Skip:
    """A page that is deliberately not an item (video, section page, consent wall …), with the reason."""

    reason: str
    detail: str = ""


@dataclass
class Link:
    """A discovered article URL and what the discovery page said about it."""

    url: str
    via: str  # rss | sitemap | listing | api | link
    published: str | None = None  # ISO, Amsterdam; a hint for `since`, never a field source
    title: str | None = None
    keywords: list[str] = field(default_factory=list)
    modified: str | None = None  # ISO; a sitemap lastmod or API modified time: "changed since?" hint

    def hints(self) -> Hints:
        return Hints(published=self.published, modified=self.modified, title=self.title, keywords=list(self.keywords))


@dataclass(frozen=True)
class SitemapRef:
    """A child sitemap listed by a sitemap index."""

    url: str
    lastmod: str | None = None  # ISO, Amsterdam


@dataclass(frozen=True)
class PageContext:
    """Facts about the fetch that a parser needs but cannot read from the HTML."""

    discovered_via: str
    downloaded_at: datetime  # when the site served the page (the WARC date in replay)
    reference_time: datetime  # "now" for relative dates: the server's Date header if sane
    hints: Hints
    warnings: tuple[str, ...] = ()  # what the fetch's facts made us disregard (metadata.warnings)


def page_context(response: Response) -> PageContext:
    request = response_info(response)
    downloaded_at = request.archived_at or request.fetched_at or datetime.now(UTC)
    reference = downloaded_at
    warnings: tuple[str, ...] = ()
    date_header = response.headers.get(b"Date")
    if date_header:
        text = date_header.decode("latin-1")
        try:
            served = parsedate_to_datetime(text)
            off = abs((served - downloaded_at).total_seconds()) if served.tzinfo else None
        except (TypeError, ValueError, OverflowError):
            served, off = None, None
        # The server's clock dates "gisteren" and "2 uur geleden" best, unless it is far from ours.
        if served is not None and off is not None and off <= 86400:
            reference = served
        else:
            warnings = (
                f"dateReference: the server's Date header {text[:60]!r} is not within a day of the fetch; relative dates "
                "count from the fetch",
            )
    return PageContext(
        discovered_via=request.via,
        downloaded_at=downloaded_at,
        reference_time=reference,
        hints=request.hints,
        warnings=warnings,
    )


_UTF8_BOM = b"\xef\xbb\xbf"


# Each response's one parsed tree. Keyed weakly: the entry goes with the response, and the
# selector holds no reference back to it (Scrapy's own cache does: a cycle only the garbage
# collector breaks, while each tree holds 1–2 MB of C memory the collector does not count).
_SELECTORS: WeakKeyDictionary[Response, ScrapySelector] = WeakKeyDictionary()


def page_selector(response: Response) -> ScrapySelector:
    """The response's one Selector, built from its bytes when they are UTF-8.

    Scrapy builds a response's Selector from ``response.text``: the body decoded to str, then
    encoded back to bytes for lxml (two copies of the page, 0.3–0.5 ms for 100 KB). UTF-8 bytes
    go to lxml as they are (parsel reads invalid bytes like the text path would); other encodings
    go through the decoded text. Every parser and reader of the project asks here, not
    ``response.xpath``, so a page is parsed once.
    """
    cached = _SELECTORS.get(response)
    if cached is not None:
        return cached
    body = response.body
    if codecs.lookup(getattr(response, "encoding", "utf-8")).name != "utf-8" or body.startswith(_UTF8_BOM):
        selector = ScrapySelector(type="html", text=response.text, base_url=response.url)
    else:
        selector = ScrapySelector(type="html", body=body, encoding="utf-8", base_url=response.url)
    _SELECTORS[response] = selector
    return selector


def release_selector(response: Response) -> None:
    """Let go of the response's parsed tree now (its callback is done with it)."""
    selector = _SELECTORS.pop(response, None)
    if selector is not None:
        _TAGGED.pop(selector, None)


#: the tags the page's readers look for anywhere in the page (meta tags, canonical and shortlink,
#: JSON-LD, the <article>s, the h1s, the title, the body): all found in one walk of the tree
INDEXED_TAGS = ("meta", "link", "script", "article", "h1", "title", "body")
# Each walk of a whole 100 KB page costs a tenth of its parse; these lookups were a walk each.
_TAGGED: WeakKeyDictionary[Selector, dict[str, list[etree._Element]]] = WeakKeyDictionary()


def tagged(sel: Selector | Response, tag: str) -> list[etree._Element]:
    """The page's ``tag`` elements in document order, as ``/descendant::tag`` finds them (``tag``
    is one of INDEXED_TAGS). Whatever part of the page ``sel`` selects, the whole page is searched."""
    selector = page_selector(sel) if isinstance(sel, Response) else sel
    index = _TAGGED.get(selector)
    if index is None:
        index = {name: [] for name in INDEXED_TAGS}
        root = selector.root
        if isinstance(root, etree._Element):
            for element in root.getroottree().getroot().iter(*INDEXED_TAGS):
                index[element.tag].append(element)
        _TAGGED[selector] = index
    return index[tag]


def attribute_values(elements: Iterable[etree._Element], name: str) -> list[str]:
    """The ``name`` attribute of each element that has one (``…/@name``), in their order."""
    return [value for element in elements if (value := element.get(name)) is not None]


def first_attribute(elements: Iterable[etree._Element], name: str) -> str | None:
    """The ``name`` attribute of the first element that has one (``(…/@name)[1]``), else None."""
    return next((value for element in elements if (value := element.get(name)) is not None), None)


def as_selectors(sel: Selector, elements: Iterable[etree._Element]) -> SelectorList[Selector]:
    """``sel``'s selector list of these elements of its page (what ``sel.xpath`` would have given)."""
    return sel.selectorlist_cls(type(sel)(root=element, type="html") for element in elements)


def link_href(sel: Selector | Response, rel: str) -> str | None:
    """The href of the page's first ``<link rel="{rel}" href>`` (``//link[@rel="{rel}"]/@href``)."""
    return first_attribute((e for e in tagged(sel, "link") if e.get("rel") == rel), "href")


def jsonld_texts(sel: Selector | Response) -> list[str]:
    """The text nodes of the page's JSON-LD scripts (``//script[@type="application/ld+json"]/text()``)."""
    return [
        text
        for script in tagged(sel, "script")
        if script.get("type") == "application/ld+json"
        for text in (script.text, *(child.tail for child in script))
        if text
    ]


class PageMeta:
    """The page's <meta> tags by name/property (first non-empty content), read in one pass.

    Built once per page: looking each key up with its own XPath scans the whole document every time.
    """

    def __init__(self, sel: Selector | Response):
        self.index: dict[str, str] = {}
        for element in tagged(sel, "meta"):  # lxml elements: a Selector per tag cost more than the read
            attrib = element.attrib
            content = attrib.get("content", "").strip()
            for key in (attrib.get("name"), attrib.get("property")):
                if key and content and key not in self.index:
                    self.index[key] = content

    def get(self, *keys: str) -> str | None:
        """The first of ``keys`` the page has."""
        for key in keys:
            if key in self.index:
                return self.index[key]
        return None


def canonical_article(response: Response, meta: PageMeta, site: str) -> tuple[str, str] | Skip:
    """(canonical URL, article key): <link rel=canonical>, then og:url, then the final URL,
    normalised (docs/sites/README.md); a Skip when that is not an article URL of ``site``."""
    canonical = normalize_url(
        link_href(response, "canonical") or meta.get("og:url") or response.url,
        response.url,
    )
    key = article_key(canonical or "")
    if canonical is None or key is None or not key.startswith(f"{site}:"):
        return Skip("not_article", f"no article URL ({canonical})")
    return canonical, key


_JSONLD_DEPTH = 8  # lists and @graph levels followed; deeper nesting is not metadata


def _walk_jsonld(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > _JSONLD_DEPTH:
        return
    if isinstance(node, list):
        for child in node:
            yield from _walk_jsonld(child, depth + 1)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk_jsonld(node["@graph"], depth + 1)


def jsonld_objects(sel: Selector | Response) -> list[dict[str, Any]]:
    """All JSON-LD objects on the page, @graph flattened; broken (or absurdly nested) blocks are skipped."""
    objects: list[dict[str, Any]] = []
    for raw in jsonld_texts(sel):
        try:
            objects.extend(_walk_jsonld(json.loads(raw)))
        except (ValueError, RecursionError):
            logger.debug("Ignoring unparseable JSON-LD block")
    return objects


def jsonld_types(obj: dict[str, Any]) -> set[str]:
    """The object's @type names (a string or a list of strings; anything else names nothing)."""
    types = obj.get("@type")
    if isinstance(types, str):
        return {types}
    return {t for t in types if isinstance(t, str)} if isinstance(types, list) else set()


def jsonld_article(objects: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The Article/NewsArticle object of the page, or {}."""
    for obj in objects:
        if jsonld_types(obj) & ARTICLE_TYPES:
            return obj
    return {}


def jsonld_type_names(objects: Iterable[dict[str, Any]]) -> set[str]:
    names: set[str] = set()
    for obj in objects:
        names |= jsonld_types(obj)
    return names


# What consent walls say (DPG's NU.nl, WordPress cookie notices): served instead of an article, never one.
CONSENT_PHRASES = (
    "gebruikt cookies",
    "wij gebruiken cookies",
    "cookies accepteren",
    "toestemming voor cookies",
    "privacy-instellingen",
    "privacy gate",
)


def has_class(name: str) -> str:
    """XPath predicate: the element's class attribute contains the class ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what normalize-space() collapses (XPath 1.0 whitespace)


def has_class_name(element: etree._Element, name: str) -> bool:
    """``has_class(name)`` asked of one element in Python (``name`` holds no space)."""
    return name in _XML_SPACE.split(element.get("class") or "")


def inside_test(
    classes: Iterable[str], tags: Iterable[str] = (), ids: Iterable[str] = ()
) -> Callable[[etree._Element], bool]:
    """A test "is this element, or one of its ancestors, one of these containers?".

    Set lookups while walking up in Python: the same test as an XPath ``ancestor-or-self::*[…]``
    with a dozen class predicates, run for every block, cost more than the rest of an extraction.
    """
    class_set, tag_set, id_set = frozenset(classes), frozenset(tags), frozenset(ids)

    def inside(element: etree._Element) -> bool:
        node = element
        while node is not None:
            if node.tag in tag_set or (id_set and node.get("id") in id_set):
                return True
            classes_here = node.get("class")
            if classes_here and not class_set.isdisjoint(classes_here.split()):
                return True
            node = node.getparent()
        return False

    return inside


@dataclass(frozen=True)
class ChosenDate:
    iso: str
    raw: str
    source: str  # json-ld | meta | visible | feed (metadata.datePublishedSource)
    detail: str = ""  # the candidate's own name ("visible:time"), for metadata.sources
    machine: bool = True  # the winning value was a machine date (ISO, RFC 822), not a wall time read from text


# No news article of these sites is older; a date before it is a placeholder (1970, 0001) or a typo.
EARLIEST_PUBLICATION = datetime(1990, 1, 1, tzinfo=AMSTERDAM)


def implausible(iso: str, fetched: datetime) -> str | None:
    """Why a publication or modification date cannot be true: before 1990, or more than a day
    after the page was fetched (time zones and clock skew stay within a day)."""
    when = datetime.fromisoformat(iso) if len(iso) > 10 else datetime.fromisoformat(iso).replace(tzinfo=AMSTERDAM)
    if when < EARLIEST_PUBLICATION:
        return "before 1990"
    if when > fetched + timedelta(days=1):
        return "more than a day after the fetch"
    return None


def choose_date(
    candidates: Iterable[tuple[str, Any]],
    reference: datetime,
    visible_raw: str | None,
    fetched: datetime | None = None,
    rejected: list[str] | None = None,
) -> ChosenDate | None:
    """The first candidate (source, raw) that parses (and, given ``fetched``, is plausible) wins;
    precedence is the caller's order. An implausible one is said in ``rejected`` and passed over.

    The raw string kept in the item is what the page shows when it shows a date,
    otherwise the raw value of the source that was used.
    """
    for source, raw in candidates:
        if not raw or not isinstance(raw, str):
            continue
        iso = normalize_date_or_day(raw, reference)
        problem = implausible(iso, fetched) if iso and fetched else None
        if problem:
            if rejected is not None:
                rejected.append(f"{source} {iso} {problem}, not used")
            continue
        if iso:
            return ChosenDate(
                iso=iso,
                raw=normalize_text(visible_raw) or raw.strip(),
                source=source.split(":", 1)[0],
                detail=source,
                machine=parse_machine_date(raw) is not None,
            )
    return None


def add_date(loader: ItemLoader, field_name: str, chosen: ChosenDate | None) -> None:
    """``datePublished``/``dateModified`` and their ``…Raw`` twin, when a date was found."""
    if chosen:
        loader.add_value(field_name, chosen.iso)
        loader.add_value(f"{field_name}Raw", chosen.raw)
