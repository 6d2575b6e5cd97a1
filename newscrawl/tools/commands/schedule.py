"""`newscrawl schedule`: keep scheduling crawls on Scrapyd (Scrapyd has no cron).

A spider is scheduled only when Scrapyd has no pending or running job of it, so a slow crawl is
never overlapped by the next one. Each job writes its own dataset file under ``--data-dir``:
``<data-dir>/<spider>/<spider>-<time>.jsonl`` (plus its stats), all jobs share one dedup state
``<data-dir>/state.sqlite3``, and each job's rejects go to
``<data-dir>/<spider>/rejects/<spider>-<time>.rejects.jsonl``. Before it schedules, each tick
records how the finished jobs ended in ``<data-dir>/runs.jsonl`` (``newscrawl runs`` shows it);
``--record-only`` does only that. Every job it starts is noted in ``<data-dir>/scheduled.jsonl``,
so one Scrapyd forgets (a restart while it ran) is still recorded, as ``lost`` if it left no manifest.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from urllib.error import HTTPError, URLError

from newscrawl.crawl.spiders.arguments import BadArgument, SpiderArgs
from newscrawl.extract.registry import sites
from newscrawl.tools.scheduling import (
    Scheduler,
    UnknownSpiders,
    absolute_paths,
    parse_interval,
    parse_pairs,
    secret_settings,
)
from newscrawl.tools.scrapyd_client import Scrapyd, scrapyd_url


def add_to(commands) -> None:
    schedule = commands.add_parser(
        "schedule",
        help="schedule crawls on Scrapyd, never two jobs of one spider at once",
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schedule.add_argument(
        "spiders",
        nargs="*",
        metavar="SPIDER",
        help=f"spiders to schedule ({', '.join(sites())}; none with --record-only)",
    )
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--every", type=parse_interval, metavar="INTERVAL", help="tick every INTERVAL (30s, 15m, 1h) until stopped"
    )
    when.add_argument("--once", action="store_true", help="one tick, then exit (for systemd timers and cron)")
    when.add_argument(
        "--record-only",
        action="store_true",
        help="record how finished jobs ended in <data-dir>/runs.jsonl (alerting on crashes), schedule nothing",
    )
    schedule.add_argument("--url", default=scrapyd_url(), help="Scrapyd URL (env SCRAPYD_URL, default %(default)s)")
    schedule.add_argument(
        "--username", default=os.environ.get("SCRAPYD_USERNAME"), help="HTTP basic auth user (env SCRAPYD_USERNAME)"
    )
    schedule.add_argument(
        "--password", default=os.environ.get("SCRAPYD_PASSWORD"), help="HTTP basic auth password (env SCRAPYD_PASSWORD)"
    )
    schedule.add_argument(
        "--adaptive",
        metavar="LEAST:MOST",
        help=(
            "follow each site's publication rate: between two runs of a spider at least LEAST and at most MOST "
            "(e.g. 15m:6h), so that a run finds about --adaptive-target new articles; learned from its runs of "
            "the last day in <data-dir>/runs.jsonl. --every is then how often it looks (at most LEAST)"
        ),
    )
    schedule.add_argument(
        "--adaptive-target", type=float, default=3.0, metavar="N", help="new articles a run should find (default 3)"
    )
    schedule.add_argument("--project", default="newscrawl", help="Scrapyd project name (default: newscrawl)")
    schedule.add_argument(
        "--data-dir",
        default=os.environ.get("NEWSCRAWL_DATA_DIR"),
        help="where datasets, stats, rejects and the dedup state go (env NEWSCRAWL_DATA_DIR)",
    )
    schedule.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="[SPIDER:]NAME=VALUE",
        help="a Scrapy setting for every job, or with SPIDER: for that spider's jobs only (repeatable); relative paths "
        "in file settings (REPLAY_WARC, STATE_DB, …) are taken from where this command runs",
    )
    schedule.add_argument(
        "--max-pending",
        type=parse_interval,
        default=3600.0,
        metavar="INTERVAL",
        help="report and alert a job Scrapyd keeps pending longer than this (default 1h)",
    )
    schedule.add_argument(
        "--max-running",
        type=parse_interval,
        default=6 * 3600.0,
        metavar="INTERVAL",
        help="report and alert a job running longer than this: a hung crawl (default 6h)",
    )
    schedule.add_argument(
        "--arg", action="append", default=[], metavar="NAME=VALUE", help="a spider argument for every job (repeatable)"
    )
    schedule.set_defaults(handler=run)


def run(options: argparse.Namespace) -> int:
    if options.record_only and not options.data_dir:
        print("newscrawl schedule: --record-only needs --data-dir (or NEWSCRAWL_DATA_DIR)", file=sys.stderr)
        return 2
    if not options.record_only and not options.spiders:
        print("newscrawl schedule: name the spiders to schedule", file=sys.stderr)
        return 2
    secrets = secret_settings(parse_pairs(options.setting, "--setting"))
    if secrets:
        print(
            f"newscrawl schedule: --setting {', '.join(secrets)}: a secret would be shown in Scrapyd's job list and in ps; "
            "give it to Scrapyd in the environment (e.g. NEWSCRAWL_ALERT_WEBHOOK_URL) or as a file (ALERT_WEBHOOK_URL_FILE=…)",
            file=sys.stderr,
        )
        return 2
    try:
        SpiderArgs.parse(dict(parse_pairs(options.arg, "--arg")))
    except BadArgument as exc:
        print(f"newscrawl schedule: --arg: {exc}", file=sys.stderr)
        return 2
    adaptive = None
    if options.adaptive:
        try:
            least, most = (parse_interval(part) for part in options.adaptive.split(":", 1))
        except (ValueError, argparse.ArgumentTypeError):
            print(f"newscrawl schedule: --adaptive {options.adaptive!r}: give LEAST:MOST, like 15m:6h", file=sys.stderr)
            return 2
        if not options.data_dir or least > most or (options.every and options.every > least):
            print(
                "newscrawl schedule: --adaptive needs --data-dir (the run log it learns from), LEAST <= MOST, "
                "and --every no longer than LEAST",
                file=sys.stderr,
            )
            return 2
        adaptive = (float(least), float(most))
    scrapyd = Scrapyd(options.url, options.username, options.password)
    scheduler = Scheduler(
        scrapyd,
        options.project,
        options.spiders,
        Path(options.data_dir) if options.data_dir else None,
        [(name, absolute_paths(name, value)) for name, value in parse_pairs(options.setting, "--setting")],
        parse_pairs(options.arg, "--arg"),
        max_pending=options.max_pending,
        max_running=options.max_running,
        adaptive=adaptive,
        adaptive_target=options.adaptive_target,
    )
    if options.record_only:
        try:
            entries = scheduler.record()
        except (HTTPError, URLError, RuntimeError, OSError) as exc:
            logging.getLogger("newscrawl.schedule").error("Scrapyd at %s: %s", options.url, exc)
            return 1
        print(json.dumps({entry["job"]: entry["status"] for entry in entries}), flush=True)
        return 0
    while True:
        try:
            outcome = scheduler.tick()
            print(json.dumps(outcome), flush=True)
        except UnknownSpiders as exc:
            print(f"newscrawl schedule: {exc}", file=sys.stderr)
            return 2
        except (HTTPError, URLError, RuntimeError, OSError) as exc:
            # A Scrapyd restart or a network blip must not end a long-running scheduler.
            logging.getLogger("newscrawl.schedule").error("Scrapyd at %s: %s", options.url, exc)
            if options.once:
                return 1
        if options.once:
            return 0
        time.sleep(options.every)
