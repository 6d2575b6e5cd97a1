"""WNL (wnl.tv, WordPress + Yoast) page parsers (MARKUP.md §3): article, listing, feed, sitemaps, REST API.

Two article layouts occur in one crawl: A (2023–2024: hero caption, date line,
"Door:" byline in the entry footer) and B (2024 redesign: tools bar, author
under the headline, no visible date). Boilerplate is stripped by container
class wherever it sits: a missing ``</div>`` makes lxml nest the footer, CTA,
promos and teasers *inside* ``.entry-content``.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import Response

from ..dates import normalize_date
from ..items import ArticleItem
from ..loaders import ArticleLoader, finish_article
from ..text import block_text, join_blocks, normalize_text
from ..urls import SITES, article_key, normalize_url
from . import common
from .common import (
    Link,
    SitemapRef,
    Skip,
    add_date,
    canonical_article,
    choose_date,
    choose_modified,
    fallback_body,
    has_class,
    jsonld_article,
    jsonld_objects,
    PageMeta,
    no_headline,
    page_context,
)

SITE = SITES["wnl"]
PARSER_VERSION = "wnl-wordpress-2024"  # layouts A (2023–2024) and B (2024 redesign)


# Never body, wherever lxml puts them (MARKUP.md §3.4).
_BOILERPLATE_CLASSES = (
    "entry-footer", "post-author", "membership-cta", "promo-block", "related-posts", "support-block",
    "content-row", "article-tools", "share-menu", "post-header", "teaser", "hero-teaser", "footer",
    "wp-block-embed", "sharedaddy", "jp-relatedposts",
)
_BOILERPLATE_TEST = " or ".join(has_class(c) for c in _BOILERPLATE_CLASSES) + " or @id='cookie-notice'"
_in_boilerplate = common.inside_test(_BOILERPLATE_CLASSES, tags=("figure", "figcaption", "aside", "footer", "nav", "script"), ids=("cookie-notice",))
_CHROME = f"//*[{_BOILERPLATE_TEST} or self::header or self::nav or self::footer or self::aside or self::figure]"
# A block is a p, a heading or a list item; a p inside a li belongs to the li.
_BLOCKS = etree.XPath(".//*[self::p or self::h2 or self::h3 or self::h4 or self::li][not(ancestor::li) and not(ancestor::p)]")
_LINKS = etree.XPath(".//a[@href]")
_LEES_OOK = re.compile(r"^lees ook\b", re.IGNORECASE)
_BYLINE = re.compile(r"^door\s*:?\s+\S", re.IGNORECASE)
_POST_ID_CLASS = re.compile(r"\bpostid-(\d+)\b")
_PHOTO_CAPTION = re.compile(r"^\s*foto\s*:\s*(?P<credit>.+?)(?:\.\s+(?P<caption>.+))?\s*$", re.IGNORECASE | re.DOTALL)
_TITLE_SUFFIX = re.compile(r"\s+[-–|]\s+WNL$")


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


def _post_id(response: Response) -> str | None:
    shortlink = response.xpath('//link[@rel="shortlink"]/@href').get() or ""
    match = re.search(r"[?&]p=(\d+)", shortlink)
    if match:
        return match.group(1)
    match = _POST_ID_CLASS.search(response.xpath("//body/@class").get() or "")
    if match:
        return match.group(1)
    article_id = response.xpath('//article[starts-with(@id, "post-")]/@id').get()
    return article_id.split("-", 1)[1] if article_id and article_id.split("-", 1)[1].isdigit() else None


def _split_caption(line: str) -> tuple[str | None, str | None]:
    """ "Foto: ANP. Minister Caspar Veldkamp (NSC)." → (caption, credit)."""
    match = _PHOTO_CAPTION.match(normalize_text(line))
    if not match:
        return normalize_text(line) or None, None
    caption = normalize_text(match.group("caption")) if match.group("caption") else None
    return caption, normalize_text(match.group("credit")).rstrip(".") or None


def parse_article(response: Response) -> ArticleItem | Skip:
    """One post page (layout A or B) → one ArticleItem, or a Skip with the reason it is not an item."""
    meta = PageMeta(response)
    found = canonical_article(response, meta, "wnl")
    if isinstance(found, Skip):
        return found
    canonical, key = found
    post = response.xpath('//article[starts-with(@id, "post-")]')[:1] or response.xpath("//article")[:1]
    # Class queries test every element they are given: look inside the post first (the page's
    # chrome is most of it), the whole page only when the post does not hold the element.
    # A theme that forgets a </div> leaves the rest of the page inside the post, so try the
    # post's own children (where the theme puts header and content) before any deeper search.
    scope = post or response.selector
    content = (post.xpath(f"./*[{has_class('entry-content')}]") or post.css(".entry-content") if post else [])[:1] or response.css(".entry-content")[:1]
    header = (post.xpath(f"./*[{has_class('post-header')}]") if post else [])[:1] or scope
    if not post and not content:
        return Skip("not_article", "no post markup")

    objects = jsonld_objects(response)
    ld = jsonld_article(objects)
    context = page_context(response)
    loader = ArticleLoader(response=response, selector=response.selector, site="wnl", base_url=response.url, self_key=key, reference_time=context.reference_time)
    loader.add_value("url", response.url)
    loader.add_value("canonicalUrl", canonical)
    loader.add_value("site", "wnl")
    loader.add_value("articleId", _post_id(response) or context.hints.get("post_id") or key.split(":", 1)[1])
    loader.add_value("articleType", ld.get("@type") if isinstance(ld.get("@type"), str) else None)
    loader.add_value("articleType", "Article")  # what WordPress/Yoast declares for every post

    # Headline: the h1 (layout A or B), then og:title without " - WNL". Yoast's JSON-LD
    # headline is cut at 110 characters, so it is never used.
    loader.add_value("headline", response.xpath("string(//h1[contains(@class, 'entry-title') or contains(@class, 'single-article__title')])").get())
    loader.add_value("headline", _TITLE_SUFFIX.sub("", meta.get("og:title") or ""))
    if not loader.get_output_value("headline"):
        return no_headline(response)

    blocks, lees_ook, typed_byline = _content_blocks(content[0].root) if content else ([], [], None)
    body_extractor = "selectors"
    if not blocks:
        fallback = fallback_body(response.selector.root, _CHROME, loader.get_output_value("headline"))
        if fallback:
            blocks, body_extractor = [fallback], "trafilatura"
    loader.add_value("articleBody", join_blocks(blocks))

    theme_byline = response.xpath("string((//footer[contains(@class, 'entry-footer')]//p[contains(@class, 'post-author')] | //*[contains(@class, 'single-article__author')])[1])").get()
    for byline in (theme_byline, typed_byline, meta.get("author")):
        if normalize_text(byline):
            loader.add_value("authors", byline)
            break

    date_line = header.css("time.post-header__date")[:1]
    visible = normalize_text(date_line.xpath("string()").get()) if date_line else ""
    url_day = "-".join(article_key(canonical).split(":", 1)[1].split("/")[:3])
    published = choose_date(
        [
            ("json-ld", ld.get("datePublished")),
            ("meta", meta.get("article:published_time")),
            ("visible", date_line.attrib.get("datetime") if date_line else None),
            ("visible", visible),
            ("feed", context.hints.get("published")),
        ],
        context.reference_time,
        visible,
    )
    if published:
        add_date(loader, "datePublished", published)
        source = published.source
    else:
        # Layout B shows no date; without metadata only the URL's day is known. Never invent a time.
        loader.add_value("datePublished", url_day)
        loader.add_value("datePublishedRaw", url_day)
        source = "url"
    updated = normalize_text(header.css(".post-header__updated").xpath("string()").get()).lstrip("| ").strip()
    add_date(loader, "dateModified", choose_modified(meta, ld, updated, context.reference_time))

    categories = re.findall(r"\bcategory-([a-z0-9-]+)\b", post[0].attrib.get("class", "")) if post else []
    loader.add_value("articleSection", categories[:1])
    loader.add_value("keywords", response.xpath('//meta[@property="article:tag"]/@content').getall())

    image_url = normalize_url(meta.get("og:image"), response.url)
    if image_url:
        caption_line = header.css("figcaption.post-header__caption").xpath("string()").get()
        caption, credit = _split_caption(caption_line) if caption_line else (None, None)
        loader.add_value("mainImage", {"url": image_url, "caption": caption, "credit": credit})

    inline = []
    if content:
        inline = [a.get("href") for a in _LINKS(content[0].root) if not _in_boilerplate(a)]
    loader.add_value("relatedUrls", inline + lees_ook)

    item = loader.load_item()
    return finish_article(
        item,
        downloaded_at=context.downloaded_at,
        discovered_via=context.discovered_via,
        body_extractor=body_extractor,
        date_published_source=source,
    )


def _post_link(href: str | None, base: str, via: str, **hints) -> Link | None:
    url = normalize_url(href, base)
    key = article_key(url) if url else None
    if key and key.startswith("wnl:"):
        return Link(url=url, via=via, **hints)
    return None


def parse_listing(response: Response) -> list[Link]:
    """Teasers ("Lees meer") on the home page and category archives, in page order, first occurrence kept."""
    links: list[Link] = []
    seen: set[str] = set()
    for teaser in response.css("article.teaser, article.hero-teaser, .content-row__items article, .teaser-list article"):
        for href in teaser.css("a[href]::attr(href)").getall():
            link = _post_link(href, response.url, "listing", title=normalize_text(teaser.css(".teaser__title, .hero-teaser__title").xpath("string()").get()) or None)
            if link and link.url not in seen:
                seen.add(link.url)
                links.append(link)
    return links


def listing_next_page(response: Response) -> str | None:
    href = response.css('a.next.page-numbers::attr(href), link[rel="next"]::attr(href)').get()
    return response.urljoin(href) if href else None


def needs_rendering(response: Response) -> bool:
    """True when the page loads teasers with JavaScript: empty ``[data-endpoint]`` rows or a "Meer laden" button without a link."""
    for container in response.css("[data-endpoint]"):
        if not container.xpath("./*"):
            return True
    return bool(response.css("button.load-more, button[data-load-more]"))


def parse_feed(response: Response) -> list[Link]:
    """``/feed/`` and ``/category/<slug>/feed/`` (standard WordPress RSS 2.0)."""
    return common.parse_rss(response, _post_link)


def parse_sitemap(response: Response) -> tuple[list[SitemapRef], list[Link]]:
    """Yoast ``sitemap_index.xml`` / core ``wp-sitemap.xml`` and their post sitemaps; only post sitemaps hold posts."""
    children, links = common.parse_sitemap(response, _post_link)
    return [c for c in children if _is_post_sitemap(c.url)], links


def _is_post_sitemap(url: str) -> bool:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.startswith("post-sitemap") or name.startswith("wp-sitemap-posts-post")


def parse_api_posts(response: Response) -> tuple[list[Link], int]:
    """``/wp-json/wp/v2/posts``: (links with post ids and UTC dates, total pages from X-WP-TotalPages)."""
    try:
        posts = json.loads(response.text)
    except ValueError:
        return [], 0
    links: list[Link] = []
    for post in posts if isinstance(posts, list) else []:
        date_gmt, modified_gmt = post.get("date_gmt"), post.get("modified_gmt")
        link = _post_link(
            post.get("link"),
            response.url,
            "api",
            published=normalize_date(f"{date_gmt}Z") if date_gmt else None,
            modified=normalize_date(f"{modified_gmt}Z") if modified_gmt else None,
            title=normalize_text(etree.HTML(f"<p>{(post.get('title') or {}).get('rendered', '')}</p>").xpath("string()")) or None,
            post_id=str(post["id"]) if post.get("id") else None,
        )
        if link:
            links.append(link)
    total_pages = int(response.headers.get(b"X-WP-TotalPages", b"0") or 0)
    return links, total_pages
