"""JavaScript rendering through scrapy-playwright, only for the requests that need it.

Plain HTTP stays the default path. A request is rendered when its meta says
``playwright=True``; the spiders set that for listings whose teasers are loaded
by JavaScript, or for every page with ``-a render=1``. The browser is Debian's
Chromium (Playwright's own browser download does not work offline).
"""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from .urls import site_for_host

# Requests the browser may make: the site's own hosts (and loopback, for tests).
# Trackers, ad servers and CDNs are aborted: confinement, and much faster pages.
_SKIPPED_RESOURCES = frozenset({"image", "media", "font"})


def should_abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: True for anything not on a known site's host, and for images/media/fonts."""
    if request.resource_type in _SKIPPED_RESOURCES:
        return True
    host = urlsplit(request.url).hostname or ""
    if site_for_host(host):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


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
        methods += [PageMethod("evaluate", "window.scrollTo(0, document.body.scrollHeight)"), PageMethod("wait_for_load_state", "networkidle")]
    return {"playwright": True, "playwright_page_methods": methods}
