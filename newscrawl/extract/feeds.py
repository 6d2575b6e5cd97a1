"""The discovery sources' readers: RSS/Atom feeds and sitemaps (index and urlset, gzipped or not),
read as XML within bounds (no DTD, no entity expansion, SITEMAP_MAX_BYTES), into article links."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector
from scrapy.http import Response

from newscrawl.article.dates import normalize_date
from newscrawl.article.text import normalize_text
from newscrawl.extract.common import Link, SitemapRef

logger = logging.getLogger(__name__)


LinkFactory = Callable[..., "Link | None"]
_RSS_NS = {"atom": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/elements/1.1/"}


# What stands in for a reference to an entity the feed declared itself (its DTD is not read).
_ENTITY_MARK = "\ue000newscrawl-entity\ue000"
_ENTITY_DECLARATION = re.compile(r"<!ENTITY\s+(?:%\s+)?([A-Za-z_][\w.-]{0,100})")


def defused_xml(text: str) -> tuple[str, int]:
    """The document without its internal DTD subset, each reference to an entity it declared
    marked; and how many entities it declared. A news feed needs none of its own entities, and
    one that expands past a bound (the billion laughs) made libxml2 stop the whole document:
    now only the entries that use one are lost."""
    start = text.find("<!DOCTYPE", 0, 4096)
    if start < 0:
        return text, 0
    bracket, close = text.find("[", start), text.find(">", start)
    if bracket < 0 or close < bracket:  # no internal subset: nothing declared
        return text[:start] + text[close + 1 :] if close >= 0 else text, 0
    end = text.find("]", bracket)
    end = text.find(">", end) if end >= 0 else -1
    if end < 0:
        return text, 0
    names = set(_ENTITY_DECLARATION.findall(text, bracket, end))
    text = text[:start] + text[end + 1 :]
    for name in names:
        text = text.replace(f"&{name};", _ENTITY_MARK)
    return text, len(names)


def feed_selector(response: Response) -> tuple[Selector, int]:
    """The feed's XML, whatever class Scrapy gave the response (a feed served as text/html is an
    HtmlResponse, whose HTML parser makes <link> empty: 0 articles from a healthy feed), and how
    many entities it declared (defused_xml above)."""
    text, declared = defused_xml(response.text)
    return Selector(text=text, type="xml"), declared


def parse_rss(response: Response, make_link: LinkFactory, skipped: Counter[str] | None = None) -> list[Link]:
    """RSS 2.0 items → links (``link``, else a permalink ``guid``), plus ``atom:link rel=related``.

    ``make_link(href, base, via, **hints)`` is the site's filter: it returns None for
    anything that is not one of its articles. An item that uses an entity the feed declared is
    passed over (counted in ``skipped`` as ``entity``); the others are read.
    """
    links: list[Link] = []
    feed, declared = feed_selector(response)
    for entry in feed.xpath("//channel/item"):
        # Only a feed that declared entities can hold their marks: the common feed pays nothing here.
        if declared and (
            _ENTITY_MARK in (entry.xpath("string()").get() or "")
            or _ENTITY_MARK in " ".join(entry.xpath(".//@*").getall())
        ):
            if skipped is not None:
                skipped["entity"] += 1
            continue
        guid = (entry.xpath("guid/text()").get() or "").strip()
        href = entry.xpath("link/text()").get() or guid
        link = make_link(
            href,
            response.url,
            "rss",
            published=normalize_date(entry.xpath("pubDate/text()").get()),
            title=normalize_text(entry.xpath("title/text()").get()) or None,
        )
        if link:
            links.append(link)
        for related in entry.xpath('atom:link[@rel="related"]/@href', namespaces=_RSS_NS).getall():
            related_link = make_link(related, response.url, "rss")
            if related_link:
                links.append(related_link)
    return links


# The sitemap protocol's own limit on an uncompressed sitemap file (50 MiB); a gzipped one
# (.xml.gz) is unpacked up to it and no further (a gzip bomb ends there).
SITEMAP_MAX_BYTES = 50 * 1024 * 1024


def sitemap_body(response: Response) -> bytes:
    """The sitemap's XML: a gzipped sitemap (``.xml.gz``, served as application/x-gzip, so no
    Content-Encoding for Scrapy to undo) is unpacked here."""
    body = response.body
    if body[:2] == b"\x1f\x8b":
        from scrapy.utils.gz import gunzip

        return gunzip(body, max_size=SITEMAP_MAX_BYTES)
    return body


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def sitemap_entries(body: bytes) -> Iterator[tuple[str, dict[str, str]]]:
    """("sitemap" | "url", {loc, lastmod, publication_date, title, keywords}) one entry at a time.

    Read incrementally (lxml iterparse, each entry freed once read): a sitemap of 500,000 URLs
    never becomes one tree in memory. Namespaces are ignored; broken XML is read as far as it goes.
    """
    parser = etree.iterparse(
        io.BytesIO(body), events=("end",), recover=True, huge_tree=True, resolve_entities=False, no_network=True
    )
    try:
        for _, element in parser:
            kind = _local(element.tag)
            if kind not in ("url", "sitemap"):
                continue
            fields: dict[str, str] = {}
            for child in element:
                name = _local(child.tag)
                if name in ("loc", "lastmod") and child.text:
                    fields.setdefault(name, child.text.strip())
                elif name == "news":
                    for part in child.iter():
                        part_name = _local(part.tag)
                        if part_name in ("publication_date", "title", "keywords") and part.text:
                            fields.setdefault(part_name, part.text.strip())
            yield kind, fields
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError:
        return


def parse_sitemap(response: Response, make_link: LinkFactory) -> tuple[list[SitemapRef], list[Link]]:
    """(child sitemaps, article links) of a sitemap index or a (news/image) sitemap, plain or gzipped.

    Bogus locs such as NU.nl's ``https://www.nu.nlNone`` are skipped.
    """
    children: list[SitemapRef] = []
    links: list[Link] = []
    for kind, fields in sitemap_entries(sitemap_body(response)):
        loc = fields.get("loc", "")
        if not loc or "None" in urlsplit(loc).netloc:
            continue
        if kind == "sitemap":
            children.append(SitemapRef(url=loc, lastmod=normalize_date(fields.get("lastmod"))))
            continue
        keywords = fields.get("keywords")
        link = make_link(
            loc,
            response.url,
            "sitemap",
            # A lastmod is when the page last changed, not when it was published: never a publication date.
            published=normalize_date(fields.get("publication_date")),
            modified=normalize_date(fields.get("lastmod")),
            title=normalize_text(fields.get("title")) or None,
            keywords=[normalize_text(k) for k in keywords.split(",") if k.strip()] if keywords else [],
        )
        if link:
            links.append(link)
    return children, links
