"""Canonical URLs and article ids (MARKUP.md §1.3).

Each site registers its hosts and article URL pattern here, once; the
request fingerprinter and the parsers share the same rules, so the same
article reached under another section slug, with a tracking query, over http
or through the bare host is one request and one item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit


@dataclass(frozen=True)
class SiteUrls:
    name: str
    host: str  # the canonical host
    aliases: frozenset[str]  # other hosts that serve the same site
    article_path: re.Pattern[str]  # matches the path of a canonical article URL
    trailing_slash: bool = False  # WordPress paths end in "/"

    def owns(self, host: str) -> bool:
        return host == self.host or host in self.aliases


SITES: dict[str, SiteUrls] = {
    "nu": SiteUrls(
        name="nu",
        host="www.nu.nl",
        aliases=frozenset({"nu.nl"}),
        # /<section>/<id>/<slug>.html; /video/… pages are not articles.
        article_path=re.compile(r"^/(?!video/)([a-z0-9-]+)/(\d{6,8})/[^/]+\.html$"),
    ),
    "wnl": SiteUrls(
        name="wnl",
        host="wnl.tv",
        aliases=frozenset({"www.wnl.tv"}),
        article_path=re.compile(r"^/(\d{4})/(\d{2})/(\d{2})/([^/]+)/$"),
        trailing_slash=True,
    ),
}

_NU_SHORT_PATH = re.compile(r"^/-/(\d{6,8})/?$")


def site_for_host(host: str) -> SiteUrls | None:
    host = host.lower()
    for site in SITES.values():
        if site.owns(host):
            return site
    return None


def normalize_url(href: str | None, base: str | None = None) -> str | None:
    """Resolve against ``base``; for our sites: https, canonical host, no query or fragment.

    Other hosts only lose their fragment. Returns None for links that are not
    web pages (mailto:, javascript:, empty).
    """
    if not href:
        return None
    href = href.strip()
    url = urljoin(base, href) if base else href
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = (parts.hostname or "").lower()
    site = site_for_host(host)
    if site is None:
        return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))
    path = parts.path or "/"
    if site.trailing_slash and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    # Query strings on these sites are tracking only (?utm_…, ?referrer=…).
    return urlunsplit(("https", site.host, path, "", ""))


def article_key(url: str) -> str | None:
    """``"nu:6333770"`` / ``"wnl:2024/10/21/slug"`` for an article URL (any variant), else None.

    The key is what "the same article" means before the page is fetched.
    NU short links (/-/<id>/) get no key: they must be fetched to follow their redirect.
    """
    normalized = normalize_url(url)
    if not normalized:
        return None
    parts = urlsplit(normalized)
    site = site_for_host(parts.hostname or "")
    if site is None:
        return None
    match = site.article_path.match(parts.path)
    if not match:
        return None
    if site.name == "nu":
        return f"nu:{match.group(2)}"
    return f"{site.name}:{'/'.join(match.groups())}"


def is_article_url(url: str, site: str | None = None) -> bool:
    key = article_key(url)
    return key is not None and (site is None or key.startswith(site + ":"))


def nu_short_url_id(url: str) -> str | None:
    """The article id of a NU.nl short link ``https://www.nu.nl/-/<id>/``."""
    parts = urlsplit(url)
    if site_for_host(parts.hostname or "") is not SITES["nu"]:
        return None
    match = _NU_SHORT_PATH.match(parts.path)
    return match.group(1) if match else None
