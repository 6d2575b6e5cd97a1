"""The newscrawl command on hostile input: one line of message and a non-zero exit, never a
traceback; datasets are streamed, so a big file costs little memory."""

import json
import subprocess
import sys

import pytest
from conftest import PROJECT, fixture_response
from conftest import run_newscrawl as newscrawl

from newscrawl.extract.registry import site_named

DEEP = "[" * 10_000 + "]" * 10_000
NU_ARTICLE = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


def assert_clean_failure(result, code=None):
    assert result.returncode != 0 if code is None else result.returncode == code, result
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


@pytest.mark.parametrize("command", ["validate", "stats", "merge"])
def test_a_line_nested_ten_thousand_deep(tmp_path, command):
    data = tmp_path / "deep.jsonl"
    data.write_text(DEEP + "\n")
    args = [command, str(data)] + (["-o", str(tmp_path / "out.jsonl")] if command == "merge" else [])
    result = newscrawl(*args)
    assert_clean_failure(result)
    assert "nested too deeply" in result.stderr + result.stdout


def test_plot_into_a_missing_directory(tmp_path):
    data = tmp_path / "one.jsonl"
    data.write_text(
        json.dumps({"site": "nu", "articleId": "1", "datePublished": "2025-03-31T10:00:00+02:00", "metadata": {}})
        + "\n"
    )
    result = newscrawl("stats", str(data), "--plot", str(tmp_path / "missing" / "days.png"))
    assert_clean_failure(result, 2)
    assert "no such directory" in result.stderr and result.stdout == ""


def test_merge_onto_a_directory(tmp_path):
    data = tmp_path / "one.jsonl"
    data.write_text("{}\n")
    result = newscrawl("merge", str(data), "-o", str(tmp_path))
    assert_clean_failure(result, 2)
    assert "is a directory" in result.stderr


@pytest.mark.parametrize("content", ["[]", '{"counts": 5}', '{"layout": []}', DEEP, "null"])
def test_check_run_on_a_manifest_of_the_wrong_shape(tmp_path, content):
    manifest = tmp_path / "x.manifest.json"
    manifest.write_text(content)
    result = newscrawl("check-run", str(manifest))
    assert_clean_failure(result, 2)


@pytest.mark.parametrize("command", ["validate", "stats", "merge", "export"])
def test_datasets_are_streamed(tmp_path, command):
    """A dataset of ~120 MB is read in far less memory than its size: the command's peak on it is
    within the batch it reads at once (16 MB of lines) of its peak on ten of its lines."""
    line = json.dumps(
        {
            "url": "https://www.nu.nl/x/1/y.html",
            "canonicalUrl": "https://www.nu.nl/x/1/y.html",
            "site": "nu",
            "articleId": "1",
            "headline": "x",
            "articleBody": "woord " * 20_000,
            "datePublished": "2025-03-31T14:05:00+02:00",
            "metadata": {"revision": 1, "dateDownloaded": "2025-03-31T14:06:00Z"},
        }
    )
    small, data = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    with data.open("w") as stream:
        for n in range(1_000):
            stream.write(line.replace('"articleId": "1"', f'"articleId": "{n}"') + "\n")
    small.write_text("".join(data.open().readlines()[:10]))
    size_mb = data.stat().st_size / 2**20
    peak_mb, baseline_mb = _peak(command, data, tmp_path), _peak(command, small, tmp_path)
    print(f"\n{command} of {size_mb:.0f} MB: peak RSS {peak_mb:.0f} MB (of ten lines: {baseline_mb:.0f} MB)")
    assert size_mb > 100 and peak_mb < baseline_mb + 40


@pytest.mark.parametrize("command", ["validate", "stats", "merge", "export"])
def test_a_file_of_bad_lines_costs_a_count_not_a_list(tmp_path, command):
    """Every problem is counted and the first ones shown, but 300,000 unreadable lines are read in
    the memory of ten: the problems are not all held."""
    item = dict(site_named("nu").parse_article(fixture_response("nu", NU_ARTICLE)))
    good = json.dumps({**item, "metadata": {**item["metadata"], "revision": 1}})
    small, data = tmp_path / "small.jsonl", tmp_path / "bad.jsonl"
    small.write_text(good + "\n" + '{"site": "nu", oops\n' * 10)
    data.write_text(good + "\n" + '{"site": "nu", oops\n' * 300_000)
    peak_mb, baseline_mb = _peak(command, data, tmp_path), _peak(command, small, tmp_path)
    print(f"\n{command} of 300,000 bad lines: peak RSS {peak_mb:.0f} MB (of ten: {baseline_mb:.0f} MB)")
    assert peak_mb < baseline_mb + 20

    output = {"merge": ["-o", str(tmp_path / "merged.jsonl")], "export": ["-o", str(tmp_path / "out.csv")]}
    result = newscrawl(command, str(data), *output.get(command, []))
    assert result.returncode == 1
    shown = [line for line in result.stderr.splitlines() if line.startswith(f"{data}:")]
    assert len(shown) == 200 and all("not JSON" in line for line in shown)
    assert "… and 299800 more problems" in result.stderr
    said = {
        "validate": "1 of 1 lines valid in 1 file(s); 300000 problem(s)",  # (lines read as JSON)
        "merge": "not merged: 300000 unreadable line(s) or file(s); nothing written",
        "export": "not exported: 300000 line(s) or file(s)",
    }
    if command in said:
        assert said[command] in result.stdout + result.stderr
    assert not (tmp_path / "merged.jsonl").exists() and not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("command", ["export", "stats"])
def test_a_clusters_file_of_any_size_is_read_in_bounded_memory(tmp_path, command, monkeypatch):
    """`export --clusters` and `stats --originals` look the articles up in a clusters file of
    any size within the sort engine's memory limit: its members are not held in Python.
    (With DuckDB's limit at 64 MB here; the default, 512 MB, holds 5,000,000 members.)"""
    monkeypatch.setenv("NEWSCRAWL_SORT_MEMORY", "64MB")
    item = dict(site_named("nu").parse_article(fixture_response("nu", NU_ARTICLE)))
    data = tmp_path / "nu.jsonl"
    lines = []
    for number in range(6):  # articles 0-2 are first members of a cluster, 3-5 copies, 6 in none
        line = {**item, "articleId": str(number), "metadata": {**item["metadata"], "revision": 1}}
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    data.write_text("".join(lines))

    def clusters_file(path, count: int) -> None:
        with path.open("w") as stream:
            for number in range(count):
                first, copy = (str(number), str(number + 3)) if number < 3 else (f"f{number}", f"c{number}")
                members = [{"site": "nu", "articleId": first}, {"site": "nu", "articleId": copy}]
                cluster = {"clusterId": f"nu:{first}", "first": members[0], "members": members}
                stream.write(json.dumps(cluster) + "\n")

    some, more = tmp_path / "some.clusters.jsonl", tmp_path / "more.clusters.jsonl"
    clusters_file(some, 100_000)
    clusters_file(more, 400_000)
    out = tmp_path / "out.csv"
    extra = ["-o", str(out)] if command == "export" else ["--json", "--originals"]
    peaks = [_peak(command, data, tmp_path, [*extra, "--clusters", str(path)]) for path in (some, more)]
    print(f"\n{command} --clusters of 100,000 and 400,000 clusters: peak RSS {peaks[0]:.0f} and {peaks[1]:.0f} MB")
    assert peaks[1] < peaks[0] + 40  # held in Python, 300,000 more clusters took 195 MB more

    result = newscrawl(command, str(data), *extra, "--clusters", str(more))
    assert result.returncode == 0, result.stderr
    if command == "export":
        import csv

        rows = {row["articleId"]: row["clusterId"] for row in csv.DictReader(out.open())}
        assert rows == {"0": "nu:0", "1": "nu:1", "2": "nu:2", "3": "nu:0", "4": "nu:1", "5": "nu:2"}
    else:
        assert json.loads(result.stdout)["articles"] == 3  # the copies 3-5 counted at their originals


def _peak(command: str, data, tmp_path, arguments: list[str] | None = None) -> float:
    """The command's peak RSS in MB, in a process of its own that reports it: VmHWM of its memory map
    (Linux's ru_maxrss would carry over the RSS of the forking pytest process, which exec does not reset)."""
    output = {"merge": ["-o", str(tmp_path / "merged.jsonl")], "export": ["-o", str(tmp_path / "out.csv")]}
    argv = ["newscrawl", command, str(data), *(output.get(command, []) if arguments is None else arguments)]
    probe = (
        "import re, runpy, sys\n"
        f"sys.argv = {argv!r}\n"
        "try:\n    runpy.run_module('newscrawl', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('PEAK', re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT, timeout=300)
    return int(result.stdout.rsplit("PEAK", 1)[1]) / 1024


def _manifest_of_a_run(tmp_path):
    """A manifest as the crawl writes it: pretty-printed JSON over many lines."""
    manifest = {
        "spider": "nu",
        "fields": ["headline", "articleBody", "datePublished"],
        "counts": {"items": 6, "new": 6, "revised": 0, "rejects": 1, "failures": 7},
        "fieldCoverage": {"headline": 1.0, "articleBody": 1.0},
        "file": {"path": "nu.jsonl", "bytes": 100, "lines": 6, "sha256": "0" * 64},
    }
    path = tmp_path / "nu.jsonl.manifest.json"
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    assert len(path.read_text().splitlines()) > 20
    return path


@pytest.mark.parametrize("command", ["validate", "stats", "merge", "export"])
def test_a_manifest_given_as_a_dataset_is_said_once(tmp_path, command):
    path = _manifest_of_a_run(tmp_path)
    out = {"merge": ["-o", str(tmp_path / "out.jsonl")], "export": ["-o", str(tmp_path / "out.csv")]}
    result = newscrawl(command, str(path), *out.get(command, []))
    assert_clean_failure(result)
    said = [line for line in (result.stderr + result.stdout).splitlines() if str(path) in line]
    assert said == [f"{path}: a run manifest, not a dataset: give the dataset it describes (nu.jsonl)"]


def test_a_text_file_given_as_a_dataset_stops_after_its_first_lines(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("".join(f"line {n} of some notes\n" for n in range(500)))
    result = newscrawl("validate", str(path))
    assert_clean_failure(result)
    said = [line for line in result.stdout.splitlines() + result.stderr.splitlines() if str(path) in line]
    assert len(said) == 21 and said[-1].endswith("not a JSONL dataset: its first 20 lines are unreadable; stopped")
