"""The crawl's feeds: FEEDS and DEFAULT_FEED, read here and only here, and feed URIs as local files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname


def local_path(uri: str) -> Path | None:
    """The local file of a feed URI: a plain path, ``file://…`` or a Windows drive path; None for remote storages."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    if parts.scheme in ("", None) or len(parts.scheme) == 1:
        return Path(uri)
    return None


def run_time(stats) -> str:
    """The run's start as Scrapy writes ``%(time)s`` in feed URIs (UTC, ":" → "-")."""
    from datetime import UTC, datetime

    start = stats.get_value("start_time") or datetime.now(UTC)
    return start.replace(microsecond=0).isoformat().replace(":", "-")


def with_spider_name(template: str, spider_name: str) -> str:
    """A path template (feed URI, rejects file, samples folder) with ``%(name)s`` filled in;
    other placeholders (``%(time)s``) are left for whoever knows them."""
    return template.replace("%(name)s", spider_name)


def feeds(settings) -> dict[str, dict]:
    """FEEDS, as given (-o/-O, settings, or the default-feed add-on): URI → options."""
    return settings.getdict("FEEDS")


def feeds_or_default(settings) -> dict[str, dict]:
    """What the crawl writes: FEEDS, else DEFAULT_FEED (what `scrapy crawl` writes without -o)."""
    return feeds(settings) or {settings.get("DEFAULT_FEED") or "": {}}


def default_feed(settings) -> str | None:
    """DEFAULT_FEED when this command writes it (WRITE_DEFAULT_FEED: `scrapy crawl`) and no feed was given."""
    if not settings.getbool("WRITE_DEFAULT_FEED") or feeds(settings):
        return None
    return settings.get("DEFAULT_FEED") or None
