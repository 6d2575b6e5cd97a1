"""`newscrawl schema-doc`: the fields table generated from the schema (docs/fields.md)."""

from __future__ import annotations

import argparse
import sys


def add_to(commands) -> None:
    doc = commands.add_parser("schema-doc", help="print the fields table generated from the schema (docs/fields.md)")
    doc.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    from newscrawl.tools.schemadoc import render

    sys.stdout.write(render())
    return 0
