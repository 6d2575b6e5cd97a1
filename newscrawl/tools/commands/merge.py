"""`newscrawl merge FILE… -o OUT` (or `--into MERGED`): one dataset, the latest revision of each article."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newscrawl.tools.dataset import Problems, read_all, write_jsonl
from newscrawl.tools.into import merge_into
from newscrawl.tools.present import print_problems
from newscrawl.tools.selection import ChangedWhileRead, merged, select


def add_to(commands) -> None:
    merge_cmd = commands.add_parser(
        "merge",
        help="one dataset from many runs: the latest revision of each article",
        description="Merge JSONL dataset files into one: the latest revision of each article (or all revisions), ordered by datePublished, then site and articleId. A torn final line (a crash mid-write) is dropped and reported; any other unreadable line stops the merge. The output is written atomically. With --into, the merged file is kept up to date: each run reads only the lines added to the inputs since the last, not the merged file's own.",
    )
    merge_cmd.add_argument("files", nargs="+", metavar="FILE")
    out = merge_cmd.add_mutually_exclusive_group(required=True)
    out.add_argument("-o", "--output", metavar="OUT", help="the merged JSONL file")
    out.add_argument(
        "--into",
        metavar="MERGED",
        help="merge into this merged file (made if missing): the result is that of merging MERGED and the FILEs, "
        "but MERGED's lines are not read again, nor the FILEs' lines read by an earlier run (an index beside it, "
        "MERGED.index.duckdb, remembers them)",
    )
    merge_cmd.add_argument("--all-revisions", action="store_true", help="keep every revision, not only the latest")
    merge_cmd.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    target = options.into or options.output
    if Path(target).is_dir():
        print(
            f"{'--into' if options.into else '-o'} {target}: is a directory; give the merged file's name",
            file=sys.stderr,
        )
        return 2
    if options.into:
        return _into(options)
    problems = Problems()
    lines = 0

    def counted(records):
        nonlocal lines
        for record in records:
            lines += 1
            yield record

    # Two passes in bounded memory: a key row of each line (newscrawl/tools/selection.py), then
    # the chosen lines read again in the merged order and written as they come.
    with select(counted(read_all(options.files, problems, same_schema=True, lean=True))) as selection:
        invalid = Problems()
        try:
            if problems.fatal:
                # nothing is written; the chosen lines are still checked, to say all that is wrong at once
                for _ in merged(selection, options.all_revisions, invalid):
                    pass
            else:
                count = write_jsonl(merged(selection, options.all_revisions, invalid), Path(options.output), invalid)
        except ChangedWhileRead as exc:
            print(f"not merged: {exc}; nothing written", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"-o {options.output}: cannot write: {exc.strerror or exc}; nothing written", file=sys.stderr)
            return 1
    if _refused(problems, invalid):
        return 1
    torn = problems.kinds["torn"]
    print(
        f"{count} articles from {lines} lines in {len(options.files)} file(s) → {options.output}"
        + (f" ({torn} torn final line(s) dropped)" if torn else "")
    )
    return 0


def _into(options: argparse.Namespace) -> int:
    into = Path(options.into)
    if any(Path(name).resolve() == into.resolve() for name in options.files):
        print(f"--into {into}: is one of the FILEs; it is merged into, not from", file=sys.stderr)
        return 2
    problems = Problems()
    try:
        outcome = merge_into(options.files, into, options.all_revisions, problems)
    except ChangedWhileRead as exc:
        print(f"not merged: {exc}; nothing written", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"--into {into}: cannot write: {exc.strerror or exc}; nothing written", file=sys.stderr)
        return 1
    if _refused(problems, outcome.invalid or Problems()):
        return 1
    torn = problems.kinds["torn"]
    kept = (
        f"{outcome.kept} lines of {into} not read again" if not outcome.whole else f"{into} read whole: {outcome.whole}"
    )
    print(
        f"{outcome.written} articles → {into}: {outcome.read} lines read in {len(options.files)} file(s), {kept}"
        + (f" ({torn} torn final line(s) dropped)" if torn else "")
    )
    return 0


def _refused(problems: Problems, invalid: Problems) -> bool:
    """Say what was wrong; True when nothing was written for it."""
    print_problems(problems, invalid)
    if problems.fatal:
        print(f"not merged: {problems.fatal} unreadable line(s) or file(s); nothing written", file=sys.stderr)
        return True
    if invalid:
        # One verdict: a merged dataset is one `newscrawl validate` accepts, line for line.
        print(
            f"not merged: {invalid.lines} line(s) newscrawl validate rejects would be the merged ones; nothing written",
            file=sys.stderr,
        )
        return True
    return False
