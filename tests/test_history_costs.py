"""History costs nothing per run (issue 37): a crawl that appends to its dataset reads at its start
only what the last run left unconfirmed, not the whole file; expiry holds for an appended file.

Replayed crawls of the NU.nl fixture site appending to one dataset file (`-o`), with one state.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FIXTURES, fixture_sites, run_scrapy


def append_crawl(tmp_path: Path, *extra: str) -> tuple[dict, str]:
    """`scrapy crawl nu -o data.jsonl` replayed: (final stats, log)."""
    stats_file = tmp_path / "stats.json"
    stats_file.unlink(missing_ok=True)
    result = run_scrapy(
        "crawl",
        "nu",
        "-o",
        str(tmp_path / "data.jsonl"),
        "-s",
        f"REPLAY_WARC={FIXTURES / 'nu' / 'site.warc.gz'}",
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
