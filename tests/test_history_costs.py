"""History costs nothing per run (issue 37): a crawl that appends to its dataset reads at its start
only what the last run left unconfirmed, not the whole file; expiry holds for an appended file.

Replayed crawls of the NU.nl fixture site appending to one dataset file (`-o`), with one state.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from conftest import FIXTURES, fixture_sites, run_scrapy


def append_crawl(tmp_path: Path, *extra: str, capture: str = "site") -> tuple[dict, str]:
    """`scrapy crawl nu -o data.jsonl` replayed (the fixture's ``capture``): (final stats, log)."""
    stats_file = tmp_path / "stats.json"
    stats_file.unlink(missing_ok=True)
    result = run_scrapy(
        "crawl",
        "nu",
        "-o",
        str(tmp_path / "data.jsonl"),
        "-s",
        f"REPLAY_WARC={FIXTURES / 'nu' / f'{capture}.warc.gz'}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        "-s",
        f"STATS_FILE={stats_file}",
        *fixture_sites()["nu"].options,
        *extra,
    )
    return json.loads(stats_file.read_text("utf-8")), result.stderr


def test_a_start_reads_only_the_lines_the_last_run_left_unconfirmed(tmp_path):
    first, _ = append_crawl(tmp_path)
    dataset = tmp_path / "data.jsonl"
    size = dataset.stat().st_size
    assert first["dedup/new"] == 7 and size > 0
    # A later run: the state answers for every line, none is read again, nothing is "learned".
    second, log = append_crawl(tmp_path)
    assert second.get("durability/feed_bytes_read", 0) == 0
    assert "durability/items_learned_from_feed" not in second and "an earlier run died" not in log
    assert dataset.stat().st_size == size  # nothing new on the site, nothing written
    # A run that died after writing two lines it could not record: exactly those are read and learned.
    lines = dataset.read_text("utf-8").splitlines()
    died = []
    for number, line in enumerate(lines[:2]):
        item = json.loads(line)
        item["articleId"] = f"99000{number}"
        item["metadata"]["contentHash"] = f"{number:064x}"
        died.append(json.dumps(item, ensure_ascii=False) + "\n")
    with dataset.open("a", encoding="utf-8") as stream:
        stream.writelines(died)
    third, log = append_crawl(tmp_path)
    assert third["durability/feed_bytes_read"] == sum(len(line.encode("utf-8")) for line in died)
    assert third["durability/items_learned_from_feed"] == 2 and "an earlier run died" in log
    fourth, _ = append_crawl(tmp_path)
    assert fourth.get("durability/feed_bytes_read", 0) == 0


def test_a_replaced_dataset_file_is_read_whole(tmp_path):
    append_crawl(tmp_path)
    dataset = tmp_path / "data.jsonl"
    lines = dataset.read_text("utf-8").splitlines(keepends=True)
    dataset.write_text("".join(reversed(lines)), "utf-8")  # another file of the same name and size
    stats, log = append_crawl(tmp_path)
    assert stats["durability/feed_bytes_read"] == dataset.stat().st_size
    assert "is not the file the state last saw" in log


def test_expiry_holds_for_an_appended_dataset(tmp_path):
    """Articles the state let expire are not learned again from the file at the next start."""
    first, _ = append_crawl(tmp_path, "-s", "CRAWL_NOW=2025-04-01T10:00:00+02:00")
    assert first["dedup/new"] == 7
    later, log = append_crawl(tmp_path, "-s", "CRAWL_NOW=2025-06-01T10:00:00+02:00", "-s", "STATE_EXPIRE_DAYS=30")
    assert "Dedup state: " in log and "(0 articles known)" in log, log[-2000:]
    assert "an earlier run died" not in log and "durability/items_learned_from_feed" not in later


# --- The scheduler's tick and `newscrawl runs` read what they need, not every job ever run ----------


def old_jobs(data: Path, count: int, days_ago: float = 90, manifests: bool = True) -> None:
    """A run log of ``count`` jobs that ended ``days_ago`` days back, each with its manifest, named
    by its feed's start as Scrapy names a job's feed (``nu-<start>.jsonl``)."""
    import os
    from datetime import UTC, datetime, timedelta

    (data / "nu").mkdir(parents=True, exist_ok=True)
    ended = datetime.now(UTC) - timedelta(days=days_ago)
    old = ended.timestamp()
    with (data / "runs.jsonl").open("w", encoding="utf-8") as stream:
        for number in range(count):
            job = f"old{number:06d}"
            end = (ended + timedelta(seconds=10 * number)).isoformat(timespec="seconds")
            stream.write(json.dumps({"job": job, "spider": "nu", "status": "ok", "end": end, "items": 1}) + "\n")
            if not manifests:
                continue
            started = ended + timedelta(seconds=10 * number - 60)
            manifest = data / "nu" / f"nu-{started:%Y-%m-%dT%H-%M-%S}+00-00.jsonl.manifest.json"
            manifest.write_text(json.dumps({"job": job, "status": "ok"}), "utf-8")
            os.utime(manifest, (old, old))


def test_a_tick_reads_the_new_jobs_manifests_not_every_one_and_forgets_resolved_scheduled_jobs(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    from test_scheduler import FakeScrapyd

    from newscrawl.tools import runlog
    from newscrawl.tools.scheduling import Scheduler

    old_jobs(tmp_path, 2_000)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    (tmp_path / "nu" / "nu-new1.jsonl.manifest.json").write_text(json.dumps({"job": "new1", "status": "ok"}), "utf-8")
    opened = []
    real = runlog.read_manifest
    monkeypatch.setattr(runlog, "read_manifest", lambda path: (opened.append(path.name), real(path))[1])
    scrapyd = FakeScrapyd(active=())
    # Scrapyd lists its last finished jobs: old ones already logged, and the new one.
    scrapyd.finished = [{"id": f"old{n:06d}", "spider": "nu"} for n in range(1_950, 2_000)] + [
        {"id": "new1", "spider": "nu", "start_time": now, "end_time": now}
    ]
    scheduler = Scheduler(scrapyd, "newscrawl", ["nu"], tmp_path)
    scheduler.tick()
    assert set(opened) == {"nu-new1.jsonl.manifest.json"}  # the 2,000 older manifests were not opened
    entries = (tmp_path / "runs.jsonl").read_text("utf-8").splitlines()
    assert len(entries) == 2_001 and json.loads(entries[-1])["job"] == "new1"
    # The job it scheduled is in flight: noted. Once logged, it leaves scheduled.jsonl.
    assert [json.loads(line)["job"] for line in (tmp_path / "scheduled.jsonl").read_text().splitlines()] == ["job-nu"]
    scrapyd.pending = []
    scrapyd.finished.append({"id": "job-nu", "spider": "nu", "start_time": now, "end_time": now})
    scheduler.tick()
    assert [json.loads(line)["job"] for line in (tmp_path / "scheduled.jsonl").read_text().splitlines()] == ["job-nu"]
    assert "job-nu" in (tmp_path / "runs.jsonl").read_text()  # the first job-nu: logged (a crash stub)


def test_runs_shows_a_month_by_default_reading_only_the_end_of_the_log(tmp_path):
    from datetime import UTC, datetime, timedelta

    from conftest import run_newscrawl

    from newscrawl.tools.runlog import RECENT_BYTES, RunLog

    old_jobs(tmp_path, 120_000, manifests=False)  # about 12 MB
    with (tmp_path / "runs.jsonl").open("a", encoding="utf-8") as stream:
        for number in range(3):
            end = (datetime.now(UTC) - timedelta(hours=number)).isoformat(timespec="seconds")
            stream.write(json.dumps({"job": f"recent{number}", "spider": "nu", "status": "ok", "end": end}) + "\n")
    # A window that the last RECENT_BYTES hold is read from them, not from the whole log.
    assert (tmp_path / "runs.jsonl").stat().st_size > RECENT_BYTES
    log = RunLog(tmp_path)
    window = log.window(datetime.now(UTC) - timedelta(days=30))
    assert len(window) < 120_003 and window[-1]["job"] == "recent2"
    shown = run_newscrawl("runs", str(tmp_path))
    rows = [line for line in shown.stdout.splitlines()[1:] if line.strip()]
    assert shown.returncode == 0 and [row.split()[2] for row in rows] == ["recent2", "recent1", "recent0"]
    everything = run_newscrawl("runs", str(tmp_path), "--all")
    assert len(everything.stdout.splitlines()) == 1 + 120_003


def test_a_file_written_anew_is_marked_too(tmp_path):
    """A first crawl that writes its dataset with -O leaves the same mark as one that appends: the
    next crawl, appending, reads nothing of it again."""
    run_scrapy(
        "crawl",
        "nu",
        "-O",
        str(tmp_path / "data.jsonl"),
        "-s",
        f"REPLAY_WARC={FIXTURES / 'nu' / 'site.warc.gz'}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        *fixture_sites()["nu"].options,
    )
    size = (tmp_path / "data.jsonl").stat().st_size
    assert size > 0
    second, log = append_crawl(tmp_path)
    assert second.get("durability/feed_bytes_read", 0) == 0
    assert "durability/items_learned_from_feed" not in second
    assert (tmp_path / "data.jsonl").stat().st_size == size


def described(dataset: Path) -> dict:
    return json.loads(dataset.with_name(dataset.name + ".manifest.json").read_text("utf-8"))["file"]


def test_the_manifest_describes_the_whole_file_reading_only_what_the_run_added(tmp_path):
    """The manifest gives the whole file's size, lines and sha256 at every close, but a close reads
    only the bytes added since the last one: the digest goes on from the state's mark."""
    dataset = tmp_path / "data.jsonl"
    # A first crawl: a file without a mark is read whole, once.
    first, _ = append_crawl(tmp_path)
    assert first["manifest/file_bytes_read"] == dataset.stat().st_size > 0
    # The site an hour later: one new article, one revised; the close reads those two lines.
    before = dataset.stat().st_size
    later, _ = append_crawl(tmp_path, capture="later")
    content = dataset.read_bytes()
    assert later["item_scraped_count"] == 2 and len(content) > before
    assert later["manifest/file_bytes_read"] == len(content) - before
    assert described(dataset) == {
        "path": "data.jsonl",
        "bytes": len(content),
        "lines": content.count(b"\n"),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    # Nothing new: nothing read, and the same description.
    again, _ = append_crawl(tmp_path, capture="later")
    assert again["manifest/file_bytes_read"] == 0
    assert described(dataset)["sha256"] == hashlib.sha256(content).hexdigest()


def test_a_mark_without_a_digest_or_another_file_has_the_manifest_read_it_whole(tmp_path):
    dataset = tmp_path / "data.jsonl"
    append_crawl(tmp_path)
    # A state an earlier version wrote: its mark has no digest to go on from.
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute("UPDATE feed_marks SET tally = NULL")
    stats, _ = append_crawl(tmp_path)
    assert stats["manifest/file_bytes_read"] == dataset.stat().st_size
    assert described(dataset)["sha256"] == hashlib.sha256(dataset.read_bytes()).hexdigest()
    # Another file of the same size under the name: its own digest, read whole.
    lines = dataset.read_text("utf-8").splitlines(keepends=True)
    dataset.write_text("".join(reversed(lines)), "utf-8")
    stats, _ = append_crawl(tmp_path)
    assert stats["manifest/file_bytes_read"] == dataset.stat().st_size
    assert described(dataset)["sha256"] == hashlib.sha256(dataset.read_bytes()).hexdigest()
    # A digest state someone else wrote is not trusted: read whole, the right digest.
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute("UPDATE feed_marks SET tally = '[1, 2, \"zz\"]'")
    stats, _ = append_crawl(tmp_path)
    assert stats["manifest/file_bytes_read"] == dataset.stat().st_size
    assert described(dataset)["sha256"] == hashlib.sha256(dataset.read_bytes()).hexdigest()
