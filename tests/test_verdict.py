"""One verdict per run: the manifest, check-run, the runs log and the alerts say the same thing."""

import json
import subprocess
import sys

from conftest import PROJECT, replay_crawl

from newscrawl.run.verdict import Verdict

HEALTHY_LAYOUT = {"status": "ok", "articles": 6, "problems": [], "layoutProblems": [], "runProblems": []}


def test_the_verdict_puts_the_layout_the_urls_and_the_finish_reason_together():
    assert Verdict.of(HEALTHY_LAYOUT, {"unaccountedCount": 0}, "finished").status == "ok"
    left = Verdict.of(HEALTHY_LAYOUT, {"unaccountedCount": 3}, "finished")
    assert left.failed and left.problems == ("3 URLs without an outcome",)
    stopped = Verdict.of(HEALTHY_LAYOUT, {"unaccountedCount": 0}, "shutdown")
    assert stopped.failed and stopped.problems == ("finished with 'shutdown'",)
    broken = {**HEALTHY_LAYOUT, "status": "failed", "problems": ["headline on 10% of articles (minimum 95%)"]}
    both = Verdict.of(broken, {"unaccountedCount": 2}, "finished")
    assert both.problems == ("headline on 10% of articles (minimum 95%)", "2 URLs without an outcome")
    assert Verdict.of({**HEALTHY_LAYOUT, "status": "too_few"}, None, "finished").status == "too_few"
    assert Verdict.of(None, None, None).status == "ok"  # nothing measured: nothing to fail on


def test_a_manifest_gives_its_verdict_back_and_an_older_manifest_is_read_as_before():
    written = {"status": "failed", "problems": ["3 URLs without an outcome"], "urls": {"unaccountedCount": 3}}
    assert Verdict.from_manifest(written).problems == ("3 URLs without an outcome",)
    # Before the verdict: status said only the layout; URLs and the finish reason were read apart.
    older = {"status": "ok", "layout": HEALTHY_LAYOUT, "urls": {"unaccountedCount": 4}, "finishReason": "finished"}
    assert Verdict.from_manifest(older).problems == ("4 URLs without an outcome",)
    older_failed = {**older, "status": "failed", "layout": {**HEALTHY_LAYOUT, "problems": ["no body"]}}
    assert Verdict.from_manifest(older_failed).problems == ("no body", "4 URLs without an outcome")
    assert Verdict.from_manifest({"status": "ok", "finishReason": "finished"}).status == "ok"


def test_a_run_stopped_early_is_failed_in_its_manifest_in_check_run_and_in_its_stats(tmp_path):
    # One item, then Scrapy closes the spider: the layout is fine, the run is not complete.
    _, stats, log = replay_crawl("nu", tmp_path, "-s", "CLOSESPIDER_ITEMCOUNT=1", "-s", "CONCURRENT_REQUESTS=1")
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text("utf-8"))
    assert manifest["finishReason"] == "closespider_itemcount"
    assert manifest["status"] == "failed"
    assert "finished with 'closespider_itemcount'" in manifest["problems"]
    assert stats["run/status"] == "failed"
    checked = subprocess.run(
        [sys.executable, "-m", "newscrawl", "check-run", str(tmp_path / "nu.jsonl.manifest.json")],
        capture_output=True,
        text=True,
        cwd=PROJECT,
    )
    assert checked.returncode == 1
    assert [line[4:] for line in checked.stdout.splitlines()[1:]] == manifest["problems"]
    assert "Run failed on nu: " in log and "closespider_itemcount" in log


def test_a_healthy_run_says_ok_everywhere(tmp_path):
    _, stats, _ = replay_crawl("nu", tmp_path)
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text("utf-8"))
    assert manifest["status"] == "ok" and manifest["problems"] == [] and stats["run/status"] == "ok"


def test_a_health_setting_under_its_old_name_is_refused_with_its_new_one(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "nu",
            "-s",
            "LAYOUT_MIN_COVERAGE={}",
            "-s",
            f"STATE_DB={tmp_path / 's'}",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT,
    )
    assert result.returncode == 2
    assert "LAYOUT_MIN_COVERAGE is now called HEALTH_MIN_COVERAGE" in result.stderr
