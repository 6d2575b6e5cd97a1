"""Layout-change detection: a redesigned fixture site fails the run with samples to learn from; the normal one does not."""

import json
import shutil
import subprocess
import sys

from conftest import FIXTURES, PROJECT, replay_crawl

from newscrawl.crawl.archive import WarcArchive
from newscrawl.tools.fixtures import pack


def check_run(manifest):
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", "check-run", str(manifest)], capture_output=True, text=True, cwd=PROJECT
    )


def test_the_normal_site_passes(tmp_path):
    _, stats, log = replay_crawl("nu", tmp_path)
    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())
    assert stats["layout/status"] == "ok" and manifest["status"] == "ok" and manifest["layout"]["problems"] == []
    assert "Layout change suspected" not in log
    assert check_run(tmp_path / "nu.jsonl.manifest.json").returncode == 0


def redesign(page: str) -> str:
    """What a redesign does to the markup: new class names for the text blocks and the byline."""
    for old, new in (
        ("textblock", "rich-text"),
        ("article__meta", "story-meta"),
        ("ARTICLE_AUTHOR", "STORY_BYLINE"),
        ("ARTICLE_BODY", "STORY_TEXT"),
        ('"author"', '"byline"'),
        ('author"', 'byline"'),
    ):
        page = page.replace(old, new)
    return page


def test_a_redesigned_site_fails_the_run_and_saves_samples(tmp_path):
    site = tmp_path / "nu-redesigned"
    shutil.copytree(FIXTURES / "nu", site, ignore=shutil.ignore_patterns("*.warc.gz", "expected"))
    for page in (site / "site").glob("article_*.html"):
        page.write_text(redesign(page.read_text("utf-8")), "utf-8")
    archive = tmp_path / "redesigned.warc.gz"
    pack(site / "site.json", archive)
    samples = tmp_path / "samples"
    _, stats, log = replay_crawl("nu", tmp_path, "-s", f"HEALTH_SAMPLES_DIR={samples}", archive=archive)

    manifest = json.loads((tmp_path / "nu.jsonl.manifest.json").read_text())
    assert stats["layout/status"] == "failed" and manifest["status"] == "failed"
    assert any("generic extractor needed" in problem for problem in manifest["layout"]["problems"])
    assert "Layout change suspected on nu" in log
    result = check_run(tmp_path / "nu.jsonl.manifest.json")
    assert result.returncode == 1 and "FAILED" in result.stdout

    # The samples are a fixture folder: pages + site.json, packable into a replay archive.
    sample_manifest = json.loads((samples / "site.json").read_text())
    pages = [record for record in sample_manifest["records"] if record.get("file")]
    assert 1 <= len(pages) <= 10
    assert all((samples / record["file"]).exists() and record["problems"] for record in pages)
    # and a replay may ask the host for robots.txt (none: 404)
    assert [r for r in sample_manifest["records"] if not r.get("file")] == [
        {"url": "https://www.nu.nl/robots.txt", "status": 404}
    ]
    pack(samples / "site.json", tmp_path / "samples.warc.gz")
    packed = WarcArchive.open(str(tmp_path / "samples.warc.gz"))
    assert {url for url, _ in packed.index} == {r["url"] for r in sample_manifest["records"]}


def test_a_failed_run_without_samples_says_none_were_kept(tmp_path):
    """The NU.nl spider on the WNL site: every source fails, no page to keep; the log says so plainly."""
    _, _, log = replay_crawl("nu", tmp_path, archive=FIXTURES / "wnl" / "site.warc.gz")
    failed = [line for line in log.splitlines() if "ERROR: Run failed on nu" in line]
    assert len(failed) == 1 and failed[0].endswith("no sample pages kept.")
    assert "saved to" not in log
