"""`newscrawl check-run MANIFEST…`: exit 1 when a run failed (its verdict, as the manifest says it)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newscrawl.run.verdict import Verdict


def add_to(commands) -> None:
    check = commands.add_parser(
        "check-run",
        help="exit 1 when a run failed: layout change, unaccounted URLs, abnormal finish",
        description="Read run manifests (<feed>.manifest.json) and exit 1 when a run is failed: field coverage under the thresholds or too many fallback extractions (a site redesign), URLs without an outcome, or a finish reason other than 'finished'.",
    )
    check.add_argument("manifests", nargs="+", metavar="MANIFEST")
    check.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    """Exit 1 when a run's manifest says it failed (its verdict: layout change, lost articles, URLs
    without an outcome, a finish reason other than 'finished')."""
    worst = 0
    for path in options.manifests:
        try:
            manifest = json.loads(Path(path).read_text("utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            print(f"{path}: cannot read the manifest: {exc}", file=sys.stderr)
            worst = 2
            continue
        if (
            not isinstance(manifest, dict)
            or "spider" not in manifest
            or not all(isinstance(manifest.get(key, {}), dict) for key in ("counts", "layout", "urls"))
        ):
            print(f"{path}: not a newscrawl run manifest (<feed>.manifest.json)", file=sys.stderr)
            worst = 2
            continue
        problems = list(Verdict.from_manifest(manifest).problems)
        verdict = "FAILED" if problems else "ok"
        print(
            f"{path}: {verdict} ({manifest.get('spider')}, {manifest.get('counts', {}).get('items', 0)} items)"
            + "".join(f"\n  - {p}" for p in problems)
        )
        worst = max(worst, 1 if problems else 0)
    return worst
