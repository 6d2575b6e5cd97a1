"""The scheduler's tick and `newscrawl runs` against the number of jobs on record.

    .venv/bin/python benchmarks/scheduler_tick.py [JOBS …]      (default: 100 1000 10000 100000)

For each count, a data directory with that many finished jobs in runs.jsonl, each with its manifest
(written when the job ended), as three spiders every 15 minutes leave them. Scrapyd (a stub: no
HTTP) lists its last 100 finished jobs, one of them new. Printed per count: the tick's time (the
median of 5, each with a new job to record), and `newscrawl runs` and `runs --html` (its default
window, a month) with their output size. Run it on two trees to compare.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SPIDERS = ("nu", "nos", "wnl")


class Scrapyd:
    """What the scheduler asks Scrapyd, answered from memory."""

    def __init__(self, finished: list[dict]):
        self.finished = finished

    def spiders(self, project):
        return list(SPIDERS)

    def finished_jobs(self, project):
        return self.finished[-100:]

    def active_jobs(self, project):
        return [{"id": f"running-{spider}", "spider": spider, "state": "running"} for spider in SPIDERS]

    def schedule(self, project, spider, settings, args):  # never reached: every spider is running
        raise AssertionError

    def log_url(self, path):
        return path

    def log_tail(self, path):
        return ""


def build(data: Path, jobs: int) -> list[dict]:
    """``jobs`` jobs, the last ending now, every 5 minutes before (three spiders every 15 minutes)."""
    now = datetime.now(UTC)
    finished = []
    with (data / "runs.jsonl").open("w", encoding="utf-8") as log:
        for number in range(jobs):
            spider = SPIDERS[number % 3]
            end = now - timedelta(minutes=5 * (jobs - number))
            job = f"{number:032x}"
            folder = data / spider
            folder.mkdir(parents=True, exist_ok=True)
            manifest = folder / f"{spider}-{end:%Y-%m-%dT%H-%M-%S}.jsonl.manifest.json"
            manifest.write_text(json.dumps({"job": job, "status": "ok", "counts": {"items": 3}}), "utf-8")
            os.utime(manifest, (end.timestamp(), end.timestamp()))
            entry = {
                "job": job,
                "spider": spider,
                "start": (end - timedelta(minutes=2)).isoformat(timespec="seconds"),
                "end": end.isoformat(timespec="seconds"),
                "status": "ok",
                "finishReason": "finished",
                "items": 3,
                "new": 2,
                "revised": 1,
                "failures": 0,
                "rejects": 0,
                "problems": [],
                "manifest": str(manifest),
            }
            log.write(json.dumps(entry) + "\n")
            stamp = (end - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S")
            finished.append({"id": job, "spider": spider, "start_time": stamp, "end_time": stamp})
    return finished


def main() -> None:
    from newscrawl.tools.scheduling import Scheduler

    counts = [int(n) for n in sys.argv[1:]] or [100, 1_000, 10_000, 100_000]
    print("| jobs on record | tick ms (median of 5) | runs s | runs --html s | HTML MB |")
    print("|---|---|---|---|---|")
    for count in counts:
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder)
            finished = build(data, count)
            scrapyd = Scrapyd(finished)
            scheduler = Scheduler(scrapyd, "newscrawl", list(SPIDERS), data)
            times = []
            for round_ in range(5):
                now = datetime.now(UTC)
                job = f"new{round_}"
                manifest = data / "nu" / f"nu-new{round_}.jsonl.manifest.json"
                manifest.write_text(json.dumps({"job": job, "status": "ok", "counts": {"items": 1}}), "utf-8")
                stamp = now.strftime("%Y-%m-%d %H:%M:%S")
                finished.append({"id": job, "spider": "nu", "start_time": stamp, "end_time": stamp})
                started = time.perf_counter()
                scheduler.tick()
                times.append(time.perf_counter() - started)
            command = [sys.executable, "-m", "newscrawl", "runs", str(data)]
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
            runs = time.perf_counter() - started
            report = data / "runs.html"
            started = time.perf_counter()
            subprocess.run([*command, "--html", str(report)], cwd=ROOT, capture_output=True, check=False)
            html = time.perf_counter() - started
            size = report.stat().st_size / 1e6 if report.exists() else 0
            print(f"| {count:,} | {statistics.median(times) * 1000:.1f} | {runs:.2f} | {html:.2f} | {size:.1f} |")


if __name__ == "__main__":
    main()
