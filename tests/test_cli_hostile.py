"""The newscrawl command on hostile input: one line of message and a non-zero exit, never a
traceback; datasets are streamed, so a big file costs little memory."""

import json
import subprocess
import sys

import pytest
from conftest import PROJECT
from conftest import run_newscrawl as newscrawl

DEEP = "[" * 10_000 + "]" * 10_000


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


def _peak(command: str, data, tmp_path) -> float:
    """The command's peak RSS in MB, in a process of its own that reports it: VmHWM of its memory map
    (Linux's ru_maxrss would carry over the RSS of the forking pytest process, which exec does not reset)."""
    output = {"merge": ["-o", str(tmp_path / "merged.jsonl")], "export": ["-o", str(tmp_path / "out.csv")]}
    argv = ["newscrawl", command, str(data), *output.get(command, [])]
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
