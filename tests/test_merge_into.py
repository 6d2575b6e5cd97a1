"""`newscrawl merge FILE… --into MERGED` (issue 37): a merged dataset kept up to date reads only the
lines added since the last run, and writes what merging MERGED and the FILEs whole writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT, fixture_response

from newscrawl.extract.registry import site_named

NU_ARTICLE = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


@pytest.fixture(scope="module")
def article() -> dict:
    item = dict(site_named("nu").parse_article(fixture_response("nu", NU_ARTICLE)))
    return {**item, "metadata": {**item["metadata"], "revision": 1}}


def line(article: dict, number: int, revision: int = 1, day: int = 0) -> str:
    """A valid NU.nl line: article ``number``, published on day ``day`` of April 2025 (plus its
    number's minutes), downloaded an hour later; a revision has another text."""
    url = f"https://www.nu.nl/binnenland/{6_400_000 + number}/artikel-{number}.html"
    published = f"2025-04-{1 + (day or number % 28):02d}T{number % 24:02d}:{number % 60:02d}:00+02:00"
    downloaded = f"2025-04-{1 + (day or number % 28):02d}T{number % 24:02d}:{number % 60:02d}:30Z"
    item = {
        **article,
        "url": url,
        "canonicalUrl": url,
        "articleId": str(6_400_000 + number),
        "headline": f"Artikel {number}" + (f", bijgewerkt ({revision})" if revision > 1 else ""),
        "datePublished": published,
        "metadata": {
            **article["metadata"],
            "revision": revision,
            "dateDownloaded": downloaded,
            "contentHash": f"{number:032x}{revision:032x}",
        },
    }
    return json.dumps(item, ensure_ascii=False) + "\n"


def merge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", "merge", *args], capture_output=True, text=True, cwd=PROJECT
    )


def merged_whole(tmp_path: Path, *files: Path, all_revisions: bool = False) -> bytes:
    out = tmp_path / "whole.jsonl"
    result = merge(*map(str, files), "-o", str(out), *(["--all-revisions"] if all_revisions else []))
    assert result.returncode == 0, result.stderr
    return out.read_bytes()


def test_merge_into_reads_only_what_was_added_and_writes_what_merging_all_writes(tmp_path, article):
    crawl, into = tmp_path / "nu.jsonl", tmp_path / "all.jsonl"
    crawl.write_text("".join(line(article, n) for n in range(2_000)))
    first = merge(str(crawl), "--into", str(into))
    assert first.returncode == 0, first.stderr
    assert "2000 lines read" in first.stdout and "read whole: it does not exist yet" in first.stdout
    assert into.read_bytes() == merged_whole(tmp_path, crawl)

    # A day later: the crawl appended new articles and revisions; a backfill holds an article
    # published long before (it goes to the merged file's start) and another revision.
    with crawl.open("a") as stream:
        stream.write("".join(line(article, n) for n in range(2_000, 2_100)))
        stream.write(line(article, 5, revision=2) + line(article, 7, revision=2))
    backfill = tmp_path / "backfill.jsonl"
    old = json.loads(line(article, 9_000))
    old["datePublished"] = "2019-01-01T09:00:00+01:00"
    backfill.write_text(json.dumps(old, ensure_ascii=False) + "\n" + line(article, 11, revision=3))
    grown = merge(str(crawl), str(backfill), "--into", str(into))
    assert grown.returncode == 0, grown.stderr
    # 102 lines added to the crawl, 2 in the backfill: read; the merged file's 2,000 lines are not
    assert "104 lines read in 2 file(s), 2000 lines of" in grown.stdout and "not read again" in grown.stdout
    content = into.read_bytes()
    assert content == merged_whole(tmp_path, crawl, backfill)
    assert json.loads(content.splitlines()[0])["datePublished"] == "2019-01-01T09:00:00+01:00"
    assert len(content.splitlines()) == 2_101

    # Nothing new: nothing read, the same file.
    again = merge(str(crawl), str(backfill), "--into", str(into))
    assert again.returncode == 0 and "0 lines read" in again.stdout and into.read_bytes() == content


def test_a_merged_file_rewritten_or_of_another_mode_is_read_whole(tmp_path, article):
    crawl, into = tmp_path / "nu.jsonl", tmp_path / "all.jsonl"
    crawl.write_text("".join(line(article, n) for n in range(300)) + line(article, 3, revision=2))
    assert merge(str(crawl), "--into", str(into)).returncode == 0
    # Someone keeps only the first half of the merged file: it is not the file its index describes.
    into.write_bytes(b"".join(into.read_bytes().splitlines(keepends=True)[:150]))
    cut = into.read_bytes()
    extra = tmp_path / "more.jsonl"
    extra.write_text(line(article, 400))
    result = merge(str(crawl), str(extra), "--into", str(into))
    assert result.returncode == 0 and "read whole: it is not the file its index describes" in result.stdout
    merged_again = into.read_bytes()
    before = tmp_path / "cut.jsonl"
    before.write_bytes(cut)
    assert merged_again == merged_whole(tmp_path, before, crawl, extra)
    # Every revision into a file merged with the latest ones only: another mode, read whole.
    every = merge(str(crawl), "--into", str(into), "--all-revisions")
    assert every.returncode == 0 and "read whole: no index of it" in every.stdout
    before.write_bytes(merged_again)
    assert into.read_bytes() == merged_whole(tmp_path, before, crawl, all_revisions=True)


def test_an_invalid_new_line_writes_nothing_and_is_read_again_next_time(tmp_path, article):
    crawl, into = tmp_path / "nu.jsonl", tmp_path / "all.jsonl"
    crawl.write_text("".join(line(article, n) for n in range(100)))
    assert merge(str(crawl), "--into", str(into)).returncode == 0
    content = into.read_bytes()
    broken = json.loads(line(article, 200))
    broken["datePublished"] = "gisteren"
    with crawl.open("a") as stream:
        stream.write(json.dumps(broken) + "\n" + line(article, 201))
    refused = merge(str(crawl), "--into", str(into))
    assert refused.returncode == 1 and "nothing written" in refused.stderr and into.read_bytes() == content
    # The index did not move on: once the line is put right, both new lines are read and merged.
    text = crawl.read_text().replace('"gisteren"', '"2025-04-20T10:00:00+02:00"')
    crawl.write_text(text)
    fixed = merge(str(crawl), "--into", str(into))
    assert fixed.returncode == 0 and "2 lines read" in fixed.stdout, fixed.stdout
    assert into.read_bytes() == merged_whole(tmp_path, crawl)


def test_into_one_of_its_own_inputs_is_refused(tmp_path, article):
    crawl = tmp_path / "nu.jsonl"
    crawl.write_text(line(article, 1))
    result = merge(str(crawl), "--into", str(crawl))
    assert result.returncode == 2 and "is one of the FILEs" in result.stderr


def test_a_merge_into_of_more_lines_than_a_batch_notes_every_place(tmp_path, article, monkeypatch, capsys):
    """The chosen rows are read, and the new file's places noted, a batch at a time (here 7 lines):
    a batch boundary anywhere loses no line and no place."""
    from newscrawl.tools import into as into_module
    from newscrawl.tools.cli import main

    monkeypatch.setattr(into_module, "_WRITTEN_BATCH", 7)
    crawl, into = tmp_path / "nu.jsonl", tmp_path / "all.jsonl"
    crawl.write_text("".join(line(article, n) for n in range(50)))
    assert main(["merge", str(crawl), "--into", str(into)]) == 0
    with crawl.open("a") as stream:
        stream.write("".join(line(article, n) for n in range(50, 60)) + line(article, 3, revision=2))
    assert main(["merge", str(crawl), "--into", str(into)]) == 0
    assert "11 lines read in 1 file(s), 50 lines of" in capsys.readouterr().out
    assert into.read_bytes() == merged_whole(tmp_path, crawl)
    assert main(["merge", str(crawl), "--into", str(into)]) == 0
    assert "0 lines read in 1 file(s), 60 lines of" in capsys.readouterr().out
