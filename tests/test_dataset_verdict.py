"""The dataset tools give one verdict on one line: `validate` rejects what `export` cannot write
(NaN, a date that cannot be placed in time), `export` names that line instead of crashing, and
`merge` never writes a line `validate` rejects."""

from __future__ import annotations

import json

import pytest
from conftest import replay_crawl
from conftest import run_newscrawl as newscrawl


@pytest.fixture(scope="module")
def lines(tmp_path_factory) -> list[str]:
    found, _, _ = replay_crawl("nu", tmp_path_factory.mktemp("crawl"))
    assert len(found) >= 4
    return found


def _with(line: str, **changes) -> str:
    item = json.loads(line)
    for dotted, value in changes.items():
        target = item
        *parents, name = dotted.split("__")
        for parent in parents:
            target = target[parent]
        target[name] = value
    return json.dumps(item, ensure_ascii=False)


def test_what_export_cannot_write_validate_rejects_and_merge_never_writes(tmp_path, lines):
    bad = [
        _with(lines[1], wordCount=float("nan")),  # json.dumps writes NaN: no other JSON reader reads it
        _with(lines[2], datePublished="0001-01-01T00:00:00+05:00"),
        _with(lines[3], dateModified="9999-12-31T23:59:59-05:00"),
    ]
    dataset = tmp_path / "nu.jsonl"
    dataset.write_text("\n".join([lines[0], *bad]) + "\n", "utf-8")

    validate = newscrawl("validate", str(dataset))
    assert validate.returncode == 1
    said = validate.stdout + validate.stderr
    assert f"{dataset}:2: not JSON: NaN" in said
    assert f"{dataset}:3: datePublished: '0001-01-01T00:00:00+05:00' cannot be placed" in said
    assert f"{dataset}:4: dateModified: '9999-12-31T23:59:59-05:00' cannot be placed" in said

    for out in ("x.parquet", "x.csv"):
        export = newscrawl("export", str(dataset), "-o", str(tmp_path / out))
        assert export.returncode == 1 and "Traceback" not in export.stderr and "Error:" not in export.stderr
        assert f"{dataset}:3: datePublished" in export.stderr and not (tmp_path / out).exists()

    merge = newscrawl("merge", str(dataset), "-o", str(tmp_path / "merged.jsonl"))
    assert merge.returncode == 1 and not (tmp_path / "merged.jsonl").exists()

    # Without the bad lines every tool agrees: valid, exported, merged; and the merge validates.
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(lines) + "\n", "utf-8")
    assert newscrawl("validate", str(clean)).returncode == 0
    assert newscrawl("export", str(clean), "-o", str(tmp_path / "clean.parquet")).returncode == 0
    assert newscrawl("merge", str(clean), "-o", str(tmp_path / "merged.jsonl")).returncode == 0
    assert newscrawl("validate", str(tmp_path / "merged.jsonl")).returncode == 0


def test_merge_checks_the_lines_it_writes_as_validate_does(tmp_path, lines):
    # A line that is JSON, of this schema version, but breaks the schema (no headline): merge refused
    # nothing before and wrote it; now it names it and writes nothing.
    broken = json.loads(lines[0])
    del broken["headline"]
    dataset = tmp_path / "nu.jsonl"
    dataset.write_text(json.dumps(broken, ensure_ascii=False) + "\n" + "\n".join(lines[1:]) + "\n", "utf-8")
    merge = newscrawl("merge", str(dataset), "-o", str(tmp_path / "merged.jsonl"))
    assert merge.returncode == 1 and f"{dataset}:1: headline" in merge.stderr
    assert "not merged: 1 line(s) newscrawl validate rejects" in merge.stderr
    assert not (tmp_path / "merged.jsonl").exists()
