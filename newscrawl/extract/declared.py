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

import ipaddress
import re
import tomllib
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector

from newscrawl.article.files import NotRegularFile, open_regular
from newscrawl.article.text import normalize_text
from newscrawl.extract.base import ArticleParser, Candidate
from newscrawl.extract.bounded import PathPattern, UnboundedPattern, compile_pattern, compile_xpath, matched_nodes
from newscrawl.extract.discovery import Discovery
from newscrawl.extract.fields import Chosen, FieldSpec
from newscrawl.extract.registry import SOURCE_KINDS, Check, Site, Source, package_sites, register_declared

#: fields a declaration may give selectors for (the rest come from the page's standards or the registry)
SELECTOR_FIELDS = (
    "headline",
    "description",
    "articleBody",
    "authors",
    "agencies",
    "datePublished",
    "dateModified",
    "articleSection",
    "keywords",
    "relatedUrls",
)
_KEYS: dict[str, type | tuple[type, ...]] = {
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
    "paywall": (str, list),
    "language": str,
    "article_type": str,
    "min_coverage": dict,
    "settings": dict,
    "check_url": str,
}
_REQUIRED = ("host", "article_path")
CHECK_FIELDS = ("url", "canonicalUrl", "site", "articleId", "headline", "articleBody")
#: a site name (the spider name and the item's `site`)
SITE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
_PREFIXED_CALL = compile_pattern(r"[A-Za-z_][\w.-]*:[A-Za-z_][\w.-]*\s*\(")  # RE2: any length
_SOURCE_KEYS = {"feeds": "feed", "sitemaps": "sitemap", "listings": "listing"}
_PROBE = Selector(text="<html><body><p>probe</p></body></html>")
#: a sites file is a few KB; anything near this is not one (and is not read into memory)
MAX_FILE_BYTES = 1024 * 1024
# Names that never lead to a public news site: loopback, link-local/LAN suffixes, cloud metadata
# services (metadata.google.internal …). The crawl's resolver refuses their addresses too; a
# declaration naming one is refused when it is loaded.
_PRIVATE_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "lan",
    "home",
    "corp",
    "private",
    "arpa",
    "onion",
)
_PRIVATE_NAMES = {"metadata.azure.com", "metadata.tencentyun.com", "instance-data.ec2.internal"}
_SHARE = (float, 0.0, 1.0)
#: the only settings a declaration may give, with their bounds (inclusive). A declaration may make the
#: crawl gentler than the project's defaults, never harsher; it may tune its own run health and its
#: discovery and render limits. Everything else (feeds, logs, alerts, Redis, robots.txt, the user
#: agent, middlewares …) belongs to the operator and is refused at load.
DECLARABLE_SETTINGS: dict[str, tuple[type, float, float]] = {
    "DOWNLOAD_DELAY": (float, 0.25, 60.0),
    "CONCURRENT_REQUESTS_PER_DOMAIN": (int, 1, 4),
    "AUTOTHROTTLE_START_DELAY": (float, 0.25, 60.0),
    "AUTOTHROTTLE_MAX_DELAY": (float, 1.0, 300.0),
    "AUTOTHROTTLE_TARGET_CONCURRENCY": (float, 0.5, 2.0),
    "DOWNLOAD_TIMEOUT": (float, 5.0, 120.0),
    "RELATED_DEPTH": (int, 0, 5),
    "LISTING_MAX_PAGES": (int, 1, 50),
    "SITEMAP_MAX_DEPTH": (int, 1, 8),
    "SITEMAP_MAX_FILES": (int, 1, 5000),
    "API_MAX_PAGES": (int, 1, 50),
    "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": (int, 1000, 120_000),
    "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": (int, 1, 8),
    "HEALTH_MAX_FALLBACK_SHARE": _SHARE,
    "HEALTH_MIN_SITE_RULES": _SHARE,
    "HEALTH_MAX_PARSE_ERROR_SHARE": _SHARE,
    "HEALTH_MAX_LOST_SHARE": _SHARE,
    "HEALTH_BASELINE_DROP": _SHARE,
    "HEALTH_BASELINE_FALLBACK_RISE": _SHARE,
    "HEALTH_MIN_ARTICLES": (int, 1, 100),
    "HEALTH_MIN_COVERAGE": (dict, 0.0, 1.0),  # {field: share}
}


class SitesFileError(ValueError):
    """A sites file that cannot be used: one line per mistake."""


class DeclaredParser(ArticleParser):
    """The parser of a declared site: its selectors first, then everything the base parser reads."""

    layout = "declared"
    lead_markup = False  # no lead selector: the page's summary is the description
    #: field name → selector expressions (CSS, or XPath after "xpath:"), tried in order
    selectors: Mapping[str, tuple[str, ...]] = {}
    #: the site's paywall marker: a page where any of these selectors finds something is a preview
    paywall: tuple[str, ...] = ()

    def paywall_marked(self) -> bool:
        return any(select_texts(self.sel, expression) for expression in self.paywall)

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


@lru_cache(maxsize=512)
def _xpath(expression: str) -> etree.XPath:
    return compile_xpath(expression)


def select_texts(sel: Selector, expression: str) -> list[str]:
    """What a selector finds, as texts: a node's whole text, or the strings ``::text``, ``::attr()``
    or an XPath ``text()``/``@attr`` step select. XPath runs with its ``re:`` functions on RE2."""
    if expression.startswith("xpath:"):
        return [
            str(node.xpath("string()")) if isinstance(node, etree._Element) else str(node)
            for node in matched_nodes(_xpath(expression[len("xpath:") :]), sel.root)
        ]
    texts = []
    for node in sel.css(expression):
        if isinstance(node.root, str):
            texts.append(node.root)
        else:
            texts.append(node.xpath("string()").get() or "")
    return texts


def _read(path: Path) -> str:
    """The file's text, if it is a regular file of a sites file's size: a FIFO, a device or a
    huge file is refused before it is opened (opening a FIFO waits for a writer)."""
    try:
        with open_regular(path, MAX_FILE_BYTES, "a sites file") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except NotRegularFile as error:
        raise SitesFileError(f"{path}: {error}") from None
    except OSError as error:
        raise SitesFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    if len(data) > MAX_FILE_BYTES:
        raise SitesFileError(f"{path}: more than a sites file holds ({MAX_FILE_BYTES} bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SitesFileError(f"{path}: not TOML ({error})") from None


def load_sites(path: str | Path, taken: Mapping[str, Site]) -> dict[str, Site]:
    """The sites a TOML file declares, checked whole: a SitesFileError lists every mistake."""
    path = Path(path)
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SitesFileError(f"{path}: not TOML ({error})") from None
    except RecursionError:
        raise SitesFileError(f"{path}: not a sites file (its tables or arrays nest too deep)") from None
    problems: list[str] = []
    unknown = sorted(set(data) - {"sites"})
    if unknown:
        problems.append(f"{path}: unknown top-level key(s) {', '.join(unknown)} (sites are [sites.<name>] tables)")
    declared = data.get("sites", {})
    if not isinstance(declared, dict) or not declared:
        problems.append(f"{path}: no [sites.<name>] table")
        declared = {}
    found: dict[str, Site] = {}
    hosts = {host: site.name for site in taken.values() for host in (*site.hosts, *site.crawl_hosts)}
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
    if not SITE_NAME.match(name):
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
        reason = host_problem(value)
        if reason:
            problems.append(f"{value!r} {reason}")
        elif value in hosts:
            problems.append(f"host {value} already belongs to site {hosts[value]}")
    article_path = _article_path(entry.get("article_path"), problems)
    sources = _sources(entry, host, hosts, problems)
    selectors = _selectors(entry.get("selectors"), problems)
    paywall = _selector_list("paywall", entry["paywall"], problems) if "paywall" in entry else ()
    language = entry.get("language", "nl")
    if isinstance(language, str) and not re.fullmatch(r"[a-z]{2}", language):
        problems.append(f"language must be two letters (ISO 639-1: nl, fy, en …), not {language!r}")
    boilerplate = entry.get("boilerplate_xpath", "")
    if isinstance(boilerplate, str) and boilerplate:
        # The generic extractor runs it as plain XPath 1.0: no extension functions (re:test would
        # backtrack; lxml resolves a prefix only when a page reaches it, so look for one here).
        unquoted = _LITERAL.sub("''", boilerplate)
        try:
            etree.XPath(boilerplate)(_PROBE.root)
            if _PREFIXED_CALL.search(unquoted):
                raise etree.XPathEvalError("it calls an extension function")
        except etree.XPathError as error:
            problems.append(f"boilerplate_xpath is not XPath 1.0 without extension functions ({error})")
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
    declared_settings = _settings(entry.get("settings", {}), problems)
    if problems or article_path is None:
        return None
    parser = type(
        f"Declared{name.title().replace('_', '')}Parser",
        (DeclaredParser,),
        {
            "__module__": __name__,
            "selectors": selectors,
            "paywall": paywall,
            "boilerplate_xpath": boilerplate or "",
            "default_article_type": entry.get("article_type", "NewsArticle"),
            "site_rules": frozenset(selectors) & {"headline", "articleBody"},
        },
    )
    return Site(
        name=name,
        language=language if isinstance(language, str) else "nl",
        title=entry.get("title", host),
        host=host,
        aliases=frozenset(aliases),
        article_path=article_path,
        trailing_slash=entry.get("trailing_slash", False),
        parser=parser,
        discovery=Discovery,
        sources=sources,
        default_sections=tuple(s for s in entry.get("sections", []) if isinstance(s, str)),
        layout_min_coverage=dict(min_coverage),
        settings=declared_settings,
        # `scrapy check <name>` parses this article: it must give the fields every item needs.
        check=Check(url=check_url, scrapes=CHECK_FIELDS, requests=(0, 50)) if isinstance(check_url, str) else None,
    )


_TYPE_NAMES = {
    str: "string",
    list: "list",
    bool: "boolean",
    dict: "table",
    (str, list): "selector or list of selectors",
}


def host_problem(host: str) -> str:
    """Why ``host`` cannot be a declared site's host ("" when it can)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return "is an IP address: a site is declared by its host name"
    except ValueError:
        pass
    if not _HOST.match(host):
        return "is not a host name (like www.example.nl, no scheme or path)"
    labels = host.split(".")
    if labels[-1].isdigit() or host in _PRIVATE_NAMES or labels[-1] in _PRIVATE_SUFFIXES:
        return "is a local, private or metadata name, not a public news site"
    return ""


def _settings(value: Any, problems: list[str]) -> dict[str, Any]:
    """The declared settings within DECLARABLE_SETTINGS and their bounds; every other key is a problem."""
    if not isinstance(value, dict):
        return {}
    taken: dict[str, Any] = {}
    for key, setting in value.items():
        if key not in DECLARABLE_SETTINGS:
            problems.append(
                f"settings.{key}: not a setting a declaration may give (politeness, HEALTH_*, discovery and "
                f"render limits: {', '.join(sorted(DECLARABLE_SETTINGS))}); the rest is the operator's"
            )
            continue
        kind, low, high = DECLARABLE_SETTINGS[key]
        shares = setting if kind is dict else {"": setting}
        if not isinstance(shares, dict) or not shares:
            problems.append(f"settings.{key} must be a table of field = share")
            continue
        for field_name, number in shares.items():
            where = f"settings.{key}{'.' + field_name if field_name else ''}"
            whole = kind is int
            if isinstance(number, bool) or not isinstance(number, int if whole else (int, float)):
                problems.append(f"{where} must be {'a whole number' if whole else 'a number'}")
            elif not low <= number <= high:
                problems.append(f"{where} must be between {low:g} and {high:g}, not {number}")
        taken[key] = setting
    return taken


def _article_path(value: Any, problems: list[str]) -> PathPattern | None:
    if not isinstance(value, str):
        return None
    try:
        # Matched against every link of every page: RE2, linear in the URL (newscrawl.extract.bounded).
        pattern: PathPattern = compile_pattern(value)
    except UnboundedPattern as error:
        problems.append(f"article_path is not a regular expression RE2 can match in linear time ({error})")
        return None
    if "id" not in pattern.groupindex:
        problems.append("article_path needs a named group (?P<id>…): the article's id on the site")
        return None
    if not value.startswith("^"):
        problems.append("article_path must match a whole path: start it with ^")
    return pattern


def _sources(entry: dict[str, Any], host: str, hosts: Mapping[str, str], problems: list[str]) -> tuple[Source, ...]:
    sources = []
    for key, kind in _SOURCE_KEYS.items():
        values = entry.get(key, [])
        if not isinstance(values, list):
            continue
        for value in values:
            if not isinstance(value, str) or not (value.startswith("/") or value.startswith("https://")):
                problems.append(f"{key}: {value!r} must be a path on {host or 'the host'} (/…) or an https:// URL")
                continue
            if value.startswith("https://"):
                reason = _url_problem(value, hosts)
                if reason:
                    problems.append(f"{key}: {_shown(value)} {reason}")
                    continue
            sources.append(Source(kind, value))
    if not any(isinstance(entry.get(key), list) and entry[key] for key in _SOURCE_KEYS):
        problems.append(f"declares no discovery source: give at least one of {', '.join(_SOURCE_KEYS)}")
    assert {s.kind for s in sources} <= set(SOURCE_KINDS)
    return tuple(sources)


def _url_problem(url: str, hosts: Mapping[str, str]) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is no number)
    except ValueError as error:
        return f"is not a URL ({error})"
    if parts.username is not None or parts.password is not None:
        return "carries a user name or password: a declaration holds no credentials"
    reason = host_problem(parts.hostname or "")
    if reason:
        return f"names a host that {reason.removeprefix('is ')}" if reason.startswith("is ") else reason
    if parts.hostname and parts.hostname in hosts:
        return f"is on host {parts.hostname}, which belongs to site {hosts[parts.hostname]}"
    return ""


def _shown(url: str) -> str:
    """A URL for an error line, its credentials (if any) left out."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return repr(url)
    return repr(parts._replace(netloc="…@" + parts.netloc.rpartition("@")[2]).geturl())


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
        listed = _selector_list(f"selectors.{field_name}", expressions, problems)
        if listed:
            selectors[field_name] = listed
    return selectors


def _selector_list(label: str, expressions: Any, problems: list[str]) -> tuple[str, ...]:
    """A selector or a list of them (CSS, or XPath after "xpath:"), each checked on a probe page."""
    listed = [expressions] if isinstance(expressions, str) else expressions
    if not isinstance(listed, list) or not listed or not all(isinstance(e, str) and e for e in listed):
        problems.append(f"{label} must be a selector or a list of selectors")
        return ()
    for expression in listed:
        try:
            select_texts(_PROBE, expression)
        except UnboundedPattern as error:
            problems.append(
                f"{label}: {expression!r} has a regular expression RE2 cannot match in linear time ({error})"
            )
        except (ValueError, SyntaxError) as error:  # cssselect's SelectorSyntaxError is a SyntaxError
            kind = "XPath" if expression.startswith("xpath:") else "CSS"
            problems.append(f"{label}: {expression!r} is not {kind} ({error})")
    return tuple(listed)


def use_sites_file(path: str | Path | None) -> dict[str, Site]:
    """Register the sites ``path`` declares (setting SITES_FILE) beside the packages' ("" or None:
    none); a wrong file raises SitesFileError, every mistake one line, before anything is crawled."""
    declared = load_sites(path, package_sites()) if path else {}
    register_declared(declared)
    return declared
