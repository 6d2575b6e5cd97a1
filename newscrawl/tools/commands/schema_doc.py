"""`newscrawl schema-doc`: the fields table generated from the schema (docs/fields.md); with
``--export``, the export's columns (docs/export.md)."""

from __future__ import annotations

import argparse
import sys


def add_to(commands) -> None:
    doc = commands.add_parser("schema-doc", help="print the fields table generated from the schema (docs/fields.md)")
    doc.add_argument(
        "--export", action="store_true", help="the columns of newscrawl export instead (docs/export.md; needs pyarrow)"
    )
    doc.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    from newscrawl.tools.schemadoc import render, render_export

    sys.stdout.write(render_export() if options.export else render())
    return 0
