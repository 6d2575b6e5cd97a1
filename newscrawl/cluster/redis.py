"""The cluster's Redis plumbing: whether a crawl is distributed, the key prefix, the client that
logs in with the password from the environment, the connection, each worker's name and the
heartbeat keys. The cluster's add-on makes the shared state store from these (:func:`shared_store`).
"""

from __future__ import annotations

import os
import secrets
import socket

from scrapy.crawler import Crawler

from newscrawl.state import state_window_days
from newscrawl.state.redis import RedisStore


def redis_url(settings) -> str | None:
    """REDIS_URL: the Redis every worker of a distributed crawl shares; None: an embedded crawl."""
    return settings.get("REDIS_URL") or None


def enabled(settings) -> bool:
    return redis_url(settings) is not None


def prefix(settings) -> str:
    return settings.get("REDIS_KEY_PREFIX")


#: the Redis password is a secret, never a setting (Scrapy logs settings, Scrapyd lists them): it comes
#: from the environment, or from the file the environment names
REDIS_PASSWORD_ENV = "NEWSCRAWL_REDIS_PASSWORD"


def redis_password() -> str | None:
    value = os.environ.get(REDIS_PASSWORD_ENV)
    if value:
        return value
    path = os.environ.get(f"{REDIS_PASSWORD_ENV}_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    return None


def _client_class():
    import redis

    class SecretRedis(redis.StrictRedis):
        """A Redis client that logs in with the password from the environment (scrapy-redis builds
        its scheduler's and seen-set's clients through this class too: REDIS_PARAMS redis_cls)."""

        @classmethod
        def from_url(cls, url, **kwargs):
            password = redis_password()
            if password and not kwargs.get("password"):
                kwargs["password"] = password
            return super().from_url(url, **kwargs)

    return SecretRedis


_made: list[type] = []


def client_class() -> type:
    """The Redis client class (made on first use: redis is imported only in distributed mode)."""
    if not _made:
        _made.append(_client_class())
    return _made[0]


def __getattr__(name: str):
    # "newscrawl.cluster.redis.SecretRedis" for scrapy-redis' REDIS_PARAMS redis_cls, made lazily.
    if name == "SecretRedis":
        return client_class()
    raise AttributeError(name)


def connect(settings):
    return client_class().from_url(
        redis_url(settings), decode_responses=True, socket_timeout=30, health_check_interval=30
    )


_WORKER_IDS: dict[int, str] = {}


def worker_id(crawler: Crawler | None = None) -> str:
    """This process's name in the cluster (host, pid and a random part: pids repeat across machines).
    One per process: a forked worker gets its own."""
    pid = os.getpid()
    if pid not in _WORKER_IDS:
        _WORKER_IDS[pid] = f"{socket.gethostname()}-{pid}-{secrets.token_hex(3)}"
    return _WORKER_IDS[pid]


def dead_after(settings) -> float:
    """CLUSTER_DEAD_AFTER: seconds of silence after which a worker counts as dead."""
    return settings.getfloat("CLUSTER_DEAD_AFTER")


def heartbeat_prefix(settings, spider_name: str) -> str:
    return f"{prefix(settings)}:{spider_name}:worker:"


def shared_store(crawler: Crawler) -> RedisStore:
    """The state store every worker shares (STATE_STORE_FACTORY, set by the cluster's add-on)."""
    settings = crawler.settings
    return RedisStore(
        connect(settings),
        prefix(settings),
        worker_id(crawler),
        heartbeat_prefix(settings, crawler.spidercls.name),
        expire_seconds=int(state_window_days(settings) * 86400),
    )
