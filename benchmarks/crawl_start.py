"""What a crawl's start costs with a long dataset behind it: a replayed crawl of the NU.nl fixture site
appending to a dataset of N earlier lines (`-o`), twice.

    .venv/bin/python benchmarks/crawl_start.py [N …]      (default: 100000 1000000)

The earlier lines are the fixture's articles under other ids (about 3 KB a line). The first crawl
meets a file its state has never seen and reads it whole; the second comes after a clean close.
Printed per N: each crawl's wall time, the bytes of the dataset it read at its start
(`durability/feed_bytes_read`) and at its close to describe the file in its manifest
(`manifest/file_bytes_read`); a tree without a stat read the whole file. Run on two trees to
compare (PYTHONPATH and the working directory of the tree).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tests" / "fixtures" / "nu" / "expected" / "article_6400101_zwembad.json"


def earlier_lines(path: Path, count: int) -> None:
    item = json.loads(TEMPLATE.read_text("utf-8"))
    item["metadata"]["contentHash"] = "{hash}"
    item["articleId"], item["url"], item["canonicalUrl"] = "{id}", "{url}", "{url}"
    text = json.dumps(item, ensure_ascii=False)
    with path.open("w", encoding="utf-8") as stream:
        for number in range(count):
            article = str(90_000_000 + number)
            stream.write(
                text.replace("{id}", article)
                .replace("{url}", f"https://www.nu.nl/binnenland/{article}/bericht.html")
                .replace("{hash}", f"{number:064x}")
                + "\n"
            )


def crawl(folder: Path) -> tuple[float, object, object]:
    stats = folder / "stats.json"
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "nu",
            "-o",
            str(folder / "nu.jsonl"),
            "-s",
            f"REPLAY_WARC={ROOT / 'tests' / 'fixtures' / 'nu' / 'site.warc.gz'}",
            "-s",
            f"STATE_DB={folder / 'state.sqlite3'}",
            "-s",
            f"STATS_FILE={stats}",
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - started
    found = json.loads(stats.read_text())
    return (
        elapsed,
        found.get("durability/feed_bytes_read", "the whole file"),
        found.get("manifest/file_bytes_read", "the whole file"),
    )


def main() -> None:
    counts = [int(n) for n in sys.argv[1:]] or [100_000, 1_000_000]
    print(
        "| earlier lines | dataset | first crawl s | read at its start | read for its manifest "
        "| second crawl s | read at its start | read for its manifest |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for count in counts:
        with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as name:
            folder = Path(name)
            earlier_lines(folder / "nu.jsonl", count)
            size = (folder / "nu.jsonl").stat().st_size
            first, *first_read = crawl(folder)
            second, *second_read = crawl(folder)
            print(
                f"| {count:,} | {size / 1e9:.2f} GB | {first:.1f} | {' | '.join(map(str, first_read))} "
                f"| {second:.1f} | {' | '.join(map(str, second_read))} |"
            )


if __name__ == "__main__":
    main()
