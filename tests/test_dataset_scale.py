"""The dataset tools in bounded memory: the same choice and the same answers as holding every line.

merge, export and stats now keep a key row per line in DuckDB and read the chosen lines again
(newscrawl/tools/selection.py); stats counts in DuckDB (newscrawl/tools/summary.py). Here they are
held to the in-memory rules they replace, written out plainly below, on datasets made to catch
them out: copies of one revision (the first read wins), one revision downloaded twice (the later
download wins), bare days and offsets that name the same instant, dates no one can place, ids of
other types, withdrawals, empty fields, lines spread over files.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscrawl.article.dates import published_key
from newscrawl.extract.base import coverage_fields
from newscrawl.tools import summary as counting
from newscrawl.tools.dataset import Lean, Problem, Problems, Summary, field_ordered, read_all, read_records
from newscrawl.tools.selection import ChangedWhileRead, _instant, merged, select

PROJECT = Path(__file__).resolve().parents[1]


# --- the in-memory rules, as they were ------------------------------------------------------------
def _rank(item: dict) -> tuple:
    metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    return metadata.get("revision", 0), str(metadata.get("dateDownloaded", ""))


def reference_merge(items: list[dict], all_revisions: bool) -> list[dict]:
    chosen: dict[tuple, dict] = {}
    for item in items:
        key = (item.get("site"), item.get("articleId")) + ((_rank(item)[0],) if all_revisions else ())
        if key not in chosen or _rank(item) > _rank(chosen[key]):
            chosen[key] = item
    ordered = sorted(
        chosen.values(),
        key=lambda i: (published_key(i), str(i.get("site")), str(i.get("articleId")), _rank(i)[0]),
    )
    return [field_ordered(item) for item in ordered]


def reference_stats(items: list[dict], all_revisions: bool) -> dict:
    if not all_revisions:
        latest: dict[tuple, int] = {}
        for index, item in enumerate(items):
            key = (item.get("site"), item.get("articleId"))
            if key not in latest or _rank(item) > _rank(items[latest[key]]):
                latest[key] = index
        items = [item for index, item in enumerate(items) if latest[(item.get("site"), item.get("articleId"))] == index]
    summary = Summary(per_site=Counter(), per_section=Counter(), per_day=defaultdict(Counter), coverage=Counter())
    first = last = None
    for item in items:
        if "withdrawn" in (item.get("metadata") or {}):
            summary.withdrawn += 1
            continue
        summary.articles += 1
        if (item.get("metadata") or {}).get("revision", 1) > 1:
            summary.revisions += 1
        site = item.get("site", "?")
        summary.per_site[site] += 1
        summary.per_section[(site, item.get("articleSection", "?"))] += 1
        if item.get("datePublished"):
            summary.per_day[str(item["datePublished"])[:10]][site] += 1
            when = (published_key(item), str(item["datePublished"]))
            first = when if first is None or when[0] < first[0] else first
            last = when if last is None or when[0] >= last[0] else last
        for name in coverage_fields():
            if item.get(name):
                summary.coverage[name] += 1
    if first is not None and last is not None:
        summary.first, summary.last = first[1], last[1]
    return summary.as_dict()


# --- datasets made to catch the choice out --------------------------------------------------------
PUBLISHED = [
    "2025-03-31T14:05:00+02:00",
    "2025-03-31T13:05:00+01:00",  # the same instant, another offset
    "2025-03-31",  # a bare day: its start at +01:00
    "2025-03-30T23:00:00Z",  # the same instant as the bare day
    "2025-02-30T10:00:00+01:00",  # no such day: placed at year 1
    "31 maart 2025",  # not a date at all
    "2025-03-31T14:05:00.250+02:00",  # a fraction: DuckDB leaves it to Python
    "",
    None,
]

lines_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "site": st.sampled_from(["nu", "nos"]),
            "articleId": st.sampled_from(["1", "2", "10", 2]),  # 2 and "2" are two articles
            "revision": st.sampled_from([1, 2, 3]),
            "downloaded": st.sampled_from(["2025-04-01T09:00:00Z", "2025-04-02T09:00:00Z"]),
            "published": st.sampled_from(PUBLISHED),
            "section": st.sampled_from(["binnenland", "politiek", None]),
            "withdrawn": st.booleans(),
            "headline": st.sampled_from(["", "Kop", "Een kop van meer dan acht tekens"]),
            "keywords": st.sampled_from([None, [], ["a"]]),
            "file": st.integers(0, 2),
        }
    ),
    min_size=1,
    max_size=40,
)


def _item(spec: dict, number: int) -> dict:
    item: dict = {"url": f"https://www.nu.nl/a/{spec['articleId']}.html", "site": spec["site"]}
    item["articleId"] = spec["articleId"]
    if not spec["withdrawn"]:
        item["headline"] = spec["headline"]
        item["articleBody"] = f"Tekst {number}."
        if spec["keywords"] is not None:
            item["keywords"] = spec["keywords"]
        if spec["published"] is not None:
            item["datePublished"] = spec["published"]
        if spec["section"] is not None:
            item["articleSection"] = spec["section"]
    metadata = {"dateDownloaded": spec["downloaded"], "revision": spec["revision"], "line": number}
    if spec["withdrawn"]:
        metadata["withdrawn"] = spec["downloaded"]
    item["metadata"] = metadata
    return item


def _files(tmp_path: Path, specs: list[dict]) -> tuple[list[str], list[dict]]:
    """The dataset files, and their items in the order the tools read them (file by file)."""
    per_file: dict[int, list[dict]] = defaultdict(list)
    for number, spec in enumerate(specs):
        per_file[spec["file"]].append(_item(spec, number))
    paths, read = [], []
    for index in sorted(per_file):
        path = tmp_path / f"part{index}.jsonl"
        path.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in per_file[index]), "utf-8")
        paths.append(str(path))
        read += per_file[index]
    return paths, read


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines_strategy, st.booleans())
def test_merge_chooses_and_orders_as_holding_every_line_did(tmp_path_factory, specs, all_revisions):
    paths, items = _files(tmp_path_factory.mktemp("merge"), specs)
    with select(read_all(paths, Problems(), lean=True)) as selection:
        got = list(merged(selection, all_revisions))
    assert got == reference_merge(items, all_revisions)
    assert [json.dumps(i) for i in got] == [json.dumps(i) for i in reference_merge(items, all_revisions)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines_strategy, st.booleans())
def test_stats_counts_as_counting_every_line_did(tmp_path_factory, specs, all_revisions):
    paths, items = _files(tmp_path_factory.mktemp("stats"), specs)
    with select(read_all(paths, Problems(), lean=True), counting.COLUMNS, counting.columns) as selection:
        got = counting.summarise(selection, all_revisions).as_dict()
    assert json.dumps(got) == json.dumps(reference_stats(items, all_revisions))


# --- DuckDB places datePublished as Python does ---------------------------------------------------
DATE_PARTS = ["2025", "0001", "9999", "-", "02", "03", "12", "13", "28", "29", "30", "31", "T", " ", "00", "23"]
DATE_PARTS += ["24", ":", "59", "60", "+", "-", "01:00", "14:00", "24:00", "Z", ".5", "٢"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(DATE_PARTS), min_size=1, max_size=12))
def test_duckdb_places_a_date_published_where_python_does(tmp_path_factory, parts):
    value = "".join(parts)
    candidates = [
        value,
        "2025-03-31T" + value,
        value + "+02:00",
        "2024-02-29",
        "2023-02-29",
        "2025-03-31T23:59:59-12:00",
    ]
    path = tmp_path_factory.mktemp("dates") / "d.jsonl"
    path.write_text(
        "".join(
            json.dumps({"site": "nu", "articleId": str(n), "datePublished": v}) + "\n" for n, v in enumerate(candidates)
        )
    )
    with select(read_all([str(path)], Problems(), lean=True)) as selection:
        placed = dict(selection.rows(f"SELECT id_s, pub FROM ({selection.chosen(None)})"))
    for number, candidate in enumerate(candidates):
        assert placed[str(number).encode()] == _instant(candidate) == _python_instant(candidate), candidate


def _python_instant(value: str) -> int:
    moment = published_key({"datePublished": value})
    if moment.tzinfo is None:
        from newscrawl.article.dates import AMSTERDAM

        moment = moment.replace(tzinfo=AMSTERDAM)
    return (moment - datetime.fromisoformat("1970-01-01T00:00:00+00:00")) // timedelta(microseconds=1)


# --- a lean read says what a full read says --------------------------------------------------------
HOSTILE_LINES = [
    b'{"site": "nu", "articleId": "1", "headline": "Kop", "metadata": {"revision": 1}}\n',
    b'{"site": "nu", "articleId": "2", "other": "\xff\xfe", "metadata": {}}\n',  # bad UTF-8 in a skipped field
    b'{"site": "nu", "articleId": "3", "other": NaN}\n',  # NaN in a skipped field
    b'{"site": "nu", "articleId": "4", "other": "\\ud800"}\n',  # a lone surrogate: json reads it
    b'{"url": "x", "reason": "invalid", "errors": [], "item": {}}\n',  # a rejects line
    b'{"site": "nu", "articleId": "5", "metadata": {"schemaVersion": "9.9"}}\n',
    b'["not", "an", "object"]\n',
    b'{"site": "nu", "articleId": "6", "headline": "", "keywords": [ ], "mainImage": {}}\n',
    b"   \n",
    b'{"site": "nu", "articleId": "7", "articleBody": "' + "é".encode() * 10 + b'"}\n',
    b'{"site": "nu", "articleId": "8"',  # torn
]


def test_a_lean_read_finds_the_lines_and_problems_a_full_read_finds(tmp_path):
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"".join(HOSTILE_LINES))
    full, lean = Problems(), Problems()
    full_records = list(read_records(path, full))
    lean_records = list(read_records(path, lean, lean=True))
    assert [str(p) for p in lean] == [str(p) for p in full]
    assert len(full) >= 5
    assert [(r.line, r.offset, r.size) for r in lean_records] == [(r.line, r.offset, r.size) for r in full_records]
    for full_record, lean_record in zip(full_records, lean_records):
        assert isinstance(lean_record.item, Lean)
        for name in ("site", "articleId", "datePublished", "articleSection", "metadata"):
            assert lean_record.item.get(name) == full_record.item.get(name)
        for name in ("headline", "keywords", "mainImage", "articleBody"):
            assert bool(lean_record.item.get(name)) == bool(full_record.item.get(name)), name


def test_problems_beyond_those_held_are_counted_and_said_again_by_an_index(tmp_path, monkeypatch, capsys):
    """Only the first problems are held; an index keeps a file's rest as their number, so a later
    run counts and refuses as a full read does."""
    from newscrawl.tools.cli import main

    monkeypatch.setattr(Problems, "KEEP", 5)
    data, index = tmp_path / "nu.jsonl", tmp_path / "nu.stats.duckdb"
    data.write_text(_line(1) + "not json\n" * 12 + _line(2))
    assert main(["stats", str(data), "--index", str(index), "--json"]) == 1
    first = capsys.readouterr()
    assert first.err.count("not JSON") == 5 and "… and 7 more problems" in first.err

    with data.open("a") as stream:
        stream.write(_line(3) + "not json\n")
    monkeypatch.setattr(Problems, "KEEP", 100)
    assert main(["stats", str(data), "--index", str(index), "--json"]) == 1
    indexed = capsys.readouterr()
    assert main(["stats", str(data), "--json"]) == 1
    full = capsys.readouterr()
    assert indexed.out == full.out and json.loads(full.out)["articles"] == 3
    # The index said the five held, then one problem standing for the other seven, then the new one.
    shown = [line for line in indexed.err.splitlines() if line.startswith(str(data))]
    assert shown[5:] == [
        f"{data}:13: and 7 more problem(s) read before",
        f"{data}:16: not JSON: Expecting value at column 1",
    ]
    assert "more problems" not in indexed.err  # the one that stands for seven counts seven
    assert [line for line in full.err.splitlines() if line.startswith(str(data))] == [
        f"{data}:{line}: not JSON: Expecting value at column 1" for line in [*range(2, 14), 16]
    ]


def test_problems_count_what_they_no_longer_hold():
    problems = Problems(keep=3)
    mark = problems.mark()
    for line in range(1, 11):
        problems.append(Problem("a.jsonl", line, "not JSON: x", fatal=line != 10))
    problems.append(Problem("a.jsonl", 11, "torn final line dropped (the writer stopped mid-line): x", fatal=False))
    assert (len(problems), problems.fatal, problems.kinds["torn"], problems.lines) == (11, 9, 1, 11)
    assert [p.line for p in problems] == [1, 2, 3]
    said = problems.since(mark, "a.jsonl")
    assert [p.line for p in said] == [1, 2, 3, 11] and (said[-1].count, said[-1].fatal) == (8, True)
    again = Problems()
    again += said
    assert (len(again), again.fatal) == (11, 3 + 8)


# --- a file that changes between the passes -------------------------------------------------------
def test_a_file_rewritten_between_the_passes_stops_the_merge(tmp_path):
    path = tmp_path / "nu.jsonl"
    lines = [json.dumps({"site": "nu", "articleId": str(n), "headline": "x" * n}) + "\n" for n in range(1, 4)]
    path.write_text("".join(lines))
    with select(read_all([str(path)], Problems(), lean=True)) as selection:
        path.write_text("".join(reversed(lines)))  # the same lines, elsewhere
        with pytest.raises(ChangedWhileRead):
            list(merged(selection))


# --- progress on a terminal, nothing in a pipe ----------------------------------------------------
def _dataset(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "nu.jsonl"
    line = {"site": "nu", "headline": "Kop", "articleBody": "tekst " * 400, "metadata": {"revision": 1}}
    with path.open("w") as stream:
        for n in range(count):
            stream.write(json.dumps(line | {"articleId": str(n)}) + "\n")
    return path


def test_a_long_run_shows_progress_on_a_terminal_and_nothing_in_a_pipe(tmp_path):
    data = _dataset(tmp_path, 60_000)
    piped = subprocess.run(
        [sys.executable, "-m", "newscrawl", "stats", str(data)], capture_output=True, text=True, cwd=PROJECT
    )
    assert piped.returncode == 0 and piped.stderr == ""
    # stderr a terminal (stdout still a pipe): what a person at a terminal sees.
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a terminal 120 wide
    process = subprocess.Popen(
        [sys.executable, "-m", "newscrawl", "stats", str(data)], stdout=subprocess.PIPE, stderr=terminal, cwd=PROJECT
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=120)
    os.close(controller)
    shown = seen.decode("utf-8", "replace")
    assert process.returncode == 0
    assert "lines/s" in shown and "B/s" in shown
    assert "<" in shown  # tqdm's elapsed<remaining: the time left


# --- stats --index: a growing dataset summarised at the cost of its new lines ----------------------
def _line(number: int, revision: int = 1, withdrawn: bool = False) -> str:
    item: dict = {
        "site": "nu",
        "articleId": str(number),
        "url": f"https://www.nu.nl/a/{number}.html",
        "metadata": {"revision": revision, "dateDownloaded": f"2025-04-{1 + number % 28:02d}T09:00:00Z"},
    }
    if withdrawn:
        item["metadata"]["withdrawn"] = "2025-05-01T09:00:00Z"
    else:
        item |= {
            "headline": f"Kop {number}",
            "articleBody": "tekst " * 40,
            "articleSection": ["binnenland", "economie"][number % 2],
            "datePublished": f"2025-04-{1 + number % 28:02d}T08:{number % 60:02d}:00+02:00",
        }
    return json.dumps(item) + "\n"


def _stats(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", "stats", "--json", *args], capture_output=True, text=True, cwd=PROJECT
    )


def test_stats_with_an_index_reads_only_what_was_added_and_says_what_a_full_read_says(tmp_path):
    data, index = tmp_path / "nu.jsonl", tmp_path / "nu.stats.duckdb"
    data.write_text("".join(_line(n) for n in range(3_000)))
    first = _stats(str(data), "--index", str(index))
    assert first.returncode == 0 and first.stdout == _stats(str(data)).stdout

    # A day later: new articles, revisions, a withdrawal, and a line still being written.
    with data.open("a") as stream:
        stream.write("".join(_line(n) for n in range(3_000, 3_200)))
        stream.write(_line(5, revision=2) + _line(7, revision=2, withdrawn=True))
        stream.write(_line(3_200)[:40])
    grown = _stats(str(data), "--index", str(index))
    full = _stats(str(data))
    assert grown.stdout == full.stdout and grown.returncode == full.returncode
    assert json.loads(grown.stdout)["articles"] == 3_200 - 1 and json.loads(grown.stdout)["withdrawn"] == 1
    assert "torn final line" in grown.stderr and "torn final line" in full.stderr

    # The part read before is not read again: a line spoiled there (beyond the head the index checks)
    # is seen by a full read only; the torn line, now whole, is read.
    text = data.read_bytes()
    spot = text.index(b'"articleId": "2500"')
    data.write_bytes(text[:spot] + b"#" + text[spot + 1 :] + _line(3_200)[40:].encode())
    again = _stats(str(data), "--index", str(index))
    assert (
        again.returncode == 0 and json.loads(again.stdout)["articles"] == 3_200
    )  # 3,201 lines of articles, one withdrawn
    assert "not JSON" in _stats(str(data)).stderr

    # A file rewritten from its start is read again whole.
    data.write_text("".join(_line(n) for n in range(10)))
    rewritten = _stats(str(data), "--index", str(index))
    assert rewritten.stdout == _stats(str(data)).stdout and json.loads(rewritten.stdout)["articles"] == 10

    refused = _stats(str(data), "--index", str(index), "--originals", "--clusters", str(tmp_path / "c.jsonl"))
    assert refused.returncode == 2 and "--originals" in refused.stderr


def test_an_index_is_made_in_bounded_memory(tmp_path, monkeypatch):
    """stats --index keeps its new key rows out of the index's transaction until one INSERT at the
    end: DuckDB holds appends made inside an open transaction in memory beyond its limit (about
    100 MB a million rows), so a first run over 700,000 lines peaked far above one over 100,000."""
    from measured import launched

    monkeypatch.setenv("NEWSCRAWL_SORT_MEMORY", "64MB")
    peaks = []
    for count in (100_000, 700_000):
        data, index = tmp_path / f"nu-{count}.jsonl", tmp_path / f"nu-{count}.duckdb"
        with data.open("w") as stream:
            for start in range(0, count, 10_000):
                stream.write("".join(_line(n) for n in range(start, start + 10_000)))
        command = [sys.executable, "-m", "newscrawl", "stats", "--json", str(data), "--index", str(index)]
        status, _, peak, out, err = launched(command, PROJECT)
        assert status == 0, err
        assert json.loads(out)["articles"] == count
        peaks.append(peak)
    print(f"\nstats --index of 100,000 and 700,000 lines: peak RSS {peaks[0]:.0f} and {peaks[1]:.0f} MB")
    assert peaks[1] < peaks[0] + 60  # appended inside the transaction: 151 MB more
