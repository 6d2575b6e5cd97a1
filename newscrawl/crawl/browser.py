"""The download handler of rendered pages: scrapy-playwright's, with the browser held to the site.

A module of its own: scrapy-playwright and Playwright take ~150 ms to import, paid only by the
spiders that can render (their DOWNLOAD_HANDLERS name this handler), not by every crawl.
"""

from __future__ import annotations

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from newscrawl.crawl.scope import Scope

# Images, media and fonts are never loaded: they carry no text, and pages render much faster.
_SKIPPED_RESOURCES = frozenset({"image", "media", "font"})
# Where the browser sends every request that is not to the site: a port where nothing listens on
# this machine, so the request fails there and then (ERR_PROXY_CONNECTION_FAILED).
_SINK_PROXY = "http://127.0.0.1:1"


def browser_abort(scope: Scope):
    """PLAYWRIGHT_ABORT_REQUEST for one site: abort what is off the scope, and images/media/fonts."""

    def should_abort_request(request) -> bool:
        return request.resource_type in _SKIPPED_RESOURCES or not scope.allows(request.url)

    return should_abort_request


def confined_launch_options(options: dict, scope: Scope) -> dict:
    """Chromium launch options in which only the scope's hosts are reachable, whatever the page does.

    Playwright's request routing sees a page's navigations, subresources, fetch/XHR and form posts,
    but not the hops of a redirect, nor what a service worker asks. So the browser also gets a
    proxy that leads nowhere, bypassed only for the site's hosts and the test hosts
    (``<-loopback>``: loopback addresses are not bypassed by default).
    """
    args = [a for a in options.get("args", []) if not a.startswith(("--proxy-server", "--proxy-bypass-list"))]
    bypass = ["<-loopback>", *sorted(scope.hosts), *sorted(scope.test_hosts)]
    args += [f"--proxy-server={_SINK_PROXY}", f"--proxy-bypass-list={';'.join(bypass)}"]
    return {**{k: v for k, v in options.items() if k != "proxy"}, "args": args}


class ScopedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler with the browser held to the spider's scope (newscrawl/crawl/scope.py)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        scope = Scope.for_spider(crawler.spider, crawler.settings) if crawler.spider is not None else Scope(())
        self.abort_request = browser_abort(scope)
        self.config.launch_options = confined_launch_options(self.config.launch_options, scope)
