"""A polite cluster: three workers on one Redis keep a host at the configured rate, read from
the server's own access log (nginx on 127.0.0.1), and still write every article once.

Without the shared limit (CLUSTER_RATE_LIMIT=False) the same three workers hit the host at
about three times the rate: the control run shows the test can fail.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from conftest import cluster_worker, wait_for_worker  # noqa: E402
from loopback import LoopbackSite, available  # noqa: E402
from synthetic_site import generate  # noqa: E402

ARTICLES = 300
DELAY = 0.05  # 20 requests/s for the host, whatever the number of workers
LIMIT = 1 / DELAY


@pytest.fixture(scope="module")
def warc(tmp_path_factory):
    return generate(ARTICLES, tmp_path_factory.mktemp("warc") / "site.warc.gz", size_kb=30)


def crawl(
    tmp_path: Path, warc: Path, redis_url: str, key_prefix: str, workers: int = 3, **settings
) -> tuple[list[float], list[str], list[dict]]:
    """Serve the site, run the workers to the end: (request times from nginx, article ids written, stats)."""
    reason = available()
    if reason:
        pytest.skip(f"no loopback site: {reason}")
    site = LoopbackSite.from_warc(warc, tmp_path / "site", access_log=True)
    site.start()
    try:
        processes = [
            cluster_worker(
                tmp_path / f"w{n}.jsonl",
                redis_url,
                key_prefix,
                DOWNLOAD_DELAY=DELAY,
                CONCURRENT_REQUESTS_PER_DOMAIN=4,
                **settings,
            )
            for n in range(workers)
        ]
        for n, process in enumerate(processes):
            wait_for_worker(process, 300, tmp_path / f"w{n}.log")
        times = sorted(t for t, _, _ in site.requests())
    finally:
        site.stop()
    ids = [
        json.loads(line)["articleId"]
        for n in range(workers)
        for line in (tmp_path / f"w{n}.jsonl").read_text().splitlines()
    ]
    stats = [json.loads((tmp_path / f"w{n}.stats.json").read_text()) for n in range(workers)]
    return times, ids, stats


def busiest_second(times: list[float]) -> int:
    """The most requests that started in any one-second window."""
    most, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_three_workers_keep_the_host_at_the_configured_rate(tmp_path, warc, redis_url):
    times, ids, stats = crawl(tmp_path, warc, redis_url, "polite")
    rate = (len(times) - 1) / (times[-1] - times[0])
    busiest = busiest_second(times)
    print(
        f"\nshared limit: {len(times)} requests, {rate:.1f}/s over the crawl, busiest second {busiest} (limit {LIMIT:.0f}/s)"
    )
    assert sorted(ids) == sorted({str(7000000 + i) for i in range(ARTICLES)})  # every article, once
    assert all(s.get("ratelimit/requests", 0) > 0 for s in stats)  # all three workers fetched
    assert abs(rate - LIMIT) <= 0.1 * LIMIT
    assert busiest <= 1.1 * LIMIT


def test_without_the_shared_limit_the_workers_add_up(tmp_path, warc, redis_url):
    times, ids, _ = crawl(tmp_path, warc, redis_url, "impolite", CLUSTER_RATE_LIMIT=False)
    rate = (len(times) - 1) / (times[-1] - times[0])
    print(
        f"\nper-worker delay only: {len(times)} requests, {rate:.1f}/s, busiest second {busiest_second(times)} (limit {LIMIT:.0f}/s)"
    )
    assert len(set(ids)) == ARTICLES
    assert rate > 1.1 * LIMIT and busiest_second(times) > 1.5 * LIMIT


def test_a_host_at_its_concurrency_limit_waits_and_a_lease_returns(redis_url):
    import time

    import redis

    from newscrawl.cluster.politeness import _ACQUIRE

    server = redis.Redis.from_url(redis_url, decode_responses=True)
    acquire = server.register_script(_ACQUIRE)
    keys = ["unit:rate:www.nu.nl:next", "unit:rate:www.nu.nl:leases", "unit:rate:www.nu.nl:waiters"]
    server.delete(*keys)
    # No delay, two requests in flight at most: the third waits until a lease is released.
    assert acquire(keys=keys, args=[0, 2, "w1:1", 60000, "w1"]) == 0
    assert acquire(keys=keys, args=[0, 2, "w1:2", 60000, "w1"]) == 0
    assert acquire(keys=keys, args=[0, 2, "w2:1", 60000, "w2"]) == -1  # w2 waits
    server.zrem(keys[1], "w1:1")
    assert acquire(keys=keys, args=[0, 2, "w1:3", 60000, "w1"]) == -1  # w1 holds its share while w2 waits
    assert acquire(keys=keys, args=[0, 2, "w2:1", 60000, "w2"]) == 0
    # A delay of 300 ms: whoever asks next is told to wait (up to half a delay early), then gets the token.
    server.delete(*keys)
    assert acquire(keys=keys, args=[300, 0, "w1:4", 60000, "w1"]) == 0
    wait = acquire(keys=keys, args=[300, 0, "w2:2", 60000, "w2"])
    assert 50 <= wait <= 150
    time.sleep(wait / 1000 + 0.005)
    assert acquire(keys=keys, args=[300, 0, "w2:2", 60000, "w2"]) == 0
    assert 250 <= acquire(keys=keys, args=[300, 0, "w1:5", 60000, "w1"]) <= 300  # the schedule moved on by one delay
    # A lease of a dead worker expires by itself.
    server.delete(*keys)
    assert acquire(keys=keys, args=[0, 1, "gone:1", 1, "gone"]) == 0
    time.sleep(0.01)
    assert acquire(keys=keys, args=[0, 1, "w1:6", 60000, "w1"]) == 0


def test_autothrottle_latency_feedback_sets_the_shared_interval():
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.utils.test import get_crawler

    from newscrawl.cluster.politeness import HostLimiter

    crawler = get_crawler(settings_dict={"REDIS_URL": "redis://127.0.0.1:1/0", "DOWNLOAD_DELAY": 0.25})
    limiter = HostLimiter(crawler)  # the connection is lazy: nothing is contacted here

    class Downloader:
        slots: dict = {}

        def get_slot_key(self, request):
            return "www.nu.nl"

    class Engine:
        downloader = Downloader()

    crawler.engine = Engine()
    request = Request("https://www.nu.nl/binnenland/7000001/a.html")
    assert limiter.host_and_interval(request) == ("www.nu.nl", 0.25)  # no slot yet: DOWNLOAD_DELAY
    Downloader.slots["www.nu.nl"] = Slot(concurrency=4, delay=1.5, jitter=0)  # AutoThrottle raised it
    assert limiter.host_and_interval(request) == ("www.nu.nl", 1.5)


def test_the_add_on_wraps_the_configured_handlers_only_in_a_cluster():
    from scrapy.settings import Settings

    from newscrawl.cluster.distributed import Distributed

    plain = Settings(
        {
            "DOWNLOAD_HANDLERS": {"https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"},
            "CLUSTER_RATE_LIMIT": True,
        }
    )
    Distributed().update_settings(plain)
    assert plain.getdict("DOWNLOAD_HANDLERS")["https"] == "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    cluster = Settings(
        {
            "DOWNLOAD_HANDLERS": {"https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"},
            "CLUSTER_RATE_LIMIT": True,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "REDIS_KEY_PREFIX": "x",
        }
    )
    Distributed().update_settings(cluster)
    assert cluster.getdict("DOWNLOAD_HANDLERS")["https"] == "newscrawl.cluster.politeness.PoliteHttpsHandler"
    assert cluster.getdict("CLUSTER_INNER_DOWNLOAD_HANDLERS") == {
        "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        "http": "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler",
    }
