"""A per-host rate limit shared by every worker of a distributed crawl (REDIS_URL).

Scrapy keeps its politeness per process: ``DOWNLOAD_DELAY``, ``CONCURRENT_REQUESTS_PER_DOMAIN``
and AutoThrottle act on the downloader slots of one worker, so N workers hit a site N times as
hard. With ``REDIS_URL`` set, the http/https download handlers are wrapped (by the
:class:`newscrawl.cluster.distributed.Distributed` add-on) so that a request, once its worker's own
slot lets it go, also takes from Redis, in one atomic script, right before it goes out:

* the host's **start token**: the host's starts (by any worker) follow a schedule one delay apart
  (GCRA: a start may come half a delay early after a late one, so the long-run rate is the
  configured one); a worker asked too early waits and asks again; the delay is
  ``DOWNLOAD_DELAY``, or the larger delay AutoThrottle has set on this worker's slot from the
  latencies it sees;
* a **lease** in the host's set of requests in flight, at most ``CONCURRENT_REQUESTS_PER_DOMAIN``
  for the whole cluster; released when the download ends, and expiring by itself (download
  timeout + a margin) when a worker dies holding it.

Taken at the last moment, the token spaces the real starts: a worker busy parsing when its turn
came does not send late and then close behind the next one. Times are the Redis server's clock,
so workers on several machines agree. Keys: ``<prefix>:rate:<host>:next`` and
``<prefix>:rate:<host>:leases`` and ``…:waiters`` (all expire when idle). While a worker waits at
the concurrency limit, no worker holds more than its share of the leases. ``CLUSTER_RATE_LIMIT = False`` turns
it off. Replayed responses (REPLAY_WARC) are answered before any handler.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object

from newscrawl.cluster.redis import connect, prefix, worker_id

# The handlers of one crawler share its limiter (each handler is built on its own by Scrapy).
_LIMITERS: WeakKeyDictionary[Crawler, HostLimiter] = WeakKeyDictionary()

# KEYS: the host's next-start key, leases zset and waiters zset. ARGV: interval ms, concurrency
# limit, lease id ("<worker>:<n>"), lease ttl ms, worker id. Returns 0 when granted (start now, the
# lease is held), the ms to wait before asking again while it is too early, or -1 while the host's
# requests in flight are at the limit, or while this worker holds its fair share and another waits
# (else a worker that frees a lease and takes it back at once would starve the others).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, limit, ttl, me = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4]), ARGV[5]
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if limit > 0 then
    local leases = redis.call('ZRANGE', KEYS[2], 0, -1)
    local workers, count, mine = {[me] = true}, 1, 0
    for _, lease in ipairs(leases) do
        local worker = string.match(lease, '^(.*):%d+$') or lease
        if not workers[worker] then workers[worker] = true; count = count + 1 end
        if worker == me then mine = mine + 1 end
    end
    local others_wait = false
    for _, worker in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
        if worker ~= me then
            others_wait = true
            if not workers[worker] then workers[worker] = true; count = count + 1 end
        end
    end
    if #leases >= limit or (others_wait and mine >= math.max(1, math.floor(limit / count))) then
        redis.call('ZADD', KEYS[3], now + 1000, me)
        redis.call('PEXPIRE', KEYS[3], 2000)
        return -1
    end
end
-- The host's theoretical next start (GCRA): a start may come up to half a delay early when the one
-- before it was late, so the long-run rate is the configured one and no two starts are closer than
-- half a delay.
local tat = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local early = math.floor(interval / 2)
if tat - now > early then
    return tat - now - early
end
redis.call('ZREM', KEYS[3], me)
redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now + 60000)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl)
return 0
"""


class HostLimiter:
    """The cluster's start tokens and leases per host (one per worker process)."""

    poll = 0.02  # seconds between tries while the host is at its concurrency limit

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.server = connect(settings)
        self.acquire_script = self.server.register_script(_ACQUIRE)
        self.prefix = prefix(settings)
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.limit = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.lease_ms = int((settings.getfloat("DOWNLOAD_TIMEOUT") + 30) * 1000)
        self.worker = worker_id(crawler)
        self.ids = (f"{self.worker}:{n}" for n in itertools.count())

    @classmethod
    def of(cls, crawler: Crawler) -> HostLimiter:
        """One limiter per crawler, shared by the http and https handlers."""
        limiter = _LIMITERS.get(crawler)
        if limiter is None:
            limiter = _LIMITERS[crawler] = cls(crawler)
        return limiter

    def host_and_interval(self, request: Request) -> tuple[str, float]:
        """The request's slot key, and DOWNLOAD_DELAY or the larger delay AutoThrottle gave that slot."""
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        return key, max(self.delay, slot.delay) if slot is not None else self.delay

    async def acquire(self, request: Request) -> tuple[str, str]:
        host, interval = self.host_and_interval(request)
        keys = [f"{self.prefix}:rate:{host}:{name}" for name in ("next", "leases", "waiters")]
        lease = next(self.ids)
        stats = self.crawler.stats
        waited = 0.0
        while (
            answer := self.acquire_script(
                keys=keys, args=[int(interval * 1000), self.limit, lease, self.lease_ms, self.worker]
            )
        ) != 0:
            pause = self.poll if answer < 0 else answer / 1000
            stats.inc_value("ratelimit/waits/concurrency" if answer < 0 else "ratelimit/waits/delay")
            waited += pause
            await asyncio.sleep(pause)
        stats.inc_value("ratelimit/requests")
        stats.inc_value("ratelimit/waited_ms", int(waited * 1000))
        return keys[1], lease

    def release(self, held: tuple[str, str]) -> None:
        self.server.zrem(*held)


class _PoliteHandler:
    """Wraps the scheme's configured download handler (``CLUSTER_INNER_DOWNLOAD_HANDLERS``)."""

    scheme = ""
    lazy = True

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        inner_path = crawler.settings.getdict("CLUSTER_INNER_DOWNLOAD_HANDLERS")[self.scheme]
        self.inner = build_from_crawler(load_object(inner_path), crawler)
        # Scrapy still takes handlers whose download_request returns a Deferred (and wants the spider).
        self.inner_is_async = inspect.iscoroutinefunction(self.inner.download_request)
        self.limiter = HostLimiter.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        held = await self.limiter.acquire(request)
        try:
            if self.inner_is_async:
                return await self.inner.download_request(request)
            return await maybe_deferred_to_future(self.inner.download_request(request, self.crawler.spider))
        finally:
            self.limiter.release(held)

    async def close(self) -> None:
        closing = getattr(self.inner, "close", None)
        if closing is None:
            return
        result = closing()
        if inspect.isawaitable(result):
            await result
        elif result is not None:
            await maybe_deferred_to_future(result)


class PoliteHttpHandler(_PoliteHandler):
    scheme = "http"


class PoliteHttpsHandler(_PoliteHandler):
    scheme = "https"


def wrap_download_handlers(settings) -> None:
    """Put the polite handlers in front of the configured http/https handlers (the add-on calls this)."""
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    inner = {scheme: handlers[scheme] for scheme in ("http", "https") if handlers.get(scheme)}
    if not inner or any(str(path).startswith(__name__) for path in inner.values()):
        return
    if not settings.getdict("CLUSTER_INNER_DOWNLOAD_HANDLERS"):
        # Declared empty in the project's settings: filled at that same priority (an add-on's lower
        # one would lose to the empty declaration); one given by the user is kept.
        priority = settings.getpriority("CLUSTER_INNER_DOWNLOAD_HANDLERS") or 0
        settings.set("CLUSTER_INNER_DOWNLOAD_HANDLERS", inner, priority=max(priority, 15))
    wrapped = {
        **settings.getdict("DOWNLOAD_HANDLERS"),
        **{
            scheme: f"{__name__}.{cls.__name__}"
            for scheme, cls in (("http", PoliteHttpHandler), ("https", PoliteHttpsHandler))
            if scheme in inner
        },
    }
    # At the priority the handlers were set with (a spider's custom_settings outrank the add-on's own).
    settings.set(
        "DOWNLOAD_HANDLERS",
        wrapped,
        priority=max(settings.getpriority("DOWNLOAD_HANDLERS") or 0, SETTINGS_PRIORITIES["addon"]),
    )
