"""The dataset tools at 100,000 and 1,000,000 lines (and 10,000,000 with --ten-million), beside
DuckDB answering the same questions on the same file with one thread.

    python benchmarks/datasets.py [--sizes 100000,1000000] [--ten-million] [--work DIR] [--keep]

The datasets (benchmarks/dataset_lines.py: the fixtures' articles of NU.nl, NOS and WNL with new
ids, dates and text, about 3.5 KB a line, 10 % of articles revised later, 1 % withdrawn) are made
once per size into the work directory; 10,000,000 lines are the 1,000,000 ten times over with
other ids (35 GB: merge and CSV, whose outputs would not fit beside it here, are left out there,
and DuckDB answers only stats).
Each command runs as its own process pinned to one core; its CPU time (user + system) and peak
resident memory come from wait4(). DuckDB runs in a process of its own too, with threads=1.

The questions, for both:
- stats: the latest revision of each article; counts per site, section and day, withdrawals,
  later revisions, field coverage, the datePublished range;
- merge: the latest revisions ordered by datePublished, site and articleId, as JSONL;
- export: the same as Parquet, and as CSV;
- validate (newscrawl only: DuckDB has no JSON Schema);
- merge --into: the dataset less its last day (1,500 lines) merged into a new file, then the day
  appended and merged into it again: the second run reads the day, not the history (DuckDB has no
  such question: beside it, its merge of the whole file).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset_lines import TEMPLATES, write  # noqa: E402

DUCKDB_SOURCE = "read_json('{file}', format='newline_delimited', maximum_object_size=67108864)"
DUCKDB_LATEST = (
    "(SELECT * FROM {source} QUALIFY row_number() OVER "
    "(PARTITION BY site, articleId ORDER BY metadata.revision DESC, metadata.dateDownloaded DESC) = 1)"
)
DUCKDB = {
    "stats": """SELECT site, articleSection, CAST(datePublished AS VARCHAR)[:10] AS day,
                    metadata.withdrawn IS NOT NULL AS withdrawn, metadata.revision > 1 AS later, count(*),
                    count(headline), count(description), count(articleBody), count(authors), count(datePublished),
                    count(dateModified), count(articleSection), count(keywords), count(mainImage),
                    min(datePublished), max(datePublished)
                FROM {latest} GROUP BY ALL""",
    "merge": "COPY (SELECT * FROM {latest} ORDER BY datePublished, site, articleId) TO '{out}.jsonl' (FORMAT json)",
    "export parquet": "COPY (SELECT * FROM {latest} ORDER BY datePublished, site, articleId) TO '{out}.parquet' (FORMAT parquet)",
    "export csv": "COPY (SELECT * FROM {latest} ORDER BY datePublished, site, articleId) TO '{out}.csv' (FORMAT csv)",
}


def measured(argv: list[str]) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, last line of output) of one process, pinned to one core."""
    started = time.monotonic()
    process = subprocess.Popen(
        ["taskset", "-c", "0", *argv], cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(argv)} failed:\n{output[-3000:]}")
    lines = output.strip().splitlines()
    return (
        time.monotonic() - started,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        lines[-1] if lines else "",
    )


def newscrawl(command: str, data: Path, out: Path) -> list[str]:
    tool = [sys.executable, "-m", "newscrawl"]
    return {
        "validate": [*tool, "validate", str(data)],
        "stats": [*tool, "stats", "--json", str(data)],
        "merge": [*tool, "merge", str(data), "-o", f"{out}.jsonl"],
        "export parquet": [*tool, "export", str(data), "-o", f"{out}.parquet"],
        "export csv": [*tool, "export", str(data), "-o", f"{out}.csv"],
    }[command]


#: a day of the three sites' articles, as the benchmark's lines come (about 1,500)
DAY = 1_500


def into_runs(data: Path, out: Path):
    """("first", its figures), ("+1 day", its figures): the dataset less its last DAY lines merged
    into a new file, then those lines appended to the crawl's file and merged into it again."""
    crawl, into = Path(f"{out}.crawl.jsonl"), Path(f"{out}.into.jsonl")
    for leftover in (crawl, into, into.with_name(into.name + ".index.duckdb")):
        leftover.unlink(missing_ok=True)
    total = sum(1 for _ in data.open("rb"))
    with data.open("rb") as source, crawl.open("wb") as target:
        for number, raw in enumerate(source):
            if number == total - DAY:
                break
            target.write(raw)
        day = source.read()
    tool = [sys.executable, "-m", "newscrawl", "merge", str(crawl), "--into", str(into)]
    yield "first", measured(tool)
    with crawl.open("ab") as target:
        target.write(day)
    yield "+1 day", measured(tool)
    crawl.unlink()


def duckdb(command: str, data: Path, out: Path) -> list[str]:
    source = DUCKDB_SOURCE.format(file=data)
    sql = DUCKDB[command].format(latest=DUCKDB_LATEST.format(source=source), out=out)
    script = (
        f"import duckdb; c = duckdb.connect(config={{'threads': 1}}); r = c.execute({sql!r}).fetchall(); print(len(r))"
    )
    return [sys.executable, "-c", script]


def dataset(work: Path, lines: int) -> Path:
    path = work / f"lines-{lines}.jsonl"
    if not path.exists():
        started = time.monotonic()
        if lines == 10_000_000:
            tenfold(dataset(work, 1_000_000), path)
        else:
            write(path.with_suffix(".tmp"), lines)
            path.with_suffix(".tmp").rename(path)
        print(f"made {path.name} ({path.stat().st_size / 1e9:.2f} GB) in {time.monotonic() - started:.0f} s")
    return path


_ID = re.compile(rb'("articleId": "|/)(\d{6,7})(?=[/"-])')


def tenfold(source: Path, target: Path) -> None:
    """The lines of ``source`` ten times, each time with other article ids (ids and URLs)."""
    with target.with_suffix(".tmp").open("wb") as out:
        for copy in range(10):
            shift = copy * 10_000_000
            with source.open("rb") as stream:
                for raw in stream:
                    out.write(_ID.sub(lambda m, shift=shift: m.group(1) + str(int(m.group(2)) + shift).encode(), raw))
    target.with_suffix(".tmp").rename(target)


def short_lines(path: Path, count: int) -> None:
    """``count`` short lines (about 1 KB: the NU.nl fixture article with a one-sentence text), 10 %
    of articles revised a few lines later: many lines in little disk, for the memory bound at ten
    million lines, which depends on the number of lines, not their length."""
    template = json.loads((HERE.parent / TEMPLATES["nu"]).read_text("utf-8"))
    template["articleBody"] = template["description"] = "Tekst."
    template["wordCount"] = 1
    template["metadata"]["revision"] = 1
    text = json.dumps(template, ensure_ascii=False)
    for name, value in (("articleId", "6400101"), ("datePublished", template["datePublished"])):
        text = text.replace(f'"{name}": "{value}"', f'"{name}": "{{{name}}}"')
    text = (
        text.replace("{", "{{")
        .replace("}", "}}")
        .replace("{{articleId}}", "{id}")
        .replace("{{datePublished}}", "{when}")
    )
    text = text.replace('"revision": 1', '"revision": {revision}')
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with path.with_suffix(".tmp").open("w", encoding="utf-8") as out:
        for number in range(count):
            article = number - 5 if number % 10 == 5 else number  # every tenth line revises one of five lines before
            when = (start + timedelta(minutes=article)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            out.write(text.format(id=article, when=when, revision=2 if article != number else 1) + "\n")
    path.with_suffix(".tmp").rename(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--ten-million", action="store_true", help="also 10,000,000 lines (35 GB of disk; about an hour to make)"
    )
    parser.add_argument("--work", default=str(HERE / ".cache" / "datasets"))
    parser.add_argument(
        "--only", help="comma-separated commands (validate, stats, merge, export parquet, export csv, merge --into)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the outputs")
    parser.add_argument("--outputs", help="where the outputs go (default: the work directory)")
    parser.add_argument(
        "--short", type=int, metavar="N", help="instead: N short lines (about 1 KB), for the memory bound at any count"
    )
    options = parser.parse_args()
    work = Path(options.work)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(size) for size in options.sizes.split(",")] + ([10_000_000] if options.ten_million else [])
    if options.short:
        sizes = [options.short]
    commands = ["validate", "stats", "merge", "export parquet", "export csv", "merge --into"]
    if options.only:
        commands = [command for command in commands if command in options.only.split(",")]
    rows = []
    for size in sizes:
        data = dataset(work, size) if not options.short else work / f"short-{size}.jsonl"
        if options.short and not data.exists():
            short_lines(data, size)
        for command in commands:
            if size >= 10_000_000 and command in ("merge", "export csv", "merge --into") and not options.short:
                continue
            out = Path(options.outputs or work) / "out"
            if command == "merge --into":
                for step, ours in into_runs(data, out):
                    theirs = measured(duckdb("merge", data, out)) if step == "+1 day" else None
                    rows.append((size, f"merge --into ({step})", ours, theirs))
                    print(_row(size, f"merge --into ({step})", ours, theirs), flush=True)
            else:
                ours = measured(newscrawl(command, data, out))
                # DuckDB's own sort of 10,000,000 whole articles would need more disk than is left here.
                wanted = command in DUCKDB and (size < 10_000_000 or command == "stats") and not options.short
                theirs = measured(duckdb(command, data, out)) if wanted else None
                rows.append((size, command, ours, theirs))
                print(_row(size, command, ours, theirs), flush=True)
            if not options.keep:
                for leftover in Path(options.outputs or work).glob("out.*"):
                    leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover)
    print()
    print(
        "| lines | command | wall s | CPU s | peak RSS MB | lines/s (CPU) | DuckDB CPU s | DuckDB peak MB | CPU ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size, command, ours, theirs in rows:
        print(_row(size, command, ours, theirs))


def _row(size: int, command: str, ours: tuple, theirs: tuple | None) -> str:
    wall, cpu, peak, _ = ours
    duck = f"{theirs[1]:.1f} | {theirs[2]:,.0f} | {cpu / theirs[1]:.2f}x" if theirs else "- | - | -"
    rate = "-" if "+1 day" in command else f"{size / cpu:,.0f}"  # (it reads the day, not the size)
    return f"| {size:,} | {command} | {wall:.1f} | {cpu:.1f} | {peak:,.0f} | {rate} | {duck} |"


if __name__ == "__main__":
    main()
