"""The scheduler's decisions, without a server (the real Scrapyd is in test_scrapyd.py)."""

import argparse
from contextlib import contextmanager
from pathlib import Path

import pytest

from newscrawl.tools.scheduling import Scheduler, parse_interval


class FakeScrapyd:
    def __init__(self, active):
        self.active = set(active)
        self.scheduled = []

    def spiders(self, project):
        return ["nu", "wnl"]

    def finished_jobs(self, project):
        return getattr(self, "finished", [])

    def active_jobs(self, project):
        return [{"id": f"running-{spider}", "spider": spider, "state": "running"} for spider in self.active] + getattr(
            self, "pending", []
        )

    def schedule(self, project, spider, settings, args):
        self.scheduled.append((spider, dict(settings), args))
        # Pending until the test says otherwise, as on Scrapyd.
        self.pending = [*getattr(self, "pending", []), {"id": f"job-{spider}", "spider": spider, "state": "pending"}]
        return f"job-{spider}"

    def log_url(self, path):
        return path

    def log_tail(self, path):
        return ""


def test_never_a_second_job_of_a_spider_that_is_still_running(tmp_path):
    scrapyd = FakeScrapyd(active={"nu"})
    outcome = Scheduler(scrapyd, "newscrawl", ["nu", "wnl"], tmp_path).tick()
    assert outcome == {"nu": "skipped: a job is still pending or running", "wnl": "job-wnl"}
    assert [s[0] for s in scrapyd.scheduled] == ["wnl"]


def test_unknown_spiders_are_refused_before_anything_is_scheduled(tmp_path):
    from newscrawl.tools.scheduling import UnknownSpiders

    scrapyd = FakeScrapyd(active=set())
    with pytest.raises(
        UnknownSpiders, match="no spider 'nosuchspider' in Scrapyd project 'newscrawl'; it has: nu, wnl"
    ):
        Scheduler(scrapyd, "newscrawl", ["nosuchspider", "nu"], tmp_path).tick()
    assert scrapyd.scheduled == []


def test_each_job_writes_its_own_dataset_file_and_shares_one_state(tmp_path):
    scrapyd = FakeScrapyd(active=())
    Scheduler(
        scrapyd,
        "newscrawl",
        ["nu"],
        tmp_path,
        settings=[("STATE_DB", "/elsewhere.sqlite3")],
        args=[("since", "2025-03-30")],
    ).tick()
    spider, settings, args = scrapyd.scheduled[0]
    assert settings["DEFAULT_FEED"] == f"{tmp_path.resolve()}/%(name)s/%(name)s-%(time)s.jsonl"
    assert settings["STATE_DB"] == "/elsewhere.sqlite3"  # the user's own setting wins
    assert args == [("since", "2025-03-30")]


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172800)])
def test_intervals(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["15", "0m", "fifteen minutes", "-5m"])
def test_bad_intervals(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_interval(text)


def test_settings_per_spider_and_relative_paths_made_absolute(tmp_path, monkeypatch):
    from newscrawl.tools.scheduling import absolute_paths

    monkeypatch.chdir(tmp_path)
    assert absolute_paths("REPLAY_WARC", "a.warc.gz,/abs/b.warc.gz") == f"{tmp_path}/a.warc.gz,/abs/b.warc.gz"
    assert absolute_paths("nu:STATE_DB", "state.sqlite3") == f"{tmp_path}/state.sqlite3"
    assert (
        absolute_paths("LOG_LEVEL", "INFO") == "INFO"
        and absolute_paths("DEFAULT_FEED", "s3://bucket/x.jsonl") == "s3://bucket/x.jsonl"
    )
    scrapyd = FakeScrapyd(active=())
    Scheduler(
        scrapyd, "newscrawl", ["nu", "wnl"], None, settings=[("nu:REPLAY_WARC", "/n.warc.gz"), ("LOG_LEVEL", "INFO")]
    ).tick()
    settings = {spider: options for spider, options, _ in scrapyd.scheduled}
    assert settings["nu"] == {"REPLAY_WARC": "/n.warc.gz", "LOG_LEVEL": "INFO"} and settings["wnl"] == {
        "LOG_LEVEL": "INFO"
    }


def test_every_finished_job_is_logged_once_and_a_crash_leaves_a_failed_stub(tmp_path):
    import json
    import subprocess
    import sys

    (tmp_path / "nu").mkdir()
    manifest = {
        "spider": "nu",
        "job": "j1",
        "status": "ok",
        "finishReason": "finished",
        "counts": {"items": 6, "new": 5, "revised": 1, "failures": 2, "rejects": 1},
        "layout": {"status": "ok", "problems": []},
    }
    (tmp_path / "nu" / "nu-2025-04-01T09-00-00.jsonl.manifest.json").write_text(json.dumps(manifest))
    scrapyd = FakeScrapyd(active=())
    scrapyd.finished = [
        {"id": "j1", "spider": "nu", "start_time": "2025-04-01 09:00:00", "end_time": "2025-04-01 09:01:00"},
        {
            "id": "j2",
            "spider": "wnl",
            "start_time": "2025-04-01 09:00:00",
            "end_time": "2025-04-01 09:00:02",
            "log_url": "/logs/newscrawl/wnl/j2.log",
        },
    ]
    scheduler = Scheduler(scrapyd, "newscrawl", ["nu"], tmp_path)
    scheduler.tick()
    scheduler.tick()  # the same finished jobs again: logged once
    log = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert [(e["job"], e["status"], e["items"], e["revised"]) for e in log] == [
        ("j1", "ok", 6, 1),
        ("j2", "failed", 0, 0),
    ]
    stub = json.loads((tmp_path / "wnl" / "wnl-j2.crashed.manifest.json").read_text())
    assert (
        stub["status"] == "failed"
        and "crashed" in stub["layout"]["problems"][0]
        and "/logs/newscrawl/wnl/j2.log" in stub["layout"]["problems"][0]
    )

    # --all: these jobs ran in 2025, before the 30 days `runs` shows by default.
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl", "runs", str(tmp_path), "--all"], capture_output=True, text=True
    )
    assert result.returncode == 1  # wnl's latest job failed
    rows = [
        line for line in result.stdout.splitlines()[1:] if not line.startswith(" ")
    ]  # not the log lines under a crash
    # In the order the jobs ended: j2 crashed at 09:00:02, j1 finished at 09:01.
    assert "j2" in rows[0] and "FAILED" in rows[0] and "crashed" in rows[0] and "j1" in rows[1] and " ok " in rows[1]


def _need_chromium() -> str:
    """Debian's Chromium, or the test is skipped (CI installs it: there it must be)."""
    import os
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing on CI: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed")
    return chromium


def _runs_page(tmp_path, monkeypatch) -> Path:
    """A data directory of four jobs: nu ended at 00:00, 01:00 and 04:00 (recorded out of order),
    wnl's only job crashed at 05:00. Scrapyd's times are the server's local time: UTC here."""
    import json
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    data = tmp_path / "data"
    (data / "nu").mkdir(parents=True)
    ends = {"j0": "00", "j1": "01", "j2": "04"}
    for n, job in enumerate(ends):
        failures = {"failure:http_404": n} | ({"failure:ValueError": 1} if job == "j1" else {})
        manifest = {
            "spider": "nu",
            "job": job,
            "status": "ok",
            "counts": {"items": 5 + n, "new": 5, "revised": n, "revisits": 10 * n, "notModified": 8 * n},
            "fieldCoverage": {"headline": 1.0, "mainImage": 0.8, "authors": 0.5 + n / 10},
            "layout": {"status": "ok", "fallbackShare": 0.1, "problems": []},
            "urls": {"outcomeDetails": {"item": 5, **failures}},
        }
        (data / "nu" / f"nu-{n}.jsonl.manifest.json").write_text(json.dumps(manifest))
    scrapyd = FakeScrapyd(active=())
    scrapyd.finished = [
        {"id": job, "spider": "nu", "end_time": f"2025-04-01 {ends[job]}:00:00"} for job in ("j2", "j0", "j1")
    ]
    scrapyd.finished.append({"id": "j9", "spider": "wnl", "end_time": "2025-04-01 05:00:00", "log_url": "/logs/j9.log"})
    Scheduler(scrapyd, "newscrawl", [], data).tick()
    return data


def _open(chromium: str, report: Path, check):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(report.as_uri())
        check(page)
        browser.close()
    assert errors == []


def test_the_runs_page_in_a_real_browser_charts_every_run_over_time(tmp_path, monkeypatch):
    """The page opened in Debian's Chromium (through Playwright, as the project renders pages)."""
    import subprocess
    import sys

    from newscrawl.extract.base import coverage_fields

    chromium = _need_chromium()
    data = _runs_page(tmp_path, monkeypatch)
    report = tmp_path / "runs.html"
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl", "runs", str(data), "--all", "--html", str(report)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and report.exists()

    def check(page):
        rows = page.locator("tbody tr")
        # Rows in the order the jobs ended, not the order they were recorded.
        assert [rows.nth(i).locator("td").nth(2).inner_text() for i in range(4)] == ["j0", "j1", "j2", "j9"]
        failed = page.locator("tbody tr.failed")
        assert failed.count() == 1 and "j9" in failed.inner_text() and "FAILED" in failed.inner_text()
        assert failed.locator("td.status").evaluate("cell => getComputedStyle(cell).color") == "rgb(176, 0, 32)"
        # Failures by the documented short reasons: an exception's name is "other".
        assert rows.nth(1).locator("td").nth(6).inner_text() == "http_404 1, other 1"
        assert rows.nth(2).locator("td").nth(6).inner_text() == "http_404 2"
        for site in ("nu", "wnl"):
            charts = page.locator(f"#site-{site} .chart svg")
            # Items, the generic extractor's share, one chart per covered field, and the four of
            # coverage over time (listed, revisits, 304s, withdrawn): one series each.
            assert charts.count() == 2 + len(coverage_fields()) + 4
            assert all(charts.nth(i).locator("polyline").count() <= 1 for i in range(charts.count()))
        # wnl's single run is a visible dot, with its time under the axis.
        wnl_items = page.locator("#site-wnl .chart svg").first
        dot = wnl_items.locator("circle.point")
        assert dot.count() == 1 and dot.bounding_box()["width"] > 0 and dot.is_visible()
        assert wnl_items.locator("circle.failed-run").count() == 1
        assert wnl_items.locator("text.time").all_text_contents() == ["2025-04-01 05:00"]
        # nu's runs stand where they ended: 1 h, then 3 h apart; the axis says from when to when.
        nu_items = page.locator("#site-nu .chart svg").first
        assert nu_items.locator("text.time").all_text_contents() == ["2025-04-01 00:00", "2025-04-01 04:00"]
        xs = [box["x"] for box in (nu_items.locator("circle.point").nth(i).bounding_box() for i in range(3))]
        assert abs((xs[2] - xs[1]) / (xs[1] - xs[0]) - 3) < 0.05
        # Coverage of authors rose over the runs: its own chart, its own line, not under headline's.
        authors = page.locator("#site-nu .coverage svg[aria-label='authors']")
        assert authors.locator("polyline").count() == 1 and authors.locator("circle.point").count() == 3
        # Coverage over time: the revisits of each run, a dot per run, the last the highest.
        revisits = page.locator("#site-nu .over-time svg[aria-label='revisits']")
        ys = [revisits.locator("circle.point").nth(i).bounding_box()["y"] for i in range(3)]
        assert revisits.locator("polyline").count() == 1 and ys[0] > ys[1] > ys[2]

    _open(chromium, report, check)


@pytest.mark.parametrize(
    "options, jobs",
    [
        (["--last", "2"], ["j2", "j9"]),
        (["--since", "2025-04-01T00:30:00"], ["j1", "j2", "j9"]),
        (["--since", "2025-04-01T03:30:00+01:00"], ["j2", "j9"]),
        (["--since", "1d"], []),
    ],
)
def test_runs_shows_only_recent_jobs_when_asked(tmp_path, monkeypatch, options, jobs):
    import subprocess
    import sys

    data = _runs_page(tmp_path, monkeypatch)
    report = tmp_path / "runs.html"
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl", "runs", str(data), *options, "--html", str(report)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1  # wnl's latest job failed, shown or not
    assert [line.split()[2] for line in result.stdout.splitlines()[1:] if line.startswith("2025")] == jobs
    assert report.read_text().count("<tr class=") == len(jobs)


def test_runs_refuses_a_since_it_cannot_read(tmp_path, monkeypatch):
    import subprocess
    import sys

    data = _runs_page(tmp_path, monkeypatch)
    result = subprocess.run(
        [sys.executable, "-m", "newscrawl", "runs", str(data), "--since", "last tuesday"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "an ISO date or time" in result.stderr and "Traceback" not in result.stderr


def test_a_crashed_job_is_alerted_by_the_scheduler(tmp_path, monkeypatch):
    import json

    from loopback import webhook_receiver

    with webhook_receiver() as (url, posts):
        (tmp_path / "nu").mkdir()
        (tmp_path / "nu" / "nu-1.jsonl.manifest.json").write_text(
            json.dumps({"spider": "nu", "job": "ok-1", "status": "ok", "counts": {"items": 6}})
        )
        scrapyd = FakeScrapyd(active=())
        scrapyd.finished = [
            {"id": "ok-1", "spider": "nu"},
            {"id": "crash-2", "spider": "wnl", "log_url": "/logs/crash-2.log"},
        ]
        monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", url)  # a secret: the scheduler host's environment
        Scheduler(scrapyd, "newscrawl", [], tmp_path).tick()
    assert len(posts) == 1  # the crash only: a finished run alerts from its own checks
    assert posts[0]["site"] == "wnl" and posts[0]["job"] == "crash-2" and posts[0]["finishReason"] == "crashed"
    assert posts[0]["manifest"].endswith("wnl-crash-2.crashed.manifest.json") and "crashed" in posts[0]["reasons"][0]


CRASH_LOG = """2025-04-01 09:00:01 [scrapy.utils.log] INFO: Scrapy started (bot: newscrawl)
2025-04-01 09:00:01 [scrapy.middleware] INFO: Enabled extensions: ...
Traceback (most recent call last):
  File "/srv/venv/lib/python3.11/site-packages/scrapy/crawler.py", line 150, in crawl
    yield self.engine.open_spider(self.spider, start_requests)
FileNotFoundError: REPLAY_WARC: no file matches '/srv/captures/missing-*.warc.gz'
"""


CRASHED_JOB = "0123456789abcdef0123456789abcdef"


@contextmanager
def crashed_job_scrapyd(tmp_path: Path, log: str):
    """A made-up Scrapyd whose one finished job (wnl, CRASHED_JOB) wrote no manifest, its ``log``
    served over HTTP on 127.0.0.1 as Scrapyd serves logs: (the Scrapyd, the log's whole URL)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from newscrawl.tools.scrapyd_client import Scrapyd

    path = f"/logs/newscrawl/wnl/{CRASHED_JOB}.log"
    logs = tmp_path / "scrapyd"
    (logs / path.lstrip("/")).parent.mkdir(parents=True)
    (logs / path.lstrip("/")).write_text(log)
    handler = partial(SimpleHTTPRequestHandler, directory=str(logs))
    handler.log_message = lambda *a: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    Thread(target=server.serve_forever, daemon=True).start()

    class LogServingScrapyd(FakeScrapyd, Scrapyd):  # the jobs made up, the log read over HTTP as from Scrapyd
        log_url, log_tail = Scrapyd.log_url, Scrapyd.log_tail

        def __init__(self):
            Scrapyd.__init__(self, f"http://127.0.0.1:{server.server_port}")
            FakeScrapyd.__init__(self, active=())

    scrapyd = LogServingScrapyd()
    scrapyd.finished = [{"id": CRASHED_JOB, "spider": "wnl", "log_url": path}]
    try:
        yield scrapyd, f"http://127.0.0.1:{server.server_port}{path}"
    finally:
        server.shutdown()


def test_a_crashed_jobs_alert_run_log_and_report_say_why_from_its_log(tmp_path, monkeypatch):
    import json
    import subprocess
    import sys

    from loopback import webhook_receiver

    data = tmp_path / "data"
    cause = "FileNotFoundError: REPLAY_WARC: no file matches '/srv/captures/missing-*.warc.gz'"
    with crashed_job_scrapyd(tmp_path, CRASH_LOG) as (scrapyd, full_log):
        with webhook_receiver() as (url, posts):
            monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", url)
            Scheduler(scrapyd, "newscrawl", [], data).tick()
    stub = json.loads((data / "wnl" / "wnl-0123456789abcdef0123456789abcdef.crashed.manifest.json").read_text())
    assert stub["logTail"] == [cause] and stub["logUrl"] == full_log and cause in stub["layout"]["problems"][0]
    [entry] = [json.loads(line) for line in (data / "runs.jsonl").read_text().splitlines()]
    assert entry["logTail"] == [cause] and entry["logUrl"] == full_log
    assert len(posts) == 1 and posts[0]["logTail"] == [cause] and posts[0]["logUrl"] == full_log
    runs = subprocess.run(
        [sys.executable, "-m", "newscrawl", "runs", str(data), "--all", "--html", str(tmp_path / "runs.html")],
        capture_output=True,
        text=True,
    )
    assert f"    {cause}" in runs.stdout and f"    log: {full_log}" in runs.stdout
    page = (tmp_path / "runs.html").read_text()
    assert "no file matches &#x27;/srv/captures/missing-*.warc.gz&#x27;" in page and f'href="{full_log}"' in page


def test_record_only_logs_finished_jobs_and_schedules_nothing(tmp_path):
    # The run log without waiting for the next tick, and without starting new crawls.
    import json
    import subprocess
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    asked = []

    class Api(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            asked.append(self.path)
            body = {"status": "ok", "pending": [], "running": [], "finished": [{"id": "j9", "spider": "nu"}]}
            self.send_response(200)
            self.end_headers()
            self.wfile.write(json.dumps(body).encode())

        def do_POST(self):  # noqa: N802
            asked.append(self.path)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "nu").mkdir()
    (tmp_path / "nu" / "nu-1.jsonl.manifest.json").write_text(
        json.dumps({"spider": "nu", "job": "j9", "status": "ok", "counts": {"items": 4}})
    )
    try:
        command = [sys.executable, "-m", "newscrawl", "schedule", "--record-only", "--data-dir", str(tmp_path)]
        result = subprocess.run(
            [*command, "--url", f"http://127.0.0.1:{server.server_port}"], capture_output=True, text=True
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"j9": "ok"}
    assert [json.loads(line)["items"] for line in (tmp_path / "runs.jsonl").read_text().splitlines()] == [4]
    assert all(path.startswith("/listjobs.json") for path in asked)  # nothing scheduled


def _manifest_errors(manifest: dict) -> list[str]:
    import json

    from conftest import PROJECT
    from jsonschema import Draft202012Validator

    schema = json.loads((PROJECT / "schemas" / "manifest.schema.json").read_text())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(manifest)]


def test_a_job_scrapyd_forgot_is_recorded_from_its_manifest_or_as_lost(tmp_path, monkeypatch):
    """Scrapyd restarted with in-memory job storage, or while jobs ran: every job this scheduler
    started still gets its one line, from its own manifest when it wrote one, else failed and alerted."""
    import json

    from loopback import webhook_receiver

    scrapyd = FakeScrapyd(active=())
    data = tmp_path / "data"
    scheduler = Scheduler(scrapyd, "newscrawl", ["nu", "wnl"], data)
    assert scheduler.tick() == {"nu": "job-nu", "wnl": "job-wnl"}
    assert scheduler.record() == []  # both still pending: nothing to record
    # The nu job finished and wrote its manifest; then Scrapyd restarted and lists neither job.
    (data / "nu").mkdir(exist_ok=True)
    manifest = {
        "spider": "nu",
        "job": "job-nu",
        "status": "ok",
        "startTime": "2025-04-01T09:00:00+00:00",
        "finishTime": "2025-04-01T09:01:00+00:00",
        "finishReason": "finished",
        "counts": {"items": 6, "new": 6},
    }
    (data / "nu" / "nu-2025-04-01T09-00-00.jsonl.manifest.json").write_text(json.dumps(manifest))
    scrapyd.pending = []
    with webhook_receiver() as (url, posts):
        monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", url)
        entries = scheduler.record()
        assert scheduler.record() == []  # each job once
    assert [(e["job"], e["status"], e["finishReason"], e["items"]) for e in entries] == [
        ("job-nu", "ok", "finished", 6),
        ("job-wnl", "failed", "lost", 0),
    ]
    assert entries[0]["start"] == "2025-04-01T09:00:00+00:00" and entries[0]["end"] == "2025-04-01T09:01:00+00:00"
    assert "Scrapyd no longer knows the job" in entries[1]["problems"][0]
    assert [(post["job"], post["finishReason"]) for post in posts] == [("job-wnl", "lost")]
    stub = json.loads((data / "wnl" / "wnl-job-wnl.lost.manifest.json").read_text())
    assert _manifest_errors(stub) == [] and stub["status"] == "failed" and stub["file"] is None


def test_a_crash_stub_is_a_valid_manifest(tmp_path):
    import json

    from newscrawl.tools.runlog import RunLog

    job = {
        "id": "j2",
        "spider": "wnl",
        "start_time": "2025-04-01 09:00:00.250000",
        "end_time": "2025-04-01 09:00:02.500000",
        "log_url": "/logs/newscrawl/wnl/j2.log",
    }
    stub = json.loads(RunLog(tmp_path).crash_stub(job).read_text())
    assert _manifest_errors(stub) == []
    assert stub["finishReason"] == "crashed" and stub["counts"]["items"] == 0 and stub["startTime"].endswith("+00:00")


def test_adaptive_scheduling_follows_each_sites_publication_rate(tmp_path):
    # (issue 32, part 7) nu found 12 new articles in its runs of the last two hours: at 20 minutes
    # past, 12 in 140 minutes is 5.1 an hour, so a run every 35 min finds about 3. wnl found none in
    # a day: every 6 h, the most allowed.
    import json
    from datetime import UTC, datetime, timedelta

    now = datetime(2025, 4, 7, 12, 0, tzinfo=UTC)
    runs = [
        {
            "job": f"nu-{i}",
            "spider": "nu",
            "start": (now - timedelta(minutes=120 - 30 * i)).isoformat(),
            "end": (now - timedelta(minutes=118 - 30 * i)).isoformat(),
            "new": 3,
            "status": "ok",
        }
        for i in range(4)
    ] + [
        {
            "job": "wnl-0",
            "spider": "wnl",
            "start": (now - timedelta(hours=20)).isoformat(),
            "end": (now - timedelta(hours=19)).isoformat(),
            "new": 0,
            "status": "ok",
        }
    ]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(run) + "\n" for run in runs))
    clock = [now.timestamp()]
    scrapyd = FakeScrapyd(active=())
    scheduler = Scheduler(
        scrapyd, "newscrawl", ["nu", "wnl"], tmp_path, adaptive=(15 * 60.0, 6 * 3600.0), clock=lambda: clock[0]
    )

    def tick_at(minutes):
        clock[0] = now.timestamp() + minutes * 60
        scrapyd.pending = []  # the previous jobs have finished
        return scheduler.tick()

    assert set(tick_at(0).values()) == {"job-nu", "job-wnl"}
    later = tick_at(20)
    assert later["nu"] == "skipped: adaptive, next run in 900 s (5.1 new articles/h)"
    assert later["wnl"].startswith("skipped: adaptive") and "(0.0 new articles/h)" in later["wnl"]
    at_45 = tick_at(45)
    assert at_45["nu"] == "job-nu" and at_45["wnl"].startswith("skipped: adaptive")
    assert tick_at(6 * 60 + 1)["wnl"] == "job-wnl"


def test_the_runs_page_tells_nothing_new_from_items_dropped_to_zero(tmp_path):
    """Two ok runs with 0 items: one found only articles it already held, one listed nothing at all."""
    import json

    from newscrawl.tools.runsreport import render

    def job(n: int, items: int, **counts) -> dict:
        manifest = tmp_path / f"nu-{n}.jsonl.manifest.json"
        manifest.write_text(json.dumps({"spider": "nu", "status": "ok", "counts": {"items": items, **counts}}))
        return {
            "job": f"j{n}",
            "spider": "nu",
            "status": "ok",
            "items": items,
            "end": f"2025-04-01T0{n}:00:00+00:00",
            "manifest": str(manifest),
        }

    entries = [
        job(1, 7, listed=7),
        job(2, 0, listed=7, notModified=5, unchangedSkipped=2),
        job(3, 0, listed=0),
    ]
    page = render(entries)
    rows = page.split("<tr class=")[1:]
    assert "nothing new (7 listed, 7 already held)" in rows[1] and "dropped" not in rows[1]
    assert "dropped to 0 (the run before wrote 7; nothing listed)" in rows[2]
    assert "nothing new" not in rows[0] and "dropped" not in rows[0]
