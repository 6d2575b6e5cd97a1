"""`newscrawl coverage DATA… [--state S] [--site S] [--since WHEN] [--json]`: the coverage ledger."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path

from newscrawl.state import state_db
from newscrawl.tools.dataset import Problems, read_all
from newscrawl.tools.present import for_terminal, print_problems


def add_to(commands) -> None:
    coverage = commands.add_parser(
        "coverage",
        help="per site and day: listed, captured, missing and why, versions, revisits, 304s, latency",
        description=(
            "The coverage ledger: per site and day (Amsterdam), the articles the site listed and those the "
            "datasets hold, the missing ones by reason (not fetched yet, failed: reason, skipped: reason), "
            "versions and withdrawals, requests, revisits and 304s, and the latency from datePublished to "
            "first capture (p50, p95). From the crawl state (STATE_DB) and the datasets."
        ),
    )
    coverage.add_argument("files", nargs="+", metavar="DATA", help="the site's dataset files (JSONL)")
    coverage.add_argument("--state", metavar="SQLITE", help="the crawl state (default: the STATE_DB setting)")
    coverage.add_argument("--site", help="only this site")
    coverage.add_argument("--since", metavar="WHEN", help="only days from this one: YYYY-MM-DD, or Nd (N days back)")
    coverage.add_argument("--json", action="store_true", help="print the rows as JSON")
    coverage.set_defaults(handler=run)


def _since(text: str | None) -> date | None:
    if not text:
        return None
    if text.endswith("d") and text[:-1].isdigit():
        return date.today() - timedelta(days=int(text[:-1]))
    return date.fromisoformat(text[:10])


def run(options: argparse.Namespace) -> int:
    from newscrawl.tools.coverage import ledger

    try:
        since = _since(options.since)
    except ValueError:
        print(f"--since {for_terminal(options.since)}: not a day (YYYY-MM-DD) nor Nd", file=sys.stderr)
        return 2
    if options.state:
        state = Path(options.state)
    else:
        from scrapy.utils.project import get_project_settings

        state = Path(state_db(get_project_settings()))
    if not state.is_file():
        print(f"no crawl state at {state}: give --state (the STATE_DB of the crawls)", file=sys.stderr)
        return 2
    problems = Problems()
    rows = ledger(state, read_all(options.files, problems), options.site, since)
    print_problems(problems)
    if options.json:
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0 if rows else 1
    t = for_terminal
    print(
        "site  day         listed captured previews missing versions withdrawn revisits 304s  latency p50/p95 (min)  missing by reason"
    )
    for row in rows:
        latency = row["latencyMinutes"]
        print(
            f"{t(row['site']):5} {row['day']:11} {row['listed']:6} {row['captured']:8} {row['previewOnly']:8} {row['missing']:7} "
            f"{row['versions']:8} {row['withdrawn']:9} {row['revisits']:8} {row['notModified']:5} "
            f"{latency['p50'] if latency['p50'] is not None else '-':>7}/{latency['p95'] if latency['p95'] is not None else '-':<7}        "
            + ", ".join(f"{t(reason)} {n}" for reason, n in row["missingBy"].items())
        )
    return 0 if rows else 1
