"""`newscrawl clusters` at scale: time and peak memory on synthetic datasets, the build from
nothing and the update by one day's lines, and how well the clusters match the stories.

    python benchmarks/clusters.py [--articles 1000000] [--also 100000] [--work DIR]

The datasets (benchmarks/synthetic_articles.py: three sites, about 1,500 articles a day, a
quarter of the stories run again on another site within hours, half verbatim, half lightly
edited) are generated once per size into the work directory. Each `newscrawl clusters` runs as
its own process on one core; its CPU time and peak resident memory come from wait4(). Quality:
of the pairs of articles that are one story, the share in one cluster (recall); of the pairs in
one cluster, the share that are one story (precision).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic_articles import SITES, articles  # noqa: E402

DAY = 1_500  # articles a day


def generate(work: Path, count: int) -> tuple[list[Path], Path]:
    """The three sites' datasets of ``count`` articles (the last day's lines held back in
    ``*.later``) and the truth: which story each article is."""
    files = [work / f"{site}.jsonl" for site in SITES]
    truth = work / "stories.tsv"
    if truth.exists():
        return files, truth
    work.mkdir(parents=True, exist_ok=True)
    streams = {site: (work / f"{site}.jsonl.base").open("w") for site in SITES}
    later = {site: (work / f"{site}.jsonl.later").open("w") for site in SITES}
    started = time.monotonic()
    with (work / "stories.tsv.tmp").open("w") as stories:
        for number, (item, story) in enumerate(articles(count + DAY)):
            target = streams if number < count else later
            target[item["site"]].write(json.dumps(item, ensure_ascii=False) + "\n")
            stories.write(f"{item['site']}:{item['articleId']}\t{story}\n")
    for stream in (*streams.values(), *later.values()):
        stream.close()
    (work / "stories.tsv.tmp").rename(truth)
    size = sum(f.with_name(f.name + ".base").stat().st_size for f in files)
    print(f"generated {count:,} articles ({size / 1e9:.2f} GB) in {time.monotonic() - started:.0f} s")
    return files, truth


def measured(*command: str) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, output) of one process, pinned to one core."""
    started = time.monotonic()
    process = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-m", "newscrawl", *command],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"newscrawl {' '.join(command)} failed:\n{output}")
    wall = time.monotonic() - started
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output.strip().splitlines()[-1]


def quality(clusters: Path, truth: Path) -> tuple[float, float, int]:
    story_of: dict[str, str] = {}
    members: dict[str, list[str]] = defaultdict(list)
    with truth.open() as stream:
        for text in stream:
            key, story = text.rstrip("\n").split("\t")
            story_of[key] = story
            members[story].append(key)
    true_pairs = {frozenset(p) for keys in members.values() if len(keys) > 1 for p in combinations(keys, 2)}
    found_pairs = set()
    with clusters.open() as stream:
        for text in stream:
            keys = [f"{m['site']}:{m['articleId']}" for m in json.loads(text)["members"]]
            found_pairs |= {frozenset(p) for p in combinations(keys, 2)}
    both = len(true_pairs & found_pairs)
    return both / max(len(found_pairs), 1), both / max(len(true_pairs), 1), len(true_pairs)


def run(work: Path, count: int) -> None:
    files, truth = generate(work / f"n{count}", count)
    out = work / f"n{count}" / "clusters.jsonl"
    for stale in (out, out.with_name(out.name + ".db")):
        stale.unlink(missing_ok=True)
    for path in files:
        shutil.copyfile(path.with_name(path.name + ".base"), path)
    wall, cpu, rss, said = measured("clusters", *map(str, files), "-o", str(out))
    print(f"| {count:,} | build | {wall:.0f} | {cpu:.0f} | {cpu / count * 1e6:.0f} | {rss:.0f} | {said} |")
    # The next day's lines appended, as a crawl appends them: only they are read.
    for path in files:
        with path.open("ab") as stream:
            stream.write(path.with_name(path.name + ".later").read_bytes())
    wall, cpu, rss, said = measured("clusters", *map(str, files), "-o", str(out))
    print(f"| {count:,} | + one day ({DAY:,}) | {wall:.1f} | {cpu:.1f} | {cpu / DAY * 1e6:.0f} | {rss:.0f} | {said} |")
    precision, recall, pairs = quality(out, truth)
    print(f"quality at {count:,}: precision {precision:.4f}, recall {recall:.4f} over {pairs:,} pairs of one story")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--also", type=int, nargs="*", default=[100_000], help="smaller sizes first (memory flat?)")
    parser.add_argument("--work", type=Path, default=HERE / ".cache" / "clusters")
    options = parser.parse_args()
    print("| articles | run | wall s | CPU s | CPU µs/article | peak RSS MB | newscrawl says |")
    print("|---|---|---|---|---|---|---|")
    for count in [*options.also, options.articles]:
        run(options.work, count)


if __name__ == "__main__":
    main()
