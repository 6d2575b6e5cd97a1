"""Crash-safe and resumable: five kill -9 at seeded moments, then completion, equals one uninterrupted crawl."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, PROJECT
from faultsite import FaultSite

SEED = 5
KILLS = 5
# One request at a time, a quarter second apart: the crawl takes a few seconds, so kills land mid-crawl.
SLOW = {
    "DOWNLOAD_DELAY": "0.25",
    "CONCURRENT_REQUESTS": "1",
    "AUTOTHROTTLE_ENABLED": "False",
    "RANDOMIZE_DOWNLOAD_DELAY": "False",
}


def command(tmp_path: Path, name: str, jobdir: bool) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "nu",
        "-o",
        str(tmp_path / f"{name}.jsonl"),
        "-s",
        f"STATE_DB={tmp_path / name}.sqlite3",
        "-s",
        f"HEALTH_SAMPLES_DIR={tmp_path / name}-samples",
    ]
    if jobdir:
        args += ["-s", f"JOBDIR={tmp_path / name}-job"]
    for key, value in SLOW.items():
        args += ["-s", f"{key}={value}"]
    return args


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("resume-site")
    fault_site = FaultSite(FIXTURES / "nu" / "site.json", {}, tmp_path)
    port = fault_site.start()
    yield {
        **os.environ,
        "https_proxy": f"http://127.0.0.1:{port}",
        "http_proxy": f"http://127.0.0.1:{port}",
        "no_proxy": "",
    }
    fault_site.stop()


def test_five_kills_then_completion_equal_one_uninterrupted_run(site, tmp_path):
    started = time.monotonic()
    subprocess.run(
        command(tmp_path, "whole", jobdir=False), cwd=PROJECT, env=site, capture_output=True, timeout=180, check=True
    )
    duration = time.monotonic() - started
    whole = lines(tmp_path / "whole.jsonl")
    assert len(whole) == 7

    rng = random.Random(SEED)
    kills = 0
    for _ in range(KILLS):
        process = subprocess.Popen(
            command(tmp_path, "killed", jobdir=True),
            cwd=PROJECT,
            env=site,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.0, duration * 0.9))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
    final = subprocess.run(
        command(tmp_path, "killed", jobdir=True), cwd=PROJECT, env=site, capture_output=True, text=True, timeout=180
    )
    assert final.returncode == 0, final.stderr[-3000:]
    print(f"\n{kills} kills survived (uninterrupted crawl: {duration:.1f} s)")
    assert kills >= 4  # the seeded moments fall inside the crawl

    resumed = lines(tmp_path / "killed.jsonl")  # every line parses: no torn line is left behind
    key = lambda item: (item["site"], item["articleId"], item["metadata"]["contentHash"])
    assert len(resumed) == len({key(i) for i in resumed})  # no duplicates
    same_text = {"6400101", "6400112"}  # one of the two copies, whichever came first
    project = lambda items: {(s, a if a not in same_text else "zwembad", h) for s, a, h in map(key, items)}
    assert project(resumed) == project(whole)


def test_a_torn_final_line_is_cut_before_appending(site, tmp_path):
    feed = tmp_path / "torn.jsonl"
    subprocess.run(
        command(tmp_path, "torn", jobdir=False), cwd=PROJECT, env=site, capture_output=True, timeout=180, check=True
    )
    complete = feed.read_bytes()
    feed.write_bytes(complete + complete.splitlines(keepends=True)[0][:40])  # a crash mid-line
    result = subprocess.run(
        command(tmp_path, "torn", jobdir=False),
        cwd=PROJECT,
        env=site,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    assert "Cut a torn final line" in result.stderr
    assert feed.read_bytes() == complete  # cut, and nothing re-emitted
