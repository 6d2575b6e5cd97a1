"""The article's own images: its figures in page order, each with the largest file the page offers.

What is not an image of the article, by markup any site uses: a picture that links to another
page (the thumbnail of a related article or a teaser), one inside navigation, an aside, a footer
or a block named for related content, teasers or promotion; a logo, an avatar, an icon; a picture
the page draws small (a declared width under 200 pixels); a vector or inline (``data:``) image.
A caption's credit keeps the name without its "Foto:" or "Beeld:" label.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from newscrawl.article.text import normalize_text
from newscrawl.extract.generic import figure_caption_of, is_hidden
from newscrawl.extract.urls import normalize_url

# Ancestors whose images are not the article's (a class or id word, or the element itself).
_NOT_ARTICLE_TAGS = frozenset({"nav", "aside", "footer", "header"})
_NOT_ARTICLE_WORDS = re.compile(
    r"(?i)(?:^|[\s_-])(?:related|teaser|teasers|promo|linkblock|recommend\w*|most-read|meest-gelezen|"
    r"lees-ook|read-more|card|cards|sidebar|newsletter|advert\w*|banner|author|byline|avatar|share|social)(?:$|[\s_-])"
)
_NOT_A_PICTURE = re.compile(
    r"(?i)(?:^|[\s/_.-])(?:logo|avatar|icon|sprite|emoji|pixel|spacer|author|auteur|profile)s?(?=$|[\s/_.\d-])"
)
MIN_WIDTH = 200  # a picture drawn narrower than this is a thumbnail or an ornament
_IMAGE_FILE = re.compile(r"(?i)\.(?:jpe?g|png|webp|avif|gif)(?:$|\?)")


def srcset_candidates(srcset: str) -> list[tuple[str, float, str]]:
    """(url, size, unit) of each candidate of a srcset, as HTML parses it: a URL runs to the next
    whitespace (a comma inside it, as image CDNs write "w_640,h_360", stays), then its descriptor;
    no descriptor is 1x."""
    found: list[tuple[str, float, str]] = []
    position, end = 0, len(srcset)
    while position < end:
        while position < end and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        start = position
        while position < end and not srcset[position].isspace():
            position += 1
        url = srcset[start:position]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            stop = srcset.find(",", position)
            stop = end if stop < 0 else stop
            descriptor = srcset[position:stop].strip()
            position = stop
        if not url:
            continue
        match = re.fullmatch(r"(\d+(?:\.\d+)?)([wx])", descriptor.split()[0]) if descriptor else None
        found.append((url, float(match.group(1)), match.group(2)) if match else (url, 1.0, "x"))
    return found


def largest(srcset: str) -> str | None:
    """The largest candidate: by width where widths are given, else by pixel density."""
    candidates = srcset_candidates(srcset)
    widths = [c for c in candidates if c[2] == "w"]
    pool = widths or candidates
    return max(pool, key=lambda c: c[1])[0] if pool else None


def _attr(img: etree._Element, *names: str) -> str:
    for name in names:
        value = (img.get(name) or "").strip()
        if value:
            return value
    return ""


def image_url(img: etree._Element) -> str:
    """The largest file the picture offers: its <picture>'s sources and its own srcset (lazy
    loaders' data- attributes too), else its src."""
    sets = [_attr(img, "srcset", "data-srcset", "data-lazy-srcset")]
    parent = img.getparent()
    if parent is not None and parent.tag == "picture":
        # A <source> for another media type (image/svg+xml) is another rendition, never larger.
        sets += [_attr(source, "srcset", "data-srcset") for source in parent.iter("source")]
    best: tuple[float, str] | None = None
    for srcset in filter(None, sets):
        for url, size, unit in srcset_candidates(srcset):
            rank = size if unit == "w" else size * 1e-6  # a width beats a density
            if best is None or rank > best[0]:
                best = (rank, url)
    if best is not None:
        return best[1]
    return _attr(img, "data-src", "data-lazy-src", "data-original", "src")


def resolve(href: str, page_url: str) -> str | None:
    """An absolute http(s) URL as the page gives it (an image server's query, its size, stays)."""
    url = urljoin(page_url, href.strip()) if href.strip() else ""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment="")) if parts.scheme in ("http", "https") and parts.netloc else None


def _words(element: etree._Element) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}"


def not_the_articles(img: etree._Element, scope: etree._Element, page_url: str) -> bool:
    """A picture that is not one of the article's: see the module's description."""
    if is_hidden(img):
        return True
    # The alt text names a logo ("Logo NU.nl"); elsewhere it describes the photo, whatever it shows.
    described = f"{_words(img)} {img.get('src') or ''}"
    if _NOT_A_PICTURE.search(described) or normalize_text(img.get("alt")).lower().startswith("logo"):
        return True
    width = (img.get("width") or "").strip()
    if width.isdigit() and int(width) < MIN_WIDTH:
        return True
    node = img.getparent()
    while node is not None and node is not scope:
        if node.tag in _NOT_ARTICLE_TAGS or _NOT_ARTICLE_WORDS.search(_words(node)):
            return True
        if node.tag == "a" and node.get("href"):
            target = urlsplit(normalize_url(node.get("href"), page_url) or "")
            # A link to the picture's own file (a lightbox) keeps it; a link to a page is a teaser.
            if not _IMAGE_FILE.search(target.path + ("?" if target.query else "")):
                return True
        node = node.getparent()
    return False


def article_images(scope: etree._Element, page_url: str) -> list[dict[str, Any]]:
    """The article's images in page order: ``url``, and ``caption``, ``credit``, ``alt`` where the page gives them."""
    images: list[dict[str, Any]] = []
    seen: set[str] = set()
    for img in scope.iter("img"):
        if not_the_articles(img, scope, page_url):
            continue
        url = resolve(image_url(img), page_url)
        if not url or url in seen or urlsplit(url).path.lower().endswith(".svg"):
            continue
        if _NOT_A_PICTURE.search(urlsplit(url).path):  # a lazy loader's real file, not its placeholder
            continue
        seen.add(url)
        figure = next((a for a in img.iterancestors("figure")), None)
        caption, credit = figure_caption_of(figure) if figure is not None else (None, None)
        image = {"url": url, "caption": caption, "credit": credit, "alt": normalize_text(img.get("alt")) or None}
        images.append({key: value for key, value in image.items() if value})
    return images
