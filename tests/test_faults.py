"""Reliability under faults: a crawl of the NU fixture site through a fault-injecting proxy on 127.0.0.1."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, PROJECT
from faultsite import FAULTS, FaultSite

from newscrawl.extract.urls import article_key

SEED = 20251123
RECOVERING = ("flaky_500", "flaky_503", "rate_limited")
SETTINGS = {
    "DOWNLOAD_TIMEOUT": "3",
    "DOWNLOAD_MAXSIZE": str(4 << 20),
    "DOWNLOAD_WARNSIZE": str(1 << 20),
    "RETRY_TIMES": "2",
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS": "8",
    "RETRY_AFTER_MAX": "5",
}


def crawl_through(site: FaultSite, tmp_path: Path, name: str) -> tuple[list[dict], dict, dict, str]:
    port = site.start()
    proxy = f"http://127.0.0.1:{port}"
    env = {**os.environ, "https_proxy": proxy, "http_proxy": proxy, "no_proxy": ""}
    args = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "nu",
        "-O",
        str(tmp_path / f"{name}.jsonl"),
        "-s",
        f"STATE_DB={tmp_path / name}.sqlite3",
        "-s",
        f"STATS_FILE={tmp_path / name}.stats.json",
        "-a",
        "related_depth=1",
        "-s",
        f"HEALTH_SAMPLES_DIR={tmp_path / name}-samples",
    ]
    for key, value in SETTINGS.items():
        args += ["-s", f"{key}={value}"]
    try:
        result = subprocess.run(args, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=240)
    finally:
        site.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
    stats = json.loads((tmp_path / f"{name}.stats.json").read_text())
    report = json.loads((tmp_path / f"{name}.jsonl.manifest.json").read_text())["urls"]
    return items, stats, report, result.stderr


@pytest.fixture(scope="module")
def faulted_crawl(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("faults")
    manifest = FIXTURES / "nu" / "site.json"
    # A clean pass through the same proxy tells which URLs a normal crawl requests.
    clean = FaultSite(manifest, {}, tmp_path)
    clean_items, _, _, _ = crawl_through(clean, tmp_path, "clean")
    requested = sorted({entry.url for entry in clean.log if not entry.url.endswith("/robots.txt")})
    articles = [url for url in requested if article_key(url)]
    ok = {entry.url for entry in clean.log if entry.status == 200}
    discovery = [url for url in requested if url not in articles and "/-/" not in url and url in ok]
    # Faults that recover on retry go to discovery pages (they hide nothing); the permanent ones to
    # article URLs, so that every fault is really served. One URL each, seeded.
    rng = random.Random(SEED)
    rng.shuffle(articles)
    rng.shuffle(discovery)
    faults = dict(zip(discovery, RECOVERING))
    faults.update(zip(articles, [f for f in FAULTS if f not in RECOVERING]))
    assert set(faults.values()) == set(FAULTS)
    site = FaultSite(manifest, faults, tmp_path)
    items, stats, report, log = crawl_through(site, tmp_path, "faulted")
    return site, faults, items, stats, report, log, clean_items


REDIRECTED_FROM = {
    r["headers"]["Location"]: r["url"]
    for r in json.loads((FIXTURES / "nu" / "site.json").read_text())["records"]
    if r.get("status") in (301, 302)
}


def outcome(report, url):
    """The ledger outcome of a URL from the manifest (failures are listed, the rest counted). A page
    reached through a redirect (a short link) is accounted under the URL that was requested first."""
    for candidate in (url, REDIRECTED_FROM.get(url)):
        for failure in report["failures"]:
            if failure["url"] == candidate:
                return f"failure:{failure['reason']}"
    return None


def test_the_crawl_finishes_and_every_url_is_accounted_for(faulted_crawl):
    site, faults, items, stats, report, log, _ = faulted_crawl
    assert stats["finish_reason"] == "finished"
    served = {str(entry.status).split(" ", 1)[1] for entry in site.log if " " in str(entry.status)} | {
        "reset" for e in site.log if e.status == "reset"
    }
    assert served == set(FAULTS)  # every fault really happened
    assert report["unaccountedCount"] == 0 and report["unaccounted"] == []
    print(
        f"\nfaults: {len(faults)} URLs, one fault each; URLs tried {report['urls']}; outcomes {report['outcomeDetails']}"
    )
    print(f"requests answered by the fault site: {len(site.log)}; items {len(items)}")


def test_no_request_ever_left_the_site(faulted_crawl):
    site, *_ = faulted_crawl
    assert set(site.hosts) == {"www.nu.nl"}  # the off-site redirect target was never asked for


def test_each_fault_ends_as_it_should(faulted_crawl):
    site, faults, items, stats, report, log, _ = faulted_crawl
    by_fault = {fault: url for url, fault in faults.items()}
    expected_failures = {
        "reset": "connection",
        "slow": "timeout",
        "truncated": "truncated",
        "gzip_bomb": "too_large",
        "oversized": "too_large",
        "redirect_loop": "redirect_loop",
        "offsite_redirect": "offsite",
    }
    for fault, reason in expected_failures.items():
        assert outcome(report, by_fault[fault]) == f"failure:{reason}", fault
    for fault in ("flaky_500", "flaky_503", "rate_limited"):  # recover on retry: never a failure
        assert outcome(report, by_fault[fault]) is None, fault
    assert (
        report["outcomeDetails"].get("skipped:not_html") == 1
        and report["outcomeDetails"].get("skipped:empty_body") == 1
    )
    assert report["outcomeDetails"].get("skipped:consent_wall") == 1


def test_retry_after_is_obeyed(faulted_crawl):
    site, faults, *_ = faulted_crawl
    url = next(u for u, f in faults.items() if f == "rate_limited")
    times = [entry.at for entry in site.log if entry.url == url]
    assert len(times) == 2 and times[1] - times[0] >= 1.0


def test_caps_hold_and_nothing_bogus_is_emitted(faulted_crawl):
    site, faults, items, stats, report, log, clean_items = faulted_crawl
    assert all("cookies" not in item["headline"].lower() for item in items)  # the consent wall is not an article
    assert all(
        "Ã" not in item["headline"] + item["articleBody"] for item in items
    )  # the mislabelled charset was repaired
    assert stats.get("charset/repaired", 0) >= 1
    # Whatever was emitted is an article of the clean crawl, unchanged (of a same-text pair either copy may win).
    clean_bodies = {item["articleBody"] for item in clean_items}
    assert items and all(item["articleBody"] in clean_bodies for item in items)
