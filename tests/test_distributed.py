"""Distributed mode for real: a redis-server and an nginx-served site of 2,000 articles on 127.0.0.1.

Two `scrapy crawl nu` workers with the same REDIS_URL share one frontier, one seen-set and one
dedup state: together they write exactly the site's articles, each once, each worker some of them.
One worker killed with SIGKILL mid-crawl: the other notices, recovers what it had taken, and the
union of what both wrote is still exactly the site's articles, each once.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from conftest import cluster_worker, synthetic_site_served, wait_for_worker

ARTICLES = 2000
EXPECTED = {str(7000000 + i) for i in range(ARTICLES)}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with synthetic_site_served(tmp_path_factory.mktemp("site"), ARTICLES) as served:
        yield served


def article_ids(path: Path) -> list[str]:
    """Complete lines only: a worker killed mid-write may leave a torn last line (never emitted)."""
    ids = []
    for line in path.read_text("utf-8").splitlines():
        try:
            ids.append(json.loads(line)["articleId"])
        except json.JSONDecodeError:
            continue
    return ids


def test_two_workers_share_the_frontier_and_emit_each_article_once(tmp_path, redis_url, site):
    outs = [tmp_path / "w1.jsonl", tmp_path / "w2.jsonl"]
    workers = [cluster_worker(out, redis_url, "t-share") for out in outs]
    for process, out in zip(workers, outs):
        wait_for_worker(process, 300, out.with_suffix(".log"))
    per_worker = [article_ids(out) for out in outs]
    together = per_worker[0] + per_worker[1]
    print(f"\nworker 1: {len(per_worker[0])} items, worker 2: {len(per_worker[1])} items")
    assert len(together) == len(set(together)) == ARTICLES
    assert set(together) == EXPECTED
    assert all(len(ids) >= ARTICLES // 10 for ids in per_worker), "each worker does part of the work"
    stats = [json.loads(out.with_suffix(".stats.json").read_text()) for out in outs]
    assert all(s["finish_reason"] == "finished" for s in stats)
    assert all(s.get("ledger/unaccounted", 0) == 0 for s in stats)


def test_a_killed_worker_loses_nothing(tmp_path, redis_url, site):
    outs = [tmp_path / "victim.jsonl", tmp_path / "survivor.jsonl"]
    # Short timings so the survivor notices the death in seconds, not the production half-minute.
    timing = {"CLUSTER_HEARTBEAT": 0.5, "CLUSTER_DEAD_AFTER": 4}
    victim, survivor = (cluster_worker(out, redis_url, "t-kill", **timing) for out in outs)
    deadline = time.monotonic() + 120
    while not outs[0].exists() or len(outs[0].read_bytes().splitlines()) < 300:
        assert victim.poll() is None and time.monotonic() < deadline, "the victim never got going"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    wait_for_worker(survivor, 300, outs[1].with_suffix(".log"))
    victim_ids, survivor_ids = article_ids(outs[0]), article_ids(outs[1])
    together = victim_ids + survivor_ids
    print(f"\nkilled after {len(victim_ids)} items; the survivor wrote {len(survivor_ids)}")
    assert len(victim_ids) >= 300
    assert set(together) == EXPECTED, f"lost: {sorted(EXPECTED - set(together))[:10]}"
    assert len(together) == len(set(together)), "an article was written twice"
    stats = json.loads(outs[1].with_suffix(".stats.json").read_text())
    assert stats["cluster/dead_workers"] == 1 and stats["cluster/sweeps"] == 1


def test_a_worker_killed_between_writing_and_recording_an_article_does_not_double_it(tmp_path, redis_url, site):
    """The victim dies right after its 300th line reached the disk, before the state recorded that
    article: the survivor reads the victim's dataset before it sweeps, so the article is not written again."""
    from newscrawl import settings as project

    outs = [tmp_path / "victim.jsonl", tmp_path / "survivor.jsonl"]
    timing = {"CLUSTER_HEARTBEAT": 0.5, "CLUSTER_DEAD_AFTER": 4}
    dying = {"EXTENSIONS": json.dumps({**project.EXTENSIONS, "loopback.DieAfterWriting": 0}), "DIE_AFTER_WRITING": 300}
    victim = cluster_worker(outs[0], redis_url, "t-window", **timing, **dying)
    survivor = cluster_worker(outs[1], redis_url, "t-window", **timing)
    victim.wait(120)
    assert victim.returncode == -signal.SIGKILL, outs[0].with_suffix(".log").read_text()[-2000:]
    wait_for_worker(survivor, 300, outs[1].with_suffix(".log"))
    victim_ids, survivor_ids = article_ids(outs[0]), article_ids(outs[1])
    together = victim_ids + survivor_ids
    assert len(victim_ids) == 300
    assert set(together) == EXPECTED, f"lost: {sorted(EXPECTED - set(together))[:10]}"
    assert len(together) == len(set(together)), (
        f"written twice: {sorted({i for i in together if together.count(i) > 1})}"
    )
    stats = json.loads(outs[1].with_suffix(".stats.json").read_text())
    assert stats["cluster/dead_workers"] == 1 and stats["cluster/dead_items_learned"] >= 1
    assert "written but not recorded: recorded now" in outs[1].with_suffix(".log").read_text()


def test_claims_stop_a_second_emission_and_lapse_with_their_worker(redis_url):
    import redis

    from newscrawl.state.redis import RedisStore

    server = redis.Redis.from_url(redis_url, decode_responses=True)
    beats = "t-claims:nu:worker:"
    one, two = (RedisStore(server, "t-claims", owner, beats) for owner in ("w1", "w2"))
    server.set(beats + "w1", "busy")
    server.set(beats + "w2", "busy")
    assert one.claim("nu", "1", "h1") is None
    assert two.claim("nu", "1", "h1") == "unchanged"  # the same article with the same text
    assert two.claim("nu", "1", "h2") == "duplicate"  # the same article, other text, same run
    assert two.claim("nu", "2", "h1") == "same_content:nu:1"  # a copy under another id
    one.release("nu", "1", "h1")
    assert two.claim("nu", "1", "h1") is None  # released (rejected item): free again
    server.delete(beats + "w2")  # w2 dies holding its claim: the item it claimed was never written
    assert one.claim("nu", "1", "h1") is None
    # The state: revisions and copies are seen by every worker.
    one.record("nu", "1", "h1", 1, "https://www.nu.nl/a/1/x.html", "2026-01-01T00:00:00+00:00")
    assert two.get("nu", "1").revision == 1 and two.find_by_hash("h1").article_id == "1"
    two.record("nu", "1", "h3", 2, "https://www.nu.nl/a/1/x.html", "2026-01-02T00:00:00+00:00")
    assert one.find_by_hash("h1") is None and one.get("nu", "1").content_hash == "h3"
