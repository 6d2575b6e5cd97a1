"""`newscrawl runs DATA_DIR [--html R.html]`: every scheduled job's outcome, from the run log (and as a page)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newscrawl.tools.present import for_terminal, number
from newscrawl.tools.runlog import RunLog
from newscrawl.tools.runsreport import in_time_order, manifest_of, recent, zero_items
from newscrawl.tools.scheduling import parse_interval


def add_to(commands) -> None:
    runs = commands.add_parser(
        "runs",
        help="every scheduled job's outcome (the run log of a data directory)",
        description="Print <data-dir>/runs.jsonl, written by `newscrawl schedule --data-dir`: one row per finished "
        "Scrapyd job with its status, items, new and revised articles, failures, rejects and problems. "
        "Jobs in the order they ended, of the last 30 days unless --since, --last or --all say otherwise; only "
        "as much of the end of the run log is read as the window needs. "
        "Exit 1 when the latest job of any spider in the window failed.",
    )
    runs.add_argument("data_dir", metavar="DATA_DIR")
    runs.add_argument(
        "--html",
        metavar="REPORT",
        help="also write the runs as one self-contained HTML page (a table, charts per site)",
    )
    runs.add_argument(
        "--since",
        metavar="WHEN",
        type=since_time,
        help="only jobs that ended since WHEN: an ISO date or time (2025-04-01, 2025-04-01T09:00+02:00; UTC "
        "without a zone) or a time back from now (36h, 7d)",
    )
    runs.add_argument("--last", metavar="N", type=positive, help="only the N jobs that ended last")
    runs.add_argument("--all", action="store_true", help="every job the run log holds (it grows by a line a job)")
    runs.set_defaults(handler=run)


#: the window `newscrawl runs` shows when asked for none: a month of jobs (about 8,600 at three
#: spiders every quarter of an hour), not the years the log holds
DEFAULT_DAYS = 30


def since_time(text: str) -> datetime:
    """--since: an ISO date or time (UTC when it names no zone), or a span back from now (7d, 36h)."""
    try:
        return datetime.now(UTC) - timedelta(seconds=parse_interval(text))
    except argparse.ArgumentTypeError:
        pass
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"an ISO date or time (2025-04-01T09:00) or a span (7d, 36h), not {text!r}"
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"a number of jobs (1 or more), not {text!r}")
    return int(text)


def run(options: argparse.Namespace) -> int:
    """Every logged job of a data directory, as a table; exit 1 when the latest job of any spider failed."""
    log = RunLog(Path(options.data_dir))
    if not log.path.exists():
        print(
            f"{log.path}: no run log yet (newscrawl schedule --data-dir {options.data_dir} writes it)", file=sys.stderr
        )
        return 2
    since = options.since
    if since is None and options.last is None and not options.all:
        since = datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
    everything = log.window(since, options.last)
    for problem in log.problems():
        print(for_terminal(problem), file=sys.stderr)
    entries = recent(everything, since, options.last)
    print(
        f"{'end':<26} {'spider':<8} {'job':<34} {'status':<7} {'items':>6} {'new':>5} {'rev':>4} {'fail':>5} {'rej':>4}  problems"
    )
    if options.html:
        from newscrawl.tools.runsreport import render

        try:
            Path(options.html).write_text(render(entries), encoding="utf-8")
        except OSError as exc:
            print(f"--html {options.html}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"report written to {options.html}", file=sys.stderr)
    latest = {str(entry.get("spider")): entry for entry in in_time_order(everything)}
    seen: dict[str, list[dict]] = {}
    for entry in entries:
        # Every value from the run log or Scrapyd as inert text: no escape sequence reaches the terminal.
        def cell(name: str, entry: dict = entry) -> str:
            return for_terminal(entry.get(name, 0) if name != "end" else str(entry.get("end"))[:26])

        problems = entry.get("problems")
        problems = "; ".join(map(str, problems)) if isinstance(problems, list) else str(problems or "")
        before = seen.setdefault(str(entry.get("spider")), [])
        if number(entry.get("items")) == 0 and not problems:  # "nothing new" is not "dropped to 0"
            problems = zero_items(entry, manifest_of(entry)[0], before)
        before.append(entry)
        print(
            f"{cell('end'):<26} {cell('spider'):<8} {cell('job'):<34} "
            f"{'FAILED' if entry.get('status') != 'ok' else 'ok':<7} {cell('items'):>6} {cell('new'):>5} "
            f"{cell('revised'):>4} {cell('failures'):>5} {cell('rejects'):>4}  {for_terminal(problems[:120])}"
        )
        if entry.get("logUrl"):  # a crash: why it ended, and where the whole log is
            for line in entry.get("logTail") or []:
                print(f"    {for_terminal(line)}")
            print(f"    log: {for_terminal(entry['logUrl'])}")
    return 1 if any(entry.get("status") != "ok" for entry in latest.values()) else 0
