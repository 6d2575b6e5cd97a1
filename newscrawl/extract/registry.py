"""The site registry: every news site is one package under ``newscrawl/sites/`` that declares a ``Site``.

Everything that depends on which sites exist asks here: URL normalisation and article keys, the
spiders (one per site), the schema check of ``site``, the demo, the tests, the dataset tools and
the benchmarks. Adding a site is adding a package (and its fixtures); nothing else changes.

A site package's ``__init__.py`` defines ``SITE = Site(...)`` with its parser and discovery
classes (typed: mypy and an import-graph reader see the site → parser hop). The registry imports
the parser base only for its types: the engine's modules ask the registry (URL keys, hosts), so a
run-time import of the parsers from here would run in a circle.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from newscrawl.article.schema import errors_against, fast_validity, validator_for_sites
from newscrawl.extract.bounded import PathPattern

if TYPE_CHECKING:  # types only (see above)
    from scrapy.http import Response

    from newscrawl.extract.base import ArticleParser
    from newscrawl.extract.common import Skip
    from newscrawl.extract.discovery import Discovery
    from newscrawl.extract.item import ArticleItem

# Discovery sources a site can declare; each has a reader in the site's Discovery class.
SOURCE_KINDS = ("feed", "sitemap", "api", "listing")


@dataclass(frozen=True)
class Source:
    """A discovery page. ``path`` is relative to the site's canonical host, or a whole URL on
    another host of the site's (a feed server); ``{section}`` or ``{Section}`` (capitalised) makes
    one source per section; ``{page}`` numbers API pages."""

    kind: str
    path: str
    archive_only: bool = False  # read only with -a archive=1 (a backfill)

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.kind!r} (one of {', '.join(SOURCE_KINDS)})")

    @property
    def per_section(self) -> bool:
        return "{section}" in self.path or "{Section}" in self.path


@dataclass(frozen=True)
class Check:
    """The ``scrapy check`` contract of the site's article callback: a fixture article and the fields it must give."""

    url: str
    scrapes: tuple[str, ...]
    requests: tuple[int, int] = (1, 10)


@dataclass(frozen=True, eq=False)
class Site:
    name: str  # the spider name and the item's ``site``
    title: str  # for people: "NU.nl"
    host: str  # the canonical host
    # The path of a canonical article URL, with a named group ``id`` (a declared site's is RE2's: newscrawl.extract.bounded).
    article_path: re.Pattern[str] | PathPattern
    parser: type[ArticleParser]  # the site's ArticleParser subclass
    discovery: type[Discovery]  # its Discovery class (readers of feeds, sitemaps, listings, API)
    sources: tuple[Source, ...]
    check: Check | None  # None: no ``scrapy check`` contract (a declared site has no fixture)
    aliases: frozenset[str] = frozenset()  # other hosts that serve the same site
    trailing_slash: bool = False  # WordPress paths end in "/"
    # Short links that redirect to an article (/-/<id>/): same ``id`` group, fetched to follow the redirect.
    short_link_path: re.Pattern[str] | None = None
    default_sections: tuple[str, ...] = ()
    can_render: bool = False  # may send JavaScript-loaded listings through the browser
    # Per-site overrides of HEALTH_MIN_COVERAGE (a site that rarely prints bylines, …).
    layout_min_coverage: Mapping[str, float] = field(default_factory=dict)
    # The language the site writes in (two letters): an article too short or unclear to detect gets it.
    language: str = "nl"
    # Consent services this site sends readers to, beside the known ones (newscrawl/extract/consent.py).
    consent_hosts: frozenset[str] = frozenset()
    # Spider settings of this site (politeness overrides …), at Scrapy's "spider" priority.
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "id" not in self.article_path.groupindex:
            raise ValueError(f"{self.name}: article_path needs a named group 'id'")
        if self.short_link_path is not None and "id" not in self.short_link_path.groupindex:
            raise ValueError(f"{self.name}: short_link_path needs a named group 'id'")
        if not re.fullmatch(r"[a-z]{2}", self.language):
            raise ValueError(f"{self.name}: language must be two letters (ISO 639-1), not {self.language!r}")
        for role, given, needs in (("parser", self.parser, "for_page"), ("discovery", self.discovery, "parse_feed")):
            if not (isinstance(given, type) and hasattr(given, needs)):
                raise TypeError(f"{self.name}: {role} must be a class (the site's {role}), not {given!r}")

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    @property
    def hosts(self) -> frozenset[str]:
        return self.aliases | {self.host}

    @property
    def crawl_hosts(self) -> list[str]:
        """Hosts the spider may request: the canonical host and those of sources given as whole URLs."""
        others = {urlsplit(s.path).hostname for s in self.sources if "://" in s.path} - {self.host}
        return [self.host, *sorted(h for h in others if h)]

    def owns(self, host: str) -> bool:
        return host == self.host or host in self.aliases

    @cached_property
    def discovery_reader(self) -> Discovery:
        """The site's Discovery reader, made once."""
        return self.discovery(self)

    def parse_article(self, response: Response) -> ArticleItem | Skip:
        """One article page → ArticleItem, or a Skip saying why it is not one."""
        return self.parser.for_page(response, self).parse()


# Sites declared outside the packages (a SITES_FILE, see newscrawl.extract.declared), by name.
_declared_sites: dict[str, Site] = {}


def register_declared(declared: Mapping[str, Site]) -> None:
    """Hold these declared sites (replacing any held before) beside the packages' sites."""
    _declared_sites.clear()
    _declared_sites.update(declared)
    for cached in (sites, site_for_host):
        cached.cache_clear()


#: the package whose sub-packages are the site plug-ins
PLUGIN_PACKAGE = "newscrawl.sites"


@cache
def sites() -> dict[str, Site]:
    """Every registered site by name: the ``SITE`` of each package under newscrawl/sites/, then
    the declared ones (``register_declared``)."""
    return {**package_sites(), **_declared_sites}


@cache
def package_sites() -> dict[str, Site]:
    """The sites of the packages under newscrawl/sites/."""
    # The plug-ins sit above the engine: found by name, never imported by it statically.
    plugins = importlib.import_module(PLUGIN_PACKAGE)
    package_name, package_path = plugins.__name__, plugins.__path__

    found: dict[str, Site] = {}
    for module in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if not module.ispkg:
            continue
        site = getattr(importlib.import_module(f"{package_name}.{module.name}"), "SITE", None)
        if not isinstance(site, Site):
            raise TypeError(f"{package_name}.{module.name} is a site package without SITE = Site(...)")
        if site.name != module.name:
            raise ValueError(f"site {site.name!r} is declared in package {module.name!r}: the names must agree")
        found[site.name] = site
    return found


def site_named(name: str) -> Site:
    try:
        return sites()[name]
    except KeyError:
        raise KeyError(f"no site {name!r}; registered: {', '.join(sites())}") from None


@lru_cache(maxsize=4096)  # hosts of every link on every page pass here
def site_for_host(host: str) -> Site | None:
    host = host.lower()
    for site in sites().values():
        if site.owns(host):
            return site
    return None


def article_validator(also: frozenset[str] = frozenset()) -> Draft202012Validator:
    """The article schema as this installation checks it (``site`` one of the registered sites, and
    of ``also``: sites a dataset names that are not registered here)."""
    return validator_for_sites(tuple(sorted({*sites(), *also})))


def schema_errors(item: Any, also: frozenset[str] = frozenset()) -> list[str]:
    """``"field/path: message"`` for each way the item breaks the schema, sorted by path."""
    return errors_against(article_validator(also), item)


def quick_validity(also: frozenset[str] = frozenset()) -> Callable[[Any], bool]:
    """The fast validator's yes (newscrawl.article.schema.fast_validity) against this
    installation's schema: a no is to be asked of :func:`schema_errors`, whose messages count."""
    return fast_validity(tuple(sorted({*sites(), *also})))


def quick_schema_errors(item: Any, also: frozenset[str] = frozenset()) -> list[str]:
    """:func:`schema_errors`, at a fraction of the cost when the item is valid (most lines of a
    dataset): the fast validator's yes is taken, anything else is asked of the reference."""
    if quick_validity(also)(item):
        return []
    return schema_errors(item, also)
