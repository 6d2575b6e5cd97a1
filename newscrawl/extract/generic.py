"""Markup-independent readers: what a page says whatever its classes, ids and wrappers are.

The last links of every field's chain (newscrawl/extract/base.py): the page's <title> and <h1>,
"Door …" bylines and ``rel=author``, ``time[datetime]`` and visible Dutch dates near the
headline, breadcrumbs and category links, figures. The generic body is in newscrawl/extract/body.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from lxml import etree

from newscrawl.article.text import INVISIBLE, block_text, normalize_text
from newscrawl.extract.loader import strip_photo_prefix

logger = logging.getLogger(__name__)
# trafilatura logs a WARNING for every page it finds nothing in; the caller reports that itself.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

# Never content, whatever the classes say.
CHROME_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "header",
        "nav",
        "footer",
        "aside",
        "form",
        "button",
        "figure",
        "figcaption",
        "iframe",
        "svg",
        "select",
        "dialog",
    }
)
_STYLE_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
BYLINE = re.compile(r"^door\s*:?\s+\S", re.IGNORECASE)
_SEPARATOR = r"\s+[|\-–—·:]\s+"


def is_hidden(element: etree._Element) -> bool:
    """Hidden by markup (``hidden``, ``aria-hidden``, an inline display:none) here or in an ancestor."""
    node = element
    while node is not None:
        if not isinstance(node.tag, str) or node.tag in ("script", "style", "noscript", "template"):
            return True
        get = node.get
        if get("hidden") is not None or get("aria-hidden") == "true" or _STYLE_HIDDEN.search(get("style") or ""):
            return True
        node = node.getparent()
    return False


def in_chrome(
    element: etree._Element, stop: etree._Element | None = None, allowed: frozenset[str] = frozenset()
) -> bool:
    """Inside a header, nav, footer, aside, form, figure … (below ``stop``, if given; ``allowed`` tags do not count)."""
    node = element
    while node is not None and node is not stop:
        if isinstance(node.tag, str) and node.tag in CHROME_TAGS and node.tag not in allowed:
            return True
        node = node.getparent()
    return False


def visible_text(root: etree._Element) -> str:
    """The page's text a reader sees: hidden elements, scripts and styles left out (an explicit
    stack, not recursion: pages nest deeper than Python's recursion limit)."""
    parts: list[str] = []
    body = root.find(".//body")
    stack: list[etree._Element | str] = [body if body is not None else root]
    while stack:
        element = stack.pop()
        if isinstance(element, str):
            parts.append(element)
            continue
        if element.tail:
            stack.append(element.tail)
        if (
            not isinstance(element.tag, str)
            or element.tag in ("script", "style", "noscript", "template")
            or (
                element.get("hidden") is not None
                or element.get("aria-hidden") == "true"
                or _STYLE_HIDDEN.search(element.get("style") or "")
            )
        ):
            continue
        if element.text:
            parts.append(element.text)
        stack.extend(reversed(element))
    return normalize_text(" ".join(parts))


# --- headline ------------------------------------------------------------------
def title_headline(root: etree._Element, site_title: str) -> str | None:
    """<title> without the site's name and a short section label: "Kop | Binnenland - NU.nl" → "Kop"."""
    title = normalize_text(root.findtext(".//title") or "")
    if not title:
        return None
    name = re.escape(site_title)
    if title.lower() == site_title.lower():
        return None  # only the site's name: a page without a title of its own
    stripped = re.sub(rf"(?:{_SEPARATOR}|\s*[|]\s*){name}$", "", title, flags=re.IGNORECASE)
    if stripped != title:
        # A short label before the site name ("| Binnenland") is the section, not the headline.
        stripped = re.sub(r"\s+\|\s+[^|]{1,30}$", "", stripped)
    return stripped or None


def first_h1(root: etree._Element) -> str | None:
    for h1 in root.iter("h1"):
        if not is_hidden(h1):
            text = block_text(h1)
            if text:
                return text
    return None


# --- authors -------------------------------------------------------------------
_ARTICLE_PARTS = frozenset({"header", "footer"})  # an article's own header and footer hold its byline


_BYLINE_TAGS = ("p", "div", "span", "em", "strong", "address", "small", "li")


def byline_text(scope: etree._Element) -> str | None:
    """A short visible "Door …" line (a byline typed or templated) in the article, not in menus or
    asides; the innermost element that says it (a meta box holds the date line beside it)."""
    allowed = _ARTICLE_PARTS if scope.tag != "html" else frozenset()
    for element in scope.iter(*_BYLINE_TAGS):
        if not _opens_like_byline(element):
            continue  # most elements: their whole text is never built
        text = normalize_text(element.text_content())
        if len(text) < 80 and BYLINE.match(text) and not is_hidden(element) and not in_chrome(element, scope, allowed):
            inner = next(
                (
                    child
                    for child in element.iter(*_BYLINE_TAGS)
                    if child is not element and BYLINE.match(normalize_text(child.text_content()))
                ),
                None,
            )
            return normalize_text((inner if inner is not None else element).text_content())
    return None


def _opens_like_byline(element: etree._Element) -> bool:
    """Whether the element's text opens as a byline does ("Door …"), from its first pieces only:
    an article's container holds all its text, which a byline check need not read."""
    first = (element.text or "").lstrip()
    if first and first[0] not in "dD" and first[0] not in INVISIBLE:
        return False  # its own text opens the head, and not with "door": no piece need be joined
    head = ""
    for piece in element.itertext():
        head += piece
        if len(head) > 64 and len(normalize_text(head)) >= 16:
            break
    return BYLINE.match(normalize_text(head)) is not None


# The attribute first, then its element: libxml2 tests a predicate on every element it walks
# (4-5x slower on a long article) but only the elements that carry an attribute on its axis.
_AUTHOR_MARKED = etree.XPath("(descendant::*/@rel[. = 'author'] | descendant::*/@itemprop[. = 'author'])/..")


def rel_author(scope: etree._Element) -> list[str]:
    names = []
    for element in _AUTHOR_MARKED(scope):
        name = normalize_text(element.text_content())
        if name and len(name) < 80 and not is_hidden(element):
            names.append(name)
    return names


# --- dates ---------------------------------------------------------------------
_MONTHS = r"(?:jan(?:uari)?|feb(?:ruari)?|mrt|maart|apr(?:il)?|mei|jun(?:i)?|jul(?:i)?|aug(?:ustus)?|sep(?:t(?:ember)?)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
VISIBLE_DATE = re.compile(
    rf"\b(?:\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}(?:\s*(?:om|,|—|–|-|\|)?\s*\d{{1,2}}[:.]\d{{2}})?"
    rf"|\d{{1,2}}-\d{{1,2}}-\d{{4}}(?:,?\s+\d{{1,2}}[:.]\d{{2}})?"
    rf"|(?:vandaag|gisteren|eergisteren)(?:\s+om\s+\d{{1,2}}[:.]\d{{2}})?"
    rf"|\d+\s+(?:minuten|minuut|uur|uren)\s+geleden)\b",
    re.IGNORECASE,
)


def first_datetime_attr(scope: etree._Element) -> str | None:
    for element in scope.iter("time"):
        value = (element.get("datetime") or "").strip()
        if value and not in_chrome(element, scope) and not is_hidden(element):
            return value
    return None


_ITEMPROP = etree.XPath("//@itemprop[. = $name]/..")
_MODIFIED = etree.XPath(
    "/descendant::meta[contains(translate(@property, 'MODIFEDUPAT', 'modifedupat'), 'modified')"
    " or contains(translate(@property, 'MODIFEDUPAT', 'modifedupat'), 'updated')"
    " or contains(translate(@name, 'MODIFEDUPAT', 'modifedupat'), 'modified')"
    " or contains(translate(@name, 'MODIFEDUPAT', 'modifedupat'), 'updated')]"
    " | /descendant::*/@itemprop[. = 'dateModified']/.."
)
_COINS = etree.XPath("/descendant::span[contains(concat(' ', normalize-space(@class), ' '), ' Z3988 ')][@title]")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL_DAY = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:[/-]|$)")


def itemprop_date(root: etree._Element, name: str) -> str | None:
    """A microdata date (``itemprop="datePublished"``): its content or datetime attribute, else its text."""
    for element in _ITEMPROP(root, name=name):
        value = (element.get("content") or element.get("datetime") or normalize_text(element.text_content())).strip()
        if value:
            return value
    return None


def url_day(url: str) -> str | None:
    """The day a URL's path names (``/2024/10/06/…``, ``/2024-10-06-…``), as YYYY-MM-DD."""
    match = _URL_DAY.search(url.split("?", 1)[0])
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def coins_date(root: etree._Element) -> str | None:
    """The day of a COinS citation (``<span class="Z3988" title="…&rft.date=2014-05-18…">``, the
    OpenURL metadata blog and library software put beside a post), when it names a whole day."""
    for element in _COINS(root):
        values: list[str] = parse_qs(str(element.get("title") or "")).get("rft.date", [])
        for value in values:
            if _ISO_DAY.match(value.strip()):
                return value.strip()[:10]
    return None


def htmldate_day(root: etree._Element) -> str | None:
    """htmldate's publication day of the page (extensive search, the original rather than the
    last-modified date), or None. Run only when the page's own standards named no date: a copy
    of the page is searched (htmldate cleans the tree it is given), without its modification
    metadata (meta …modified/…updated, itemprop dateModified). htmldate answers the 1st of a month when it
    found only a month or a year (a copyright line, "12/2021"): such an answer is kept only when
    the page names that 1st as a whole day."""
    import copy

    import htmldate  # only needed on this path

    page = copy.deepcopy(root)
    for element in _MODIFIED(page):  # never a modification date for the publication
        element.getparent().remove(element)
    try:
        found = htmldate.find_date(page, extensive_search=True, original_date=True)
    except Exception:  # noqa: BLE001 (a third-party heuristic's failure is no date, never a lost page)
        logger.debug("htmldate failed on a page", exc_info=True)
        return None
    if not isinstance(found, str) or not _ISO_DAY.match(found):
        return None
    if found.endswith("-01") and not names_first_of_month(etree.tostring(page, encoding="unicode"), found):
        return None
    return found


_MONTH_NAMES = (
    ("january", "januar", "janvier", "januari", "enero", "gennaio", "jan"),
    ("february", "februar", "février", "februari", "febrero", "febbraio", "feb", "fév"),
    ("march", "märz", "mars", "maart", "marzo", "mar", "mrt", "mär"),
    ("april", "avril", "abril", "aprile", "apr", "avr"),
    ("may", "mai", "mei", "mayo", "maggio"),
    ("june", "juni", "juin", "junio", "giugno", "jun"),
    ("july", "juli", "juillet", "julio", "luglio", "jul", "juil"),
    ("august", "août", "augustus", "agosto", "aug", "ago"),
    ("september", "septembre", "septiembre", "settembre", "sep", "sept", "set"),
    ("october", "oktober", "octobre", "octubre", "ottobre", "oct", "okt", "ott"),
    ("november", "novembre", "noviembre", "nov"),
    ("december", "dezember", "décembre", "diciembre", "dicembre", "dec", "dez", "déc", "dic"),
)


def names_first_of_month(html: str, day: str) -> bool:
    """Whether ``html`` names ``day`` (the 1st of a month, YYYY-MM-01) as a whole day: in ISO or
    numeric form, or with the month's name in one of the languages a page may use."""
    year, month = day[:4], int(day[5:7])
    names = "|".join(sorted(_MONTH_NAMES[month - 1], key=len, reverse=True))
    mm = f"0?{month}"
    pattern = re.compile(
        rf"(?<!\d){year}[-/.]{mm}[-/.]0?1(?!\d)|(?<!\d){year}{month:02d}01(?!\d)"
        rf"|(?<![\d.])0?1[./-]\s?{mm}[./-]\s?{year}(?!\d)|(?<!\d){mm}/0?1/{year}(?!\d)"
        rf"|(?<!\d)0?1(?:st|er|\.|º)?\s+(?:de\s+)?(?:{names})\.?,?\s+(?:de\s+)?{year}(?!\d)"
        rf"|\b(?:{names})\.?\s+0?1(?:st)?,?\s+{year}(?!\d)",
        re.IGNORECASE,
    )
    return pattern.search(html) is not None


def visible_date_near(headline: etree._Element | None, scope: etree._Element) -> str | None:
    """The first Dutch date in the short text lines after the headline (the date line), within ``scope``."""
    started = headline is None
    seen = 0
    for element in scope.iter():
        if element is headline:
            started = True
            continue
        if not started or not isinstance(element.tag, str) or element.tag in CHROME_TAGS - {"header"}:
            continue
        text = normalize_text(element.text or "")
        if not text:
            continue
        seen += 1
        if seen > 40:
            return None
        match = VISIBLE_DATE.search(text)
        if match and len(text) < 120:
            return normalize_text(match.group(0))
    return None


# --- section, image --------------------------------------------------------------
def breadcrumb_section(objects: Iterable[dict[str, Any]], root: etree._Element) -> str | None:
    """The section from a JSON-LD BreadcrumbList (the item after "home"), else a category link's slug."""
    for obj in objects:
        if obj.get("@type") == "BreadcrumbList" and isinstance(obj.get("itemListElement"), list):
            names = [
                normalize_text(
                    e.get("name") or (e.get("item") or {}).get("name")
                    if isinstance(e.get("item"), dict)
                    else e.get("name")
                )
                for e in obj["itemListElement"]
                if isinstance(e, dict)
            ]
            names = [n for n in names if n]
            if len(names) >= 3:
                return names[1]
    for link in root.xpath("/descendant::a[contains(concat(' ', normalize-space(@rel), ' '), ' category ')][@href]"):
        match = re.search(r"/(?:category|categorie|rubriek|sectie)/([a-z0-9-]+)/?$", link.get("href"))
        if match:
            return match.group(1)
    return None


_PHOTO_LINE = re.compile(
    r"^\s*(?:foto|beeld)\s*:\s*(?P<credit>.+?)(?:\.\s+(?P<caption>.+))?\s*$", re.IGNORECASE | re.DOTALL
)


def split_credit(line: str) -> tuple[str | None, str | None]:
    """(caption, credit) of a caption line: "Foto: ANP. Minister …" or "Minister … Foto: ANP"."""
    text = normalize_text(line)
    match = _PHOTO_LINE.match(text)
    if match:
        caption = normalize_text(match.group("caption")) if match.group("caption") else None
        return caption, normalize_text(match.group("credit")).rstrip(".") or None
    match = re.search(r"\s*\b(?:foto|beeld)\s*:\s*(?P<credit>[^.]+)\.?$", text, re.IGNORECASE)
    if match:
        return normalize_text(text[: match.start()]) or None, normalize_text(match.group("credit")) or None
    return text or None, None


_CREDIT_TAGS = frozenset({"span", "small", "cite", "em", "i"})


def figure_caption(scope: etree._Element) -> tuple[str | None, str | None]:
    """(caption, credit) of the first visible figure with a caption."""
    for figure in scope.iter("figure"):
        if figure.find(".//figcaption") is not None and not is_hidden(figure):
            return figure_caption_of(figure)
    return None, None


def figure_caption_of(figure: etree._Element) -> tuple[str | None, str | None]:
    """(caption, credit) of a figure: "Foto: …" in the text, else a short last element of the
    caption set apart as the credit (``…in Ter Apel<span>ANP</span>``), never glued on."""
    caption = figure.find(".//figcaption")
    if caption is None:
        return None, None
    last = caption[-1] if len(caption) else None
    if last is not None and isinstance(last.tag, str) and last.tag in _CREDIT_TAGS and not (last.tail or "").strip():
        credit = normalize_text(last.text_content())
        # What comes before the credit element (its own text and the earlier children with their tails).
        rest = normalize_text(
            (caption.text or "")
            + "".join(etree.tostring(child, method="text", encoding="unicode") for child in caption[:-1])
        )
        if credit and rest and len(credit) <= 60 and not re.search(r"(?i)\b(?:foto|beeld)\s*:", rest):
            return rest, strip_photo_prefix(credit) or None
    return split_credit(caption.text_content())


# --- the generic body ------------------------------------------------------------
