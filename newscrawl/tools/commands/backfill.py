"""`newscrawl backfill WARC… -o DIR`: the registered sites' articles in web archives, one dataset per site.

Reads each WARC file once for every site asked (newscrawl/crawl/backfill.py), through the crawl's
pipeline: DIR/<site>.jsonl and its manifest, as `scrapy crawl` writes them. Every record is
accounted for in DIR/backfill-report.json and on stdout: kept, passed over (and why), or a
problem (and where). An interrupted backfill run again resumes each file where it stopped.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from newscrawl.crawl.warcfile import PROBLEMS

#: names of the files taken from a directory given as an argument
WARC_SUFFIXES = (".warc", ".warc.gz")
REPORT = "backfill-report.json"


def add_to(commands) -> None:
    command = commands.add_parser(
        "backfill",
        help="the registered sites' articles in WARC files (CC-NEWS, other crawlers', ours): one dataset per site",
        description=(
            "Read WARC files (or directories of them) once for every site asked, and write each site's articles "
            "to DIR/<site>.jsonl through the crawl's pipeline (validation, deduplication, revisions, manifest). "
            "Nothing is fetched. Kept: response records of a site's hosts at its article URLs, captured within "
            "--from/--until. Bad records are counted and reported, and the rest is read on. Run again after an "
            "interruption, it resumes each file where it stopped."
        ),
    )
    command.add_argument(
        "warcs", nargs="+", metavar="WARC", help="a WARC file (.warc or .warc.gz) or a directory of them"
    )
    command.add_argument("-o", "--output", required=True, metavar="DIR", help="where the datasets go")
    command.add_argument("--sites", help="the sites, comma-separated (default: every registered site)")
    command.add_argument(
        "--from", dest="since", type=date.fromisoformat, help="first capture day kept (YYYY-MM-DD, Amsterdam)"
    )
    command.add_argument("--until", type=date.fromisoformat, help="last capture day kept (YYYY-MM-DD, Amsterdam)")
    command.add_argument(
        "-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting (as scrapy crawl -s)"
    )
    command.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="read with N processes on this machine (default: the BACKFILL_PROCESSES setting); each keeps the "
        "articles whose key hashes to it and writes DIR/<site>.part-K-of-N.jsonl",
    )
    # One process of a --processes run (set by the parent): "K/N".
    command.add_argument("--shard", help=argparse.SUPPRESS)
    command.set_defaults(handler=run)


def warc_files(arguments: list[str]) -> tuple[list[str], list[str]]:
    """The files to read (a directory: its WARC files, sorted, at any depth) and the arguments that name nothing."""
    files: list[str] = []
    missing: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(WARC_SUFFIXES))
            files.extend(found)
        elif path.is_file():
            files.append(argument)
        else:
            missing.append(argument)
    return list(dict.fromkeys(files)), missing


def backfill_settings(output: Path, pairs: list[str]):
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals:
            raise ValueError(f"-s {pair}: give NAME=VALUE")
        settings.set(name, value, priority="cmdline")
    settings.setdict(
        {
            "DEFAULT_FEED": str(output / "%(name)s.jsonl"),
            "WRITE_DEFAULT_FEED": True,
            # An archive is read, not a site: no robots.txt, no conditional requests or revisits,
            # no links followed, no redirects (a 3xx record is a failure of its URL, counted).
            "ROBOTSTXT_OBEY": False,
            "INCREMENTAL": False,
            "RELATED_DEPTH": 0,
            "REDIRECT_ENABLED": False,
            "HTTPCACHE_ENABLED": False,
            "RECORD_WARC": None,
            "REPLAY_WARC": None,
            "TELNETCONSOLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 64,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 64,
        },
        priority="cmdline",
    )
    settings.set(
        "DOWNLOADER_MIDDLEWARES",
        {**settings.getdict("DOWNLOADER_MIDDLEWARES"), "newscrawl.crawl.backfill.ArchivedRecordMiddleware": 55},
        priority="cmdline",
    )
    return settings


def cluster_work(settings, files: list[str], names: list[str], output: Path):
    """With REDIS_URL: the cluster hands out the files (newscrawl/cluster/backfill.py) and keeps the
    state; the crawl cluster's shared frontier is not used (a record is never a request to share)."""
    from newscrawl.cluster.backfill import RedisWork
    from newscrawl.cluster.redis import connect

    extensions = settings.getdict("EXTENSIONS")
    settings.setdict(
        {
            "SCHEDULER": "scrapy.core.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy.dupefilters.RFPDupeFilter",
            "CLUSTER_RATE_LIMIT": False,
            "EXTENSIONS": {**extensions, "newscrawl.cluster.distributed.Cluster": None},
        },
        priority="cmdline",
    )
    datasets = {name: str((output / f"{name}.jsonl").resolve()) for name in names}
    return RedisWork(connect(settings), settings, files, names, datasets)


def run(options: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess

    from newscrawl.cluster.redis import redis_url
    from newscrawl.crawl.archive import largest_page
    from newscrawl.crawl.backfill import Scan, backfill_spider
    from newscrawl.extract.registry import sites

    registered = sites()
    names = [name.strip() for name in options.sites.split(",") if name.strip()] if options.sites else list(registered)
    unknown = [name for name in names if name not in registered]
    if unknown or not names:
        print(f"--sites: no site {', '.join(unknown)}; registered: {', '.join(registered)}", file=sys.stderr)
        return 2
    files, missing = warc_files(options.warcs)
    if missing:
        print(f"no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    if options.since and options.until and options.since > options.until:
        print("--from is after --until", file=sys.stderr)
        return 2
    output = Path(options.output)
    settings = backfill_settings(output, options.set)
    processes = options.processes or settings.getint("BACKFILL_PROCESSES")
    if processes < 1:
        print("--processes: give 1 or more", file=sys.stderr)
        return 2
    shard = parse_shard(options.shard)
    earlier = earlier_processes(output) - {shard[1] if shard else processes}
    if earlier and not redis_url(settings):
        print(
            f"{output} holds a backfill made with {'/'.join(map(str, sorted(earlier)))} processes: resume it with "
            "the same --processes (another number would read each article in another process, with another "
            "state), or write to another directory",
            file=sys.stderr,
        )
        return 2
    if processes > 1 and not shard and not redis_url(settings):
        return run_processes(options, processes, output)
    suffix = f".part-{shard[0] + 1}-of-{shard[1]}" if shard else ""
    state_dir = output / ".backfill"
    state_dir.mkdir(parents=True, exist_ok=True)
    lock = (state_dir / f"lock{suffix}").open("ab")
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"another backfill is writing {output}; wait for it to finish", file=sys.stderr)
        return 2
    if shard:
        settings.set("DEFAULT_FEED", str(output / f"%(name)s{suffix}.jsonl"), priority="cmdline")
        settings.set("REJECTS_FILE", str(output / f"%(name)s{suffix}.rejects.jsonl"), priority="cmdline")
    scan = Scan(files, {name: registered[name] for name in names}, options.since, options.until, shard=shard)
    if redis_url(settings):
        scan.work = cluster_work(settings, files, names, output)
    scan.max_block = largest_page(settings)
    # Scrapy installs its own root handler (at LOG_LEVEL); the command's own would print every
    # record again, DEBUG included, and format each scraped item for it.
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    process = CrawlerProcess(settings)
    crawlers = []
    for name in names:
        spider = backfill_spider(registered[name], scan)
        # Each site's state apart: one SQLite file per crawler of this process.
        state_db = str(state_dir / f"{name}{suffix}.sqlite3")
        spider.custom_settings = {**(spider.custom_settings or {}), "STATE_DB": state_db}
        crawler = process.create_crawler(spider)
        crawlers.append(crawler)
        process.crawl(crawler)
    process.start()
    report = backfill_report(scan, crawlers, output, suffix)
    write_report(output / REPORT.replace(".json", f"{suffix}.json"), report)
    print_summary(report, output)
    failed = [
        site for site, facts in report["sites"].items() if facts["finishReason"] != "finished" or facts["writeFailed"]
    ]
    return 1 if failed else 0


def earlier_processes(output: Path) -> set[int]:
    """With how many processes the backfill in ``output`` was made (its datasets say), if any."""
    found: set[int] = set()
    for path in output.glob("*.jsonl"):
        if path.name.endswith(".rejects.jsonl"):
            continue
        match = re.fullmatch(r".+\.part-\d+-of-(\d+)\.jsonl", path.name)
        found.add(int(match.group(1)) if match else 1)
    return found


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    k, _, n = value.partition("/")
    return int(k), int(n)


def run_processes(options: argparse.Namespace, processes: int, output: Path) -> int:
    """N processes of this command, each the articles whose key hashes to it (every process
    reads every file: an article's captures, wherever they are, meet in one process, which
    numbers its revisions). Their reports are summed into DIR/backfill-report.json."""
    import subprocess

    argv = ["backfill", *options.warcs, "-o", str(output)]
    for flag, value in (
        ("--sites", options.sites),
        ("--from", options.since),
        ("--until", options.until),
        ("--sites-file", getattr(options, "sites_file", None)),
    ):
        if value:
            argv += [flag, str(value)]
    for pair in options.set:
        argv += ["-s", pair]
    children = [
        subprocess.Popen([sys.executable, "-m", "newscrawl", *argv, "--shard", f"{k}/{processes}"])
        for k in range(processes)
    ]
    statuses = [child.wait() for child in children]
    reports = []
    for k in range(processes):
        path = output / REPORT.replace(".json", f".part-{k + 1}-of-{processes}.json")
        if path.exists():
            reports.append(json.loads(path.read_text("utf-8")))
    combined = combine_reports(reports)
    write_report(output / REPORT, combined)
    print(f"backfill with {processes} processes:")
    print_summary(combined, output)
    return max(statuses)


def combine_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The processes' reports as one: counts summed (every process read every record, so the
    records are counted once, from the first), problems listed once."""
    if not reports:
        return {"files": 0, "records": {}, "problems": [], "problemsListed": 0, "problemReasons": {}, "sites": {}}
    combined = json.loads(json.dumps(reports[0]))
    combined["records"]["kept"] = sum(r["records"].get("kept", 0) for r in reports)
    combined["records"].pop("other_process", None)
    sites: dict[str, Any] = {}
    for report in reports:
        for site, facts in report["sites"].items():
            if site not in sites:
                sites[site] = dict(facts)
                continue
            total = sites[site]
            for key, value in facts.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    total[key] += value
            total["dataset"] = f"{total['dataset']}, {facts['dataset']}"
            if facts["finishReason"] != "finished":
                total["finishReason"] = facts["finishReason"]
            total["writeFailed"] = total["writeFailed"] or facts["writeFailed"]
    combined["sites"] = sites
    return combined


def backfill_report(scan, crawlers, output: Path, suffix: str = "") -> dict[str, Any]:
    per_site: dict[str, Any] = {}
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        per_site[crawler.spider.name if crawler.spider else "?"] = {
            "dataset": str(output / f"{crawler.spider.name}{suffix}.jsonl") if crawler.spider else None,
            "records": stats.get("backfill/records", 0),
            "items": stats.get("item_scraped_count", 0),
            "new": stats.get("dedup/new", 0),
            "revised": stats.get("dedup/revised", 0),
            "unchanged": stats.get("dedup/unchanged", 0),
            "duplicatesDropped": stats.get("dedup/dropped", 0),
            "rejects": stats.get("validation/rejected", 0),
            "notArticles": sum(v for k, v in stats.items() if k.startswith("skipped/") and isinstance(v, int)),
            "failures": sum(v for k, v in stats.items() if k.startswith("failures/") and isinstance(v, int)),
            "finishReason": stats.get("finish_reason"),
            "writeFailed": stats.get("feed/write_failed") or stats.get("manifest/write_failed"),
        }
    counts = dict(sorted(scan.counts.items()))
    return {
        "files": len(scan.files),
        "records": counts,
        "problems": scan.problems,
        "problemsListed": len(scan.problems),
        "problemReasons": {reason: PROBLEMS.get(reason, "") for reason in sorted({p["reason"] for p in scan.problems})},
        "sites": per_site,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    from newscrawl.crawl.durability import write_atomically

    write_atomically(path, json.dumps(report, indent=1, ensure_ascii=False) + "\n")


def print_summary(report: dict[str, Any], output: Path) -> None:
    records = report["records"]
    problems = {key.split("/", 1)[1]: value for key, value in records.items() if key.startswith("problem/")}
    print(
        f"backfill: {report['files']} files, {records.get('records', 0)} records, {records.get('kept', 0)} kept "
        f"| problems: {sum(problems.values())}"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(problems.items()))})" if problems else "")
        + f" | report: {output / REPORT}"
    )
    for facts in report["sites"].values():
        print(
            f"{facts['dataset']}: {facts['items']} lines | new: {facts['new']} | revised: {facts['revised']} "
            f"| unchanged: {facts['unchanged']} | duplicates dropped: {facts['duplicatesDropped']} "
            f"| rejected: {facts['rejects']} | not articles: {facts['notArticles']} | failures: {facts['failures']}"
        )
