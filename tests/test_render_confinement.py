"""The browser used for rendering only loads the site's own hosts (and a named test host, for tests)."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from conftest import PROJECT

from newscrawl.crawl.browser import browser_abort, confined_launch_options
from newscrawl.crawl.scope import Scope

WNL = Scope(["wnl.tv", "www.wnl.tv"], ["127.0.0.1:8123"])


@pytest.mark.parametrize(
    "url, resource_type, aborted",
    [
        ("https://wnl.tv/category/politiek/", "document", False),
        ("https://www.wnl.tv/wp-json/wnl/v1/more", "fetch", False),
        ("http://127.0.0.1:8123/teasers.json", "fetch", False),  # the named test host
        ("http://127.0.0.1:6800/schedule.json", "fetch", True),  # loopback in general: never
        ("http://169.254.169.254/latest/meta-data/", "document", True),
        ("http://10.0.0.5/intranet", "xhr", True),
        ("https://www.nu.nl/api/f1/graphql", "xhr", True),  # another site's host is not this site's
        ("https://www.googletagmanager.com/gtm.js?id=GTM-1", "script", True),
        ("https://advertising-cdn.dpgmedia.cloud/header-bidding/prod/nunl/hb.js", "script", True),
        ("https://images.nu.nl/m/abc_wd1280/x.jpg", "image", True),
        ("https://wnl.tv/wp-content/uploads/2025/03/foto.jpg", "image", True),
        ("https://wnl.tv/wp-content/themes/wnl/fonts/x.woff2", "font", True),
        ("https://evil.example/steal.js", "script", True),
    ],
)
def test_browser_requests_outside_the_site_are_aborted(url, resource_type, aborted):
    assert browser_abort(WNL)(SimpleNamespace(url=url, resource_type=resource_type)) is aborted


def test_sitemaps_and_feeds_that_list_other_hosts_lead_to_no_request_there():
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest
    from scrapy.http import XmlResponse
    from scrapy.utils.test import get_crawler

    from newscrawl.crawl.middlewares import ScopeMiddleware
    from newscrawl.crawl.spiders.sites import spider_for

    NuSpider = spider_for("nu")
    from newscrawl.extract.registry import site_named
    from newscrawl.extract.requestinfo import META_KEY, RequestInfo

    nu = site_named("nu").discovery_reader

    body = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://sitemaps.example.net/nu/articles.xml</loc></sitemap></sitemapindex>"""
    children, _ = nu.parse_sitemap(XmlResponse("https://www.nu.nl/sitemap_index.xml", body=body))
    crawler = get_crawler(NuSpider)
    crawler.spider = crawler._create_spider()
    middleware = ScopeMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    with pytest.raises(IgnoreRequest):
        middleware.process_request(
            Request(children[0].url, meta={META_KEY: RequestInfo(discovery=True, via="sitemap")})
        )
    assert crawler.stats.get_value("failures/discovery/offsite") == 1
    urlset = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>https://www.telegraaf.nl/nieuws/1234567/iets.html</loc></url>
      <url><loc>https://www.nu.nl/binnenland/6400101/x.html</loc></url></urlset>"""
    _, links = nu.parse_sitemap(XmlResponse("https://www.nu.nl/sitemap_news.xml", body=urlset))
    assert [link.url for link in links] == ["https://www.nu.nl/binnenland/6400101/x.html"]


def test_confined_launch_options_send_everything_else_nowhere():
    options = confined_launch_options(
        {
            "executable_path": "/usr/bin/chromium",
            "args": ["--no-sandbox", "--proxy-server=http://x:1"],
            "proxy": {"server": "http://corp:3128"},
        },
        WNL,
    )
    assert "proxy" not in options and options["executable_path"] == "/usr/bin/chromium"
    assert options["args"][0] == "--no-sandbox" and "--proxy-server=http://x:1" not in options["args"]
    assert "--proxy-bypass-list=<-loopback>;wnl.tv;www.wnl.tv;127.0.0.1:8123" in options["args"]


# --- A real Chromium, through the WNL spider: a page that tries every way off the site ------------

ESCAPING_PAGE = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Politiek | WNL</title>
<script src="http://127.0.0.1:{svc}/script.js"></script></head>
<body><main><h1>Politiek</h1>
<img src="http://127.0.0.1:{svc}/pixel.gif">
<iframe src="http://127.0.0.1:{svc}/frame.html"></iframe><iframe name="sink"></iframe>
<form id="leak" method="post" target="sink" action="http://127.0.0.1:{svc}/schedule.json"><input name="spider" value="nu"></form>
<div class="teaser-list" id="teasers"></div>
<script>
  fetch("http://127.0.0.1:{svc}/fetch.json").catch(() => 0);
  fetch("http://169.254.169.254/latest/meta-data/").catch(() => 0);
  fetch("/go").catch(() => 0);  // on the site, redirected to the service
  var xhr = new XMLHttpRequest(); xhr.open("POST", "http://127.0.0.1:{svc}/xhr"); xhr.send("x");
  navigator.sendBeacon && navigator.sendBeacon("http://127.0.0.1:{svc}/beacon", "x");
  document.getElementById("teasers").innerHTML =
    '<article class="teaser category-politiek"><div class="teaser__body"><h3 class="teaser__title">' +
    '<a href="https://wnl.tv/2025/03/31/tweede-kamer-stemt-over-defensiebegroting/">Tweede Kamer stemt</a></h3></div></article>';
  setTimeout(() => document.getElementById("leak").submit(), 200);
</script></main></body></html>"""


class Recorder(BaseHTTPRequestHandler):
    """A server that logs every request; the escaping page on the site's test host, or the loopback service."""

    page = b""
    log: list[str] = []
    redirect_to = ""

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.log.append(f"{self.command} {self.path}")
        if self.path == "/go" and self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


def serve(handler) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_rendered_page_reaches_nothing_off_the_site(tmp_path):
    from test_crawl_wnl import LOCAL_SPIDER, _need_browser

    _need_browser()
    service_log: list[str] = []
    service = serve(type("Service", (Recorder,), {"log": service_log, "page": b"secret"}))
    svc = service.server_address[1]
    site_log: list[str] = []
    site = serve(
        type(
            "Site",
            (Recorder,),
            {
                "log": site_log,
                "page": ESCAPING_PAGE.replace("{svc}", str(svc)).encode(),
                "redirect_to": f"http://127.0.0.1:{svc}/redirected",
            },
        )
    )
    url = f"http://127.0.0.1:{site.server_address[1]}/category/politiek/"
    spider = tmp_path / "localwnl.py"
    spider.write_text(LOCAL_SPIDER, "utf-8")
    out = tmp_path / "found.jsonl"
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "runspider",
                str(spider),
                "-a",
                f"start_urls={url}",
                "-a",
                "render=1",
                "-O",
                str(out),
                "-s",
                f"SCOPE_TEST_HOSTS=127.0.0.1:{site.server_address[1]}",
                "-s",
                f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
            ],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        service.shutdown()
        site.shutdown()
    assert result.returncode == 0, result.stderr[-3000:]
    found = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    # The page was rendered (its script ran and inserted the teaser), and went to its own host for /go…
    assert {f["url"] for f in found} == {"https://wnl.tv/2025/03/31/tweede-kamer-stemt-over-defensiebegroting/"}
    assert all(f["rendered"] for f in found) and "GET /go" in site_log
    # …but the service on another port of 127.0.0.1 saw nothing: no script, image, frame, fetch, XHR,
    # beacon, form POST, nor the redirect's second hop.
    assert service_log == []
