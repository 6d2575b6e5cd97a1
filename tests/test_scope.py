"""The trust boundary: only the site's own hosts are asked for, at every hop (issue: only the site's own content).

The end-to-end tests crawl the NU.nl fixture site through the fault-injecting proxy on 127.0.0.1;
its log of every host it was asked for, and the access log of a loopback service standing in for
Scrapyd, are the proof of what the crawler requested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import FIXTURES, PROJECT
from faultsite import FaultSite

from newscrawl.crawl.scope import RefusedAddress, Scope, guard_addresses, refused_address

NU = Scope(["www.nu.nl", "nu.nl"])


@pytest.mark.parametrize(
    "url, reason",
    [
        ("https://www.nu.nl/binnenland/6400101/x.html", None),
        ("http://www.nu.nl/rss/Algemeen", None),
        ("https://nu.nl/-/6400105/", None),  # an alias of the site
        ("http://169.254.169.254/latest/meta-data/", "refused_address"),  # cloud metadata
        ("http://127.0.0.1:6800/listjobs.json", "refused_address"),  # Scrapyd on the same machine
        ("http://[::1]:6379/", "refused_address"),
        ("http://[::ffff:127.0.0.1]/", "refused_address"),
        ("http://10.1.2.3/", "refused_address"),
        ("http://192.168.0.1/admin", "refused_address"),
        ("http://172.16.5.4/", "refused_address"),
        ("http://100.64.0.1/", "refused_address"),  # carrier-grade NAT
        ("http://224.0.0.251/", "refused_address"),  # multicast
        ("http://0.0.0.0:8080/", "refused_address"),
        ("http://localhost:8080/", "refused_address"),
        ("https://www.example.com/gekaapt/artikel.html", "offsite"),
        ("https://evil.www.nu.nl.example.com/", "offsite"),
        ("https://sub.www.nu.nl/", "offsite"),  # only the registered hosts, not their subdomains
        ("https://www.nu.nl:8443/", "offsite"),
        ("ftp://www.nu.nl/x", "offsite"),
        ("file:///etc/passwd", "offsite"),
        ("https://93.184.216.34/", "offsite"),  # a public address is still not the site
    ],
)
def test_the_scope_admits_only_the_sites_hosts(url, reason):
    refusal = NU.refusal(url)
    assert (refusal[0] if refusal else None) == reason


def test_a_test_host_is_one_host_and_port_never_loopback_in_general():
    scope = Scope(["www.nu.nl"], ["127.0.0.1:8123"])
    assert scope.allows("http://127.0.0.1:8123/teasers.json")
    assert not scope.allows("http://127.0.0.1:6800/listjobs.json")
    assert not scope.allows("http://localhost:8123/")


def test_names_that_resolve_to_refused_addresses_are_not_contacted():
    assert refused_address("127.0.0.1") and refused_address("fe80::1") and refused_address("169.254.169.254")
    assert not refused_address("93.184.216.34") and not refused_address("www.nu.nl")
    with pytest.raises(RefusedAddress, match="www.nu.nl resolves to 10.0.0.7"):
        guard_addresses("www.nu.nl", ["10.0.0.7"], frozenset())
    guard_addresses("www.nu.nl", ["93.184.216.34"], frozenset())
    guard_addresses("nginx.test", ["127.0.0.1"], frozenset({"nginx.test"}))  # a named test host


def test_the_project_resolver_refuses_a_rebound_name(monkeypatch):
    """The project's TWISTED_DNS_RESOLVER on a site name whose DNS answer is a private address (DNS rebinding)."""
    from scrapy.resolver import CachingThreadedResolver
    from scrapy.utils.test import get_crawler
    from twisted.internet import defer

    from newscrawl.crawl.scope import ScopedResolver

    answers = {"www.nu.nl": "10.0.0.7", "nginx.test": "127.0.0.1", "www.wnl.tv": "93.184.216.34"}
    monkeypatch.setattr(
        CachingThreadedResolver, "getHostByName", lambda self, name, timeout=(): defer.succeed(answers[name])
    )
    resolver = ScopedResolver.from_crawler(get_crawler(settings_dict={"SCOPE_TEST_HOSTS": ["nginx.test:443"]}), None)
    results: dict = {}
    for name in answers:
        resolver.getHostByName(name).addBoth(lambda result, name=name: results.__setitem__(name, result))
    assert isinstance(results["www.nu.nl"].value, RefusedAddress)
    assert results["nginx.test"] == "127.0.0.1" and results["www.wnl.tv"] == "93.184.216.34"
    from scrapy.utils.project import get_project_settings

    assert (
        get_project_settings().get("TWISTED_DNS_RESOLVER") == "newscrawl.crawl.scope.ScopedResolver"
    )  # what every crawl uses


# --- End to end: retries answered with redirects, against the fault site's proxy log ----------------

STORM = "https://www.nu.nl/buitenland/6400103/storm-trekt-over-noorse-kust-in-nacht-van-de-klokwissel.html"
ZWEMBAD = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"
STORING = "https://www.nu.nl/tech/6400104/storing-bij-digitale-overheidsdiensten-na-zomertijdwissel.html"
KAASWIEL = "https://www.nu.nl/opmerkelijk/6400105/kaaswiel-van-80-kilo-gestolen-uit-goudse-winkel.html"
IMPOSTOR = "https://www.example.com/gekaapt/artikel.html"


class LoopbackService:
    """A service on 127.0.0.1 (standing in for Scrapyd's port): it logs every request it gets."""

    def __init__(self):
        self.log: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                service.log.append(f"GET {self.path}")
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"status": "ok", "secret": "service data"}')

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def escaped_crawl(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("scope")
    service = LoopbackService()
    escapes = {
        STORM: "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        ZWEMBAD: f"http://127.0.0.1:{service.port}/listjobs.json",
        STORING: IMPOSTOR,
        "https://www.nu.nl/robots.txt": f"http://127.0.0.1:{service.port}/robots.txt",
    }
    site = FaultSite(FIXTURES / "nu" / "site.json", {}, tmp_path, escapes=escapes)
    # The page on the other host claims to be the storing article (its canonical), in the site's markup.
    storing = site.pages[STORING]
    site.pages[IMPOSTOR] = (
        200,
        {"Content-Type": "text/html; charset=utf-8"},
        storing[2].replace(b"Storing bij", b"Gekaapt: storing bij"),
    )
    port = site.start()
    proxy = f"http://127.0.0.1:{port}"
    # The loopback service is reached directly (no_proxy): if the crawler asked it anything, its log shows it.
    env = {**os.environ, "https_proxy": proxy, "http_proxy": proxy, "no_proxy": "127.0.0.1"}
    out = tmp_path / "nu.jsonl"
    args = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "nu",
        "-o",
        str(out),
        "-a",
        f"start_urls={STORM},{ZWEMBAD},{STORING},{KAASWIEL}",
        "-a",
        "related_depth=0",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        "-s",
        f"STATS_FILE={tmp_path / 'stats.json'}",
        "-s",
        f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "DOWNLOAD_TIMEOUT=5",
        "-s",
        "RETRY_TIMES=2",
    ]
    try:
        result = subprocess.run(
            args,
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(PROJECT), "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"},
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        site.stop()
        service.stop()
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines()] if out.exists() else []
    stats = json.loads((tmp_path / "stats.json").read_text("utf-8"))
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text("utf-8"))
    return site, service, items, stats, manifest, result


def test_a_retry_answered_with_a_redirect_never_leaves_the_site(escaped_crawl):
    site, service, items, stats, manifest, result = escaped_crawl
    # Proof from the servers: the proxy was asked only for www.nu.nl, the loopback service for nothing.
    assert set(site.hosts) == {"www.nu.nl"}, site.hosts
    assert service.log == []
    # Each escape was really served (503 first, then the redirect), so the crawler did meet it.
    for url in (STORM, ZWEMBAD, STORING, "https://www.nu.nl/robots.txt"):
        assert site.attempts[url] == 2, (url, site.attempts[url])
    failures = {f["url"]: f["reason"] for f in manifest["urls"]["failures"]}
    assert (
        failures[STORM] == "refused_address"
        and failures[ZWEMBAD] == "refused_address"
        and failures[STORING] == "offsite"
    )
    assert stats["failures/article/refused_address"] == 2 and stats["failures/article/offsite"] == 1
    assert stats["failures/robots/refused_address"] == 1
    assert (
        "Failed article (refused_address): http://169.254.169.254/latest/meta-data/iam/security-credentials/"
        in result.stderr
    )


def test_no_item_comes_from_off_the_site(escaped_crawl):
    _, _, items, _, _, result = escaped_crawl
    assert [item["url"] for item in items] == [KAASWIEL], result.stderr[-3000:]
    assert all("Gekaapt" not in item["headline"] for item in items)


def test_an_off_site_page_claiming_the_sites_canonical_is_skipped():
    """Defence in depth, past the request check: the final URL decides, whatever canonical the page claims."""
    from conftest import fixture_response, project_crawler
    from scrapy.http import HtmlResponse, Request

    from newscrawl.crawl.spiders.sites import spider_for

    NuSpider = spider_for("nu")
    from newscrawl.extract.requestinfo import META_KEY, RequestInfo

    crawler = project_crawler(NuSpider, SCOPE_TEST_HOSTS=["127.0.0.1:8123"])
    spider = crawler.spider
    genuine = fixture_response("nu", STORING)
    for url in (IMPOSTOR, "http://127.0.0.1:6800/gekaapt.html"):
        request = Request(url, meta={META_KEY: RequestInfo()})
        response = HtmlResponse(url, body=genuine.body, encoding="utf-8", request=request)
        assert list(spider.parse_article(response)) == []
    assert crawler.stats.get_value("skipped/off_site") == 2
    # A named test host serves the same page as the site (the tests' local servers): it is read.
    request = Request("http://127.0.0.1:8123/storing.html", meta={META_KEY: RequestInfo()})
    outputs = list(
        spider.parse_article(HtmlResponse(request.url, body=genuine.body, encoding="utf-8", request=request))
    )
    assert outputs and outputs[0]["articleId"] == "6400104"
