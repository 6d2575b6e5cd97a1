"""Failure reasons: the vocabulary of failures/… stats and the run report."""

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest, ResponseDataLossError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from newscrawl.crawl.failures import failure_reason


@pytest.mark.parametrize(
    "error, reason",
    [
        (HttpError(Response("https://www.nu.nl/x", status=404), "Ignoring non-200 response"), "http_404"),
        (
            IgnoreRequest(
                "Ignored response because its body (100 B compressed, 67108864 B decompressed) is larger than the download max size"
            ),
            "too_large",
        ),
        (IgnoreRequest("max redirections reached"), "redirect_loop"),
        (IgnoreRequest("Forbidden by robots.txt"), "ignored"),
        (DNSLookupError("www.nu.nl"), "dns"),
        (DownloadTimeoutError("took longer than 1.0 seconds"), "timeout"),
        (DownloadCancelledError("expected response size larger than download max size"), "too_large"),
        (ResponseDataLossError("Connection closed before the full body was received"), "truncated"),
        (ValueError("something else"), "other"),
    ],
)
def test_failure_reasons(error, reason):
    failure = Failure(error)
    failure.request = Request("https://www.nu.nl/x")
    assert failure_reason(failure) == reason
