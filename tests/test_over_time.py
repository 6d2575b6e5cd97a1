"""Over time (issue 32): two simulated days of hourly crawls of a living NU.nl (tests/livingsite.py),
with and without a news sitemap, compared with the site's own record of what it published.

Each simulation runs in its own process (Scrapy's reactor runs once per process): 48 crawls, each
with CRAWL_NOW at the site's hour, through the local proxy that logs every request.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import run_newscrawl, run_scrapy
from livingsite import judge, page_hash

from newscrawl.article.schema import validator_for_sites

PROJECT = Path(__file__).resolve().parent.parent


def simulate(out: Path, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(PROJECT / "tests" / "livingsite.py"), str(out), *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return judge(out)


@pytest.fixture(scope="module", params=["sitemap", "plain"])
def living(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"living-{request.param}")
    verdict = simulate(out, "--variant", request.param)
    print(f"\n{request.param}: {json.dumps({k: v for k, v in verdict.items() if k not in ('missing', 'editsMissed')})}")
    return request.param, out, verdict


def _lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "nu.jsonl").read_text("utf-8").splitlines()]


def _runs(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "runs.jsonl").read_text("utf-8").splitlines()]


def test_every_article_is_captured_within_one_schedule_interval(living):
    variant, out, verdict = living
    # A burst of 25 in one hour overflows the feed (10) and the front page's two usual pages (20):
    # without a sitemap the crawl reads further back until it meets an article it captured.
    assert verdict["published"] >= 150 and verdict["missing"] == []
    assert verdict["latencyMinutes"]["p95"] <= 60
    overflow = sum(run["stats"].get("discovery/overflow/pages", 0) for run in _runs(out))
    assert overflow >= 1 if variant == "plain" else True


def test_edits_dated_or_silent_are_caught_within_a_day(living):
    _, out, verdict = living
    assert verdict["edits"] >= 30 and verdict["silentEdits"] >= 8
    assert verdict["editsCaughtWithin24h"] >= 0.95 * verdict["edits"], verdict["editsMissed"]
    assert verdict["silentEditsCaught"] >= 0.95 * verdict["silentEdits"], verdict["editsMissed"]


def test_a_revision_is_flagged_silent_exactly_when_the_site_did_not_move_its_date_modified(living):
    _, out, _ = living
    site = {a["key"]: a for a in json.loads((out / "site.json").read_text("utf-8"))["articles"]}
    previous: dict[str, int] = {}
    checked = 0
    for item in _lines(out):
        key = f"{item['site']}:{item['articleId']}"
        if "headline" not in item:
            continue
        versions = site[key]["versions"]
        index = [v["hash"] for v in versions].index(page_hash(item))
        if key in previous:
            # dateModified stood still from the last captured version to this one iff every edit between was silent.
            expected = all(v["silent"] for v in versions[previous[key] + 1 : index + 1])
            assert item["metadata"].get("silentEdit", False) is expected, (key, item["metadata"]["revision"])
            checked += 1
        previous[key] = index
    assert checked >= 30


def test_each_withdrawal_is_one_line_with_when_and_how(living):
    _, out, verdict = living
    assert verdict["withdrawn"] == verdict["withdrawalsRecordedOnce"] == 4
    site = {a["key"]: a for a in json.loads((out / "site.json").read_text("utf-8"))["articles"]}
    marks = [item for item in _lines(out) if "withdrawn" in item["metadata"]]
    assert len(marks) == 4
    for item in marks:
        article = site[f"nu:{item['articleId']}"]
        gone = datetime.fromisoformat(article["withdrawnAt"])
        seen = datetime.fromisoformat(item["metadata"]["withdrawn"].replace("Z", "+00:00"))
        assert gone <= seen <= gone + timedelta(hours=25)
        assert item["metadata"]["httpStatus"] == article["withdrawnAs"]
        assert "articleBody" not in item and "headline" not in item and item["metadata"]["revision"] >= 2


def test_no_duplicate_lines_and_every_line_is_valid(living):
    _, out, verdict = living
    assert verdict["duplicateLines"] == 0
    validator = validator_for_sites(("nu",))
    assert all(validator.is_valid(item) for item in _lines(out))


def test_revisits_cost_304s_not_downloads(living):
    _, out, verdict = living
    assert verdict["maxFullDownloadsPerVersion"] <= 4
    # Every full download of an article page brought a version the dataset did not have.
    assert verdict["articleFullDownloads"] <= verdict["lines"]
    runs = _runs(out)
    revisits = sum(run["stats"].get("revisit/requested", 0) for run in runs)
    answered_304 = sum(run["stats"].get("revisit/status/304", 0) for run in runs)
    assert revisits >= 300 and answered_304 >= 0.7 * revisits
    # Discovery pages are read with their validators too: the feed often has nothing new.
    assert sum(run["stats"].get("incremental/discovery_not_modified", 0) for run in runs) >= 5


def test_only_the_site_was_asked_for(living):
    _, out, _ = living
    assert json.loads((out / "hosts.json").read_text()) == ["www.nu.nl"]


def test_no_run_of_a_living_site_says_it_is_silent(living):
    _, out, _ = living
    assert not [run["problems"] for run in _runs(out) if run["problems"]]


def test_a_site_that_stops_publishing_is_called_silent(tmp_path):
    # The same site stops publishing at 18:00 on its first day; its feed and front page stay as they
    # were (stale). Hourly articles until then taught the crawler its usual gaps.
    simulate(tmp_path, "--variant", "plain", "--hours", "24", "--silent-from", "18")
    runs = _runs(tmp_path)
    assert not any(run["problems"] for run in runs[:18])
    silent = [
        hour
        for hour, run in enumerate(runs, start=1)
        if any(problem.startswith("coverage: silent since 2025-04-07T17:") for problem in run["problems"])
    ]
    # Said from the third hour of silence at the latest, and in every run after it.
    assert silent and silent[0] <= 22 and silent == list(range(silent[0], 25))


def test_without_going_further_back_a_burst_loses_articles(tmp_path):
    # The control of the overflow rule: the same site without a sitemap, its usual two listing pages only.
    verdict = simulate(tmp_path, "--variant", "plain", "--hours", "32", "-s", "DISCOVERY_OVERFLOW_PAGES=0")
    assert len(verdict["missing"]) >= 3


def test_coverage_gives_the_living_sites_own_numbers(living):
    _, out, verdict = living
    result = run_newscrawl("coverage", str(out / "nu.jsonl"), "--state", str(out / "state.sqlite3"), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    site = json.loads((out / "site.json").read_text("utf-8"))["articles"]
    end = datetime.fromisoformat(_runs(out)[-1]["now"])
    per_day: dict[str, int] = {}
    for article in site:
        published = datetime.fromisoformat(article["published"])
        if published <= end:
            per_day[published.date().isoformat()] = per_day.get(published.date().isoformat(), 0) + 1
    assert {row["day"]: row["captured"] for row in rows if row["captured"]} == per_day
    assert {row["day"]: row["listed"] for row in rows if row["listed"]} == per_day
    assert sum(row["missing"] for row in rows) == 0
    assert sum(row["withdrawn"] for row in rows) == 4
    lines = _lines(out)
    assert sum(row["versions"] for row in rows) == sum(1 for item in lines if "headline" in item)
    runs = _runs(out)
    assert sum(row["revisits"] for row in rows) == sum(r["stats"].get("revisit/requested", 0) for r in runs)
    assert sum(row["notModified"] for row in rows) == sum(r["stats"].get("incremental/not_modified", 0) for r in runs)
    assert all(row["latencyMinutes"]["p95"] <= 60 for row in rows if row["captured"])


def test_coverage_names_why_a_listed_article_is_missing(tmp_path):
    from newscrawl.state.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "state.sqlite3")
    when = "2025-04-07T10:00:00+00:00"
    for number, outcome in ((1, "item"), (2, "failure:http_500"), (3, "skipped:video"), (4, None), (5, "reject")):
        store.record_listed(f"nu:{number}", f"https://www.nu.nl/x/{number}/a.html", "2025-04-07T11:00:00+02:00", when)
        if outcome:
            store.record_outcome(f"nu:{number}", outcome, when)
    store.close()
    item = {
        "site": "nu",
        "articleId": "1",
        "headline": "Kop",
        "datePublished": "2025-04-07T11:00:00+02:00",
        "metadata": {"dateDownloaded": "2025-04-07T09:30:00Z", "revision": 1},
    }
    (tmp_path / "nu.jsonl").write_text(json.dumps(item) + "\n")
    result = run_newscrawl("coverage", str(tmp_path / "nu.jsonl"), "--state", str(tmp_path / "state.sqlite3"))
    assert result.returncode == 0, result.stderr
    row = result.stdout.splitlines()[1]
    assert row.split()[:6] == ["nu", "2025-04-07", "5", "1", "0", "4"]  # listed, captured, previews, missing
    for reason in ("failed: http_500 1", "skipped: video 1", "not fetched yet 1", "rejected (invalid item) 1"):
        assert reason in row


def test_revisits_are_bounded_per_run(tmp_path):
    # REVISIT_MAX_PER_RUN: the most overdue first, the rest wait for the next run (counted as deferred).
    simulate(tmp_path, "--variant", "sitemap", "--hours", "14", "-s", "REVISIT_MAX_PER_RUN=2")
    runs = _runs(tmp_path)
    assert all(run["stats"].get("revisit/requested", 0) <= 2 for run in runs)
    assert sum(1 for run in runs if run["stats"].get("revisit/deferred")) >= 3


def test_a_revisit_schedule_that_is_no_list_of_hours_is_refused_in_one_line(tmp_path):
    for value in ("1,-2", "soon", "[0]", "nan"):
        result = run_scrapy(
            "crawl", "nu", "-s", f"REVISIT_AFTER_HOURS={value}", "-s", f"STATE_DB={tmp_path / 's'}", status=2
        )
        assert "REVISIT_AFTER_HOURS must be hours after publication" in result.stderr
        assert "Traceback" not in result.stderr
