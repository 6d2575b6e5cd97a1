"""Feed URIs (Scrapy FEEDS keys) as local files."""

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
