"""Why a request failed, as one short reason: the vocabulary of ``failures/…`` stats and the run report."""

from __future__ import annotations

import re

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

# Every failure reason there is (README, "Every URL has an outcome"), besides http_<status>: what
# failures/… stats, manifests and the run report say. An error none of them names is "other".
REASONS = (
    "offsite",
    "refused_address",
    "url_too_long",
    "dns",
    "timeout",
    "connection",
    "truncated",
    "too_large",
    "redirect_loop",
    "ignored",
    "parse_error",
    "other",
)
_HTTP = re.compile(r"^http_\d{3}$")


def short_reason(reason: str) -> str:
    """A reason of the vocabulary as it is; any other (an exception's name in an older manifest) is "other"."""
    return reason if reason in REASONS or _HTTP.match(reason) else "other"


def failure_detail(failure: Failure, reason: str) -> str:
    """The error's message; for an "other" failure (``reason``, from failure_reason), its
    exception's name first: the reason no longer says it."""
    message = failure.getErrorMessage()
    if reason == "other":
        return f"{type(failure.value).__name__}: {message}"
    return message


def failure_reason(failure: Failure) -> str:
    """http_<status>, too_large, redirect_loop, ignored, dns, timeout, truncated, connection, or other."""
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
    return "other"
