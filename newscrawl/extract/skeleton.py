"""The parser's skeleton: which layout reads a page, what the page says (read once), and the loop
that reads the declared fields in the schema's order into one item (or a Skip).

:class:`PageParser` knows no field. The standard candidate chains every site shares are
:class:`newscrawl.extract.base.ArticleParser`, the class a site plug-in subclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from functools import cached_property
from typing import Any, cast

from lxml import etree
from scrapy.http import Response, TextResponse
from scrapy.selector import Selector as ScrapySelector

from newscrawl.article.bounds import repair_and_cap
from newscrawl.article.dates import AMSTERDAM
from newscrawl.extract import body as body_finder
from newscrawl.extract import generic
from newscrawl.extract.body import GenericBody
from newscrawl.extract.common import (
    CONSENT_PHRASES,
    ChosenDate,
    PageContext,
    PageMeta,
    Skip,
    add_date,
    canonical_article,
    jsonld_article,
    jsonld_objects,
    jsonld_type_names,
    page_context,
    page_selector,
    tagged,
)
from newscrawl.extract.consent import consent_page
from newscrawl.extract.fields import NOTHING, Chosen, FieldSpec, NotAnArticle, declared_fields, processors
from newscrawl.extract.images import article_images
from newscrawl.extract.item import ArticleItem
from newscrawl.extract.language import language_of
from newscrawl.extract.loader import ArticleLoader, finish_article
from newscrawl.extract.registry import Site
from newscrawl.extract.requestinfo import response_info
from newscrawl.extract.standards import Candidate
from newscrawl.extract.tdm import Declaration, declaration


def the_article(candidates: Iterable[etree._Element]) -> etree._Element | None:
    """The page's article among its <article> elements: the one holding the headline (an h1), the
    longest text among those; not simply the first (a promo or teaser card is an <article> too)."""
    articles = list(candidates)
    with_h1 = [article for article in articles if article.find(".//h1") is not None]
    # Only the texts that can win are measured: a lone candidate (most pages) is never read.
    finalists = with_h1 or articles
    if len(finalists) <= 1:
        return finalists[0] if finalists else None
    return max(finalists, key=lambda article: len(article.xpath("string()").strip()))


class PageParser:
    #: the layout this parser reads; ``metadata.parser`` says "<site>/<layout>" for every item
    layout: str = "standard"
    #: the site's layouts, when it has several: each a subclass of this parser with the dates it is
    #: valid for and a detector (see :meth:`for_page`); empty when this class reads every page
    layouts: tuple[type[PageParser], ...] = ()
    #: the first and last day (Amsterdam) this layout was served; None: open
    valid_from: date | None = None
    valid_until: date | None = None
    #: whether the page is a live blog (set by :meth:`parse` from the page's type)
    live: bool = False
    #: the declared fields, in schema order, and the loader whose processors they declare
    fields: tuple[FieldSpec, ...] = ()
    loader_class: type[ArticleLoader] = ArticleLoader

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.fields = declared_fields(cls)
        cls.loader_class = type(f"{cls.__name__}Loader", (ArticleLoader,), processors(cls.fields))

    @classmethod
    def for_page(cls, response: Response, site: Site) -> PageParser:
        """The parser of the layout that served this page: among the layouts valid on the day it
        was fetched (an archived page is read with the rules of its day), the first whose detector
        knows the page, else the newest of them (a redesign nobody has described yet)."""
        if not cls.layouts:
            return cls(response, site)
        day = page_context(response).downloaded_at.astimezone(AMSTERDAM).date()
        valid = [layout for layout in cls.layouts if layout.valid_on(day)] or list(cls.layouts)
        sel = page_selector(response)
        chosen = next(
            (layout for layout in valid if layout.detect(sel)),
            max(valid, key=lambda layout: layout.valid_from or date.min),
        )
        return chosen(response, site)

    @classmethod
    def valid_on(cls, day: date) -> bool:
        return (cls.valid_from is None or cls.valid_from <= day) and (cls.valid_until is None or day <= cls.valid_until)

    @classmethod
    def detect(cls, sel: ScrapySelector) -> bool:
        """Whether the page is in this layout (a layout among several overrides this)."""
        return True

    #: set by :meth:`parse` before the fields are read: the canonical URL and the article's key
    canonical: str
    key: str

    def __init__(self, response: Response, site: Site):
        self.response = response
        self.site = site
        self.sel: ScrapySelector = page_selector(response)
        self.root: etree._Element = self.sel.root
        self.sources: dict[str, str] = {}
        # Each field's candidates made so far: (the inputs they were made from, them, the rest).
        self._candidates: dict[str, tuple[tuple[Chosen, ...], list[Candidate], Iterator[Candidate]]] = {}
        # "<field>: <reason>" for what was not taken from the page as it was (metadata.warnings).
        self.warnings: list[str] = []

    # --- what the page says, read once ----------------------------------------
    @cached_property
    def meta(self) -> PageMeta:
        return PageMeta(self.response)

    @cached_property
    def jsonld(self) -> list[dict[str, Any]]:
        return jsonld_objects(self.response)

    @cached_property
    def ld(self) -> dict[str, Any]:
        """The page's Article/NewsArticle JSON-LD object, or {}."""
        return jsonld_article(self.jsonld)

    @cached_property
    def context(self) -> PageContext:
        return page_context(self.response)

    @cached_property
    def article_root(self) -> etree._Element:
        """Where the article is: its <article>, else the container of the generic body, else the page."""
        found = the_article(tagged(self.sel, "article"))
        if found is not None:
            return found
        container = self.densest_container
        return container.getparent() if container is not None and container.getparent() is not None else self.root

    @cached_property
    def densest_container(self) -> etree._Element | None:
        """The page's densest block container (a walk over the whole tree: done once)."""
        return body_finder.densest_container(self.root)

    @property
    def parser_name(self) -> str:
        return f"{self.site.name}/{self.layout}"

    # --- the skeleton ----------------------------------------------------------
    def parse(self) -> ArticleItem | Skip:
        kind = self.page_type() or self.standard_page_type()
        # A live blog is an item of its own type (its updates: newscrawl/extract/live.py).
        self.live = kind == "liveblog"
        if kind and not self.live:
            return Skip(kind, self.response.url)
        wall = self.consent_wall()
        if wall:
            return Skip("consent_wall", wall)
        found = canonical_article(self.response, self.meta, self.site.name)
        if isinstance(found, Skip):
            return found
        self.canonical, self.key = found
        self.locate()

        loader = self.loader_class(
            response=cast(TextResponse, self.response),
            selector=self.sel,  # one parse per page: the loader would otherwise parse the HTML again
            site=self.site.name,
            base_url=self.response.url,
            self_key=self.key,
            reference_time=self.context.reference_time,
        )
        chosen: dict[str, Chosen] = {}
        try:
            for spec in self.fields:
                chosen[spec.name] = self.read_field(loader, spec, *(chosen[name] for name in spec.inputs))
        except NotAnArticle as why:
            return self.no_article(str(why))
        finally:
            # Their generators hold the parser: no reference cycle outlives the page (and its tree).
            self._candidates.clear()

        body, published = chosen.get("articleBody", NOTHING), chosen.get("datePublished", NOTHING)
        item = finish_article(
            loader.load_item(),
            downloaded_at=self.context.downloaded_at,
            discovered_via=self.context.discovered_via,
            body_extractor=body.raw.extractor if body.raw else "selectors",
            date_published_source=published.raw.source if published.raw else None,
            parser=self.parser_name,
        )
        # On every article: False for a paywalled preview, True otherwise; which source said it.
        item["isAccessibleForFree"], access = self.accessible_for_free()
        item["images"] = self.images(item.get("mainImage"))
        item.setdefault("agencies", [])  # on every article: an empty list says none is credited
        if self.live:
            item["liveBlogUpdate"] = self.live_blog_updates(item.get("datePublished"))
        if len(item.get("datePublished") or "") == 10:
            item["metadata"]["datePublishedPrecision"] = "day"  # the page names the day, not the time
        recorded = {spec.name for spec in self.fields if spec.recorded}
        item["metadata"]["sources"] = {
            name: chosen[name].source
            for name in sorted(recorded & set(chosen))
            if item.get(name) and chosen[name].source
        }
        if access != "default":
            item["metadata"]["sources"]["isAccessibleForFree"] = access
        # Mojibake repaired and absurd sizes cut, each with its warning (newscrawl.article.bounds).
        self.warnings.extend(repair_and_cap(item))
        # Read from the text as it is kept: repaired, and within its bound.
        text = "\n".join(item.get(name) or "" for name in ("headline", "description", "articleBody"))
        item["inLanguage"], item["metadata"]["sources"]["inLanguage"] = language_of(text, self.site.language)
        item["metadata"]["tdm"] = self.reserved_rights().as_metadata()
        for name in ("headline", "articleBody"):
            broken = (item.get(name) or "").count("\ufffd")
            if broken:
                self.warnings.append(
                    f"{name}: {broken} replacement characters (U+FFFD): the page's bytes do not fit its charset"
                )
        warnings = [*self.context.warnings, *self.warnings]
        if warnings:
            item["metadata"]["warnings"] = warnings
        return item

    def read_field(self, loader: ArticleLoader, spec: FieldSpec, *inputs: Chosen) -> Chosen:
        """The field's first candidate that gives it a value, loaded; the field's declaration says how."""
        method = getattr(self, spec.method)
        if spec.take == "date":
            when: ChosenDate | None = method(*inputs)
            if when is None:
                return NOTHING
            add_date(loader, spec.name, when)
            return Chosen(when.detail or when.source, when, loader.get_output_value(spec.name))
        for source, raw in self.candidates(spec, *inputs):
            value = usable(raw, structured=spec.structured)
            if not value:
                continue
            loader.add_value(spec.name, value)
            got = loader.get_collected_values(spec.name) if spec.take == "list" else loader.get_output_value(spec.name)
            if got:
                return Chosen(source, raw, got)
        if spec.required:
            raise NotAnArticle(spec.required)
        return NOTHING

    def candidates(self, spec: FieldSpec, *inputs: Chosen) -> Iterator[Candidate]:
        """A (non-date) field's candidates in order of precedence: its declared method's. Each is
        made once per page: a second reader of the same candidates (the agencies read every one
        of the authors') is given those already made, then the method goes on where it stopped."""
        memo = self._candidates.get(spec.name)
        if memo is None or len(memo[0]) != len(inputs) or any(a is not b for a, b in zip(memo[0], inputs)):
            memo = self._candidates[spec.name] = (inputs, [], iter(getattr(self, spec.method)(*inputs)))
        _, made, method = memo
        position = 0
        while True:
            if position == len(made):
                candidate = next(method, None)
                if candidate is None:
                    return
                made.append(candidate)
            yield made[position]
            position += 1

    # --- page type and scope ------------------------------------------------------
    def page_type(self) -> str | None:
        """The site's own verdict: 'video' / 'not_article' for pages that are not items, 'liveblog'
        for a live blog (an item of its own type)."""
        return None

    def standard_page_type(self) -> str | None:
        """What any page says of itself: a video (og:type, a lone VideoObject) or a liveblog (LiveBlogPosting)."""
        types = jsonld_type_names(self.jsonld)
        if "LiveBlogPosting" in types:
            return "liveblog"
        og_type = self.meta.get("og:type") or ""
        if og_type.startswith("video") or ("VideoObject" in types and not self.ld and og_type != "article"):
            return "video"
        return None

    def accessible_for_free(self) -> tuple[bool, str]:
        """Whether the page shows the whole article, and which source says so ("default": nothing
        on the page says otherwise). The standard chain: newscrawl.extract.base.ArticleParser."""
        return True, "default"

    def live_blog_updates(self, published: str | None) -> list[dict[str, Any]]:
        """A live blog's updates, in page order, dated (the standard chain: newscrawl.extract.base)."""
        return []

    def images(self, main: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The article's own figures in page order (newscrawl/extract/images.py); a page that shows
        none but names a main image (og:image) has that one: the lead is always among them."""
        found = article_images(self.article_root, self.response.url)
        return found if found or not main else [dict(main)]

    def reserved_rights(self) -> Declaration:
        """Whether the publisher reserved text-and-data mining of this page (TDMRep: the page's
        metadata over the response's headers over the site's tdmrep.json; newscrawl/extract/tdm.py)."""
        headers = self.response.headers

        def header(name: bytes) -> str | None:
            value = headers.get(name)
            return value.decode("latin-1").strip() if value else None

        return declaration(
            response_info(self.response).tdm_file,
            (header(b"tdm-reservation"), header(b"tdm-policy")),
            (self.meta.get("tdm-reservation", "TDM-Reservation"), self.meta.get("tdm-policy", "TDM-Policy")),
            self.warnings,
        )

    def consent_wall(self) -> str | None:
        """Why the page is a consent page served instead of the article (newscrawl/extract/consent.py)."""
        if self.ld or self.meta.get("article:published_time") or self.meta.get("og:type") == "article":
            return None  # article metadata: never a consent page, and its page is not walked for a notice
        return consent_page(self.root, generic.visible_text(self.root))

    def locate(self) -> None:
        """Find the site's containers before the fields are read (None when a redesign moved them)."""

    def no_article(self, why: str) -> Skip:
        """The page has no article (no headline, or no text to speak of): not an article, or a
        consent wall served instead of it. Only what a reader sees counts: a hidden cookie notice
        never makes a page a consent wall, and a page with an article is never one."""
        text = generic.visible_text(self.root).lower()
        if any(phrase in text for phrase in CONSENT_PHRASES):
            return Skip("consent_wall", "a cookie/consent page instead of the article")
        return Skip("not_article", why)


def usable(value: Any, structured: bool = False) -> Any:
    """A candidate as the loader takes it: text, or a list of texts (or, for a structured field, a
    dict or a body). Metadata written by others may hold any JSON type anywhere: a number, an
    object or a list where text belongs gives nothing rather than an exception."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if structured and isinstance(value, (dict, GenericBody)):
        return value
    return None
