"""Canonical URLs and article keys, by the rules each site declares in the registry.

The request fingerprinter and the parsers share these rules, so the same article reached under
another section slug, with a tracking query, over http or through another host of the site is
one request and one item.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from newscrawl.extract.registry import Site, site_for_host


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
    site = site_for_host((parts.hostname or "").lower())
    if site is None:
        return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))
    path = parts.path or "/"
    if site.trailing_slash and not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    # Query strings on these sites are tracking only (?utm_…, ?referrer=…).
    return urlunsplit(("https", site.host, path, "", ""))


def _site_and_path(url: str) -> tuple[Site, str] | None:
    normalized = normalize_url(url)
    if not normalized:
        return None
    parts = urlsplit(normalized)
    site = site_for_host(parts.hostname or "")
    return (site, parts.path) if site is not None else None


def article_key(url: str) -> str | None:
    """``"nu:6333770"`` / ``"wnl:2024/10/21/slug"`` for an article URL (any variant), else None.

    The key is the site's name and the ``id`` group of its article path: what "the same article"
    means before the page is fetched. Short links get no key: they must be fetched to follow
    their redirect.
    """
    found = _site_and_path(url)
    if found is None:
        return None
    site, path = found
    match = site.article_path.match(path)
    return f"{site.name}:{match.group('id')}" if match else None


def short_link_key(url: str) -> str | None:
    """The article key a short link (NU.nl ``/-/<id>/``) redirects to, for sites that have them."""
    found = _site_and_path(url)
    short_link_path = found[0].short_link_path if found else None
    if found is None or short_link_path is None:
        return None
    site, path = found
    match = short_link_path.match(path)
    return f"{site.name}:{match.group('id')}" if match else None


def link_key(url: str) -> str | None:
    """Which article a link points to: its key, or the key its short link redirects to."""
    return article_key(url) or short_link_key(url)
