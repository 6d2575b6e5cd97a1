"""ArticleParser: the standard candidate chains, one method per field.

The skeleton (newscrawl/extract/skeleton.py) owns how a page is read: the layout, the page's
metadata readers, the canonical URL and identity, the loader and the finishing touches. This class
owns what every site's fields fall back on: the date precedence, the generic body, the standard
sources of each field. A site parser overrides the field methods whose markup it knows. Each field method
returns its candidates in order of precedence, ``(source, value)``: the site's own rule first,
then the standards that no redesign of the CSS touches (JSON-LD, meta tags, <title>, <h1>,
``time[datetime]``, "Door …" bylines, figures), then what discovery said. The first candidate
that gives a value wins, and ``metadata.sources`` records which one did, per field, so a run can
count how often a site's own rules still work (newscrawl/run/health.py).

Inputs are explicit: the response and the typed discovery hints of its request
(:class:`newscrawl.extract.requestinfo.RequestInfo`). An article's identity comes from the page and its
URL alone, never from how it was found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache, cached_property
from typing import Any

from itemloaders.processors import MapCompose

from newscrawl.article.dates import AMSTERDAM, instant
from newscrawl.article.text import join_blocks, normalize_body, normalize_text, unique
from newscrawl.extract import agencies as agency_credits
from newscrawl.extract import body as body_finder
from newscrawl.extract import generic
from newscrawl.extract import live as live_blog
from newscrawl.extract.body import GenericBody
from newscrawl.extract.common import (
    ChosenDate,
    choose_date,
)
from newscrawl.extract.fields import Chosen, FieldSpec, NotAnArticle, field
from newscrawl.extract.loader import (
    author_objects,
    drop_empty_values,
    section_slug,
    split_authors,
    split_keywords,
    to_date,
    to_related_url,
)
from newscrawl.extract.skeleton import PageParser
from newscrawl.extract.standards import (
    Candidate,
    jsonld_any_published,
    jsonld_author_names,
    jsonld_image,
    settle_wall_time,
    trust_visible_over_offset_bug,
    url_section,
)
from newscrawl.extract.urls import normalize_url

# (source, raw value): one candidate of a field; the first that gives a value wins.

# The authors' candidates a reader sees on the page (the rest is metadata).
VISIBLE_BYLINES = frozenset({"site", "byline", "typed-byline"})

# A page whose headline comes from standards only but whose body is shorter than this is not
# taken for an article (a section page or a stub at an article URL).
MIN_GENERIC_BODY_WORDS = 25

# Meta names other sites give a publication date under (Open Graph variants, Dublin Core, news CMSs);
# read only when article:published_time and the page's visible date gave none.
PUBLISHED_META = (
    "og:published_time",
    "article:published",
    "DC.date.issued",
    "dc.date.issued",
    "DCTERMS.issued",
    "dcterms.issued",
    "dcterms.created",
    "DC.date",
    "dc.date",
    "datePublished",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "article.published",
    "sailthru.date",
    "parsely-pub-date",
    "citation_publication_date",
    "citation_date",
)


def body_text(body: GenericBody) -> str:
    """A body's blocks as articleBody's text: joined by blank lines."""
    return join_blocks(body.blocks)


class ArticleParser(PageParser):
    """The standard candidate chains: every field's sources in order of precedence, the site's own
    rules first (a site overrides the methods whose markup it knows), then the standards."""

    #: ``articleType`` when the page's JSON-LD declares none
    default_article_type: str = "Article"
    #: the fields the site's own rules give (metadata.sources says "site"): run health expects them
    #: from those rules, and the generic body counts as a fallback only when articleBody is one
    site_rules: frozenset[str] = frozenset()
    #: whether the site marks a lead up apart from the text. True: while the site's body rules find
    #: the text, a page that shows no lead has none (its summary meta is a teaser, not a lead).
    #: False (the default): the page's summary (JSON-LD, og:description, meta) is the description
    lead_markup: bool = False
    #: XPath of the site's paywall marker (the element a paywalled preview shows in place of the
    #: rest of the text); "" for none: then only the page's JSON-LD can say it is paywalled
    paywall_xpath: str = ""
    #: XPath of the site's known boilerplate containers, removed before trafilatura reads the page
    #: (generic header/nav/footer tags stay: on real pages of other sites removing them lost text)
    boilerplate_xpath: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # What runs count is the same for every site (their figures compare, and the list does not
        # depend on which plug-ins are installed): a plug-in changes how a field is read, never
        # whether it is counted.
        standard = {spec.name: (spec.coverage, spec.baseline) for spec in ArticleParser.fields}
        for spec in cls.fields:
            counted = (spec.coverage, spec.baseline)
            if standard.get(spec.name, (False, False)) != counted:
                raise TypeError(
                    f"{cls.__name__}.{spec.method}: {spec.name} is counted (coverage, baseline) = {counted} here "
                    f"but {standard.get(spec.name, (False, False))} by the standard chains; declare the field in "
                    "newscrawl/extract/base.py for every site, or here with coverage=False, baseline=False"
                )

    # --- what the page gives away --------------------------------------------
    def accessible_for_free(self) -> tuple[bool, str]:
        """A paywalled preview, or the whole article: the site's paywall marker first, then the
        page's JSON-LD (the article's isAccessibleForFree, or a part of it that is not free:
        hasPart), else free. Words on the page ("Word abonnee", "Lees verder met Premium") never
        decide alone: a free article's footer says them too."""
        if self.paywall_marked():
            return False, "site"
        parts = self.ld.get("hasPart")
        for part in parts if isinstance(parts, list) else [parts]:
            if isinstance(part, dict) and free_flag(part.get("isAccessibleForFree")) is False:
                return False, "json-ld:hasPart"
        declared = free_flag(self.ld.get("isAccessibleForFree"))
        if declared is not None:
            return declared, "json-ld"
        return True, "default"

    def paywall_marked(self) -> bool:
        """Whether the site's paywall marker (``paywall_xpath``) is on the page."""
        return bool(self.paywall_xpath) and bool(self.root.xpath(self.paywall_xpath))

    # --- the fields, in the schema's order -------------------------------------
    @field("url", recorded=False, coverage=False, baseline=False)
    def url(self) -> Iterator[Candidate]:
        yield "response", self.response.url

    @field("canonicalUrl", recorded=False, coverage=False, baseline=False)
    def canonical_url(self) -> Iterator[Candidate]:
        yield "canonical", self.canonical

    @field("site", recorded=False, coverage=False, baseline=False)
    def site_name(self) -> Iterator[Candidate]:
        yield "registry", self.site.name

    @field("articleId", recorded=False, coverage=False, baseline=False)
    def article_id(self) -> Iterator[Candidate]:
        """The site's id of the article: by default the ``id`` group of its canonical URL."""
        yield "url", self.key.split(":", 1)[1]

    @field("articleType", recorded=False, coverage=False, baseline=False)
    def article_type(self) -> Iterator[Candidate]:
        if self.live:
            yield "page", "LiveBlogPosting"
        declared = self.ld.get("@type")
        yield "json-ld", declared if isinstance(declared, str) else None
        yield "default", self.default_article_type

    @field("headline", required="no headline in the page")
    def headline(self) -> Iterator[Candidate]:
        yield "json-ld", self.ld.get("headline")
        yield from self.visible_headline()

    def visible_headline(self) -> Iterator[Candidate]:
        yield "og:title", self.meta.get("og:title")
        yield "title", generic.title_headline(self.root, self.site.title)
        yield "h1", generic.first_h1(self.root)

    @field("description")
    def description(self) -> Iterator[Candidate]:
        # While the site's body markup is there, its lead markup is trusted too: a page that shows
        # no lead has none (og:description is then a teaser text, not the article's lead) —
        # unless the site prints no lead markup at all (lead_markup False).
        if self.lead_markup and self.site_body[1]:
            return
        yield "json-ld", self.ld.get("description")
        yield "og:description", self.meta.get("og:description")
        yield "meta", self.meta.get("description")

    @cached_property
    def site_body(self) -> tuple[str, list[str]]:
        """The site's body rules, read once: (which rule worked, the blocks). A credit line under
        the text ("Bron: ANP", "(AFP)") is a credit, not text: kept apart for agencies."""
        rule, blocks = self.body_blocks()
        if blocks and agency_credits.is_credit_line(blocks[-1]):
            self.body_credit = blocks[-1]
            blocks = blocks[:-1]
        return rule, blocks

    body_credit: str | None = None

    def body_blocks(self) -> tuple[str, list[str]]:
        """The article's own paragraphs, subheads and list items, in order, and the rule that found
        them: "site", or "site:<how>" when only a secondary rule did (the blocks outside their
        usual container, by data attributes …: a layout that moved). No blocks sends the page to
        the generic body."""
        return "site", []

    @field(
        "articleBody",
        inputs=("headline", "description"),
        cleanup=MapCompose(body_text, normalize_body),
        structured=True,
    )
    def article_body(self, headline: Chosen, description: Chosen) -> Iterator[Candidate]:
        """A live blog's updates; else the site's blocks, else the generic body (without the headline
        and lead the page repeats)."""
        if self.live:
            rule, updates = self.live_updates
            blocks = live_blog.body_blocks(updates)
            if blocks:
                yield rule, GenericBody(blocks, "selectors" if rule.startswith("site") else "generic")
                return
            self.warnings.append(
                "liveBlogUpdate: no updates found on the live blog's page; its text is read as an article's"
            )
        rule, blocks = self.site_body
        if blocks:
            yield rule, GenericBody(blocks, "selectors")
            return
        found = body_finder.generic_body(
            self.root, self.densest_container, self.boilerplate_xpath, headline.value, description.value
        )
        if (
            headline.source in ("title", "h1")
            and body_finder.words(found.blocks if found else []) < MIN_GENERIC_BODY_WORDS
        ):
            # Neither the site's markup nor any metadata calls this an article, and it has no real
            # text (an error or section page at an article URL).
            raise NotAnArticle("no article markup, metadata or text")
        if found:
            yield found.extractor, found

    # --- live blogs -----------------------------------------------------------
    def live_entries(self) -> tuple[str, list[Any]]:
        """The live blog's update elements in page order, and the rule that found them: the
        site's ("site"), or the markup-independent one (runs of entries with one <time> each)."""
        return "generic", live_blog.entries(self.article_root)

    @cached_property
    def live_updates(self) -> tuple[str, list[live_blog.Update]]:
        rule, elements = self.live_entries()
        return rule, [live_blog.read_update(element) for element in elements]

    def live_dateline(self) -> str | None:
        """The machine time of the live blog's own dateline: the first ``time[datetime]`` of the
        article outside its updates (in its header too)."""
        _, updates = self.live_updates
        # The elements themselves (a set holds their proxies: lxml hands the same ones back).
        inside = {element for update in updates for element in update.element.iter("time")}
        for element in self.article_root.iter("time"):
            value = (element.get("datetime") or "").strip()
            if value and element not in inside and not generic.is_hidden(element):
                return value
        return None

    def live_blog_updates(self, published: str | None) -> list[dict[str, Any]]:
        """The updates as the item's liveBlogUpdate: page order, each dated (newscrawl/extract/live.py)
        from the blog's start (its datePublished) and its JSON-LD liveBlogUpdate."""
        _, updates = self.live_updates
        start = instant(published, AMSTERDAM)
        raw = self.ld.get("liveBlogUpdate")
        ld_updates = [entry for entry in (raw if isinstance(raw, list) else [raw]) if isinstance(entry, dict)]
        live_blog.date_updates(updates, start, ld_updates, self.warnings)
        return live_blog.as_items(updates)

    def candidates(self, spec: FieldSpec, *inputs: Chosen) -> Iterator[Candidate]:
        if spec.name != "authors":
            yield from super().candidates(spec, *inputs)
            return
        for source, raw in super().candidates(spec, *inputs):
            yield source, raw
            if (
                source in VISIBLE_BYLINES
                and isinstance(raw, str)
                and agency_credits.credited(raw)
                and not split_authors(raw)
            ):
                # The byline shows an agency and no one ("ANP", "NU.nl/ANP"): the account name the
                # page's metadata gives (JSON-LD "Redactie") did not write it.
                return

    @field("authors", inputs=("articleBody",), take="list", cleanup=MapCompose(split_authors), output=author_objects)
    def authors(self, body: Chosen) -> Iterator[Candidate]:
        found = generic_of(body)
        if found and found.byline:
            yield "typed-byline", found.byline
        # A credit line under the site's text ("Bron: ANP", "(AFP)"): the text's byline too.
        yield "typed-byline", self.body_credit
        # What the page shows first ("Door …", rel=author links), then what its metadata says.
        yield "byline", self.generic_byline
        yield "rel-author", self.rel_authors
        yield "json-ld", jsonld_author_names(self.ld)
        yield "meta", self.meta.get("author")

    # Read once: the authors and the agencies (which reads every authors' candidate) both ask.
    @cached_property
    def generic_byline(self) -> str | None:
        return generic.byline_text(self.article_root)

    @cached_property
    def rel_authors(self) -> list[str]:
        return generic.rel_author(self.article_root)

    @field(
        "agencies",
        inputs=("articleBody",),
        take="list",
        cleanup=MapCompose(agency_credits.credited),
        output=unique,
        coverage=False,
        baseline=False,
    )
    def agencies(self, body: Chosen) -> Iterator[Candidate]:
        """The news agencies the article credits for its copy (newscrawl/extract/agencies.py), from
        every credit the page gives the text: the byline sources (the authors' candidates: the
        site's byline, a typed one or a credit line under the text, "Door …", rel=author, JSON-LD,
        meta), the dateline that opens the text, the sign-off that closes it ("… (ANP)"), JSON-LD
        creditText and creator. Never from a picture's credit. All of
        them together (a "NU.nl/ANP" byline and an "(AFP)" dateline credit both); the source
        recorded is the first that named one."""
        authors = next(spec for spec in self.fields if spec.name == "authors")
        credits: list[Candidate] = [(source, raw) for source, raw in self.candidates(authors, body)]
        if body.value and not self.live:
            text = str(body.value)
            credits.append(("dateline", agency_credits.dateline(text.split("\n", 1)[0])))
            credits.append(("sign-off", agency_credits.sign_off(text.rsplit("\n", 1)[-1])))
        credits.append(("json-ld", self.ld.get("creditText")))
        creators = self.ld.get("creator")  # schema.org's creator: "EFE", or {"name": "EFE"}
        for creator in creators if isinstance(creators, list) else [creators]:
            credits.append(("json-ld", creator.get("name") if isinstance(creator, dict) else creator))
        named: list[str] = []
        first = None
        for source, raw in credits:
            texts = raw if isinstance(raw, list) else [raw]
            for text in texts:
                if not isinstance(text, str):
                    continue
                new = [name for name in agency_credits.credited(text) if name not in named]
                if new:
                    first = first or source
                    named += new
        if first:
            yield first, named

    def date_published_candidates(self, visible: str) -> Iterator[Candidate]:
        """Precedence: JSON-LD, the meta tag (UTC), the visible date (its machine form first), any
        ``time[datetime]`` in the article, a Dutch date under the headline, the feed. Lazily: the
        page-wide searches run only when the sources before them gave nothing."""
        yield "json-ld", self.ld.get("datePublished")
        if self.live:
            yield "json-ld", self.ld.get("coverageStartTime")  # a live blog's start, where it names no publication
        yield "meta", self.meta.get("article:published_time")
        yield "visible", self.visible_date_attr()
        yield "visible", visible
        if self.live:
            # A live blog's start: its own dateline, not the time of its newest update above the rest.
            yield "visible:time", self.live_dateline()
        yield "visible:time", generic.first_datetime_attr(self.article_root)
        yield "visible:text", self.generic_visible_date
        # Only when none of the above said a date: the page's other standards, then htmldate's
        # reading of the page (its markup and text in many languages), then the URL's day; what
        # discovery said (a feed's date) is the last resort.
        yield "json-ld:other", jsonld_any_published(self.jsonld)
        yield "meta:other", self.meta.get(*PUBLISHED_META)
        yield "meta:itemprop", generic.itemprop_date(self.root, "datePublished")
        yield "meta:coins", generic.coins_date(self.root)
        yield "visible:htmldate", self.htmldate_published
        yield "url", generic.url_day(self.canonical)
        yield "feed", self.context.hints.published

    @cached_property
    def htmldate_published(self) -> str | None:
        """htmldate's publication day of the page (extensive search, the original date; the page's
        modification metadata taken out first, so that a modified date is never read as the
        publication), unless it is the URL's own day (then said so by the url candidate)."""
        found = generic.htmldate_day(self.root)
        if found and found == generic.url_day(self.canonical):
            return None
        return found

    @cached_property
    def generic_visible_date(self) -> str | None:
        h1 = next((h for h in self.article_root.iter("h1")), None)
        return generic.visible_date_near(h1, self.article_root)

    def visible_date_attr(self) -> str | None:
        """The ``datetime`` attribute of the page's visible date line."""
        return None

    def visible_date(self) -> str:
        """The publication date as the page shows it (kept as ``datePublishedRaw``)."""
        return ""

    @field("datePublished", take="date", cleanup=MapCompose(to_date))
    def date_published(self) -> ChosenDate | None:
        visible = self.visible_date()
        chosen = self.choose_date("datePublished", self.date_published_candidates(visible), visible)
        if chosen is None or chosen.source == "json-ld":
            return chosen
        if chosen.source == "url":
            return self.feed_time_of_day(chosen)
        # A wall time read from text, or a meta time: the rest of the page may correct it.
        candidates = list(self.date_published_candidates(visible))
        return trust_visible_over_offset_bug(
            settle_wall_time(chosen, candidates), candidates, self.context.reference_time
        )

    def feed_time_of_day(self, url_day: ChosenDate) -> ChosenDate:
        """The URL names the day only: a feed date on that same day gives its time (the page agrees)."""
        hint = choose_date([("feed", self.context.hints.published)], self.context.reference_time, "")
        if hint and len(hint.iso) > 10 and hint.iso[:10] == url_day.iso:
            return hint
        return url_day

    def visible_modified(self) -> str:
        return ""

    @field("dateModified", inputs=("datePublished",), take="date", cleanup=MapCompose(to_date), baseline=False)
    def date_modified(self, published: Chosen) -> ChosenDate | None:
        """JSON-LD, then the meta tag (NU says updated_time, WordPress modified_time), then the
        visible line; a change on some day only gives no time (none is invented), and one before
        the publication is not used."""
        visible = self.visible_modified()
        modified = self.choose_date(
            "dateModified",
            [
                ("json-ld", self.ld.get("dateModified")),
                ("meta", self.meta.get("article:updated_time", "article:modified_time")),
                ("visible", visible),
            ],
            visible,
        )
        if modified is None or len(modified.iso) == 10:
            return None
        first: ChosenDate | None = published.raw
        if first and len(first.iso) > 10 and datetime.fromisoformat(modified.iso) < datetime.fromisoformat(first.iso):
            self.warnings.append(
                f"dateModified: {modified.source} {modified.iso} is before datePublished {first.iso}, not used"
            )
            return None
        return modified

    def choose_date(self, field_name: str, candidates: Iterable[Candidate], visible: str) -> ChosenDate | None:
        """The first plausible date among the candidates; the implausible ones passed over are warnings."""
        rejected: list[str] = []
        chosen = choose_date(candidates, self.context.reference_time, visible, self.context.downloaded_at, rejected)
        self.warnings += [f"{field_name}: {problem}" for problem in rejected]
        return chosen

    @field("articleSection", cleanup=MapCompose(normalize_text, section_slug))
    def section(self) -> Iterator[Candidate]:
        section = self.ld.get("articleSection")
        yield (
            "json-ld",
            section[0] if isinstance(section, list) and section else section if isinstance(section, str) else None,
        )
        yield "meta", self.meta.get("article:section")
        yield "breadcrumb", generic.breadcrumb_section(self.jsonld, self.root)
        yield "url", url_section(self.canonical)

    @field("keywords", take="list", cleanup=MapCompose(split_keywords, normalize_text), output=unique)
    def keywords(self) -> Iterator[Candidate]:
        yield "meta", self.meta.get("keywords")
        yield "json-ld", self.ld.get("keywords") if isinstance(self.ld.get("keywords"), (str, list)) else None
        yield "feed", self.context.hints.keywords

    @field("mainImage", structured=True, cleanup=MapCompose(drop_empty_values))
    def image(self) -> Iterator[Candidate]:
        """mainImage: og:image (else JSON-LD image) with the caption and credit the page shows."""
        url = normalize_url(self.meta.get("og:image"), self.response.url)
        source = "og:image"
        if not url:
            url, source = normalize_url(jsonld_image(self.ld), self.response.url), "json-ld"
        if not url:
            return
        caption, credit = self.image_caption()
        if not caption and not credit:
            caption, credit = generic.figure_caption(self.article_root)
        yield source, {"url": url, "caption": caption, "credit": credit}

    def image_caption(self) -> tuple[str | None, str | None]:
        return None, None

    @field(
        "relatedUrls",
        inputs=("articleBody",),
        take="list",
        cleanup=MapCompose(to_related_url),
        output=unique,
        coverage=False,
    )
    def related_urls(self, body: Chosen) -> Iterator[Candidate]:
        """The site's related-link blocks while its body selectors work; else the same-site links of the generic body."""
        found = generic_of(body)
        if found is not None:
            yield "body-links", found.links


def generic_of(body: Chosen) -> GenericBody | None:
    """The generic body when it, not the site's selectors, gave ``articleBody``."""
    return body.raw if isinstance(body.raw, GenericBody) and body.raw.extractor != "selectors" else None


def free_flag(value: object) -> bool | None:
    """A JSON-LD isAccessibleForFree as a boolean (true, "True", "false" …); None when it says nothing."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _counted(flag: str) -> tuple[str, ...]:
    return tuple(spec.name for spec in ArticleParser.fields if getattr(spec, flag))


@cache
def coverage_fields() -> tuple[str, ...]:
    """The fields whose coverage stats and manifests report, for every site alike (the standard
    chains' declarations: no plug-in is imported to learn them)."""
    return _counted("coverage")


@cache
def baseline_fields() -> tuple[str, ...]:
    """The fields whose coverage each site's baseline keeps (a field a site always had, gone in one run)."""
    return _counted("baseline")
