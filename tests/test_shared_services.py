"""Shared services hold data, not code: the cluster's Redis frontier takes JSON requests only (a
pickle written into it runs nothing, on a real redis-server and a real worker), and a crawl opens
no remote-control server or telnet console."""

from __future__ import annotations

import json
import os
import pickle
from collections import Counter
from pathlib import Path

import pytest
import redis
from conftest import (
    FIXTURES,
    cluster_worker,
    project_crawler,
    replay_crawl,
    run_scrapy,
    synthetic_site_served,
    wait_for_worker,
)

from newscrawl.cluster.requests import NotData, decode, encode
from newscrawl.crawl.render import render_meta
from newscrawl.extract.requestinfo import Hints, RequestInfo

ARTICLES = 60


class Payload:
    """What an attacker who can write to the Redis queues: unpickling it touches ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with synthetic_site_served(tmp_path_factory.mktemp("site"), ARTICLES) as served:
        yield served


@pytest.fixture(scope="module")
def nu_spider():
    from newscrawl.crawl.spiders.sites import spider_for

    return project_crawler(spider_for("nu")).spider


def test_a_queued_request_travels_as_json_and_comes_back_whole(nu_spider):
    spider = nu_spider
    info = RequestInfo(via="rss", article_key="nu:6333770", hints=Hints(published="2024-10-31T19:09:00+01:00"))
    request = spider.request("https://www.nu.nl/binnenland/6333770/storm.html", spider.parse_article, info)
    request.meta.update(render_meta(True), redirect_urls=["https://www.nu.nl/-/6333770/"])
    request = request.replace(headers={"If-None-Match": '"v1"'})
    encoded = encode(request, spider)
    assert json.loads(encoded)["callback"] == "parse_article"
    back = decode(encoded, spider)
    assert back.url == request.url and back.callback == spider.parse_article and back.errback == spider.on_error
    assert back.meta["newscrawl"] == info and back.headers[b"If-None-Match"] == b'"v1"'
    assert [m.method for m in back.meta["playwright_page_methods"]] == [
        m.method for m in request.meta["playwright_page_methods"]
    ]


@pytest.mark.parametrize(
    "entry",
    [
        pickle.dumps({"url": "https://www.nu.nl/"}),
        b'{"url": "https://www.nu.nl/", "callback": "close"}',  # a spider method, not a parse callback
        b'{"url": "https://www.nu.nl/", "callback": "parse_article", "_class": "os.system"}',
        b'{"url": "https://www.nu.nl/", "meta": {"x": {"$pickle": "gASV"}}}',
        b'{"url": "file:///etc/passwd", "callback": "parse_article"}',
        b'{"url": "https://www.nu.nl/", "meta": {"newscrawl": {"$info": {"shell": "id"}}}}',
        b'{"url": "https://www.nu.nl/", "meta": {"playwright_page_methods": {"$render": "evaluate:fetch()"}}}',
    ],
)
def test_anything_but_a_data_request_is_refused(nu_spider, entry):
    with pytest.raises(NotData):
        decode(entry, nu_spider)


def test_a_pickle_written_into_the_frontier_runs_no_code_on_a_worker(tmp_path, redis_url, site):
    marker = tmp_path / "pwned"
    server = redis.Redis.from_url(redis_url)
    # First in the worker's priority queue (score -1000: the highest priority).
    server.execute_command("ZADD", "t-pickle:nu:requests", -1000, pickle.dumps(Payload(marker)))
    out = tmp_path / "w.jsonl"
    worker = cluster_worker(out, redis_url, "t-pickle")
    wait_for_worker(worker, 240, out.with_suffix(".log"))
    log = out.with_suffix(".log").read_text()
    assert not marker.exists(), "the worker unpickled the entry and ran its code"
    assert "refused an entry of the shared frontier t-pickle:nu:requests: not JSON" in log
    stats = json.loads(out.with_suffix(".stats.json").read_text())
    assert stats["cluster/refused_requests"] == 1
    assert len(out.read_text().splitlines()) == ARTICLES  # the crawl went on


def test_a_crawl_opens_no_remote_control_or_telnet_server(tmp_path):
    _, _, log = replay_crawl("stadsblad", tmp_path, archive=FIXTURES / "stadsblad" / "site.warc.gz")
    enabled = log[log.index("Enabled extensions") :].split("]", 1)[0]
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled
    assert "Remote control" not in log and "Telnet console listening" not in log


def _line(article_id: str, **metadata) -> bytes:
    item = {"site": "nu", "articleId": article_id, "canonicalUrl": f"https://www.nu.nl/x/{article_id}/y.html"}
    meta = {"contentHash": f"hash-{article_id}", "revision": 1, "dateDownloaded": "2026-12-01T10:00:00+01:00"}
    return json.dumps({**item, "metadata": {**meta, **metadata}}).encode() + b"\n"


def test_a_dead_workers_file_with_broken_lines_is_read_on_in_bounded_memory(tmp_path):
    # What the probe left in a dead worker's dataset: a line without contentHash, and a line of
    # 96 MB without a newline until its end. Before, the first aborted the recovery (KeyError) and
    # the second was read whole into memory; both lost the worker's other articles for the run.
    import tracemalloc

    from newscrawl.crawl.durability import MAX_LINE_BYTES
    from newscrawl.crawl.pipelines.dedup import learn_from_feed
    from newscrawl.state.sqlite import SqliteStore

    path = tmp_path / "dead.jsonl"
    with path.open("wb") as out:
        out.write(_line("6000001"))
        line = json.loads(_line("6000002"))
        del line["metadata"]["contentHash"]
        out.write(json.dumps(line).encode() + b"\n")
        out.write(b'{"site": "nu", "articleBody": "' + b"x" * (96 << 20) + b'"}\n')
        out.write(b"[1, 2, 3]\n")
        out.write(_line("6000003"))
    store = SqliteStore(tmp_path / "state.sqlite3")
    skipped: Counter[str] = Counter()
    tracemalloc.start()
    learned = learn_from_feed(store, path, skipped=skipped)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert learned == 2 and store.get("nu", "6000001") and store.get("nu", "6000003")
    assert skipped == {"incomplete": 1, "too_long": 1, "not_an_item": 1}
    assert peak < 2 * MAX_LINE_BYTES + (8 << 20) < 96 << 20, peak  # bounded by the limit, not by the line
    # From an offset (where the dead worker's run began): only what it wrote in this run is read.
    store2 = SqliteStore(tmp_path / "state2.sqlite3")
    start = len(_line("6000001"))
    assert learn_from_feed(store2, path, start) == 1 and store2.get("nu", "6000001") is None


def test_a_cluster_logs_in_to_an_authenticated_redis_with_a_password_kept_out_of_settings(tmp_path, site, monkeypatch):
    from loopback import RedisServer

    password = "k8s-redis-Secret-42"
    server = RedisServer(tmp_path, password=password).start()
    try:
        with pytest.raises(redis.exceptions.AuthenticationError):  # the server really wants the password
            redis.Redis.from_url(server.url).ping()
        # In the URL it would be logged with the settings: refused before anything starts.
        spoken = f"redis://:{password}@127.0.0.1:{server.port}/0"
        refused = run_scrapy("crawl", "nu", "-s", f"REDIS_URL={spoken}", status=2)
        assert "REDIS_URL carries a password" in refused.stderr and password not in refused.stderr
        # From the environment: every client (state, frontier, seen-set, politeness) logs in.
        monkeypatch.setenv("NEWSCRAWL_REDIS_PASSWORD", password)
        out = tmp_path / "w.jsonl"
        worker = cluster_worker(out, server.url, "t-auth")
        wait_for_worker(worker, 240, out.with_suffix(".log"))
        assert len(out.read_text().splitlines()) == ARTICLES
        assert password not in out.with_suffix(".log").read_text()
    finally:
        server.stop()
