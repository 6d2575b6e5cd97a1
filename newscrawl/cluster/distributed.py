"""Distributed crawling on scrapy-redis: one setting, ``REDIS_URL``, turns a crawl into a worker.

Every worker of a spider shares, in one Redis (keys under ``REDIS_KEY_PREFIX``):

* the frontier ``<p>:<spider>:requests`` and the seen-set ``<p>:<spider>:dupefilter``
  (scrapy-redis' scheduler; fingerprints from :mod:`newscrawl.crawl.fingerprint`, one per article);
* the dedup/revision and HTTP-validator state ``<p>:state:…`` (:class:`newscrawl.state.redis.RedisStore`, made by :func:`newscrawl.cluster.redis.shared_store`), and the claims that stop two workers
  from emitting one article twice;
* each host's rate and requests in flight ``<p>:rate:<host>:…`` (:mod:`newscrawl.cluster.politeness`:
  ``DOWNLOAD_DELAY``/AutoThrottle and ``CONCURRENT_REQUESTS_PER_DOMAIN`` hold for the cluster);
* the cluster: ``<p>:<spider>:workers`` (who takes part), ``<p>:<spider>:worker:<id>``
  (a heartbeat with a TTL: ``busy`` or ``idle``) and ``<p>:<spider>:done`` (URLs finished in
  this run).

A worker closes by itself once the frontier is empty and every live worker has been idle for
``CLUSTER_CLOSE_AFTER`` seconds. A worker whose heartbeat expired (killed) is noticed by a
survivor, which first records what the dead worker wrote but had not recorded (its dataset
files, published under ``<p>:<spider>:feeds``, when they are on the survivor's machine), then
reads the discovery pages again and requests every article not finished in this run (its
requests in flight are lost with it, and the seen-set would filter them); the claims and the
state make sure nothing is emitted twice. The last worker to close removes the run's
frontier, seen-set and done-set, so the next run starts afresh, while the state stays.
Without ``REDIS_URL`` none of this is loaded and the crawl stays embedded (SQLite).
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections import Counter
from pathlib import Path
from typing import Any, cast

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter as RedisSeenSet
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import threads

from newscrawl.cluster.politeness import wrap_download_handlers
from newscrawl.cluster.redis import connect, dead_after, enabled, heartbeat_prefix, prefix, worker_id
from newscrawl.crawl import signals as crawl_signals
from newscrawl.crawl.durability import feed_slots, flush_feeds
from newscrawl.crawl.feeds import feeds, local_path, with_spider_name
from newscrawl.crawl.fingerprint import redirect_within_article
from newscrawl.crawl.outcomes import Outcome
from newscrawl.crawl.pipelines.dedup import learn_from_feed
from newscrawl.run.ledger import UrlLedger
from newscrawl.state import store_for

logger = logging.getLogger(__name__)


class Distributed:
    """Add-on: with REDIS_URL set, swap in scrapy-redis' scheduler and our Redis seen-set and cluster."""

    def update_settings(self, settings) -> None:
        if not enabled(settings):
            return
        p = prefix(settings)
        for name, value in {
            "SCHEDULER": "newscrawl.cluster.distributed.SharedScheduler",
            "DUPEFILTER_CLASS": "newscrawl.cluster.distributed.SharedSeenSet",
            # JSON entries, never pickles: whoever writes to the Redis must not run code on the workers.
            "SCHEDULER_SERIALIZER": "newscrawl.cluster.requests",
            "SCHEDULER_QUEUE_CLASS": "newscrawl.cluster.requests.DataQueue",
            "SCHEDULER_QUEUE_KEY": f"{p}:%(spider)s:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{p}:%(spider)s:dupefilter",
            # A worker that finishes first must not delete the frontier the others still use:
            # the last worker of the run removes it (Cluster.spider_closed).
            "SCHEDULER_PERSIST": True,
            # The dedup/revision and validator state every worker shares.
            "STATE_STORE_FACTORY": "newscrawl.cluster.redis.shared_store",
            # scrapy-redis' own clients log in as ours do: the password from the environment, never a setting.
            "REDIS_PARAMS": {**settings.getdict("REDIS_PARAMS"), "redis_cls": "newscrawl.cluster.redis.SecretRedis"},
        }.items():
            # "project" priority: above settings.py's own dupefilter, below a -s on the command line.
            settings.set(name, value, priority="project")
        settings.setdefault_in_component_priority_dict("EXTENSIONS", Cluster, 40)
        if settings.getbool("CLUSTER_RATE_LIMIT"):
            # One per-host rate and concurrency for all workers (newscrawl/cluster/politeness.py).
            wrap_download_handlers(settings)


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
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
            self.crawler.signals.send_catch_log(crawl_signals.request_taken, request=request)
        return request

    def hand_one_to(self, engine) -> None:
        """Give the engine one request of the shared frontier (Cluster.nudge_engine). It goes back
        into the queue through ``engine.crawl``, so it is not counted as taken until the engine
        takes it for real."""
        request = super().next_request()
        if request is not None:
            request.dont_filter = True  # it passed the seen-set when it was first queued
            engine.crawl(request)


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
        # worker id → {"host", "paths"}: the dataset files each worker writes, read when it dies.
        self.feeds_key = f"{base}:feeds"
        self.run_keys = [
            self.done_key,
            self.feeds_key,
            settings.get("SCHEDULER_QUEUE_KEY") % {"spider": name},
            settings.get("SCHEDULER_DUPEFILTER_KEY") % {"spider": name},
        ]
        self.queue_key = self.run_keys[1]
        self.interval = settings.getfloat("CLUSTER_HEARTBEAT")
        self.dead_after = int(dead_after(settings))
        self.close_after = settings.getfloat("CLUSTER_CLOSE_AFTER")
        self.idle_since: float | None = None
        self.closing = False
        self.loop: Any = None  # the heartbeat's looping call, while the spider is open
        self.published: list[str] = []
        self.offsets: dict[str, int] = {}  # feed path → its size when this run's first line was still to come
        self.published_offsets: dict[str, int] = {}
        self.recovering = 0  # dead workers' files being read (in a thread)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Cluster:
        cluster = cls(crawler)
        crawler.signals.connect(cluster.finished, signal=crawl_signals.url_finished)
        crawler.signals.connect(cluster.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(cluster.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(cluster.spider_closed, signal=signals.spider_closed)
        return cluster

    # --- membership ----------------------------------------------------------
    def spider_opened(self, spider) -> None:
        ledger = self.crawler.get_extension(UrlLedger)
        if ledger is not None:
            ledger.distributed = True  # it counts the requests this worker takes from the shared frontier
        self.server.set(self.heartbeat_prefix + self.id, "busy", ex=self.dead_after)
        self.server.sadd(self.workers_key, self.id)
        logger.info("Worker %s joined %s (%d workers)", self.id, self.workers_key, self.server.scard(self.workers_key))
        self.crawler.stats.set_value("cluster/worker", self.id)
        self.publish_feeds()
        self.loop = create_looping_call(self.tick)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        pipe = self.server.pipeline()
        pipe.delete(self.heartbeat_prefix + self.id)
        pipe.hdel(self.feeds_key, self.id)
        pipe.srem(self.workers_key, self.id)
        pipe.scard(self.workers_key)
        remaining = pipe.execute()[-1]
        if remaining == 0 and reason == "finished":
            # The last worker out: the run is over, the next one starts with an empty frontier and seen-set.
            self.server.delete(*self.run_keys)
            logger.info("Last worker of the run: removed %s", ", ".join(self.run_keys))

    # --- what finished in this run ----------------------------------------------
    def finished(self, url: str, outcome: Outcome) -> None:
        """``url_finished`` (the ledger): this URL has its outcome (an item: written and flushed) in this run."""
        if outcome.kind == "item":
            flush_feeds(self.crawler)
        if outcome.kind not in ("discovery", "duplicate"):
            self.server.sadd(self.done_key, url)

    def is_done(self, url: str) -> bool:
        return bool(self.server.sismember(self.done_key, url))

    # --- the heartbeat -----------------------------------------------------------
    def local_idle(self) -> bool:
        engine, spider = self.crawler.engine, self.crawler.spider
        if engine is None or spider is None:
            return False
        try:
            return engine.spider_is_idle() and not cast(Any, spider).has_unscheduled()  # a NewsSpider
        except RuntimeError:  # the engine has no open spider (opening or closed)
            return False

    def tick(self) -> None:
        if self.closing:
            return
        try:
            self._tick()
        except Exception:  # noqa: BLE001 (a Redis hiccup must not stop the heartbeats for good)
            self.crawler.stats.inc_value("cluster/heartbeat_errors")
            logger.exception("Heartbeat failed; trying again in %.1f s", self.interval)

    def publish_feeds(self) -> None:
        """Say where this worker writes its dataset (once the feed exporter has opened its files):
        a survivor on the same machine reads it if this worker dies."""
        paths = sorted({str(path.resolve()) for path in self.feed_paths()})
        # Where this run's lines start in each file: a survivor reads only those (bounded by this
        # run, not the file's history). Known only once the exporter has opened the file (-O has
        # truncated it) and before the first item; else 0, the whole file.
        opened = {str(path.resolve()) for path in self.opened_feed_paths()}
        written = self.crawler.stats.get_value("item_scraped_count", 0)
        for path in paths:
            if path not in self.offsets and path in opened:
                self.offsets[path] = Path(path).stat().st_size if not written and Path(path).exists() else 0
        if paths and (paths != self.published or self.offsets != self.published_offsets):
            published = {"host": socket.gethostname(), "paths": paths, "from": dict(self.offsets)}
            self.server.hset(self.feeds_key, self.id, json.dumps(published))
            self.published, self.published_offsets = paths, dict(self.offsets)

    def opened_feed_paths(self) -> list[Path]:
        found = [local_path(slot.uri) for slot in feed_slots(self.crawler)]
        return [path for path in found if path is not None]

    def feed_paths(self) -> list[Path]:
        found: list[Path | None] = list(self.opened_feed_paths())
        if not found:  # the exporter opens its files on spider_opened too, maybe after this extension
            name = self.crawler.spidercls.name
            found = [local_path(with_spider_name(str(uri), name)) for uri in feeds(self.crawler.settings)]
        return [path for path in found if path is not None and "%(" not in str(path)]

    def _tick(self) -> None:
        self.publish_feeds()
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
        waiting = self.frontier_size()
        if waiting:
            self.nudge_engine()
        if idle and others_idle and waiting == 0 and not self.recovering:
            now = time.monotonic()
            if self.idle_since is None:
                self.idle_since = now
            elif now - self.idle_since >= self.close_after:
                self.closing = True
                logger.info("Frontier empty and every worker idle for %.0f s: closing", now - self.idle_since)
                self._close()
        else:
            self.idle_since = None

    def nudge_engine(self) -> None:
        """Scrapy's engine asks a scheduler that came up empty again only on its 5-second heartbeat
        (or when one of its own requests ends): a worker that ran dry while another refilled the
        shared frontier (a batch of discovered articles) sat out those seconds, and the others did
        its share. So while the frontier holds requests and this worker has room, one of them is
        handed to the engine (``engine.crawl``, the public way in), which then keeps asking the
        scheduler until its downloader is full."""
        engine = self.crawler.engine
        if engine is None or engine.spider is None or engine.downloader.needs_backout():
            return
        if isinstance(engine.scheduler, SharedScheduler):
            engine.scheduler.hand_one_to(engine)

    def frontier_size(self) -> int:
        kind = self.server.type(self.queue_key)
        return {"zset": self.server.zcard, "list": self.server.llen}.get(kind, lambda key: 0)(self.queue_key)

    def _close(self) -> None:
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason="finished"))

    def recover_from(self, member: str) -> None:
        self.crawler.stats.inc_value("cluster/dead_workers")
        logger.warning(
            "Worker %s stopped sending heartbeats (killed?): reading discovery again for the articles it had taken",
            member,
        )
        # Its files are read in a thread: a large file must not hold the reactor (and the heartbeats).
        self.recovering += 1
        done = threads.deferToThread(self.learn_from, member)
        done.addErrback(lambda failure: logger.error("Reading worker %s's dataset failed: %s", member, failure.value))
        done.addBoth(lambda _: self._sweep())

    def _sweep(self) -> None:
        self.recovering -= 1
        cast(Any, self.crawler.spider).sweep(self.is_done)  # a NewsSpider

    def learn_from(self, member: str) -> None:
        """A worker killed between writing an article's line and recording it left the article
        unrecorded: the sweep would fetch and write it again. Its dataset files say what it wrote;
        read them first (on this machine), as a restarted crawl reads its own feed, from where its
        run began. A line that is not a whole item is passed over and counted; the rest is read."""
        raw = self.server.hget(self.feeds_key, member)
        self.server.hdel(self.feeds_key, member)
        try:
            published = json.loads(raw) if raw else {}
        except ValueError:
            published = {}
        if not isinstance(published, dict) or not isinstance(published.get("paths"), list):
            return
        if published.get("host") != socket.gethostname():
            self.crawler.stats.inc_value("cluster/dead_feeds_elsewhere")
            logger.warning(
                "Worker %s wrote its dataset on %s, not here: an article it wrote but had not recorded may be "
                "written again (newscrawl merge keeps one line of it)",
                member,
                published.get("host"),
            )
            return
        starts = published["from"] if isinstance(published.get("from"), dict) else {}
        store = store_for(self.crawler)
        for name in published["paths"]:
            path = Path(str(name))
            if not path.is_file():
                continue
            start = starts.get(str(name), 0)
            start = start if isinstance(start, int) and 0 <= start <= path.stat().st_size else 0
            skipped: Counter[str] = Counter()
            learned = learn_from_feed(store, path, start, skipped)
            self.crawler.stats.inc_value("cluster/dead_items_learned", learned)
            for reason, count in skipped.items():
                self.crawler.stats.inc_value(f"cluster/dead_lines_skipped/{reason}", count)
                logger.warning("%d lines of %s (worker %s) passed over: %s", count, path, member, reason)
            if learned:
                logger.warning(
                    "%d articles in %s (worker %s) were written but not recorded: recorded now, not written again",
                    learned,
                    path,
                    member,
                )

    def spider_idle(self, spider) -> None:
        # The cluster, not this worker's queue, decides when the crawl is over (see tick()).
        if not self.closing:
            raise DontCloseSpider
