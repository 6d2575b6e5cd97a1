"""Why a request failed, as one short reason: the vocabulary of ``failures/…`` stats and the run report."""

from __future__ import annotations

from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.defer import CancelledError
from twisted.internet.error import (
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from newscrawl.crawl.scope import RefusedAddress


def failure_reason(failure: Failure) -> str:
    """http_<status>, too_large, redirect_loop, ignored, dns, timeout, truncated, connection, or the exception's name."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(IgnoreRequest):
        # Raised for several causes; the message tells them apart (decompression cap, redirect limit, robots, replay).
        message = failure.getErrorMessage().lower()
        return "too_large" if "size" in message else "redirect_loop" if "redirections" in message else "ignored"
    if failure.check(RefusedAddress):
        return "refused_address"
    if failure.check(DNSLookupError):
        return "dns"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timeout"
    if failure.check(DownloadCancelledError, CancelledError):
        return "too_large"  # Scrapy cancels a download that exceeds DOWNLOAD_MAXSIZE
    if failure.check(ResponseDataLossError):
        return "truncated"
    if failure.check(
        ConnectionRefusedError,
        ConnectionLost,
        ResponseFailed,
        ConnectionDone,
        DownloadConnectionRefusedError,
        DownloadFailedError,
    ):
        return "connection"
    return type(failure.value).__name__
