"""The crawl's clock (issue 32, part 1): with CRAWL_NOW every time decision reads the simulated
instant, not the machine's: dateDownloaded, the date sanity bounds, what the state records (and so
when it expires) and the manifest's finishTime. A live crawl through the fault proxy proves it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import FIXTURES, fixture_response, page_url, run_scrapy
from faultsite import FaultSite

from newscrawl.extract.registry import sites
from newscrawl.extract.requestinfo import attached_info

STADSBLAD = FIXTURES / "stadsblad"


def _crawl(tmp_path: Path, now: str, name: str) -> tuple[list[dict], dict]:
    out = tmp_path / f"{name}.jsonl"
    result = FaultSite(STADSBLAD / "site.json", {}, tmp_path).crawl(
        "stadsblad",
        out,
        tmp_path,
        f"SITES_FILE={STADSBLAD / 'sites.toml'}",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        f"CRAWL_NOW={now}",
        "STATE_EXPIRE_DAYS=30",
        "INCREMENTAL=0",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text().splitlines()]
    return items, json.loads((tmp_path / f"{name}.jsonl.manifest.json").read_text())


def test_a_live_crawl_reads_its_simulated_now_and_the_state_expires_by_it(tmp_path):
    items, manifest = _crawl(tmp_path, "2025-05-10T09:00:00+02:00", "first")
    assert len(items) == 3
    for item in items:
        assert item["metadata"]["dateDownloaded"].startswith("2025-05-10T07:0"), item["metadata"]["dateDownloaded"]
    assert manifest["finishTime"].startswith("2025-05-10T07:0") and manifest["counts"]["new"] == 3
    # A week later on the clock, the state (30 days) still knows them: nothing new.
    items, manifest = _crawl(tmp_path, "2025-05-17T09:00:00+02:00", "week")
    assert manifest["counts"]["new"] == 0 and manifest["counts"]["unchanged"] == 3
    # Sixty days later the state's window has passed on the crawl's clock: new again.
    items, manifest = _crawl(tmp_path, "2025-07-10T09:00:00+02:00", "later")
    assert manifest["counts"]["new"] == 3 and manifest["finishTime"].startswith("2025-07-10T07:0")


def test_the_date_sanity_bounds_follow_the_crawls_now():
    # The page says it was published 2025-03-31; fetched (on the crawl's clock) a month before,
    # that date lies in the future and is passed over with a warning.
    response = fixture_response("nu", page_url("nu", "article_6400101_zwembad"))
    attached_info(response.request).archived_at = None
    attached_info(response.request).fetched_at = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    item = sites()["nu"].parse_article(response)
    assert item["metadata"]["dateDownloaded"] == "2025-03-01T12:00:00Z"
    assert any(w.startswith("datePublished: ") for w in item["metadata"].get("warnings", [])), item["metadata"]


def test_a_crawl_now_that_is_no_instant_is_refused_in_one_line(tmp_path):
    for value, says in (("next tuesday", "not an ISO 8601 instant"), ("2025-04-01T10:00:00", "needs its offset")):
        result = run_scrapy("crawl", "nu", "-s", f"CRAWL_NOW={value}", "-s", f"STATE_DB={tmp_path / 's'}", status=2)
        assert says in result.stderr and "Traceback" not in result.stderr


def _gaps(tmp_path: Path, robots: str, name: str) -> list[float]:
    """Seconds between the crawl's requests to the site after its robots.txt, through the fault proxy."""
    work = tmp_path / name
    (work / "site").mkdir(parents=True)
    for page in (STADSBLAD / "site").iterdir():
        (work / "site" / page.name).write_bytes(page.read_bytes())
    (work / "site" / "robots.txt").write_text(robots)
    (work / "site.json").write_text((STADSBLAD / "site.json").read_text("utf-8"), "utf-8")
    site = FaultSite(work / "site.json", {}, work)
    result = site.crawl(
        "stadsblad",
        work / "out.jsonl",
        work,
        f"SITES_FILE={STADSBLAD / 'sites.toml'}",
        f"STATE_DB={work / 'state.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len((work / "out.jsonl").read_text().splitlines()) == 3
    times = [entry.at for entry in site.log if not entry.url.endswith("/robots.txt")]
    return [later - earlier for earlier, later in zip(times, times[1:])]


def test_robots_crawl_delay_is_honoured_per_host(tmp_path):
    # (issue 32, part 7) Without it the crawl's own politeness decides; with Crawl-delay: 3 every
    # request to the host waits at least 3 s after the one before, as the proxy's log shows.
    free = _gaps(tmp_path, "User-agent: *\nDisallow: /zoeken\n", "free")
    asked = _gaps(tmp_path, "User-agent: *\nCrawl-delay: 3\nDisallow: /zoeken\n", "asked")
    print(
        f"\ngaps without Crawl-delay: {[round(g, 2) for g in free]}; with Crawl-delay 3: {[round(g, 2) for g in asked]}"
    )
    assert min(free) < 2.5, free
    assert len(asked) >= 4 and min(asked) >= 2.9, asked
