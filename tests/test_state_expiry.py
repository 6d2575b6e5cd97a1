"""Bounded state: what the crawl remembers leaves it after STATE_EXPIRE_DAYS, in Redis and in SQLite."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from newscrawl.state.redis import RedisStore
from newscrawl.state.sqlite import SqliteStore

URL = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


@pytest.fixture(scope="module")
def redis_server(redis_url):
    import redis

    return redis.Redis.from_url(redis_url, decode_responses=True)


def test_redis_state_expires_after_its_window(redis_server):
    store = RedisStore(redis_server, "exp1", "worker-1", "exp1:nu:worker:", expire_seconds=1)
    store.record("nu", "6400101", "h1", 2, URL, "2025-04-01T09:00:00+00:00")
    store.record_fetch("nu:6400101", URL, '"etag"', None, None, "2025-04-01T09:00:00+00:00")
    assert (
        store.get("nu", "6400101").revision == 2
        and store.find_by_hash("h1")
        and store.get_fetch("nu:6400101").etag == '"etag"'
    )
    time.sleep(1.2)
    assert (
        store.get("nu", "6400101") is None
        and store.find_by_hash("h1") is None
        and store.get_fetch("nu:6400101") is None
    )
    assert len(store) == 0


def test_redis_state_keys_carry_the_default_thirty_days(redis_server):
    store = RedisStore(redis_server, "exp2", "worker-1", "exp2:nu:worker:")
    store.record("nu", "6400101", "h1", 1, URL, "2025-04-01T09:00:00+00:00")
    store.record_fetch("nu:6400101", URL, None, "Tue, 01 Apr 2025 09:00:00 GMT", None, "2025-04-01T09:00:00+00:00")
    for key in ("exp2:state:a:nu:6400101", "exp2:state:h:h1", "exp2:state:f:nu:6400101"):
        assert 30 * 86400 - 60 <= redis_server.ttl(key) <= 30 * 86400
    # A new text restarts the window; 0 keeps the state for ever.
    forever = RedisStore(redis_server, "exp3", "worker-1", "exp3:nu:worker:", expire_seconds=0)
    forever.record("nu", "6400101", "h1", 1, URL, "2025-04-01T09:00:00+00:00")
    assert redis_server.ttl("exp3:state:a:nu:6400101") == -1


def test_state_of_an_earlier_version_moves_to_expiring_keys(redis_server):
    # The hash layout of earlier versions: no expiry at all.
    redis_server.hset(
        "exp4:state:articles:nu",
        "6400101",
        json.dumps(["h1", 3, URL, "2025-01-01T00:00:00+00:00", "2025-03-01T00:00:00+00:00"]),
    )
    redis_server.hset("exp4:state:hashes", "h1", "nu:6400101")
    redis_server.hset(
        "exp4:state:fetches", "nu:6400101", json.dumps(['"e"', None, None, URL, "2025-03-01T00:00:00+00:00"])
    )
    store = RedisStore(redis_server, "exp4", "worker-1", "exp4:nu:worker:")
    assert store.get("nu", "6400101").revision == 3 and store.find_by_hash("h1").article_id == "6400101"
    assert store.get_fetch("nu:6400101").etag == '"e"'
    assert not redis_server.exists("exp4:state:articles:nu", "exp4:state:hashes", "exp4:state:fetches")
    assert redis_server.ttl("exp4:state:a:nu:6400101") > 29 * 86400


def test_sqlite_state_outside_the_window_is_deleted_when_a_crawl_opens_it(tmp_path):
    now = datetime.now(UTC)
    store = SqliteStore(tmp_path / "state.sqlite3")
    store.record("nu", "1", "old", 1, URL, (now - timedelta(days=45)).isoformat(timespec="seconds"))
    store.record("nu", "2", "new", 1, URL, (now - timedelta(days=3)).isoformat(timespec="seconds"))
    store.record_fetch("nu:1", URL, '"e1"', None, None, (now - timedelta(days=45)).isoformat(timespec="seconds"))
    store.record_fetch("nu:2", URL, '"e2"', None, None, (now - timedelta(days=3)).isoformat(timespec="seconds"))
    store.close()
    kept_for_ever = SqliteStore(tmp_path / "state.sqlite3", expire_days=0)
    assert len(kept_for_ever) == 2
    kept_for_ever.close()
    reopened = SqliteStore(tmp_path / "state.sqlite3", expire_days=30)
    assert reopened.get("nu", "1") is None and reopened.get_fetch("nu:1") is None
    assert reopened.get("nu", "2").content_hash == "new" and reopened.get_fetch("nu:2").etag == '"e2"'
    reopened.close()
