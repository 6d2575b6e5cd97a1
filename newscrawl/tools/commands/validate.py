"""`newscrawl validate FILE…`: every line well-formed and valid against the schema?"""

from __future__ import annotations

import argparse

from newscrawl.tools.dataset import (
    Problem,
    check_record,
    read_all,
)
from newscrawl.tools.present import print_problems


def add_to(commands) -> None:
    validate = commands.add_parser(
        "validate",
        help="check that every line is JSON and valid against the schema",
        description="Check JSONL dataset files line by line: JSON well-formedness and schema validity, with file:line and the reason. Exit 0 only when every line of every file is valid.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    problems: list[Problem] = []
    valid = total = 0
    for record in read_all(options.files, problems):
        total += 1
        found = check_record(record)
        problems += found
        valid += not found
    print_problems(problems)
    print(f"{valid} of {total} lines valid in {len(options.files)} file(s); {len(problems)} problem(s)")
    return 0 if not problems and total else 1
