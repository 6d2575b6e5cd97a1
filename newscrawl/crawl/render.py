"""JavaScript rendering through scrapy-playwright, only for the requests that need it.

Plain HTTP stays the default path. A request is rendered when its meta says
``playwright=True``; the spiders set that for listings whose teasers are loaded
by JavaScript, or for every page with ``-a render=1``. The browser is Debian's
Chromium (Playwright's own browser download does not work offline), held to the site by the
download handler in newscrawl/crawl/browser.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from newscrawl.crawl.archive import replay_source


def browser_path(settings) -> str | None:
    """The Chromium executable the settings point at, if it exists."""
    configured = (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path") or "chromium"
    if Path(configured).exists():
        return configured
    return shutil.which(configured)


def render_meta(scroll: bool = True) -> dict:
    """Meta for a rendered request: wait until the page's scripts have fetched and inserted their content."""
    from scrapy_playwright.page import PageMethod

    methods = [PageMethod("wait_for_load_state", "networkidle")]
    if scroll:
        # Infinite scroll and lazy rows load when scrolled into view.
        methods += [
            PageMethod("evaluate", "window.scrollTo(0, document.body.scrollHeight)"),
            PageMethod("wait_for_load_state", "networkidle"),
        ]
    return {"playwright": True, "playwright_page_methods": methods}


_RENDER_MODES = {"1": "always", "true": "always", "always": "always", "0": "never", "false": "never", "never": "never"}


class RenderPolicy:
    """Which requests of a spider go through the browser: ``render`` is auto (default: listings whose
    teasers are loaded by JavaScript), 1 (every HTML page) or 0 (none). Only for sites that can render."""

    def __init__(self, crawler, can_render: bool, render: str | None, logger):
        self.crawler = crawler
        self.can_render = can_render
        self.mode = _RENDER_MODES.get(str(render).lower() if render is not None else "auto", "auto")
        self.logger = logger
        self.browser_ok = True

    def check_browser(self) -> bool:
        """Say at start-up whether pages can be rendered; False stops a crawl that must render everything."""
        settings = self.crawler.settings
        if not self.can_render or self.mode == "never" or replay_source(settings):
            return True  # replay serves rendered pages from the archive: no browser needed
        path = browser_path(settings)
        if path:
            self.logger.info(
                "JavaScript rendering: %s (%s)", path, "every page" if self.mode == "always" else "pages that need it"
            )
            return True
        self.browser_ok = False
        self.crawler.stats.set_value("render/browser_missing", 1)
        wanted = (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
        message = f"No Chromium at {wanted!r}: install Debian's package (apt-get install chromium) or set PLAYWRIGHT_LAUNCH_OPTIONS executable_path"
        if self.mode == "always":
            self.logger.error("%s. render=1 needs it: nothing crawled.", message)
            return False
        self.logger.warning("%s. Listings loaded by JavaScript will be read without their JS teasers.", message)
        return True

    def maybe_rendered(self, request):
        """An HTML page request, rendered when every page must be."""
        if self.can_render and self.mode == "always" and self.browser_ok:
            request.meta.update(render_meta())
            self.crawler.stats.inc_value("render/requests")
        return request

    def rendered_again(self, response):
        """The same page once more, through the browser, for a page whose content needs JavaScript."""
        if not self.can_render or self.mode != "auto" or response.meta.get("playwright"):
            return None
        if not self.browser_ok:
            self.crawler.stats.inc_value("render/unavailable")
            return None
        self.crawler.stats.inc_value("render/requests")
        self.logger.debug("Rendering %s: its teasers are loaded by JavaScript", response.url)
        return response.request.replace(dont_filter=True, meta={**response.meta, **render_meta()})
