"""How a URL ended, recorded from anywhere in the crawl (see newscrawl/run/ledger.py for the list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from scrapy import Request
from scrapy.exceptions import DropItem

from newscrawl.crawl import signals

Kind = Literal["item", "reject", "duplicate", "not_modified", "skipped", "not_requested", "discovery", "failure"]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: the kinds that carry a reason (``skipped:video``, ``failure:http_404`` …)
WITH_REASON = frozenset({"skipped", "not_requested", "failure"})


@dataclass(frozen=True)
class Outcome:
    """How one URL ended: a kind and, for some kinds, a short reason. Written as ``kind:reason``
    (or ``kind``) in manifests, stats and the state; :meth:`parse` reads that form back."""

    kind: Kind
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown outcome kind {self.kind!r}")
        if bool(self.reason) != (self.kind in WITH_REASON) or ":" in self.reason:
            raise ValueError(f"outcome {self.kind!r} with reason {self.reason!r}")

    def __str__(self) -> str:
        return f"{self.kind}:{self.reason}" if self.reason else self.kind

    @classmethod
    def parse(cls, text: str) -> Outcome:
        """The outcome a ``kind:reason`` text names (ValueError when it names none)."""
        kind, _, reason = text.partition(":")
        if kind not in KINDS:
            raise ValueError(f"unknown outcome kind {kind!r}")
        return cls(kind, reason)

    @classmethod
    def failure(cls, reason: str) -> Outcome:
        return cls("failure", reason)

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        return cls("skipped", reason)

    @classmethod
    def not_requested(cls, reason: str) -> Outcome:
        return cls("not_requested", reason)


ITEM, REJECT, DUPLICATE = Outcome("item"), Outcome("reject"), Outcome("duplicate")
NOT_MODIFIED, DISCOVERY = Outcome("not_modified"), Outcome("discovery")


class DuplicateItem(DropItem):
    """An item already emitted before (unchanged, or the same text under another id)."""


def request_key(request: Request | None) -> str:
    """A URL's ledger key: the first URL of its request (redirects keep it)."""
    if request is None:  # a response built by hand (a saved page) has no request
        return ""
    redirected = request.meta.get("redirect_urls")
    return redirected[0] if redirected else request.url


def resolve(crawler, url: str, outcome: Outcome, detail: str = "") -> None:
    """Tell the run (the URL ledger, when enabled) how this URL ended."""
    crawler.signals.send_catch_log(signals.url_resolved, url=url, outcome=outcome, detail=detail)
