"""The state store in Redis, shared by every worker of a distributed crawl (REDIS_URL). It is given
its connection, its worker's name and the heartbeat keys by the cluster (newscrawl/cluster/redis.py),
which makes it: the store knows Redis, not how workers are named or connected."""

from __future__ import annotations

import json
import socket
from datetime import datetime

from newscrawl.state.base import Baseline, FetchRecord, SeenArticle

#: how many recent publications per site Redis keeps (the silence check reads at most this many)
PUBLICATIONS_KEPT = 2000

#: the fields of a fetch record's value, in order
_FETCH_FIELDS = ("etag", "last_modified", "lastmod_hint", "fetched", "published", "due", "gone", "url")


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
    """The state of :class:`newscrawl.state.sqlite.SqliteStore`, in Redis, shared by every worker and run.

    One key per article, each with the state window as its time to live (``STATE_EXPIRE_DAYS``,
    30 by default, counted from the last emission of a new text, the last fetch for validators),
    so the state stays bounded and Redis itself forgets what is outside the window:
    ``<p>:state:a:<site>:<id>`` ([hash, revision, first_seen, last_seen, date_modified]),
    ``<p>:state:h:<first 32 hex digits of the contentHash>`` ("site:id"), ``<p>:state:f:<article key>``
    (the _FETCH_FIELDS: validators, and the revisit schedule with the URL to revisit), and per site a
    sorted set ``<p>:state:due:<site>`` of article keys by due time. Values are lists, not hashes: a key
    per article costs Redis more than a hash field, and that is what the lists save.
    An article that left the window and is met again is new to the crawl (revision 1).
    """

    def __init__(
        self,
        server,
        key_prefix: str,
        owner: str,
        heartbeats: str,
        claim_ttl: int = 3600,
        expire_seconds: int = 30 * 86400,
    ):
        self.server = server
        self.p = f"{key_prefix}:state"
        self.owner = owner
        self.heartbeats = heartbeats
        self.claim_ttl = claim_ttl
        self.ttl = expire_seconds or None  # 0: kept for ever
        self._claim = server.register_script(_CLAIM)
        self._release = server.register_script(_RELEASE)
        self._migrate_hashes()

    def _migrate_hashes(self) -> None:
        """State written by earlier versions (one hash per kind, no expiry) moves to keys with a TTL, once."""
        if self.server.get(f"{self.p}:layout") == "keys":
            return
        legacy = [*self.server.scan_iter(f"{self.p}:articles:*", count=1000), f"{self.p}:hashes", f"{self.p}:fetches"]
        for key in legacy:
            if not self.server.exists(key):
                continue
            kind = "h" if key.endswith(":hashes") else "f" if key.endswith(":fetches") else f"a:{key.rsplit(':', 1)[1]}"
            pipe = self.server.pipeline(transaction=False)
            for field, value in self.server.hscan_iter(key, count=1000):
                pipe.set(self._hash_key(field) if kind == "h" else f"{self.p}:{kind}:{field}", value, ex=self.ttl)
            pipe.delete(key)
            pipe.execute()
        self.server.set(f"{self.p}:layout", "keys")

    def _hash_key(self, content_hash: str) -> str:
        return f"{self.p}:h:{content_hash[:32]}"  # 128 bits tell texts apart as well as 256

    def get(self, site: str, article_id: str) -> SeenArticle | None:
        raw = self.server.get(f"{self.p}:a:{site}:{article_id}")
        if raw is None:
            return None
        values = json.loads(raw)
        return SeenArticle(site, article_id, values[0], values[1], values[4] if len(values) > 4 else None)

    def find_by_hash(self, content_hash: str) -> SeenArticle | None:
        owner = self.server.get(self._hash_key(content_hash))
        if owner is None:
            return None
        site, article_id = owner.split(":", 1)
        seen = self.get(site, article_id)
        # The article may have changed text since: only its current text counts (as in SQLite).
        return seen if seen is not None and seen.content_hash == content_hash else None

    def record(
        self,
        site: str,
        article_id: str,
        content_hash: str,
        revision: int,
        url: str,
        when: str,
        date_modified: str | None = None,
    ) -> None:
        key = f"{self.p}:a:{site}:{article_id}"
        old = self.server.get(key)
        first_seen = json.loads(old)[2] if old else when
        value = [content_hash, revision, first_seen, when, date_modified]
        pipe = self.server.pipeline()
        pipe.set(key, json.dumps(value, separators=(",", ":")), ex=self.ttl)
        pipe.set(self._hash_key(content_hash), f"{site}:{article_id}", ex=self.ttl)
        pipe.execute()

    def get_fetch(self, article_key: str) -> FetchRecord | None:
        raw = self.server.get(f"{self.p}:f:{article_key}")
        if raw is None:
            return None
        # _FETCH_FIELDS in order; earlier versions wrote the first four.
        values = json.loads(raw) + [None] * 8
        return FetchRecord(
            values[0], values[1], values[2], published=values[4], due=values[5], gone=values[6], url=values[7]
        )

    def record_fetch(
        self,
        article_key: str,
        url: str,
        etag: str | None,
        last_modified: str | None,
        lastmod_hint: str | None,
        when: str,
    ) -> None:
        old = self.get_fetch(article_key)
        if lastmod_hint is None:
            lastmod_hint = old.lastmod_hint if old else None
        keep = [old.published, old.due, old.gone] if old else [None, None, None]
        self._set_fetch(article_key, [etag, last_modified, lastmod_hint, when, *keep, url])

    def _set_fetch(self, article_key: str, values: list) -> None:
        pipe = self.server.pipeline(transaction=False)
        pipe.set(f"{self.p}:f:{article_key}", json.dumps(values, separators=(",", ":")), ex=self.ttl)
        if not article_key.startswith("@"):  # an article's, not a discovery page's: the site is known
            pipe.set(f"{self.p}:site:{article_key.split(':', 1)[0]}", 1, ex=self.ttl)
        pipe.execute()

    def knows_site(self, site: str) -> bool:
        return bool(self.server.exists(f"{self.p}:site:{site}"))

    def _update_fetch(self, article_key: str, **changes) -> bool:
        raw = self.server.get(f"{self.p}:f:{article_key}")
        if raw is None:
            return False
        values = (json.loads(raw) + [None] * 8)[:8]
        for name, value in changes.items():
            values[_FETCH_FIELDS.index(name)] = value
        self._set_fetch(article_key, values)
        return True

    def set_revisit(self, article_key: str, published: str | None, due: str | None) -> None:
        changes: dict = {"due": due} if published is None else {"due": due, "published": published}
        if not self._update_fetch(article_key, **changes):
            return
        schedule = f"{self.p}:due:{article_key.split(':', 1)[0]}"
        if due is None:
            self.server.zrem(schedule, article_key)
        else:
            self.server.zadd(schedule, {article_key: datetime.fromisoformat(due).timestamp()})

    def due_revisits(self, site: str, now: str, limit: int) -> list[tuple[str, FetchRecord]]:
        schedule = f"{self.p}:due:{site}"
        found: list[tuple[str, FetchRecord]] = []
        for key in self.server.zrangebyscore(schedule, "-inf", datetime.fromisoformat(now).timestamp(), 0, limit):
            record = self.get_fetch(key)
            if record is None:  # expired with the state's window: the schedule forgets it too
                self.server.zrem(schedule, key)
            else:
                found.append((key, record))
        return found

    def set_gone(self, article_key: str, when: str | None) -> None:
        self._update_fetch(article_key, gone=when)

    def record_listed(self, article_key: str, url: str, published: str | None, when: str) -> None:
        key = f"{self.p}:l:{article_key}"
        old = self.server.get(key)
        known_published, first, _, outcome, outcome_at = json.loads(old)[1:6] if old else (None, when, None, None, None)
        value = [url, known_published or published, first, when, outcome, outcome_at]
        pipe = self.server.pipeline(transaction=False)
        pipe.set(key, json.dumps(value, separators=(",", ":")), ex=self.ttl)
        if published and not known_published:
            # The site's recent publications, capped: what its silences are judged by.
            pubs = f"{self.p}:pubs:{article_key.split(':', 1)[0]}"
            pipe.lpush(pubs, published)
            pipe.ltrim(pubs, 0, PUBLICATIONS_KEPT - 1)
        pipe.execute()

    def record_outcome(self, article_key: str, outcome: str, when: str) -> None:
        key = f"{self.p}:l:{article_key}"
        old = self.server.get(key)
        if old is not None:
            value = json.loads(old)[:4] + [outcome, when]
            self.server.set(key, json.dumps(value, separators=(",", ":")), ex=self.ttl)

    def recent_publications(self, site: str, limit: int) -> list[str]:
        return list(self.server.lrange(f"{self.p}:pubs:{site}", 0, limit - 1))

    def add_daily(self, site: str, day: str, counts: dict[str, int]) -> None:
        pipe = self.server.pipeline(transaction=False)
        for name, value in counts.items():
            pipe.hincrby(f"{self.p}:daily:{site}:{day}", name, int(value))
        pipe.expire(f"{self.p}:daily:{site}:{day}", self.ttl or 400 * 86400)
        pipe.execute()

    def claim(self, site: str, article_id: str, content_hash: str) -> str | None:
        keys = [f"{self.p}:claim:{site}:{article_id}", f"{self.p}:claim:hash:{content_hash}"]
        return self._claim(
            keys=keys, args=[self.owner, content_hash, f"{site}:{article_id}", self.claim_ttl, self.heartbeats]
        )

    def release(self, site: str, article_id: str, content_hash: str) -> None:
        self._release(
            keys=[f"{self.p}:claim:{site}:{article_id}", f"{self.p}:claim:hash:{content_hash}"], args=[self.owner]
        )

    def get_baseline(self, site: str) -> Baseline | None:
        raw = self.server.hget(f"{self.p}:baselines", site)
        if raw is None:
            return None
        data = json.loads(raw)
        return Baseline(data["metrics"], data["runs"])

    def record_baseline(self, site: str, baseline: Baseline, when: str) -> None:
        self.server.hset(
            f"{self.p}:baselines",
            site,
            json.dumps({"metrics": baseline.metrics, "runs": baseline.runs, "updated": when}),
        )

    def _feed_value(self, path: str) -> list:
        """The file's mark as saved, [offset, head, tally] ([] for none, or one another program wrote)."""
        value = self.server.hget(f"{self.p}:feeds", f"{socket.gethostname()}:{path}")
        try:
            found = json.loads(value) if value else []
        except ValueError:
            return []
        return found if isinstance(found, list) else []

    def feed_mark(self, path: str) -> tuple[int, str] | None:
        offset, head = (self._feed_value(path) + [None, None])[:2]
        # a mark another program wrote: read the whole file, as without one
        return (offset, head) if isinstance(offset, int) and isinstance(head, str) else None

    def set_feed_mark(self, path: str, offset: int, head: str, tally: str | None = None) -> None:
        # A dataset file is a machine's own: the mark is per host and path.
        self.server.hset(f"{self.p}:feeds", f"{socket.gethostname()}:{path}", json.dumps([offset, head, tally]))

    def feed_tally(self, path: str) -> str | None:
        found = self._feed_value(path)
        return found[2] if len(found) == 3 and isinstance(found[2], str) else None

    def __len__(self) -> int:
        return sum(1 for _ in self.server.scan_iter(f"{self.p}:a:*", count=1000))

    def close(self) -> None:
        self.server.close()
