"""`newscrawl export FILE… -o OUT.parquet`: typed Parquet (or .csv) for pandas, DuckDB, Polars."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newscrawl.tools.dataset import Problems, read_all
from newscrawl.tools.present import print_problems
from newscrawl.tools.selection import ChangedWhileRead, Selection, merged, select


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
    from newscrawl.tools.export import row, write_csv, write_parquet

    out = Path(options.output)
    writer = {".parquet": write_parquet, ".csv": write_csv}.get(out.suffix.lower())
    if writer is None:
        print(f"-o {options.output}: give a .parquet or .csv file", file=sys.stderr)
        return 2
    if out.is_dir() or not out.resolve().parent.is_dir():
        print(f"-o {options.output}: not a file in an existing directory", file=sys.stderr)
        return 2
    selection = Selection()
    if options.clusters:
        from newscrawl.tools.commands.clusters import clusters_file

        if not clusters_file(options.clusters, selection):
            selection.close()
            return 2
    problems = Problems()
    with select(read_all(options.files, problems, same_schema=True, lean=True), selection=selection):
        # A date no tool can place in time is the line's problem (validate says the same), not a
        # crash of the export: the file written so far is then discarded, as it is after an
        # unreadable line (the chosen lines are still checked, to say all that is wrong at once).
        # Each line's dates are placed in time once, as its row is made (export.row).
        def make_row(item: dict, *cluster: str | None) -> dict:
            values = row(item)
            if cluster:  # an article in no cluster of two or more is a cluster of its own
                values["clusterId"] = cluster[0] or f"{item.get('site')}:{item.get('articleId')}"
            return values

        found = Problems()
        rows = merged(selection, options.all_revisions, found, check=None, ordered=False, convert=make_row)
        clustered = bool(options.clusters)
        try:
            if problems.fatal:
                for _ in rows:
                    pass
            else:
                count = (
                    write_csv(rows, out, raw=options.csv_raw, clustered=clustered, refused=found)
                    if writer is write_csv
                    else write_parquet(rows, out, clustered=clustered, refused=found)
                )
        except ChangedWhileRead as exc:
            print(f"not exported: {exc}; nothing written", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"-o {options.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return 1
    print_problems(problems, found)
    if problems.fatal or found:
        return _not_exported(problems.fatal + found.fatal)
    print(f"{count} articles → {options.output}")
    return 0


def _not_exported(fatal: int) -> int:
    print(
        f"not exported: {fatal} line(s) or file(s) it cannot read or write (unreadable, another schema version, a date outside time); nothing written",
        file=sys.stderr,
    )
    return 1
