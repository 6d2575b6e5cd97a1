"""Distributed crawling on scrapy-redis: one setting, ``REDIS_URL``, turns a crawl into a worker.

Every worker of a spider shares, in one Redis (keys under ``REDIS_KEY_PREFIX``):

* the frontier ``<p>:<spider>:requests`` and the seen-set ``<p>:<spider>:dupefilter``
  (scrapy-redis' scheduler; fingerprints from :mod:`newscrawl.fingerprint`, one per article);
* the dedup/revision and HTTP-validator state ``<p>:state:…`` (:class:`RedisStore`, the
  interface of :class:`newscrawl.state.SeenStore`), and the claims that stop two workers
  from emitting one article twice;
* the cluster: ``<p>:<spider>:workers`` (who takes part), ``<p>:<spider>:worker:<id>``
  (a heartbeat with a TTL: ``busy`` or ``idle``) and ``<p>:<spider>:done`` (URLs finished in
  this run).

A worker closes by itself once the frontier is empty and every live worker has been idle for
``CLUSTER_CLOSE_AFTER`` seconds. A worker whose heartbeat expired (killed) is noticed by a
survivor, which reads the discovery pages again and requests every article not finished in this
run (its requests in flight are lost with it, and the seen-set would filter them); the claims
and the state make sure nothing is emitted twice. The last worker to close removes the run's
frontier, seen-set and done-set, so the next run starts afresh, while the state stays.
Without ``REDIS_URL`` none of this is loaded and the crawl stays embedded (SQLite).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import time

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter as RedisSeenSet
from scrapy_redis.scheduler import Scheduler as RedisScheduler

from .state import FetchRecord, SeenArticle
from .fingerprint import redirect_within_article

logger = logging.getLogger(__name__)


def enabled(settings) -> bool:
    return bool(settings.get("REDIS_URL"))


def prefix(settings) -> str:
    return settings.get("REDIS_KEY_PREFIX") or "newscrawl"


def connect(settings):
    import redis

    return redis.Redis.from_url(settings.get("REDIS_URL"), decode_responses=True, socket_timeout=30, health_check_interval=30)


def worker_id(crawler: Crawler) -> str:
    """This process's name in the cluster (host, pid and a random part: pids repeat across machines)."""
    wid = getattr(crawler, "_newscrawl_worker_id", None)
    if wid is None:
        wid = crawler._newscrawl_worker_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    return wid


def heartbeat_prefix(settings, spider_name: str) -> str:
    return f"{prefix(settings)}:{spider_name}:worker:"


class Distributed:
    """Add-on: with REDIS_URL set, swap in scrapy-redis' scheduler and our Redis seen-set and cluster."""

    def update_settings(self, settings) -> None:
        if not enabled(settings):
            return
        p = prefix(settings)
        for name, value in {
            "SCHEDULER": "newscrawl.distributed.SharedScheduler",
            "DUPEFILTER_CLASS": "newscrawl.distributed.SharedSeenSet",
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_QUEUE_KEY": f"{p}:%(spider)s:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{p}:%(spider)s:dupefilter",
            # A worker that finishes first must not delete the frontier the others still use:
            # the last worker of the run removes it (Cluster.spider_closed).
            "SCHEDULER_PERSIST": True,
        }.items():
            # "project" priority: above settings.py's own dupefilter, below a -s on the command line.
            settings.set(name, value, priority="project")
        settings.setdefault_in_component_priority_dict("EXTENSIONS", Cluster, 40)


class SharedScheduler(RedisScheduler):
    """scrapy-redis' scheduler; tells the URL ledger which requests *this* worker took from the frontier."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        # Counted here: scrapy-redis passes the deprecated spider argument to inc_value().
        scheduler.stats = None
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        queued = super().enqueue_request(request)
        if queued:
            self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self):
        request = super().next_request()
        if request is not None:
            from .ledger import ledger_for

            self.crawler.stats.inc_value("scheduler/dequeued/redis")
            ledger = ledger_for(self.crawler)
            if ledger is not None:
                ledger.request_taken(request)
        return request


class SharedSeenSet(RedisSeenSet):
    """scrapy-redis' Redis seen-set with the project's fingerprints (every URL of one article → one)."""

    @classmethod
    def from_spider(cls, spider):
        seen = super().from_spider(spider)
        seen.fingerprinter = spider.crawler.request_fingerprinter
        return seen

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def request_seen(self, request: Request) -> bool:
        return False if redirect_within_article(request) else super().request_seen(request)


# Claim an article (its key and its text) for this worker, atomically. A claim held by a worker
# whose heartbeat has expired (killed) is taken over: the item it claimed was never written.
_CLAIM = """
local function alive(owner) return owner == ARGV[1] or redis.call('EXISTS', ARGV[5] .. owner) == 1 end
local k = redis.call('HMGET', KEYS[1], 'owner', 'hash')
if k[1] and alive(k[1]) then
  if k[2] == ARGV[2] then return 'unchanged' end
  return 'duplicate'
end
local h = redis.call('HMGET', KEYS[2], 'owner', 'key')
if h[1] and h[2] ~= ARGV[3] and alive(h[1]) then return 'same_content:' .. h[2] end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'hash', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'key', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return false
"""

_RELEASE = """
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('HGET', KEYS[2], 'owner') == ARGV[1] then redis.call('DEL', KEYS[2]) end
"""


class RedisStore:
    """The state of :class:`newscrawl.state.SeenStore`, in Redis, shared by every worker and run.

    ``<p>:state:articles:<site>`` (hash: articleId → [hash, revision, url, first_seen, last_seen]),
    ``<p>:state:hashes`` (contentHash → "site:id"), ``<p>:state:fetches`` (article key → validators).
    """

    def __init__(self, server, key_prefix: str, owner: str, heartbeats: str, claim_ttl: int = 3600):
        self.server = server
        self.p = f"{key_prefix}:state"
        self.owner = owner
        self.heartbeats = heartbeats
        self.claim_ttl = claim_ttl
        self._claim = server.register_script(_CLAIM)
        self._release = server.register_script(_RELEASE)

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> RedisStore:
        settings = crawler.settings
        return cls(connect(settings), prefix(settings), worker_id(crawler), heartbeat_prefix(settings, crawler.spidercls.name))

    def get(self, site: str, article_id: str) -> SeenArticle | None:
        raw = self.server.hget(f"{self.p}:articles:{site}", article_id)
        if raw is None:
            return None
        content_hash, revision, *_ = json.loads(raw)
        return SeenArticle(site, article_id, content_hash, revision)

    def find_by_hash(self, content_hash: str) -> SeenArticle | None:
        owner = self.server.hget(f"{self.p}:hashes", content_hash)
        if owner is None:
            return None
        site, article_id = owner.split(":", 1)
        seen = self.get(site, article_id)
        # The article may have changed text since: only its current text counts (as in SQLite).
        return seen if seen is not None and seen.content_hash == content_hash else None

    def record(self, site: str, article_id: str, content_hash: str, revision: int, url: str, when: str) -> None:
        key = f"{self.p}:articles:{site}"
        old = self.server.hget(key, article_id)
        first_seen = json.loads(old)[3] if old else when
        pipe = self.server.pipeline()
        pipe.hset(key, article_id, json.dumps([content_hash, revision, url, first_seen, when]))
        pipe.hset(f"{self.p}:hashes", content_hash, f"{site}:{article_id}")
        pipe.execute()

    def get_fetch(self, article_key: str) -> FetchRecord | None:
        raw = self.server.hget(f"{self.p}:fetches", article_key)
        if raw is None:
            return None
        etag, last_modified, lastmod_hint, *_ = json.loads(raw)
        return FetchRecord(etag, last_modified, lastmod_hint)

    def record_fetch(self, article_key: str, url: str, etag: str | None, last_modified: str | None, lastmod_hint: str | None, when: str) -> None:
        if lastmod_hint is None:
            old = self.get_fetch(article_key)
            lastmod_hint = old.lastmod_hint if old else None
        self.server.hset(f"{self.p}:fetches", article_key, json.dumps([etag, last_modified, lastmod_hint, url, when]))

    def claim(self, site: str, article_id: str, content_hash: str) -> str | None:
        keys = [f"{self.p}:claim:{site}:{article_id}", f"{self.p}:claim:hash:{content_hash}"]
        return self._claim(keys=keys, args=[self.owner, content_hash, f"{site}:{article_id}", self.claim_ttl, self.heartbeats])

    def release(self, site: str, article_id: str, content_hash: str) -> None:
        self._release(keys=[f"{self.p}:claim:{site}:{article_id}", f"{self.p}:claim:hash:{content_hash}"], args=[self.owner])

    def __len__(self) -> int:
        return sum(self.server.hlen(key) for key in self.server.scan_iter(f"{self.p}:articles:*", count=100))

    def close(self) -> None:
        self.server.close()


class Cluster:
    """Heartbeats, closing when the whole cluster is idle, and recovery from a killed worker."""

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not enabled(settings):
            raise NotConfigured
        self.crawler = crawler
        self.server = connect(settings)
        self.id = worker_id(crawler)
        name = crawler.spidercls.name
        base = f"{prefix(settings)}:{name}"
        self.workers_key = f"{base}:workers"
        self.heartbeat_prefix = heartbeat_prefix(settings, name)
        self.done_key = f"{base}:done"
        self.run_keys = [self.done_key, settings.get("SCHEDULER_QUEUE_KEY") % {"spider": name}, settings.get("SCHEDULER_DUPEFILTER_KEY") % {"spider": name}]
        self.queue_key = self.run_keys[1]
        self.interval = settings.getfloat("CLUSTER_HEARTBEAT", 1.0)
        self.dead_after = settings.getint("CLUSTER_DEAD_AFTER", 30)
        self.close_after = settings.getfloat("CLUSTER_CLOSE_AFTER", 5.0)
        self.idle_since: float | None = None
        self.closing = False
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Cluster:
        cluster = cls(crawler)
        crawler._newscrawl_cluster = cluster
        crawler.signals.connect(cluster.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(cluster.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(cluster.spider_closed, signal=signals.spider_closed)
        return cluster

    # --- membership ----------------------------------------------------------
    def spider_opened(self, spider) -> None:
        self.server.set(self.heartbeat_prefix + self.id, "busy", ex=self.dead_after)
        self.server.sadd(self.workers_key, self.id)
        logger.info("Worker %s joined %s (%d workers)", self.id, self.workers_key, self.server.scard(self.workers_key))
        self.crawler.stats.set_value("cluster/worker", self.id)
        from .ledger import ledger_for

        ledger = ledger_for(self.crawler)
        if ledger is not None:
            ledger.listeners.append(self.finished)
        self.loop = create_looping_call(self.tick)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        pipe = self.server.pipeline()
        pipe.delete(self.heartbeat_prefix + self.id)
        pipe.srem(self.workers_key, self.id)
        pipe.scard(self.workers_key)
        remaining = pipe.execute()[-1]
        if remaining == 0 and reason == "finished":
            # The last worker out: the run is over, the next one starts with an empty frontier and seen-set.
            self.server.delete(*self.run_keys)
            logger.info("Last worker of the run: removed %s", ", ".join(self.run_keys))

    # --- what finished in this run ----------------------------------------------
    def finished(self, url: str, outcome: str) -> None:
        """Ledger listener: this URL has its outcome (an item: written and flushed) in this run."""
        if outcome == "item":
            from .durability import flush_feeds

            flush_feeds(self.crawler)
        if outcome not in ("discovery", "duplicate"):
            self.server.sadd(self.done_key, url)

    def is_done(self, url: str) -> bool:
        return bool(self.server.sismember(self.done_key, url))

    # --- the heartbeat -----------------------------------------------------------
    def local_idle(self) -> bool:
        engine, spider = self.crawler.engine, self.crawler.spider
        if engine is None or spider is None or engine._slot is None:
            return False
        return engine.spider_is_idle() and not spider.has_unscheduled()

    def tick(self) -> None:
        if self.closing:
            return
        try:
            self._tick()
        except Exception:  # noqa: BLE001 (a Redis hiccup must not stop the heartbeats for good)
            self.crawler.stats.inc_value("cluster/heartbeat_errors")
            logger.exception("Heartbeat failed; trying again in %.1f s", self.interval)

    def _tick(self) -> None:
        idle = self.local_idle()
        self.server.set(self.heartbeat_prefix + self.id, "idle" if idle else "busy", ex=self.dead_after)
        # Again every beat: a worker stalled past CLUSTER_DEAD_AFTER (and dropped by the others) rejoins.
        self.server.sadd(self.workers_key, self.id)
        members = sorted(self.server.smembers(self.workers_key))
        states = self.server.mget([self.heartbeat_prefix + m for m in members]) if members else []
        for member, state in zip(members, states):
            if state is None and member != self.id and self.server.srem(self.workers_key, member):
                # Only the worker whose SREM succeeded recovers, once per dead worker.
                self.recover_from(member)
                idle = False
        others_idle = all(state in (None, "idle") for member, state in zip(members, states) if member != self.id)
        if idle and others_idle and self.frontier_size() == 0:
            now = time.monotonic()
            if self.idle_since is None:
                self.idle_since = now
            elif now - self.idle_since >= self.close_after:
                self.closing = True
                logger.info("Frontier empty and every worker idle for %.0f s: closing", now - self.idle_since)
                self._close()
        else:
            self.idle_since = None

    def frontier_size(self) -> int:
        kind = self.server.type(self.queue_key)
        return {"zset": self.server.zcard, "list": self.server.llen}.get(kind, lambda key: 0)(self.queue_key)

    def _close(self) -> None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason="finished"))

    def recover_from(self, member: str) -> None:
        self.crawler.stats.inc_value("cluster/dead_workers")
        logger.warning("Worker %s stopped sending heartbeats (killed?): reading discovery again for the articles it had taken", member)
        self.crawler.spider.sweep(self.is_done)

    def spider_idle(self, spider) -> None:
        # The cluster, not this worker's queue, decides when the crawl is over (see tick()).
        if not self.closing:
            raise DontCloseSpider


def cluster_for(crawler: Crawler) -> Cluster | None:
    return getattr(crawler, "_newscrawl_cluster", None)

