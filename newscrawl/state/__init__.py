"""The state shared by all runs: the store interface (base), SQLite (embedded) and Redis (distributed)."""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object

from newscrawl.state.base import Baseline, FetchRecord, SeenArticle, Store

__all__ = [
    "Baseline",
    "FetchRecord",
    "SeenArticle",
    "StateStore",
    "Store",
    "state_db",
    "state_window_days",
    "store_for",
]


def state_db(settings) -> str:
    """STATE_DB: the embedded store's file (not used by a distributed crawl's shared store)."""
    return str(settings.get("STATE_DB") or "")


def state_window_days(settings) -> float:
    """STATE_EXPIRE_DAYS: how long the state remembers an article; 0: for ever."""
    return settings.getfloat("STATE_EXPIRE_DAYS")


#: the default STATE_STORE_FACTORY (newscrawl/settings.py says the same)
EMBEDDED_STORE = "newscrawl.state.sqlite.embedded_store"


class StateStore:
    """Extension: the crawl's one store, shared by the spider, middlewares and pipelines: SQLite
    (STATE_DB), or with REDIS_URL the Redis store every worker shares. Opened when first asked
    for (a crawl that never needs state opens no file), closed when the engine stops."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self._store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StateStore:
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    @property
    def store(self) -> Store:
        if self._store is None:
            # Made by STATE_STORE_FACTORY: SQLite's, or the cluster's (its add-on sets it with REDIS_URL);
            # SQLite's too for a crawler made without the project's settings (Scrapy's get_crawler).
            factory = self.crawler.settings.get("STATE_STORE_FACTORY") or EMBEDDED_STORE
            self._store = load_object(factory)(self.crawler)
        return self._store

    def engine_stopped(self) -> None:
        if self._store is not None:
            self._store.close()


def store_for(crawler: Crawler) -> Store:
    """The crawl's store (the StateStore extension's)."""
    extension = crawler.get_extension(StateStore)
    if extension is None:
        raise NotConfigured("newscrawl.state.StateStore is not in EXTENSIONS")
    return extension.store
