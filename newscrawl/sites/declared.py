"""Sites declared in a TOML file (setting ``SITES_FILE``): a news site without writing Python.

Each ``[sites.<name>]`` table becomes a ``Site`` the registry holds beside the packages under
``newscrawl/sites/``: a spider (``scrapy crawl <name>``), a line of ``newscrawl sites``, its URLs
normalised and its items validated like any other. What a declaration does not say, the
standards say (JSON-LD, meta tags, ``time``, the generic body): a site needs only its host and its
article URL pattern; selectors make the fields its own. docs/sites/declared.md shows one.

The file is checked whole when it is loaded: every mistake is one line of the error, naming the
site and the key, so that a wrong file is refused before anything is crawled.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector

from newscrawl.article.text import normalize_text
from newscrawl.sites.base import ArticleParser, Candidate
from newscrawl.sites.fields import Chosen, FieldSpec
from newscrawl.sites.registry import SOURCE_KINDS, Check, Site, Source, package_sites, register_declared

#: fields a declaration may give selectors for (the rest come from the page's standards or the registry)
SELECTOR_FIELDS = (
    "headline",
    "description",
    "articleBody",
    "authors",
    "datePublished",
    "dateModified",
    "articleSection",
    "keywords",
    "relatedUrls",
)
_KEYS = {
    "title": str,
    "host": str,
    "aliases": list,
    "article_path": str,
    "trailing_slash": bool,
    "feeds": list,
    "sitemaps": list,
    "listings": list,
    "sections": list,
    "selectors": dict,
    "boilerplate_xpath": str,
    "article_type": str,
    "min_coverage": dict,
    "settings": dict,
    "check_url": str,
}
_REQUIRED = ("host", "article_path")
CHECK_FIELDS = ("url", "canonicalUrl", "site", "articleId", "headline", "articleBody")
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_SOURCE_KEYS = {"feeds": "feed", "sitemaps": "sitemap", "listings": "listing"}
_PROBE = Selector(text="<html><body><p>probe</p></body></html>")


class SitesFileError(ValueError):
    """A sites file that cannot be used: one line per mistake."""


class DeclaredParser(ArticleParser):
    """The parser of a declared site: its selectors first, then everything the base parser reads."""

    layout = "declared"
    lead_markup = False  # no lead selector: the page's summary is the description
    #: field name → selector expressions (CSS, or XPath after "xpath:"), tried in order
    selectors: Mapping[str, tuple[str, ...]] = {}

    def select(self, name: str) -> list[str]:
        """The texts the field's selectors find: the first selector that finds any wins."""
        for expression in self.selectors.get(name, ()):
            found = [normalize_text(text) for text in select_texts(self.sel, expression)]
            found = [text for text in found if text]
            if found:
                return found
        return []

    def candidates(self, spec: FieldSpec, *inputs: Chosen) -> Iterator[Candidate]:
        # The declared selector is the site's rule: before every other candidate of the field.
        found = self.select(spec.name) if spec.name != "articleBody" else []
        if found:
            yield "site", found if spec.take == "list" else found[0]
        yield from super().candidates(spec, *inputs)

    def body_blocks(self) -> tuple[str, list[str]]:
        return "site", self.select("articleBody")

    def visible_date(self) -> str:
        found = self.select("datePublished")
        return found[0] if found else ""

    def visible_modified(self) -> str:
        found = self.select("dateModified")
        return found[0] if found else ""


def select_texts(sel: Selector, expression: str) -> list[str]:
    """What a selector finds, as texts: a node's whole text, or the strings ``::text``, ``::attr()``
    or an XPath ``text()``/``@attr`` step select."""
    if expression.startswith("xpath:"):
        found = sel.xpath(expression[len("xpath:") :])
    else:
        found = sel.css(expression)
    texts = []
    for node in found:
        if isinstance(node.root, str):
            texts.append(node.root)
        else:
            texts.append(node.xpath("string()").get() or "")
    return texts


def load_sites(path: str | Path, taken: Mapping[str, Site]) -> dict[str, Site]:
    """The sites a TOML file declares, checked whole: a SitesFileError lists every mistake."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as error:
        raise SitesFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SitesFileError(f"{path}: not TOML ({error})") from None
    problems: list[str] = []
    unknown = sorted(set(data) - {"sites"})
    if unknown:
        problems.append(f"{path}: unknown top-level key(s) {', '.join(unknown)} (sites are [sites.<name>] tables)")
    declared = data.get("sites", {})
    if not isinstance(declared, dict) or not declared:
        problems.append(f"{path}: no [sites.<name>] table")
        declared = {}
    found: dict[str, Site] = {}
    hosts = {host: site.name for site in taken.values() for host in site.hosts}
    for name, entry in declared.items():
        site_problems: list[str] = []
        site = _site(name, entry, taken, hosts, site_problems)
        problems += [f"{path}: [sites.{name}] {problem}" for problem in site_problems]
        if site is not None and not site_problems:
            found[name] = site
            hosts.update({host: name for host in site.hosts})
    if problems:
        raise SitesFileError("\n".join(problems))
    return found


def _site(name: str, entry: Any, taken: Mapping[str, Site], hosts: dict[str, str], problems: list[str]) -> Site | None:
    if not _NAME.match(name):
        problems.append("the name must be 2-31 lower-case letters, digits or _, starting with a letter")
    if name in taken:
        problems.append(f"the name is taken by a built-in site ({taken[name].title})")
    if not isinstance(entry, dict):
        problems.append("must be a table")
        return None
    for key in sorted(set(entry) - set(_KEYS)):
        problems.append(f"unknown key {key!r} (known: {', '.join(_KEYS)})")
    for key, kind in _KEYS.items():
        if key in entry and not isinstance(entry[key], kind):
            problems.append(f"{key} must be a {_TYPE_NAMES[kind]}, not {type(entry[key]).__name__}")
    for key in _REQUIRED:
        if key not in entry:
            problems.append(f"{key} is required")
    host: str = entry["host"] if isinstance(entry.get("host"), str) else ""
    aliases = (
        [a for a in entry.get("aliases", []) if isinstance(a, str)] if isinstance(entry.get("aliases"), list) else []
    )
    for value in [host, *aliases] if host else aliases:
        if not _HOST.match(value):
            problems.append(f"{value!r} is not a host name (like www.example.nl, no scheme or path)")
        elif value in hosts:
            problems.append(f"host {value} already belongs to site {hosts[value]}")
    article_path = _article_path(entry.get("article_path"), problems)
    sources = _sources(entry, host, problems)
    selectors = _selectors(entry.get("selectors"), problems)
    boilerplate = entry.get("boilerplate_xpath", "")
    if isinstance(boilerplate, str) and boilerplate:
        try:
            _PROBE.xpath(boilerplate)
        except ValueError as error:
            problems.append(f"boilerplate_xpath is not XPath ({error})")
    min_coverage = entry.get("min_coverage", {})
    if isinstance(min_coverage, dict):
        for field_name, share in min_coverage.items():
            if not isinstance(share, (int, float)) or not 0 <= share <= 1:
                problems.append(f"min_coverage.{field_name} must be a share between 0 and 1")
    check_url = entry.get("check_url")
    if isinstance(check_url, str) and article_path is not None:
        parts = urlsplit(check_url)
        if parts.hostname != host or not article_path.match(parts.path):
            problems.append(
                f"check_url {check_url!r} is not an article URL of this site (https://{host} + article_path)"
            )
    if problems or article_path is None:
        return None
    parser = type(
        f"Declared{name.title().replace('_', '')}Parser",
        (DeclaredParser,),
        {
            "__module__": __name__,
            "selectors": selectors,
            "boilerplate_xpath": boilerplate or "",
            "default_article_type": entry.get("article_type", "NewsArticle"),
            "site_rules": frozenset(selectors) & {"headline", "articleBody"},
        },
    )
    return Site(
        name=name,
        title=entry.get("title", host),
        host=host,
        aliases=frozenset(aliases),
        article_path=article_path,
        trailing_slash=entry.get("trailing_slash", False),
        parser=parser,
        discovery="newscrawl.sites.discovery.Discovery",
        sources=sources,
        default_sections=tuple(s for s in entry.get("sections", []) if isinstance(s, str)),
        layout_min_coverage=dict(min_coverage),
        settings=dict(entry.get("settings", {})),
        # `scrapy check <name>` parses this article: it must give the fields every item needs.
        check=Check(url=check_url, scrapes=CHECK_FIELDS, requests=(0, 50)) if isinstance(check_url, str) else None,
    )


_TYPE_NAMES = {str: "string", list: "list", bool: "boolean", dict: "table"}


def _article_path(value: Any, problems: list[str]) -> re.Pattern[str] | None:
    if not isinstance(value, str):
        return None
    try:
        pattern = re.compile(value)
    except re.error as error:
        problems.append(f"article_path is not a regular expression ({error})")
        return None
    if "id" not in pattern.groupindex:
        problems.append("article_path needs a named group (?P<id>…): the article's id on the site")
        return None
    if not value.startswith("^"):
        problems.append("article_path must match a whole path: start it with ^")
    return pattern


def _sources(entry: dict[str, Any], host: str, problems: list[str]) -> tuple[Source, ...]:
    sources = []
    for key, kind in _SOURCE_KEYS.items():
        values = entry.get(key, [])
        if not isinstance(values, list):
            continue
        for value in values:
            if not isinstance(value, str) or not (value.startswith("/") or value.startswith("https://")):
                problems.append(f"{key}: {value!r} must be a path on {host or 'the host'} (/…) or an https:// URL")
                continue
            sources.append(Source(kind, value))
    if not any(isinstance(entry.get(key), list) and entry[key] for key in _SOURCE_KEYS):
        problems.append(f"declares no discovery source: give at least one of {', '.join(_SOURCE_KEYS)}")
    assert {s.kind for s in sources} <= set(SOURCE_KINDS)
    return tuple(sources)


def _selectors(value: Any, problems: list[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        return {}
    selectors: dict[str, tuple[str, ...]] = {}
    for field_name, expressions in value.items():
        if field_name not in SELECTOR_FIELDS:
            problems.append(
                f"selectors.{field_name}: not a field a selector can give (one of {', '.join(SELECTOR_FIELDS)})"
            )
            continue
        listed = [expressions] if isinstance(expressions, str) else expressions
        if not isinstance(listed, list) or not listed or not all(isinstance(e, str) and e for e in listed):
            problems.append(f"selectors.{field_name} must be a selector or a list of selectors")
            continue
        for expression in listed:
            try:
                select_texts(_PROBE, expression)
            except (ValueError, SyntaxError) as error:  # cssselect's SelectorSyntaxError is a SyntaxError
                kind = "XPath" if expression.startswith("xpath:") else "CSS"
                problems.append(f"selectors.{field_name}: {expression!r} is not {kind} ({error})")
        selectors[field_name] = tuple(listed)
    return selectors


def use_sites_file(path: str | Path | None) -> dict[str, Site]:
    """Register the sites ``path`` declares (setting SITES_FILE) beside the packages' ("" or None:
    none); a wrong file raises SitesFileError, every mistake one line, before anything is crawled."""
    declared = load_sites(path, package_sites()) if path else {}
    register_declared(declared)
    return declared
