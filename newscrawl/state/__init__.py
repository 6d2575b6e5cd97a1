"""The state shared by all runs: the store interface (base), SQLite (embedded) and Redis (distributed)."""

from __future__ import annotations

from scrapy import signals

from ..runtime import runtime
from .base import Baseline, FetchRecord, SeenArticle, Store

__all__ = ["Baseline", "FetchRecord", "SeenArticle", "Store", "store_for"]


def store_for(crawler) -> Store:
    """One store per crawl, shared by the spider, middlewares and pipelines: SQLite (STATE_DB),
    or with REDIS_URL the Redis store every worker shares."""
    run = runtime(crawler)
    if run.store is None:
        if crawler.settings.get("REDIS_URL"):
            from .redis import RedisStore  # only distributed crawls need the Redis client

            run.store = RedisStore.for_crawler(crawler)
        else:
            from .sqlite import SqliteStore

            run.store = SqliteStore(crawler.settings.get("STATE_DB"), crawler.settings.getfloat("STATE_EXPIRE_DAYS"))
        store = run.store
        crawler.signals.connect(lambda: store.close(), signal=signals.engine_stopped, weak=False)
    return run.store
