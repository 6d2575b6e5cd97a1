"""`newscrawl clusters FILE… -o clusters.jsonl`: the same story across sites and days."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from newscrawl.tools import clusters
from newscrawl.tools.present import print_problems
from newscrawl.tools.selection import Selection


def add_to(commands) -> None:
    command = commands.add_parser(
        "clusters",
        help="group near-identical articles across sites and days (agency copy, re-runs)",
        description=(
            "Group near-identical articles of JSONL datasets across sites and days: each article joins the "
            f"cluster whose first published member it resembles (MinHash estimate of the Jaccard similarity of "
            f"their five-word shingles at least {clusters.SIMILARITY}, published at most {clusters.WINDOW_DAYS} "
            "days apart), or founds its own. Writes one JSON line per cluster of two or more members. The state "
            "beside the output (OUT.db) remembers what was read: run it again after the datasets grew and "
            "only the new lines are read and clustered."
        ),
    )
    command.add_argument("files", nargs="+", metavar="FILE")
    command.add_argument("-o", "--output", required=True, metavar="OUT", help="the clusters file (JSONL)")
    command.add_argument(
        "--singletons", action="store_true", help="also write clusters of one article (every article once)"
    )
    command.add_argument(
        "--rebuild", action="store_true", help="forget what earlier runs read and cluster everything again"
    )
    command.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    output = Path(options.output)
    if output.is_dir():
        print(f"-o {options.output}: is a directory; give the clusters file's name", file=sys.stderr)
        return 2
    missing = [name for name in options.files if not Path(name).is_file()]
    if missing:
        print(f"no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    report = clusters.update(
        [Path(name) for name in options.files], output, singletons=options.singletons, rebuild=options.rebuild
    )
    print_problems(report.problems)
    if report.rebuilt:
        print(f"clustering everything again: the state was {report.rebuilt}", file=sys.stderr)
    print(
        f"read {report.lines} new line(s): {report.new_articles} new article(s), {report.revisions} line(s) of "
        f"known articles; {report.joined} joined a cluster, {report.founded} founded one"
        + (f", {report.without_text} without text (withdrawn when first seen)" if report.without_text else "")
    )
    print(
        f"{report.clusters} cluster(s) of two or more hold {report.clustered} of {report.articles} article(s) "
        f"→ {output} ({time.monotonic() - started:.1f} s)"
    )
    return 1 if report.problems.fatal else 0


def clusters_file(option: str, selection: Selection, without_copies: bool = False) -> bool:
    """The members of a --clusters file taken into ``selection`` (Selection.take_clusters), or
    False once it has said in one line why the file cannot be read as one (export and stats take
    it alike)."""
    try:
        selection.take_clusters(clusters.cluster_ids(Path(option)), without_copies)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"--clusters {option}: not a clusters file ({exc})", file=sys.stderr)
        return False
    return True
