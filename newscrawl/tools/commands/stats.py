"""`newscrawl stats FILE… [--plot out.png]`: counts per site, section and day; coverage; date range."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newscrawl.tools import summary as counting
from newscrawl.tools.dataset import Problems, plot_per_day, read_all
from newscrawl.tools.present import for_terminal, print_problems
from newscrawl.tools.selection import Selection, select


def add_to(commands) -> None:
    stats = commands.add_parser(
        "stats",
        help="counts per site, section and day; date range; field coverage; revisions",
        description="Summarise JSONL dataset files: articles per site, section and day, the datePublished range, field coverage and later revisions.",
    )
    stats.add_argument("files", nargs="+", metavar="FILE")
    stats.add_argument("--json", action="store_true", help="print the summary as JSON")
    stats.add_argument(
        "--all-revisions",
        action="store_true",
        help="count every revision of an article (default: each article once, its latest revision)",
    )
    stats.add_argument(
        "--plot", metavar="PNG", help="also draw articles per day per site into this PNG (needs matplotlib)"
    )
    stats.add_argument(
        "--originals",
        action="store_true",
        help="count only the first published member of each cluster (needs --clusters): each story once",
    )
    stats.add_argument("--clusters", metavar="CLUSTERS", help="a file of `newscrawl clusters`, for --originals")
    stats.add_argument(
        "--index",
        metavar="INDEX",
        help="keep what was read in this file (DuckDB) and, next time, read only the lines added since: "
        "a dataset that grows is summarised at the cost of its new lines (a file rewritten is read again)",
    )
    stats.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    if options.plot and not Path(options.plot).resolve().parent.is_dir():
        print(f"--plot {options.plot}: no such directory {Path(options.plot).resolve().parent}", file=sys.stderr)
        return 2
    if options.originals and not options.clusters:
        print("--originals needs --clusters CLUSTERS (made by newscrawl clusters)", file=sys.stderr)
        return 2
    if options.index and options.originals:
        print("--index summarises the files as they are: it cannot be combined with --originals", file=sys.stderr)
        return 2
    problems = Problems()
    index = Selection(counting.COLUMNS, counting.columns, Path(options.index)) if options.index else None
    records = read_all(options.files, problems, same_schema=True, lean=True, positions=index)
    selection = index or Selection(counting.COLUMNS, counting.columns)
    if options.originals:
        from newscrawl.tools.commands.clusters import clusters_file

        # A later member of a cluster is a copy: each story is counted at its first publication.
        if not clusters_file(options.clusters, selection, without_copies=True):
            selection.close()
            return 2
    # One pass over the lines keeps what a summary counts of each (a few columns) with its key row
    # (newscrawl/tools/selection.py, newscrawl/tools/summary.py): each article's latest line is
    # chosen there, and counted.
    with select(records, selection=selection):
        summary = counting.summarise(selection, options.all_revisions)
    print_problems(problems)
    if not summary.articles:
        print("no articles found", file=sys.stderr)
        return 1
    mixed = problems.kinds["schema"]
    if mixed:
        print(
            f"not summarised: {mixed} line(s) of another schema version; summarise each version apart",
            file=sys.stderr,
        )
        return 1
    data = summary.as_dict()
    if options.json:
        print(json.dumps(data, indent=1, ensure_ascii=False))  # JSON escapes every control character
    else:
        # Sites, sections and dates come from the data: printed as inert text (newscrawl/tools/present.py).
        t = for_terminal
        print(f"articles: {data['articles']} (of which later revisions: {data['laterRevisions']})")
        if data["withdrawn"]:
            print(f"withdrawn: {data['withdrawn']} (the site took them down after they were captured)")
        print(
            f"datePublished: {t(data['datePublished']['min'])} … {t(data['datePublished']['max'])}"
            if data["datePublished"]
            else "datePublished: none"
        )
        print("per site:    " + ", ".join(f"{t(site)} {n}" for site, n in data["perSite"].items()))
        print("per section: " + ", ".join(f"{t(section)} {n}" for section, n in data["perSection"].items()))
        print("per day:")
        for day, sites in data["perDay"].items():
            print(f"  {t(day)}  " + ", ".join(f"{t(site)} {n}" for site, n in sorted(sites.items())))
        print("field coverage: " + ", ".join(f"{name} {share:.0%}" for name, share in data["fieldCoverage"].items()))
    if options.plot:
        try:
            plot_per_day(summary, Path(options.plot))
        except ImportError:
            print("--plot needs matplotlib: pip install 'newscrawl[plot]'", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"--plot {options.plot}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"plot written to {options.plot}", file=sys.stderr)
    return 1 if problems.fatal else 0
