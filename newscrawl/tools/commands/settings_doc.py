"""`newscrawl settings-doc`: the settings reference generated from newscrawl/settings.py (docs/settings.md)."""

from __future__ import annotations

import argparse
import sys


def add_to(commands) -> None:
    doc = commands.add_parser(
        "settings-doc", help="print the settings reference generated from the settings module (docs/settings.md)"
    )
    doc.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    from newscrawl.tools.settingsdoc import render

    sys.stdout.write(render())
    return 0
