"""A backfill on many machines: the cluster's Redis hands out WARC files as units of work.

Every worker runs the same ``newscrawl backfill WARC… -s REDIS_URL=…`` (the files on storage all
of them see, by the same paths). Keys, under ``<prefix>:backfill:<run>`` (the run: a digest of
the files and sites, so the same command joins the same run):

* ``queue`` the files not yet taken (each file is queued once: ``known``);
* ``holding`` file → the worker reading it; ``done`` the files read to their end;
* ``marks`` ``<site>:<file>`` → where every kept record of the site before it has ended (the
  offset the next reader starts from), with a digest of the file's head;
* ``feeds`` worker → its host and datasets, so that a worker taking over a dead one's file first
  learns what the dead one wrote (when its files are on the same machine).

Liveness is the crawl cluster's: a heartbeat key per site and worker (``<prefix>:<site>:worker:<id>``,
with a TTL) that the state's claims also read. A worker whose heartbeat expired while holding a
file has died: the first worker to find the queue empty takes the file over, from its marks. A
worker leaves only when no file is queued or held, so a file is never left behind by a death.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import time
from pathlib import Path

from redis.exceptions import WatchError
from scrapy.crawler import Crawler

from newscrawl.cluster.redis import dead_after, heartbeat_prefix, prefix, worker_id
from newscrawl.crawl.backfill import WAIT

logger = logging.getLogger(__name__)


def _text(value):
    """A Redis reply as text (the client answers bytes)."""
    return value.decode() if isinstance(value, bytes) else value


def run_name(files: list[str], sites: list[str]) -> str:
    """The run a worker joins: the same files and sites, the same run."""
    digest = hashlib.sha256(json.dumps([sorted(files), sorted(sites)]).encode()).hexdigest()
    return digest[:16]


class RedisWork:
    """The cluster's work source (newscrawl.crawl.backfill.LocalWork is the one of a single process)."""

    def __init__(self, client, settings, files: list[str], sites: list[str], datasets: dict[str, str]):
        self.client = client
        self.worker = worker_id()
        self.key = f"{prefix(settings)}:backfill:{run_name(files, sites)}"
        # The crawl cluster's rule: a worker silent CLUSTER_DEAD_AFTER seconds has died.
        self.ttl = max(2, int(dead_after(settings)))
        self.beats = [heartbeat_prefix(settings, site) + self.worker for site in sites]
        self.sites = sites
        self.last_beat = 0.0
        self.inherited: list[tuple[str, str]] = []
        self.beat(force=True)
        host = socket.gethostname()
        client.hset(f"{self.key}:feeds", self.worker, json.dumps({"host": host, "datasets": datasets}))
        queued = 0
        for path in files:
            if client.sadd(f"{self.key}:known", path):
                client.rpush(f"{self.key}:queue", path)
                queued += 1
        logger.info("Backfill run %s: worker %s joined (%d files queued by it)", self.key, self.worker, queued)

    def beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_beat < self.ttl / 3:
            return
        with self.client.pipeline(transaction=False) as pipe:
            pipe.set(f"{self.key}:worker:{self.worker}", "busy", ex=self.ttl)
            for key in self.beats:
                pipe.set(key, "busy", ex=self.ttl)
            pipe.execute()
        self.last_beat = now

    def alive(self, worker: str) -> bool:
        return bool(self.client.exists(f"{self.key}:worker:{worker}"))

    def next_file(self) -> str | None:
        path = self.client.lpop(f"{self.key}:queue")
        if path is not None:
            path = _text(path)
            self.client.hset(f"{self.key}:holding", path, self.worker)
            return path
        holding = {_text(k): _text(v) for k, v in self.client.hgetall(f"{self.key}:holding").items()}
        for path, owner in holding.items():
            if owner != self.worker and not self.alive(owner) and self._take_over(path, owner):
                logger.warning("Worker %s died reading %s: taken over, from its marks", owner, path)
                self._inherit(owner)
                return path
        return WAIT if holding else None

    def _take_over(self, path: str, owner: str) -> bool:
        with self.client.pipeline() as pipe:
            try:
                pipe.watch(f"{self.key}:holding")
                current = pipe.hget(f"{self.key}:holding", path)
                if _text(current) != owner:
                    return False
                pipe.multi()
                pipe.hset(f"{self.key}:holding", path, self.worker)
                pipe.execute()
                return True
            except WatchError:
                return False

    def _inherit(self, owner: str) -> None:
        raw = self.client.hget(f"{self.key}:feeds", owner)
        facts = json.loads(raw) if raw else {}
        if facts.get("host") == socket.gethostname():
            self.inherited = [(site, path) for site, path in facts.get("datasets", {}).items() if Path(path).exists()]

    def done(self, path: str) -> None:
        with self.client.pipeline() as pipe:
            pipe.hdel(f"{self.key}:holding", path)
            pipe.sadd(f"{self.key}:done", path)
            pipe.execute()

    def mark(self, crawler: Crawler, site: str, path: str) -> tuple[int, str] | None:
        raw = self.client.hget(f"{self.key}:marks", f"{site}:{path}")
        try:
            offset, head = json.loads(raw) if raw else (None, None)
        except ValueError:
            return None
        return (offset, head) if isinstance(offset, int) and isinstance(head, str) else None

    def set_mark(self, crawler: Crawler, site: str, path: str, offset: int, head: str) -> None:
        self.client.hset(f"{self.key}:marks", f"{site}:{path}", json.dumps([offset, head]))

    def close(self) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.delete(f"{self.key}:worker:{self.worker}")
            for key in self.beats:
                pipe.delete(key)
            pipe.execute()
