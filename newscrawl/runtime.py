"""The project's components of one crawl, found through one typed object instead of crawler attributes.

Extensions and middlewares register themselves here in ``from_crawler``; the spider, pipelines
and other components look them up with ``runtime(crawler)``. Each is None when not enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from .distributed import Cluster
    from .ledger import UrlLedger
    from .monitor import LayoutMonitor
    from .politeness import HostLimiter
    from .state.base import Store


@dataclass
class Runtime:
    store: Store | None = None  # dedup/revision and validator state (SQLite or Redis)
    ledger: UrlLedger | None = None  # every URL's outcome
    monitor: LayoutMonitor | None = None  # layout-change detection
    cluster: Cluster | None = None  # distributed mode
    worker_id: str | None = None  # this process's name in a cluster
    host_limiter: HostLimiter | None = None  # the cluster's shared per-host rate limit


_RUNTIMES: WeakKeyDictionary[Any, Runtime] = WeakKeyDictionary()


def job_id(crawler) -> str | None:
    """The Scrapyd job this crawl is (Scrapyd passes it as the spider argument ``_job``; older
    versions set SCRAPY_JOB), or None for a crawl started by hand."""
    import os

    return getattr(crawler.spider, "_job", None) or os.environ.get("SCRAPY_JOB")


def runtime(crawler) -> Runtime:
    found = _RUNTIMES.get(crawler)
    if found is None:
        found = _RUNTIMES[crawler] = Runtime()
    return found
