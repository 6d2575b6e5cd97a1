"""The trust boundary: which URLs a crawl of a site may ask for, at every hop.

One rule for every path a request can take (first request, retry, redirect, robots.txt, the
rendering browser's navigations and subresources): the scheme is http(s) and the host is one of
the site's own hosts (its canonical host, aliases and the hosts its sources name). An address in
the loopback, private, link-local, multicast or otherwise reserved ranges is never asked for,
whether written in the URL or what a name resolves to, except the host:port pairs named in
SCOPE_TEST_HOSTS (the tests' local servers). Scrapy's own offsite filter lets a request with
``dont_filter`` (every retry, and every redirect of a retry) through; this check does not.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError


def refused_address(address: str) -> bool:
    """True for an IP address a crawl never asks for: anything but a global unicast address."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return False  # a name, not an address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _port(parts) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None


class Scope:
    """The hosts one site's crawl may reach, and the test hosts (``host:port``) allowed besides."""

    def __init__(self, hosts: Iterable[str], test_hosts: Iterable[str] = ()):
        self.hosts = frozenset(h.lower().rstrip(".") for h in hosts if h)
        self.test_hosts = frozenset(t.strip().lower() for t in test_hosts if t.strip())

    @classmethod
    def for_spider(cls, spider, settings) -> Scope:
        site = getattr(spider, "site", None)
        hosts = (
            [*site.crawl_hosts, *site.hosts]
            if site is not None
            else list(getattr(spider, "allowed_domains", None) or [])
        )
        return cls(hosts, settings.getlist("SCOPE_TEST_HOSTS"))

    def is_test_host(self, host: str, port: int | None) -> bool:
        return f"{host}:{port}" in self.test_hosts

    def refusal(self, url: str) -> tuple[str, str] | None:
        """None when ``url`` may be requested; else (reason, detail): ``offsite`` or ``refused_address``."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
        except ValueError:
            return "offsite", f"not a URL: {url[:200]}"
        if parts.scheme not in ("http", "https"):
            return "offsite", f"scheme {parts.scheme or 'none'} is not crawled"
        port = _port(parts)
        if self.is_test_host(host, port):
            return None
        if refused_address(host) or host == "localhost" or host.endswith(".localhost"):
            return "refused_address", f"{host}:{port} is a loopback, private or reserved address"
        if host not in self.hosts:
            return "offsite", f"{host} is not a host of this site"
        if port not in (80, 443):
            return "offsite", f"{host}:{port} is not the site's port"
        return None

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None


class OutOfScope(IgnoreRequest):
    """A request the scope refused; logged, counted and given its outcome where it was refused."""


class RefusedAddress(DNSLookupError):
    """A site's name resolved to a loopback, private or reserved address (DNS rebinding, a
    misconfigured record): the connection is never made."""


def guard_addresses(host: str, addresses: Iterable[str], allowed_hosts: frozenset[str]) -> None:
    """Raise RefusedAddress when ``host`` resolves to a refused address and is not an allowed test host."""
    if host.lower() in allowed_hosts:
        return
    bad = [a for a in addresses if refused_address(a)]
    if bad:
        raise RefusedAddress(f"{host} resolves to {bad[0]}, a loopback, private or reserved address: not contacted")


def _proxy_hosts() -> set[str]:
    """Hosts of the operator's proxies (http_proxy, https_proxy): contacted by design, wherever they are."""
    from urllib.request import getproxies

    return {(urlsplit(url).hostname or "").lower() for url in getproxies().values() if "://" in url}


class ScopedResolver(CachingThreadedResolver):
    """TWISTED_DNS_RESOLVER: Scrapy's caching resolver, refusing names that resolve to a refused address.

    The test hosts' names (SCOPE_TEST_HOSTS) and the proxies' hosts are exempt.
    """

    allowed: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        tests = {entry.rsplit(":", 1)[0].lower() for entry in crawler.settings.getlist("SCOPE_TEST_HOSTS")}
        resolver.allowed = frozenset(tests | _proxy_hosts())
        return resolver

    def getHostByName(self, name, timeout=()):  # noqa: N802 (Twisted's name)
        def check(address):
            guard_addresses(name, [address], self.allowed)
            return address

        return super().getHostByName(name, timeout).addCallback(check)
