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

from conftest import FIXTURES, PROJECT, run_scrapy
from faultsite import FaultSite

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
    proxy = f"http://127.0.0.1:{site.start()}"
    env = {
        **os.environ,
        "https_proxy": proxy,
        "http_proxy": proxy,
        "no_proxy": "",
        "PYTHONPATH": str(PROJECT),
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
    }
    dataset, moved = tmp_path / "stadsblad.jsonl", tmp_path / "elsewhere.jsonl"
    args = [sys.executable, "-m", "scrapy", "crawl", "stadsblad", "-o", str(dataset)]
    for setting in (
        f"SITES_FILE={STADSBLAD / 'sites.toml'}",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
        "DOWNLOAD_TIMEOUT=30",
    ):
        args += ["-s", setting]
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
