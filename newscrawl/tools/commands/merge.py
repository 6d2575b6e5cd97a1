"""`newscrawl merge FILE… -o OUT`: one dataset, the latest revision of each article."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newscrawl.tools.dataset import Problems, read_all, write_jsonl
from newscrawl.tools.present import print_problems
from newscrawl.tools.selection import ChangedWhileRead, merged, select


def add_to(commands) -> None:
    merge_cmd = commands.add_parser(
        "merge",
        help="one dataset from many runs: the latest revision of each article",
        description="Merge JSONL dataset files into one: the latest revision of each article (or all revisions), ordered by datePublished, then site and articleId. A torn final line (a crash mid-write) is dropped and reported; any other unreadable line stops the merge. The output is written atomically.",
    )
    merge_cmd.add_argument("files", nargs="+", metavar="FILE")
    merge_cmd.add_argument("-o", "--output", required=True, metavar="OUT", help="the merged JSONL file")
    merge_cmd.add_argument("--all-revisions", action="store_true", help="keep every revision, not only the latest")
    merge_cmd.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    if Path(options.output).is_dir():
        print(f"-o {options.output}: is a directory; give the merged file's name", file=sys.stderr)
        return 2
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
        torn, fatal = problems.kinds["torn"], problems.fatal
        invalid = Problems()
        try:
            if fatal:  # nothing is written; the chosen lines are still checked, to say all that is wrong at once
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
    print_problems(problems, invalid)
    if fatal:
        print(f"not merged: {fatal} unreadable line(s) or file(s); nothing written", file=sys.stderr)
        return 1
    if invalid:
        # One verdict: a merged dataset is one `newscrawl validate` accepts, line for line.
        lines_wrong = invalid.lines
        print(
            f"not merged: {lines_wrong} line(s) newscrawl validate rejects would be the merged ones; nothing written",
            file=sys.stderr,
        )
        return 1
    print(
        f"{count} articles from {lines} lines in {len(options.files)} file(s) → {options.output}"
        + (f" ({torn} torn final line(s) dropped)" if torn else "")
    )
    return 0
