"""What the extraction costs per page beyond parsing the HTML: `Site.parse_article` on the kept
pages of the backfill archive (benchmarks/backfill.py makes it), beside the tree alone.

    .venv/bin/python benchmarks/parser_cost.py                       # time: least of 7 passes
    .venv/bin/python benchmarks/parser_cost.py --instructions        # instructions (valgrind)
    .venv/bin/python benchmarks/parser_cost.py --source /tmp/before  # another checkout's code

Time is the least of several passes over the pages, each response made, parsed and released in
turn (as a crawl does). This machine's timings wander by a third within an hour, so the
instruction count (valgrind's cachegrind, `apt-get install valgrind`) is the figure to compare two
versions by: it is the same on every run. It counts work, not stalls: the tree's parse runs more
instructions per nanosecond than the interpreter, so instructions are no share of time.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache" / "backfill"


def pages(captures: int) -> list[tuple[str, bytes]]:
    """(URL, HTML) of the archive's kept pages, cached beside it."""
    cached = CACHE / f"kept-pages-{captures}.pickle"
    if not cached.exists():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import backfill

        warc, _ = backfill.archive(captures)
        cached.write_bytes(pickle.dumps(backfill.kept_pages(warc)[1]))
    return pickle.loads(cached.read_bytes())


def run(source: Path, mode: str, count: int, passes: int, captures: int) -> None:
    """One process's work: the pages, read ``passes`` times (``mode``: parse, tree, or none)."""
    sys.path.insert(0, str(source))
    from scrapy.http import HtmlResponse, Request

    from newscrawl.extract.common import page_selector, release_selector
    from newscrawl.extract.registry import sites

    registry = sites()
    kept = pages(captures)
    nu = [(registry["nu"], url, body) for url, body in kept if ".nu.nl/" in url]
    wnl = [(registry["wnl"], url, body) for url, body in kept if ".nu.nl/" not in url]
    work = nu[: count // 2] + wnl[: count - count // 2]

    def one_pass(tree_only: bool) -> float:
        spent = 0.0
        for site, url, body in work:
            response = HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))
            started = time.perf_counter()
            if tree_only:
                page_selector(response)
            else:
                site.parse_article(response)
            spent += time.perf_counter() - started
            release_selector(response)
        return spent * 1000 / len(work)

    gc.freeze()
    one_pass(False)  # warm: imports, caches, the CLD2 model
    if mode == "none":
        return
    if mode in ("parse", "tree"):
        one_pass(mode == "tree")
        return
    parse = min(one_pass(False) for _ in range(passes))
    tree = min(one_pass(True) for _ in range(passes))
    print(
        f"{source}: parse_article {parse:.3f} ms/page, the tree {tree:.3f}, the rest {parse - tree:.3f} ({len(work)} pages)"
    )


def instructions(source: Path, mode: str, count: int, captures: int) -> int:
    output = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--source",
            str(source),
            "--pages",
            str(count),
            "--captures",
            str(captures),
            "--mode",
            mode,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    line = next(line for line in output.splitlines() if "I   refs:" in line or "I refs:" in line)
    return int(line.rsplit(":", 1)[1].replace(",", "").strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout whose newscrawl is measured")
    parser.add_argument("--pages", type=int, default=400, help="kept pages read (half NU.nl, half WNL)")
    parser.add_argument("--captures", type=int, default=2000, help="the backfill archive's size")
    parser.add_argument("--passes", type=int, default=7, help="timed passes (the least counts)")
    parser.add_argument("--instructions", action="store_true", help="count instructions with valgrind instead")
    parser.add_argument("--mode", default="time", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode != "time" or not args.instructions:
        run(args.source.resolve(), args.mode, args.pages, args.passes, args.captures)
        return
    pages(args.captures)  # made before valgrind runs
    count = min(args.pages, 100)  # valgrind runs Python some 50 times slower
    base, parse, tree = (
        instructions(args.source.resolve(), mode, count, args.captures) for mode in ("none", "parse", "tree")
    )
    print(
        f"{args.source}: parse_article {(parse - base) / count / 1e6:.2f} M instructions/page, "
        f"the tree {(tree - base) / count / 1e6:.2f} M, the rest {(parse - tree) / count / 1e6:.2f} M ({count} pages)"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
