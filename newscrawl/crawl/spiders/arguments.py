"""The spider's arguments as one typed object: ``-a name=value`` from `scrapy crawl` and Scrapyd alike.

Every argument arrives as a string (Scrapyd passes nothing else); each is read once here, and a
wrong one is refused with one line that names it and what it takes, before the crawl starts
(newscrawl/tools/scrapy_commands/crawl.py), not with a traceback when the spider is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

# Spider arguments that are not ours: Scrapyd names its job with ``_job``.
PASSED_THROUGH = frozenset({"_job"})

_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False, "": False}
_RENDER = ("auto", "1", "0", "true", "false", "always", "never")


class BadArgument(ValueError):
    """A spider argument that cannot be taken: the message is the one line to show."""


@dataclass(frozen=True)
class SpiderArgs:
    #: comma-separated URLs to start from instead of the discovery pages
    start_urls: tuple[str, ...] = ()
    #: comma-separated section/category slugs whose page and feed are read (None: the site's defaults)
    sections: tuple[str, ...] | None = None
    #: ISO date: skip articles published (or last modified) before it
    since: date | None = None
    #: request at most this many articles, the newest first
    max_articles: int | None = None
    #: related-link hops to follow from an article (None: the RELATED_DEPTH setting)
    related_depth: int | None = None
    #: 1 = walk every archive sitemap (a backfill)
    archive: bool = False
    #: auto | 1 | 0: JavaScript rendering, for sites that can render
    render: str = "auto"

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def parse(cls, given: Mapping[str, Any]) -> SpiderArgs:
        """The arguments from their strings; BadArgument names the first one that is wrong."""
        unknown = sorted(set(given) - set(cls.names()) - PASSED_THROUGH)
        if unknown:
            raise BadArgument(
                f"unknown spider argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                f"(known: {', '.join(cls.names())})"
            )
        values: dict[str, Any] = {}
        for name in cls.names():
            raw = given.get(name)
            if raw is None:
                continue
            text = str(raw).strip()
            values[name] = getattr(cls, f"_read_{name}")(text)
        return cls(**values)

    @staticmethod
    def _read_start_urls(text: str) -> tuple[str, ...]:
        urls = tuple(u.strip() for u in text.split(",") if u.strip())
        bad = [u for u in urls if not u.startswith(("http://", "https://"))]
        if bad:
            raise BadArgument(f"start_urls takes comma-separated http(s) URLs, got {bad[0]!r}")
        return urls

    @staticmethod
    def _read_sections(text: str) -> tuple[str, ...]:
        return tuple(s.strip().strip("/") for s in text.split(",") if s.strip())

    @staticmethod
    def _read_since(text: str) -> date | None:
        if not text:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise BadArgument(f"since takes an ISO date (YYYY-MM-DD), got {text!r}") from None

    @staticmethod
    def _count(name: str, text: str, least: int) -> int | None:
        if not text:
            return None
        try:
            number = int(text)
        except ValueError:
            raise BadArgument(f"{name} takes a whole number, got {text!r}") from None
        if number < least:
            raise BadArgument(f"{name} takes a whole number of at least {least}, got {text!r}")
        return number

    @classmethod
    def _read_max_articles(cls, text: str) -> int | None:
        return cls._count("max_articles", text, 0)

    @classmethod
    def _read_related_depth(cls, text: str) -> int | None:
        return cls._count("related_depth", text, 0)

    @staticmethod
    def _read_archive(text: str) -> bool:
        if text.lower() not in _FLAGS:
            raise BadArgument(f"archive takes 1 or 0, got {text!r}")
        return _FLAGS[text.lower()]

    @staticmethod
    def _read_render(text: str) -> str:
        if text.lower() not in _RENDER:
            raise BadArgument(f"render takes auto, 1 or 0, got {text!r}")
        return text.lower()
