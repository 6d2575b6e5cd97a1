"""`newscrawl export FILE… -o OUT.parquet`: typed Parquet (or .csv) for pandas, DuckDB, Polars."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newscrawl.tools.dataset import Problem, date_check, read_all
from newscrawl.tools.present import print_problems
from newscrawl.tools.selection import ChangedWhileRead, merged, select


def add_to(commands) -> None:
    export = commands.add_parser(
        "export",
        help="typed Parquet or CSV: articleId a string, times with their zone, nested fields kept",
        description="Export JSONL datasets as Parquet (-o out.parquet: lists and structs, timestamps with the Europe/Amsterdam zone, "
        "publishedDate the local day) or CSV (-o out.csv: nested fields as JSON text). The latest revision of each article, "
        "or every revision with --all-revisions.",
    )
    export.add_argument("files", nargs="+", metavar="FILE")
    export.add_argument("-o", "--output", required=True, metavar="OUT", help="out.parquet or out.csv")
    export.add_argument("--all-revisions", action="store_true", help="keep every revision, not only the latest")
    export.add_argument(
        "--csv-raw",
        action="store_true",
        help="CSV cells exactly as in the data; by default a cell starting with =, +, -, @, tab or CR gets a leading ' "
        "so that spreadsheets do not run it as a formula",
    )
    export.add_argument(
        "--clusters",
        metavar="CLUSTERS",
        help="add a clusterId column from this file of `newscrawl clusters` (an article in no cluster of two or "
        "more has its own site:articleId)",
    )
    export.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    """Typed Parquet or CSV (by the extension of -o): the latest revision of each article, or every revision."""
    from newscrawl.tools.export import write_csv, write_parquet

    out = Path(options.output)
    writer = {".parquet": write_parquet, ".csv": write_csv}.get(out.suffix.lower())
    if writer is None:
        print(f"-o {options.output}: give a .parquet or .csv file", file=sys.stderr)
        return 2
    if out.is_dir() or not out.resolve().parent.is_dir():
        print(f"-o {options.output}: not a file in an existing directory", file=sys.stderr)
        return 2
    cluster_of = None
    if options.clusters:
        from newscrawl.tools.clusters import own_key
        from newscrawl.tools.commands.clusters import clusters_file

        known = clusters_file(options.clusters)
        if known is None:
            return 2

        def cluster_of(item: dict) -> str:
            found = known.get((item.get("site"), item.get("articleId")))  # type: ignore[arg-type]
            return found[0] if found else own_key(item)

    problems: list[Problem] = []
    with select(read_all(options.files, problems, same_schema=True, lean=True)) as selection:
        # A date no tool can place in time is the line's problem (validate says the same), not a
        # crash of the export: the file written so far is then discarded, as it is after an
        # unreadable line (the chosen lines are still checked, to say all that is wrong at once).
        found: list[Problem] = [p for p in problems if p.fatal]
        items = merged(selection, options.all_revisions, found, date_check, ordered=False)
        try:
            count = (
                write_csv(items, out, raw=options.csv_raw, cluster_of=cluster_of, refused=found)
                if writer is write_csv
                else write_parquet(items, out, cluster_of=cluster_of, refused=found)
            )
        except ChangedWhileRead as exc:
            print(f"not exported: {exc}; nothing written", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"-o {options.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return 1
    print_problems(problems + [p for p in found if p not in problems])
    if found:
        return _not_exported([p for p in found if p.fatal])
    print(f"{count} articles → {options.output}")
    return 0


def _not_exported(fatal: list[Problem]) -> int:
    print(
        f"not exported: {len(fatal)} line(s) or file(s) it cannot read or write (unreadable, another schema version, a date outside time); nothing written",
        file=sys.stderr,
    )
    return 1
