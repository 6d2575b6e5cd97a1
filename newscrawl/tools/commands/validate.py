"""`newscrawl validate FILE…`: every line well-formed and valid against the schema?"""

from __future__ import annotations

import argparse
from collections import Counter

from newscrawl.extract.declared import SITE_NAME
from newscrawl.extract.registry import sites
from newscrawl.tools.dataset import (
    Problems,
    check_record,
    read_all,
)
from newscrawl.tools.present import for_terminal, print_problems


def add_to(commands) -> None:
    validate = commands.add_parser(
        "validate",
        help="check that every line is JSON and valid against the schema",
        description="Check JSONL dataset files line by line: JSON well-formedness and schema validity, with file:line and the reason. Exit 0 only when every line of every file is valid.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    problems = Problems()
    valid = total = 0
    registered = set(sites())
    # A site this installation does not know (declared in a TOML file not given here) is checked as
    # stats, merge and export take it: by the published schema, whose `site` is any well-formed name.
    unregistered: Counter[str] = Counter()
    for record in read_all(options.files, problems):
        total += 1
        site = record.item.get("site")
        if isinstance(site, str) and site not in registered and SITE_NAME.match(site):
            unregistered[site] += 1
        found = check_record(record, frozenset(unregistered))
        problems.extend(found)
        valid += not found
    print_problems(problems)
    for site, lines in sorted(unregistered.items()):
        print(
            f"note: site {for_terminal(site)} ({lines} line(s)) is not registered here: checked against the "
            "published schema; give its declaration (--sites-file TOML) to check the name too"
        )
    print(f"{valid} of {total} lines valid in {len(options.files)} file(s); {len(problems)} problem(s)")
    return 0 if not problems and total else 1
