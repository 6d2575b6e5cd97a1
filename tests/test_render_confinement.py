"""The browser used for rendering only loads the site's own hosts (and loopback, for tests)."""

from types import SimpleNamespace

import pytest

from newscrawl.render import should_abort_request


@pytest.mark.parametrize(
    "url, resource_type, aborted",
    [
        ("https://wnl.tv/category/politiek/", "document", False),
        ("https://www.wnl.tv/wp-json/wnl/v1/more", "fetch", False),
        ("https://www.nu.nl/api/f1/graphql", "xhr", False),
        ("http://127.0.0.1:8123/teasers.json", "fetch", False),
        ("https://www.googletagmanager.com/gtm.js?id=GTM-1", "script", True),
        ("https://advertising-cdn.dpgmedia.cloud/header-bidding/prod/nunl/hb.js", "script", True),
        ("https://images.nu.nl/m/abc_wd1280/x.jpg", "image", True),
        ("https://wnl.tv/wp-content/uploads/2025/03/foto.jpg", "image", True),
        ("https://wnl.tv/wp-content/themes/wnl/fonts/x.woff2", "font", True),
        ("https://evil.example/steal.js", "script", True),
    ],
)
def test_browser_requests_outside_the_site_are_aborted(url, resource_type, aborted):
    assert should_abort_request(SimpleNamespace(url=url, resource_type=resource_type)) is aborted
