"""The write path: the state says "emitted" only for lines that are on disk, and every write error is loud.

Real crawls of the NU.nl fixture site (replayed from its WARC, or served through the fault proxy),
onto real file systems: a tmpfs too small for the dataset (disk full) and a read-only mount.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import FIXTURES, PROJECT
from faultsite import FaultSite

ARCHIVE = FIXTURES / "nu" / "site.warc.gz"
ZWEMBAD = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


def scrapy(*args: str, cwd: Path, env: dict | None = None, timeout: int = 240) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        **(env or {}),
        "PYTHONPATH": str(PROJECT),
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
    }
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def replay(tmp_path: Path, *args: str, state: Path | None = None) -> subprocess.CompletedProcess:
    return scrapy(
        "crawl",
        "nu",
        "-s",
        f"REPLAY_WARC={ARCHIVE}",
        "-s",
        f"STATE_DB={state or tmp_path / 'state.sqlite3'}",
        "-s",
        f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
        *args,
        cwd=tmp_path,
    )


def state_articles(state: Path) -> set[str]:
    with sqlite3.connect(state) as db:
        return {f"{site}:{article}" for site, article in db.execute("SELECT site, article_id FROM articles")}


def lines(path: Path) -> list[dict]:
    """The complete lines of a dataset (a torn last line is not a line)."""
    if not path.exists():
        return []
    text = path.read_text("utf-8")
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


def refusal(result: subprocess.CompletedProcess) -> str:
    """The one line a refused crawl ends with (after Scrapy's start-up lines), and no traceback."""
    assert "Traceback" not in result.stderr and "Spider opened" not in result.stderr, result.stderr[-3000:]
    return result.stderr.strip().splitlines()[-1]


@contextmanager
def mounted(where: Path, options: str):
    """A real file system of our own (tmpfs) at ``where``: needs root, as CI has."""
    where.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True
    )
    if result.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount a tmpfs on CI: {result.stderr}")
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_clean_crawl_records_exactly_the_lines_it_wrote(tmp_path):
    result = replay(tmp_path, "-o", str(tmp_path / "nu.jsonl"))
    assert result.returncode == 0, result.stderr[-3000:]
    written = lines(tmp_path / "nu.jsonl")
    assert len(written) >= 5
    assert state_articles(tmp_path / "state.sqlite3") == {f"nu:{item['articleId']}" for item in written}


def test_disk_full_fails_the_run_and_the_next_run_writes_what_was_lost(tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    assert replay(reference, "-o", str(reference / "nu.jsonl")).returncode == 0
    everything = {item["articleId"] for item in lines(reference / "nu.jsonl")}
    state = tmp_path / "state.sqlite3"
    with mounted(tmp_path / "small", "size=12k") as small:
        result = replay(tmp_path, "-o", str(small / "nu.jsonl"), state=state)
        assert result.returncode == 1, result.stderr[-3000:]
        assert "Dataset write failed (OSError: [Errno 28] No space left on device)" in result.stderr
        first = lines(small / "nu.jsonl")
        assert 0 < len(first) < len(everything)
        # The state knows exactly the articles whose lines are on disk, not one more.
        assert state_articles(state) == {f"nu:{item['articleId']}" for item in first}
        # No manifest of 0 bytes: either a whole one, or none.
        manifest = small / "nu.jsonl.manifest.json"
        assert not manifest.exists() or json.loads(manifest.read_text("utf-8"))["status"] == "failed"
        assert "Manifest write failed" in result.stderr or manifest.exists()
        first_ids = {item["articleId"] for item in first}
    # The next run, with room, writes what the first could not.
    result = replay(tmp_path, "-o", str(tmp_path / "nu.jsonl"), state=state)
    assert result.returncode == 0, result.stderr[-3000:]
    second_ids = {item["articleId"] for item in lines(tmp_path / "nu.jsonl")}
    assert first_ids | second_ids == everything and not first_ids & second_ids


def test_a_read_only_directory_is_refused_at_start_with_one_line(tmp_path):
    with mounted(tmp_path / "ro", "ro,size=64k") as read_only:
        result = replay(tmp_path, "-O", str(read_only / "nu.jsonl"))
    assert result.returncode == 2
    assert (
        refusal(result)
        == f"newscrawl: refused: cannot write the dataset {read_only / 'nu.jsonl'}: Read-only file system"
    )
    assert not (tmp_path / "state.sqlite3").exists()  # nothing was marked emitted


def test_a_second_crawl_onto_the_same_dataset_or_state_refuses(tmp_path):
    dataset, state = tmp_path / "nu.jsonl", tmp_path / "state.sqlite3"
    # A crawl is running: it holds the locks (here, held the way the crawl command holds them).
    for held, what in ((Path(f"{state}.nu.lock"), "the state"), (dataset, "the dataset")):
        with held.open("ab") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            result = replay(tmp_path, "-o", str(dataset), state=state)
        assert result.returncode == 2
        assert (
            refusal(result)
            == f"newscrawl: refused: another crawl of nu is writing {what} {held}; wait for it to finish"
        )
    assert lines(dataset) == []


def test_two_real_crawls_at_once_one_refuses(tmp_path):
    """Two `scrapy crawl nu` processes on one dataset and state: the one that comes second refuses."""
    site = FaultSite(FIXTURES / "nu" / "site.json", {ZWEMBAD: "slow"}, tmp_path, max_delay=4)
    port = site.start()
    proxy = {"https_proxy": f"http://127.0.0.1:{port}", "http_proxy": f"http://127.0.0.1:{port}", "no_proxy": ""}
    args = (
        "crawl",
        "nu",
        "-o",
        str(tmp_path / "nu.jsonl"),
        "-a",
        f"start_urls={ZWEMBAD}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        "-s",
        "DOWNLOAD_TIMEOUT=3",
        "-s",
        "RETRY_TIMES=0",
        "-s",
        f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
    )
    environment = {**os.environ, **proxy, "PYTHONPATH": str(PROJECT), "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    first = subprocess.Popen(
        [sys.executable, "-m", "scrapy", *args],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(200):  # until the first holds its locks (its slow request is out)
            if site.attempts.get(ZWEMBAD):
                break
            __import__("time").sleep(0.05)
        assert site.attempts.get(ZWEMBAD), "the first crawl never asked for the slow page"
        second = scrapy(*args, cwd=tmp_path, env=proxy)
    finally:
        first.communicate(timeout=120)
        site.stop()
    assert second.returncode == 2 and "another crawl of nu is writing the state" in second.stderr
    assert first.returncode == 0


def test_overwriting_a_dataset_the_state_has_seen_is_refused(tmp_path):
    dataset = tmp_path / "nu.jsonl"
    assert replay(tmp_path, "-o", str(dataset)).returncode == 0
    before = dataset.read_bytes()
    result = replay(tmp_path, "-O", str(dataset))
    assert result.returncode == 2 and "-O would replace" in refusal(result)
    assert dataset.read_bytes() == before  # still every article
    # Appending is the safe default: the second run adds nothing (unchanged) and keeps the lines.
    assert replay(tmp_path, "-o", str(dataset)).returncode == 0
    assert dataset.read_bytes() == before
    assert replay(tmp_path, "-O", str(dataset), "-s", "OVERWRITE_DATASET=1").returncode == 0  # asked for: replaced


def test_lone_surrogates_and_control_characters_are_cleaned_and_the_line_written(tmp_path):
    site = FaultSite(FIXTURES / "nu" / "site.json", {}, tmp_path)
    status, headers, body = site.pages[ZWEMBAD]
    page = body.decode("utf-8").replace('<meta name="keywords" content="Zwembad, Energie, Gemeenten, Zwembad"/>', "")
    page = re.sub(
        r'"keywords": "[^"]*"', lambda _: r'"keywords": ["Zwembad\ud800", "Ener\u0007gie\u009b"]', page, count=1
    )
    assert "\\ud800" in page
    site.pages[ZWEMBAD] = (status, headers, page.encode("utf-8"))
    port = site.start()
    proxy = {"https_proxy": f"http://127.0.0.1:{port}", "http_proxy": f"http://127.0.0.1:{port}", "no_proxy": ""}
    try:
        result = scrapy(
            "crawl",
            "nu",
            "-o",
            str(tmp_path / "nu.jsonl"),
            "-a",
            f"start_urls={ZWEMBAD}",
            "-a",
            "related_depth=0",
            "-s",
            f"STATE_DB={tmp_path / 'state.sqlite3'}",
            "-s",
            f"STATS_FILE={tmp_path / 'stats.json'}",
            "-s",
            f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
            cwd=tmp_path,
            env=proxy,
        )
    finally:
        site.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    [item] = lines(tmp_path / "nu.jsonl")
    assert item["keywords"] == ["Zwembad\ufffd", "Energie"]
    stats = json.loads((tmp_path / "stats.json").read_text("utf-8"))
    assert stats["text/surrogates_replaced"] == 1 and stats["text/control_chars_removed"] == 2
    assert state_articles(tmp_path / "state.sqlite3") == {"nu:6400101"}
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text("utf-8"))
    assert manifest["counts"]["items"] == 1 and manifest["status"] == "ok"


def test_a_corrupt_state_and_a_truncated_archive_give_one_line_each(tmp_path):
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"not a database, whatever its name says" * 100)
    result = replay(tmp_path, "-o", str(tmp_path / "nu.jsonl"), state=corrupt)
    assert result.returncode == 2
    assert refusal(result).startswith(f"newscrawl: refused: the state {corrupt} is not a readable SQLite database")
    truncated = tmp_path / "cut.warc.gz"
    truncated.write_bytes(ARCHIVE.read_bytes()[:20000])
    result = scrapy(
        "crawl",
        "nu",
        "-o",
        str(tmp_path / "nu.jsonl"),
        "-s",
        f"REPLAY_WARC={truncated}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert refusal(result).startswith(f"newscrawl: refused: REPLAY_WARC: {truncated} is truncated:")
