"""Files the project reads or writes are what they claim: the dataset is a regular file of its own
or new (a planted symlink, hard link or FIFO is refused before anything is written), the manifest
describes the file the lines really went to even when its name was moved mid-crawl, and the
scheduler and `newscrawl runs` read only regular files of bounded size, pass over a bad line, and
record a hand-broken manifest as failed."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, run_scrapy
from faultsite import FaultSite, scrapy_crawl

STADSBLAD = FIXTURES / "stadsblad"


def _replay(tmp_path: Path, dataset: Path, status: int) -> subprocess.CompletedProcess:
    return run_scrapy(
        "crawl",
        "nu",
        "-o",
        str(dataset),
        "-s",
        f"REPLAY_WARC={FIXTURES / 'nu' / 'site.warc.gz'}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        status=status,
    )


def test_a_planted_symlink_or_hard_link_as_dataset_is_refused_and_its_target_kept(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("the operator's notes\n")
    link = tmp_path / "nu.jsonl"
    link.symlink_to(precious)
    result = _replay(tmp_path, link, status=2)
    assert "is a symbolic link" in result.stderr and "Traceback" not in result.stderr
    link.unlink()
    os.link(precious, link)
    result = _replay(tmp_path, link, status=2)
    assert "has 2 names (hard links)" in result.stderr
    assert precious.read_text() == "the operator's notes\n"


def test_a_fifo_as_dataset_is_refused_not_hung(tmp_path):
    fifo = tmp_path / "nu.jsonl"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = _replay(tmp_path, fifo, status=2)
    assert "not a regular file" in result.stderr and time.monotonic() - started < 60


def test_the_manifest_describes_the_file_written_even_when_it_was_renamed_mid_crawl(tmp_path):
    slow = "https://www.stadsblad.test/nieuws/1203/markt-verhuist-tijdelijk-naar-het-plein"
    site = FaultSite(STADSBLAD / "site.json", {slow: "slow"}, tmp_path, max_delay=6)
    env = site.start_for_scrapy()
    dataset, moved = tmp_path / "stadsblad.jsonl", tmp_path / "elsewhere.jsonl"
    args = scrapy_crawl(
        "stadsblad",
        dataset,
        f"SITES_FILE={STADSBLAD / 'sites.toml'}",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
        "DOWNLOAD_TIMEOUT=30",
    )
    crawl = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (dataset.exists() and dataset.read_bytes().count(b"\n") >= 1):
            time.sleep(0.1)
        dataset.rename(moved)  # while the slow article is still on its way
        _, log = crawl.communicate(timeout=120)
    finally:
        site.stop()
    manifest = json.loads((tmp_path / "stadsblad.jsonl.manifest.json").read_text())
    content = moved.read_bytes()
    assert content.count(b"\n") == 3, log[-2000:]  # all three articles went to the moved file
    assert manifest["file"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["file"]["lines"] == 3 and manifest["file"]["path"] == str(moved)
    assert manifest["status"] == "failed" and any("moved or replaced" in p for p in manifest["problems"])


# --- the scheduler's and `newscrawl runs`' files ----------------------------------------------
def _manifest(job: str, **changes) -> dict:
    manifest = {
        "spider": "nu",
        "job": job,
        "startTime": "2025-04-01T09:00:00+00:00",
        "finishTime": "2025-04-01T09:05:00+00:00",
        "finishReason": "finished",
        "counts": {"items": 5, "new": 5, "revised": 0, "failures": 0, "rejects": 0},
        "status": "ok",
        "problems": [],
        "file": None,
    }
    return {**manifest, **changes}


def _scheduler(tmp_path, finished=(), active=(), **options):
    from test_scheduler import FakeScrapyd

    from newscrawl.tools.scheduling import Scheduler

    scrapyd = FakeScrapyd(active=())
    scrapyd.finished = [{"id": job, "spider": "nu"} for job in finished]
    scrapyd.pending = list(active)
    return scrapyd, Scheduler(scrapyd, "newscrawl", ["nu"], tmp_path, **options)


def test_a_bad_line_in_the_run_log_or_the_scheduled_jobs_stops_nothing(tmp_path):
    good = json.dumps({"job": "j1", "spider": "nu", "status": "ok", "end": "2025-04-01T09:05:00+00:00", "items": 3})
    year_one = json.dumps({"job": "j2", "spider": "nu", "status": "ok", "end": "0001-01-01T00:00:00+05:00"})
    (tmp_path / "runs.jsonl").write_bytes(
        b"\xff\xfe not UTF-8 \x80\n" + good.encode() + b"\n" + year_one.encode() + b"\n"
    )
    (tmp_path / "scheduled.jsonl").write_bytes(b'{"job": "j0", "spider": "nu", "scheduled": "\xc3\x28"}\n')
    scrapyd, scheduler = _scheduler(tmp_path)
    assert scheduler.tick() == {"nu": "job-nu"}  # one bad byte no longer stops all scheduling
    runs = subprocess.run(
        [sys.executable, "-m", "newscrawl", "runs", str(tmp_path), "--all", "--html", str(tmp_path / "runs.html")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in runs.stderr, runs.stderr[-2000:]
    assert "runs.jsonl: 1 line passed over (not UTF-8)" in runs.stderr
    assert "j1" in runs.stdout and "j1" in (tmp_path / "runs.html").read_text()


def test_a_fifo_or_device_named_like_a_manifest_is_passed_over_not_read(tmp_path):
    (tmp_path / "nu").mkdir()
    os.mkfifo(tmp_path / "nu" / "nu-fifo.jsonl.manifest.json")
    (tmp_path / "nu" / "nu-zero.jsonl.manifest.json").symlink_to("/dev/zero")
    (tmp_path / "nu" / "nu-j1.jsonl.manifest.json").write_text(json.dumps(_manifest("j1")))
    _, scheduler = _scheduler(tmp_path, finished=["j1"])
    started = time.monotonic()
    [entry] = scheduler.record()
    assert time.monotonic() - started < 10
    assert entry["job"] == "j1" and entry["status"] == "ok" and entry["items"] == 5


def test_a_hand_broken_manifest_is_recorded_as_failed(tmp_path):
    (tmp_path / "nu").mkdir()
    (tmp_path / "nu" / "nu-j1.jsonl.manifest.json").write_text(json.dumps(_manifest("j1", counts=[5, 5])))
    (tmp_path / "nu" / "nu-j2.jsonl.manifest.json").write_text(json.dumps(_manifest("j2", status="fine")))
    _, scheduler = _scheduler(tmp_path, finished=["j1", "j2"])
    entries = {entry["job"]: entry for entry in scheduler.record()}
    assert entries["j1"]["status"] == "failed" and "counts" in entries["j1"]["problems"][0]
    assert entries["j2"]["status"] == "failed" and "status" in entries["j2"]["problems"][0]


def test_a_job_running_too_long_is_reported_and_alerted_once(tmp_path, monkeypatch):
    from loopback import webhook_receiver

    running = {"id": "hung-1", "spider": "nu", "state": "running"}
    _, scheduler = _scheduler(tmp_path, active=[running], max_running=0.0)
    with webhook_receiver() as (url, posts):
        monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", url)
        seen = scheduler.tick()  # first seen running: the clock starts (Scrapyd's start time is its local time)
        time.sleep(0.05)
        late = scheduler.tick()
        again = scheduler.tick()
    assert seen["nu"] == "skipped: a job is still pending or running"
    assert late["nu"].startswith("skipped: job hung-1 running for") and again["nu"].startswith("skipped: job hung-1")
    assert len(posts) == 1 and posts[0]["job"] == "hung-1" and posts[0]["finishReason"] == "stuck"
    assert "running for" in posts[0]["reasons"][0]
