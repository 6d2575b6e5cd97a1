"""NU.nl page parsers (MARKUP.md §2): article, listing, RSS, sitemaps. No crawling here.

Layered extraction: canonical link, meta tags and JSON-LD give the facts; the
DPG block classes (``.textblock.paragraph`` …) give the body; trafilatura
fills the body when those classes find nothing (a redesign).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import Response

from ..dates import normalize_date
from ..items import ArticleItem
from ..loaders import ArticleLoader, finish_article, strip_photo_prefix
from ..text import block_text, join_blocks, normalize_text
from ..urls import SITES, article_key, normalize_url, nu_short_url_id
from . import common
from .common import (
    Link,
    SitemapRef,
    Skip,
    add_date,
    canonical_article,
    choose_date,
    choose_modified,
    has_class,
    fallback_body,
    jsonld_article,
    jsonld_objects,
    jsonld_type_names,
    PageMeta,
    no_headline,
    page_context,
)

SITE = SITES["nu"]
PARSER_VERSION = "nu-dpg-2024"  # the DPG design in use since 2023 (MARKUP.md §2)


# Containers whose text is never body, wherever they sit (MARKUP.md §2.4).
_BOILERPLATE_CLASSES = (
    "linkblock", "excerpt", "imageblock", "audioblock", "videoblock", "podcast-promo", "dpg-banner",
    "nujij-teaser", "article__meta", "article__share", "consent-fallback", "footer", "timeline",
)
_BOILERPLATE_TEST = " or ".join(has_class(c) for c in _BOILERPLATE_CLASSES)
_in_boilerplate = common.inside_test(_BOILERPLATE_CLASSES, tags=("figure", "figcaption", "aside"))
# What the generic extractor must not see: the chrome above plus the page's header, nav and footers.
_CHROME = f"//*[{_BOILERPLATE_TEST} or self::header or self::nav or self::footer or self::aside or {has_class('skip-link')}]"
# Compiled once: lxml would otherwise compile each expression string on every call.
_BODY_BLOCKS = etree.XPath(f".//*[{has_class('textblock')} and ({has_class('paragraph')} or {has_class('subheader')})]")
_INNER_BLOCKS = etree.XPath(".//p | .//li | .//h2 | .//h3 | .//h4")


def _body_blocks(container: etree._Element) -> list[str]:
    """Paragraph and subheader blocks in page order; a RESTRICTED_HTML div holds several p/li."""
    blocks: list[str] = []
    for element in _BODY_BLOCKS(container):
        if _in_boilerplate(element):
            continue
        inner = _INNER_BLOCKS(element) if element.tag == "div" else []
        for block in inner or [element]:
            blocks.append(block_text(block))
    return [b for b in blocks if b]


def _page_type(response: Response, objects: list[dict], meta: PageMeta) -> str | None:
    """'video' / 'liveblog' / 'not_article' for pages that are not items, else None."""
    declared = (response.xpath("//body/@data-page-type").get() or "").strip().lower()
    types = jsonld_type_names(objects)
    path = urlsplit(response.url).path
    if declared == "video" or path.startswith("/video/") or "VideoObject" in types or meta.get("og:type") == "video.other":
        return "video"
    label = normalize_text(response.css("h1 .headline__label::text").get()).upper()
    if declared == "liveblog" or "LiveBlogPosting" in types or label == "LIVE":
        return "liveblog"
    if declared in ("frontpage", "section", "error"):
        return "not_article"
    return None


def parse_article(response: Response) -> ArticleItem | Skip:
    """One article page → one ArticleItem, or a Skip with the reason it is not an item."""
    objects = jsonld_objects(response)
    meta = PageMeta(response)
    skip = _page_type(response, objects, meta)
    if skip:
        return Skip(skip, response.url)

    found = canonical_article(response, meta, "nu")
    if isinstance(found, Skip):
        return found
    canonical, key = found
    ld = jsonld_article(objects)
    context = page_context(response)
    # A class query tests every element it is given, and the chrome around <article> (menus,
    # scripts, teasers) is most of a page: look up <article> and its two boxes once, query inside.
    article = response.xpath("//article")[:1]
    scope = article or response.selector
    meta_box = scope.css(".article__meta")
    body_box = scope.css(".article__body")

    loader = ArticleLoader(
        response=response,
        selector=response.selector,  # one parse per page: the loader would otherwise parse the HTML again
        site="nu",
        base_url=response.url,
        self_key=key,
        reference_time=context.reference_time,
    )
    loader.add_value("url", response.url)
    loader.add_value("canonicalUrl", canonical)
    loader.add_value("site", "nu")
    loader.add_value("articleId", key.split(":", 1)[1])
    loader.add_value("articleType", ld.get("@type") if isinstance(ld.get("@type"), str) else None)
    loader.add_value("articleType", "NewsArticle")

    # Headline: the h1 without its series label ("NU praat je bij"), then standards.
    h1 = response.css("article h1.headline, article h1, h1.headline")[:1]
    if h1:
        text_span = h1.css(".headline__text")
        loader.add_value("headline", block_text(text_span[0].root) if text_span else _without_label(h1[0].root))
    loader.add_value("headline", meta.get("og:title"))
    loader.add_value("headline", ld.get("headline"))
    if not loader.get_output_value("headline"):
        return no_headline(response)

    excerpt = (body_box.css(".textblock.excerpt") or scope.css("[data-text-role=ARTICLE_EXCERPT]"))[:1]
    if excerpt:
        inner = _INNER_BLOCKS(excerpt[0].root) or [excerpt[0].root]
        loader.add_value("description", join_blocks(block_text(p) for p in inner))

    # Blocks are looked for in the whole <article>, not only .article__body: a stray
    # </div> in malformed pages closes .article__body early and strands the rest.
    blocks = _body_blocks(article[0].root if article else response.selector.root)
    body_extractor = "selectors"
    if not blocks:
        fallback = fallback_body(response.selector.root, _CHROME, loader.get_output_value("headline"))
        if fallback:
            blocks, body_extractor = [fallback], "trafilatura"
    loader.add_value("articleBody", join_blocks(blocks))

    byline = (meta_box.css(".author") or scope.css("[data-text-role=ARTICLE_AUTHOR]"))[:1]
    if byline:
        loader.add_value("authors", block_text(byline[0].root))
    else:
        authors = ld.get("author") or []
        for author in authors if isinstance(authors, list) else [authors]:
            loader.add_value("authors", author.get("name") if isinstance(author, dict) else author)

    visible = normalize_text((meta_box.css(".datetime time::text") or scope.css("[data-text-role=ARTICLE_DATETIME] time::text")).get())
    published = choose_date(
        [
            ("json-ld", ld.get("datePublished")),
            ("meta", meta.get("article:published_time")),
            ("visible", meta_box.css(".datetime time::attr(datetime)").get()),
            ("visible", visible),
            ("feed", context.hints.get("published")),
        ],
        context.reference_time,
        visible,
    )
    add_date(loader, "datePublished", published)
    visible_updated = normalize_text(meta_box.css(".datetime__updated::text").get())
    add_date(loader, "dateModified", choose_modified(meta, ld, visible_updated, context.reference_time))

    loader.add_value("articleSection", urlsplit(canonical).path.split("/")[1])
    loader.add_value("keywords", meta.get("keywords") or ld.get("keywords") or context.hints.get("keywords") or [])

    image_url = normalize_url(meta.get("og:image"), response.url)
    if image_url:
        figure = (body_box.css("figure.article__image") or scope.css("figure.imageblock"))[:1]
        loader.add_value(
            "mainImage",
            {
                "url": image_url,
                "caption": normalize_text(figure.css(".caption").xpath("string()").get()) if figure else None,
                "credit": normalize_text(strip_photo_prefix(figure.css(".copyright").xpath("string()").get() or "")) if figure else None,
            },
        )

    loader.add_value("relatedUrls", body_box.css(".textblock a::attr(href), .linkblock a::attr(href)").getall())

    item = loader.load_item()
    return finish_article(
        item,
        downloaded_at=context.downloaded_at,
        discovered_via=context.discovered_via,
        body_extractor=body_extractor,
        date_published_source=published.source if published else None,
    )


def _without_label(h1: etree._Element) -> str:
    label_text = "".join(h1.xpath(f".//*[{has_class('headline__label')}]//text()"))
    text = block_text(h1)
    label = normalize_text(label_text)
    return normalize_text(text[len(label):]) if label and text.startswith(label) else text


def _article_link(href: str | None, base: str, via: str, **hints) -> Link | None:
    """A discovered link if it is a NU.nl article (or a short link that redirects to one)."""
    url = normalize_url(href, base)
    if not url:
        return None
    key = article_key(url)
    if (key and key.startswith("nu:")) or nu_short_url_id(url):
        return Link(url=url, via=via, **hints)
    return None


def parse_listing(response: Response) -> list[Link]:
    """Teasers on the front page and section/dossier pages (relative times are hints only)."""
    links: list[Link] = []
    for teaser in response.css("a.teaser[href], .widgetbar a[href]"):
        datetime_attr = teaser.css("time::attr(datetime)").get()
        link = _article_link(
            teaser.attrib.get("href"),
            response.url,
            "listing",
            published=normalize_date(datetime_attr) if datetime_attr else None,
            title=normalize_text(teaser.css(".teaser__title").xpath("string()").get()) or None,
        )
        if link:
            links.append(link)
    return links


def listing_next_page(response: Response) -> str | None:
    """The "Meer laden" link of a section page (``?page=2``), kept as is: the query matters here."""
    href = response.css('a.load-more::attr(href), link[rel="next"]::attr(href)').get()
    return response.urljoin(href) if href else None


def parse_rss(response: Response) -> list[Link]:
    """Both item formats: 2024 (guid ``article-<id>``) and ≤2023 (guid = short link, related atom links)."""
    return common.parse_rss(response, _article_link)


def parse_sitemap(response: Response) -> tuple[list[SitemapRef], list[Link]]:
    """(child sitemaps, article links) of the sitemap index or the news sitemap."""
    return common.parse_sitemap(response, _article_link)
