"""The `newscrawl` command (also `python -m newscrawl`).

    newscrawl schedule --every 15m nu wnl     keep scheduling crawls on Scrapyd (Scrapyd has no cron)
    newscrawl schedule --once nu              one tick: for a systemd timer or a cron line
    newscrawl validate FILE…                  every line well-formed and valid against the schema?
    newscrawl stats FILE… [--plot out.png]    counts per site, section and day; coverage; date range
    newscrawl merge FILE… -o OUT              one dataset: the latest revision of each article
    newscrawl export FILE… -o OUT.parquet     typed Parquet (or .csv) for pandas, DuckDB, Polars
    newscrawl check-run MANIFEST…             exit 1 when a run failed (layout change, unaccounted URLs)
    newscrawl schema-doc                      the fields table generated from the schema
    newscrawl sites                           the registered sites (one per line: name, host, title)
    newscrawl runs DATA_DIR [--html R.html]   every scheduled job's outcome, from the run log (and as a page)

A spider is scheduled only when Scrapyd has no pending or running job of it, so a slow crawl is
never overlapped by the next one. Each job writes its own dataset file under ``--data-dir``:
``<data-dir>/<spider>/<spider>-<time>.jsonl`` (plus its stats), all jobs share one dedup state
``<data-dir>/state.sqlite3``, and rejects go to ``<data-dir>/<spider>/rejects.jsonl``.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from newscrawl.run.verdict import Verdict
from newscrawl.sites.registry import sites
from newscrawl.tools.dataset import (
    Problem,
    article_key,
    check_record,
    latest_lines,
    merge,
    other_schema_version,
    plot_per_day,
    read_records,
    summarise,
    write_jsonl,
)
from newscrawl.tools.present import as_dict, for_terminal, number, read_manifest, safe_name

logger = logging.getLogger("newscrawl.schedule")

_INTERVAL = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> int:
    """ "15m" → 900 seconds."""
    match = _INTERVAL.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"interval like 30s, 15m, 1h or 1d, not {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        if "=" not in value:
            raise SystemExit(f"error: {what} must be NAME=VALUE, got {value!r}")
        name, _, rest = value.partition("=")
        pairs.append((name, rest))
    return pairs


# Settings that name files: Scrapyd runs jobs in its own directory, so a relative path would mean
# something else there; they are made absolute against where `newscrawl schedule` was run.
PATH_SETTINGS = frozenset(
    {
        "REPLAY_WARC",
        "RECORD_WARC",
        "STATE_DB",
        "STATS_FILE",
        "REJECTS_FILE",
        "DEFAULT_FEED",
        "HEALTH_SAMPLES_DIR",
        "JOBDIR",
    }
)


def absolute_paths(name: str, value: str) -> str:
    """A path setting's relative paths made absolute (each of a comma list, as REPLAY_WARC takes)."""
    if name.rpartition(":")[2] not in PATH_SETTINGS or "://" in value:
        return value
    return ",".join(
        str(Path(part).expanduser().absolute()) if part and not Path(part).expanduser().is_absolute() else part
        for part in value.split(",")
    )


@dataclass
class Scrapyd:
    """The few Scrapyd JSON endpoints the scheduler needs, with HTTP basic auth."""

    url: str
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0

    def _request(self, endpoint: str, data: list[tuple[str, str]] | None = None, query: dict | None = None) -> dict:
        url = f"{self.url.rstrip('/')}/{endpoint}"
        if query:
            url += "?" + urlencode(query)
        body = urlencode(data).encode() if data is not None else None
        request = Request(url, data=body)
        if self.username:
            token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with urlopen(request, timeout=self.timeout) as response:
            answer = json.loads(response.read().decode("utf-8"))
        if answer.get("status") != "ok":
            raise RuntimeError(f"Scrapyd {endpoint}: {answer.get('message', answer)}")
        return answer

    def spiders(self, project: str) -> list[str]:
        return self._request("listspiders.json", query={"project": project})["spiders"]

    def finished_jobs(self, project: str) -> list[dict]:
        """Jobs Scrapyd ran to an end (it keeps the last ``finished_to_keep``): id, spider, start_time, end_time, log_url."""
        return self._request("listjobs.json", query={"project": project}).get("finished", [])

    def active_jobs(self, project: str) -> list[dict]:
        """Pending and running jobs: id, spider and state ("pending" or "running")."""
        jobs = self._request("listjobs.json", query={"project": project})
        return [
            {"id": job.get("id"), "spider": job.get("spider"), "state": state}
            for state in ("pending", "running")
            for job in jobs.get(state, [])
            if isinstance(job, dict)
        ]

    def schedule(self, project: str, spider: str, settings: list[tuple[str, str]], args: list[tuple[str, str]]) -> str:
        data = [("project", project), ("spider", spider)]
        data += [("setting", f"{name}={value}") for name, value in settings]
        data += args
        return self._request("schedule.json", data=data)["jobid"]


class RunLog:
    """``<data-dir>/runs.jsonl``: one line per finished Scrapyd job, appended once, from its manifest.

    A job that ended without a manifest (it crashed before its feed closed: a bad setting, a
    missing archive, a kill) gets a stub manifest with ``status: failed`` and the reason, so every
    job's outcome is on disk.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.path = data_dir / "runs.jsonl"

    def entries(self) -> list[dict]:
        """The logged jobs, oldest first (a line that is not a JSON object is passed over)."""
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text("utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def logged(self) -> set[str]:
        return {str(entry.get("job")) for entry in self.entries() if entry.get("job") is not None}

    def manifests_by_job(self) -> dict[str, Path]:
        found = {}
        for path in self.data_dir.glob("*/*.manifest.json"):
            manifest, _ = read_manifest(path)
            job = manifest.get("job")
            if isinstance(job, str) and job:
                found[job] = path
        return found

    def record(self, finished: list[dict]) -> list[dict]:
        """Log the finished jobs not logged yet; returns the new entries."""
        done = self.logged()
        new = [job for job in finished if job.get("id") and job["id"] not in done]
        if not new:
            return []
        manifests = self.manifests_by_job()
        entries = []
        for job in new:
            entry = {
                "job": job["id"],
                "spider": job.get("spider"),
                "start": job.get("start_time"),
                "end": job.get("end_time"),
            }
            if not safe_name(job["id"]) or not safe_name(job.get("spider")):
                # Scrapyd takes a job id from whoever schedules: it never names a file of ours unchecked.
                logger.error(
                    "Scrapyd job %s of spider %s: not a safe file name; recorded as failed, no stub written",
                    for_terminal(repr(job["id"])),
                    for_terminal(repr(job.get("spider"))),
                )
                entries.append(
                    {
                        **entry,
                        "status": "failed",
                        "finishReason": None,
                        "items": 0,
                        "new": 0,
                        "revised": 0,
                        "failures": 0,
                        "rejects": 0,
                        "problems": ["job id or spider name is not a safe file name"],
                        "manifest": None,
                    }
                )
                continue
            path = manifests.get(job["id"]) or self.crash_stub(job)
            manifest, wrong = read_manifest(path)
            if wrong:
                logger.error("Job %s: %s (%s): recorded as failed", job["id"], wrong, path)
            counts = as_dict(manifest.get("counts"))
            verdict = Verdict.from_manifest(manifest)
            entries.append(
                {
                    **entry,
                    "status": "failed" if wrong or verdict.failed else "ok",
                    "finishReason": manifest.get("finishReason"),
                    **{
                        name: number(counts.get(name)) or 0
                        for name in ("items", "new", "revised", "failures", "rejects")
                    },
                    "problems": [wrong] if wrong else list(verdict.problems),
                    "manifest": str(path),
                }
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as stream:
            for entry in entries:
                stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entries

    def crash_stub(self, job: dict) -> Path:
        reason = f"the job ended without a manifest (it crashed before its feed was closed); Scrapyd's log: {job.get('log_url')}"
        stub = {
            "spider": job.get("spider"),
            "job": job["id"],
            "startTime": job.get("start_time"),
            "finishTime": job.get("end_time"),
            "finishReason": "crashed",
            "status": "failed",
            "counts": {},
            "layout": {"status": "failed", "problems": [reason]},
        }
        path = self.data_dir / str(job.get("spider")) / f"{job.get('spider')}-{job['id']}.crashed.manifest.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stub, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def cmd_runs(options: argparse.Namespace) -> int:
    """Every logged job of a data directory, as a table; exit 1 when the latest job of any spider failed."""
    log = RunLog(Path(options.data_dir))
    if not log.path.exists():
        print(
            f"{log.path}: no run log yet (newscrawl schedule --data-dir {options.data_dir} writes it)", file=sys.stderr
        )
        return 2
    entries = log.entries()
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
    latest: dict[str, dict] = {}
    for entry in entries:
        latest[str(entry.get("spider"))] = entry

        # Every value from the run log or Scrapyd as inert text: no escape sequence reaches the terminal.
        def cell(name: str, entry: dict = entry) -> str:
            return for_terminal(entry.get(name, 0) if name != "end" else str(entry.get("end"))[:26])

        problems = entry.get("problems")
        problems = "; ".join(map(str, problems)) if isinstance(problems, list) else str(problems or "")
        print(
            f"{cell('end'):<26} {cell('spider'):<8} {cell('job'):<34} "
            f"{'FAILED' if entry.get('status') != 'ok' else 'ok':<7} {cell('items'):>6} {cell('new'):>5} "
            f"{cell('revised'):>4} {cell('failures'):>5} {cell('rejects'):>4}  {for_terminal(problems[:120])}"
        )
    return 1 if any(entry.get("status") != "ok" for entry in latest.values()) else 0


class UnknownSpiders(ValueError):
    pass


@dataclass
class Scheduler:
    scrapyd: Scrapyd
    project: str
    spiders: list[str]
    data_dir: Path | None = None
    settings: list[tuple[str, str]] = field(default_factory=list)
    args: list[tuple[str, str]] = field(default_factory=list)
    # A job still pending after this many seconds is reported (Scrapyd at max_proc, a stuck runner).
    max_pending: float = 3600.0
    # job id → when this scheduler first saw it pending (Scrapyd does not say when a job was queued)
    pending_since: dict[str, float] = field(default_factory=dict)

    def job_settings(self, spider: str | None = None) -> list[tuple[str, str]]:
        """Where each job writes: its own dataset file, one shared state, rejects per spider."""
        settings: list[tuple[str, str]] = []
        if self.data_dir is not None:
            base = str(self.data_dir.resolve())
            settings += [
                ("DEFAULT_FEED", f"{base}/%(name)s/%(name)s-%(time)s.jsonl"),
                ("STATE_DB", f"{base}/state.sqlite3"),
                # One rejects file per job, in a folder of its own: `<spider>/<spider>-*.jsonl` stays the datasets.
                ("REJECTS_FILE", f"{base}/%(name)s/rejects/%(name)s-%(time)s.rejects.jsonl"),
                ("STATS_FILE", f"{base}/%(name)s/%(name)s-%(time)s.stats.json"),
            ]
        # The user's own settings win; "SPIDER:NAME" ones only for that spider.
        for name, value in self.settings:
            target, _, own_name = name.rpartition(":")
            if not target or target == spider:
                settings.append((own_name, value))
        return settings

    def alert_settings(self):
        """The project's settings with the user's --setting values for every job (ALERT_* among them)."""
        from scrapy.settings import Settings

        settings = Settings()
        settings.setmodule("newscrawl.settings", priority="project")
        settings.setdict({name: value for name, value in self.settings if ":" not in name}, priority="cmdline")
        return settings

    def alert_crash(self, entry: dict) -> None:
        """A job that crashed never ran its own checks: the scheduler sends its alert instead."""
        content = {
            "site": entry["spider"],
            "status": "failed",
            "reasons": entry["problems"],
            "manifest": entry["manifest"],
            "finishReason": "crashed",
            "items": 0,
            "requests": None,
            "job": entry["job"],
        }
        from newscrawl.run.alerts import send_alerts

        for problem in send_alerts(self.alert_settings(), content):
            logger.error("Alert for job %s not sent: %s", entry["job"], problem)

    def tick(self) -> dict[str, str]:
        """Record how earlier jobs ended, then schedule every spider that is not pending or running;
        returns spider → job id or reason."""
        outcome: dict[str, str] = {}
        if self.data_dir is not None:
            for entry in RunLog(self.data_dir).record(self.scrapyd.finished_jobs(self.project)):
                log = logger.error if entry["status"] != "ok" else logger.info
                log(
                    "%s job %s ended %s: %s",
                    entry["spider"],
                    entry["job"],
                    entry["status"],
                    "; ".join(entry["problems"]) or f"{entry['items']} items",
                )
                if entry["finishReason"] == "crashed":
                    self.alert_crash(entry)
        known = self.scrapyd.spiders(self.project)
        unknown = [spider for spider in self.spiders if spider not in known]
        if unknown:
            # Refused before anything is scheduled: a typo must not leave half the sites unscheduled.
            raise UnknownSpiders(
                f"no spider {', '.join(map(repr, unknown))} in Scrapyd project {self.project!r}; it has: {', '.join(known) or 'none'}"
            )
        active = self.scrapyd.active_jobs(self.project)
        now = time.monotonic()
        self.pending_since = {
            job["id"]: self.pending_since.get(job["id"], now) for job in active if job["state"] == "pending"
        }
        for spider in self.spiders:
            mine = [job for job in active if job["spider"] == spider]
            stuck = [job for job in mine if now - self.pending_since.get(job["id"], now) > self.max_pending]
            if stuck:
                waited = now - self.pending_since[stuck[0]["id"]]
                outcome[spider] = (
                    f"skipped: job {stuck[0]['id']} pending for {waited:.0f} s (over {self.max_pending:.0f} s)"
                )
                logger.error(
                    "%s: job %s has been pending for %.0f s: Scrapyd runs nothing for it (max_proc reached? a stuck job?)",
                    spider,
                    for_terminal(stuck[0]["id"]),
                    waited,
                )
                continue
            if mine:
                outcome[spider] = "skipped: a job is still pending or running"
                logger.info("%s: not scheduled, its previous job is still pending or running", spider)
                continue
            job = self.scrapyd.schedule(self.project, spider, self.job_settings(spider), self.args)
            outcome[spider] = job
            logger.info("%s: scheduled job %s", spider, job)
        return outcome


# Setting names that hold secrets: never sent as Scrapyd job settings (listjobs.json, ps show them).
_SECRET_SETTING = re.compile(r"(PASSWORD|TOKEN|SECRET|DSN|WEBHOOK_URL)$")


def cmd_schedule(options: argparse.Namespace) -> int:
    secrets = [
        name for name, _ in parse_pairs(options.setting, "--setting") if _SECRET_SETTING.search(name.rpartition(":")[2])
    ]
    if secrets:
        print(
            f"newscrawl schedule: --setting {', '.join(secrets)}: a secret would be shown in Scrapyd's job list and in ps; "
            "give it to Scrapyd in the environment (e.g. NEWSCRAWL_ALERT_WEBHOOK_URL) or as a file (ALERT_WEBHOOK_URL_FILE=…)",
            file=sys.stderr,
        )
        return 2
    scrapyd = Scrapyd(options.url, options.username, options.password)
    scheduler = Scheduler(
        scrapyd,
        options.project,
        options.spiders,
        Path(options.data_dir) if options.data_dir else None,
        [(name, absolute_paths(name, value)) for name, value in parse_pairs(options.setting, "--setting")],
        parse_pairs(options.arg, "--arg"),
        max_pending=options.max_pending,
    )
    while True:
        try:
            outcome = scheduler.tick()
            print(json.dumps(outcome), flush=True)
        except UnknownSpiders as exc:
            print(f"newscrawl schedule: {exc}", file=sys.stderr)
            return 2
        except (HTTPError, URLError, RuntimeError, OSError) as exc:
            # A Scrapyd restart or a network blip must not end a long-running scheduler.
            logger.error("Scrapyd at %s: %s", options.url, exc)
            if options.once:
                return 1
        if options.once:
            return 0
        time.sleep(options.every)


def _records(paths: list[str], problems: list[Problem], same_schema: bool = False):
    """Records of all files, with a progress bar when a person is watching; with ``same_schema``,
    records of another schema version are left out as problems (merge and stats never mix them)."""
    from tqdm import tqdm

    for path in tqdm(paths, unit="file", disable=not sys.stderr.isatty(), leave=False):
        for record in read_records(Path(path), problems):
            other = other_schema_version(record) if same_schema else None
            if other is not None:
                problems.append(other)
                continue
            yield record


def _report(problems: list[Problem], limit: int = 200) -> None:
    for problem in problems[:limit]:
        print(for_terminal(problem), file=sys.stderr)
    if len(problems) > limit:
        print(f"… and {len(problems) - limit} more problems", file=sys.stderr)


def cmd_validate(options: argparse.Namespace) -> int:
    problems: list[Problem] = []
    valid = total = 0
    for record in _records(options.files, problems):
        total += 1
        found = check_record(record)
        problems += found
        valid += not found
    _report(problems)
    print(f"{valid} of {total} lines valid in {len(options.files)} file(s); {len(problems)} problem(s)")
    return 0 if not problems and total else 1


def cmd_stats(options: argparse.Namespace) -> int:
    if options.plot and not Path(options.plot).resolve().parent.is_dir():
        print(f"--plot {options.plot}: no such directory {Path(options.plot).resolve().parent}", file=sys.stderr)
        return 2
    problems: list[Problem] = []
    records = _records(options.files, problems, same_schema=True)
    if not options.all_revisions:
        # Each article once, in its latest revision: a first pass finds where each article's latest
        # line is (a few bytes per article), the second summarises those lines only.
        latest = latest_lines(_records(options.files, [], same_schema=True))
        records = (record for record in records if latest.get(article_key(record.item)) == (record.path, record.line))
    summary = summarise(records)
    _report(problems)
    if not summary.articles:
        print("no articles found", file=sys.stderr)
        return 1
    mixed = [p for p in problems if p.message.startswith("schema version")]
    if mixed:
        print(
            f"not summarised: {len(mixed)} line(s) of another schema version; summarise each version apart",
            file=sys.stderr,
        )
        return 1
    data = summary.as_dict()
    if options.json:
        print(json.dumps(data, indent=1, ensure_ascii=False))  # JSON escapes every control character
    else:
        # Sites, sections and dates come from the data: printed as inert text (newscrawl/tools/present.py).
        t = for_terminal
        print(f"articles: {data['articles']} (of which later revisions: {data['laterRevisions']})")
        print(
            f"datePublished: {t(data['datePublished']['min'])} … {t(data['datePublished']['max'])}"
            if data["datePublished"]
            else "datePublished: none"
        )
        print("per site:    " + ", ".join(f"{t(site)} {n}" for site, n in data["perSite"].items()))
        print("per section: " + ", ".join(f"{t(section)} {n}" for section, n in data["perSection"].items()))
        print("per day:")
        for day, sites in data["perDay"].items():
            print(f"  {t(day)}  " + ", ".join(f"{t(site)} {n}" for site, n in sorted(sites.items())))
        print("field coverage: " + ", ".join(f"{name} {share:.0%}" for name, share in data["fieldCoverage"].items()))
    if options.plot:
        try:
            plot_per_day(summary, Path(options.plot))
        except ImportError:
            print("--plot needs matplotlib: pip install 'newscrawl[plot]'", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"--plot {options.plot}: cannot write: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"plot written to {options.plot}", file=sys.stderr)
    return 1 if any(p.fatal for p in problems) else 0


def cmd_merge(options: argparse.Namespace) -> int:
    if Path(options.output).is_dir():
        print(f"-o {options.output}: is a directory; give the merged file's name", file=sys.stderr)
        return 2
    problems: list[Problem] = []
    lines = 0

    def counted(records):
        nonlocal lines
        for record in records:
            lines += 1
            yield record

    # Streamed: only the latest revision of each article is kept while reading.
    merged = merge(counted(_records(options.files, problems, same_schema=True)), options.all_revisions)
    torn = [p for p in problems if "torn final line" in p.message]
    fatal = [p for p in problems if p.fatal]
    _report(problems)
    if fatal:
        print(f"not merged: {len(fatal)} unreadable line(s) or file(s); nothing written", file=sys.stderr)
        return 1
    try:
        count = write_jsonl(merged, Path(options.output))
    except OSError as exc:
        print(f"-o {options.output}: cannot write: {exc.strerror or exc}; nothing written", file=sys.stderr)
        return 1
    print(
        f"{count} articles from {lines} lines in {len(options.files)} file(s) → {options.output}"
        + (f" ({len(torn)} torn final line(s) dropped)" if torn else "")
    )
    return 0


def cmd_export(options: argparse.Namespace) -> int:
    """Typed Parquet or CSV (by the extension of -o): the latest revision of each article, or every revision."""
    from newscrawl.tools.export import write_csv, write_parquet

    out = Path(options.output)
    writer = {".parquet": write_parquet, ".csv": write_csv}.get(out.suffix.lower())
    if writer is None:
        print(f"-o {options.output}: give a .parquet or .csv file", file=sys.stderr)
        return 2
    if out.is_dir() or not out.resolve().parent.is_dir():
        print(f"-o {options.output}: not a file in an existing directory", file=sys.stderr)
        return 2
    problems: list[Problem] = []
    items = merge(_records(options.files, problems, same_schema=True), options.all_revisions)
    _report(problems)
    fatal = [p for p in problems if p.fatal]
    if fatal:
        print(
            f"not exported: {len(fatal)} unreadable or other-version line(s) or file(s); nothing written",
            file=sys.stderr,
        )
        return 1
    try:
        count = write_csv(items, out, raw=options.csv_raw) if writer is write_csv else writer(items, out)
    except ImportError:
        print("Parquet needs pyarrow: pip install 'newscrawl[export]'", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"-o {options.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"{count} articles → {options.output}")
    return 0


def cmd_check_run(options: argparse.Namespace) -> int:
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


def cmd_schema_doc(options: argparse.Namespace) -> int:
    from newscrawl.tools.schemadoc import render

    sys.stdout.write(render())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newscrawl", description="newscrawl: Dutch news crawlers and their datasets.")
    commands = parser.add_subparsers(dest="command", required=True)
    schedule = commands.add_parser(
        "schedule",
        help="schedule crawls on Scrapyd, never two jobs of one spider at once",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    schedule.add_argument("spiders", nargs="+", metavar="SPIDER", help=f"spiders to schedule ({', '.join(sites())})")
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--every", type=parse_interval, metavar="INTERVAL", help="tick every INTERVAL (30s, 15m, 1h) until stopped"
    )
    when.add_argument("--once", action="store_true", help="one tick, then exit (for systemd timers and cron)")
    schedule.add_argument(
        "--url", default=os.environ.get("SCRAPYD_URL", "http://127.0.0.1:6800"), help="Scrapyd URL (env SCRAPYD_URL)"
    )
    schedule.add_argument(
        "--username", default=os.environ.get("SCRAPYD_USERNAME"), help="HTTP basic auth user (env SCRAPYD_USERNAME)"
    )
    schedule.add_argument(
        "--password", default=os.environ.get("SCRAPYD_PASSWORD"), help="HTTP basic auth password (env SCRAPYD_PASSWORD)"
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
        help="report a job Scrapyd keeps pending longer than this (default 1h)",
    )
    schedule.add_argument(
        "--arg", action="append", default=[], metavar="NAME=VALUE", help="a spider argument for every job (repeatable)"
    )
    schedule.set_defaults(handler=cmd_schedule)

    validate = commands.add_parser(
        "validate",
        help="check that every line is JSON and valid against the schema",
        description="Check JSONL dataset files line by line: JSON well-formedness and schema validity, with file:line and the reason. Exit 0 only when every line of every file is valid.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(handler=cmd_validate)

    stats = commands.add_parser(
        "stats",
        help="counts per site, section and day; date range; field coverage; revisions",
        description="Summarise JSONL dataset files: articles per site, section and day, the datePublished range, field coverage and later revisions.",
    )
    stats.add_argument("files", nargs="+", metavar="FILE")
    stats.add_argument("--json", action="store_true", help="print the summary as JSON")
    stats.add_argument(
        "--all-revisions",
        action="store_true",
        help="count every revision of an article (default: each article once, its latest revision)",
    )
    stats.add_argument(
        "--plot", metavar="PNG", help="also draw articles per day per site into this PNG (needs matplotlib)"
    )
    stats.set_defaults(handler=cmd_stats)

    merge_cmd = commands.add_parser(
        "merge",
        help="one dataset from many runs: the latest revision of each article",
        description="Merge JSONL dataset files into one: the latest revision of each article (or all revisions), ordered by datePublished, then site and articleId. A torn final line (a crash mid-write) is dropped and reported; any other unreadable line stops the merge. The output is written atomically.",
    )
    merge_cmd.add_argument("files", nargs="+", metavar="FILE")
    merge_cmd.add_argument("-o", "--output", required=True, metavar="OUT", help="the merged JSONL file")
    merge_cmd.add_argument("--all-revisions", action="store_true", help="keep every revision, not only the latest")
    merge_cmd.set_defaults(handler=cmd_merge)

    export = commands.add_parser(
        "export",
        help="typed Parquet or CSV: articleId a string, times with their zone, nested fields kept",
        description="Export JSONL datasets as Parquet (-o out.parquet: lists and structs, timestamps with the Europe/Amsterdam zone, "
        "publishedDate the local day) or CSV (-o out.csv: nested fields as JSON text). The latest revision of each article, "
        "or every revision with --all-revisions.",
    )
    export.add_argument("files", nargs="+", metavar="FILE")
    export.add_argument("-o", "--output", required=True, metavar="OUT", help="out.parquet or out.csv")
    export.add_argument("--all-revisions", action="store_true", help="keep every revision, not only the latest")
    export.add_argument(
        "--csv-raw",
        action="store_true",
        help="CSV cells exactly as in the data; by default a cell starting with =, +, -, @, tab or CR gets a leading ' "
        "so that spreadsheets do not run it as a formula",
    )
    export.set_defaults(handler=cmd_export)

    check = commands.add_parser(
        "check-run",
        help="exit 1 when a run failed: layout change, unaccounted URLs, abnormal finish",
        description="Read run manifests (<feed>.manifest.json) and exit 1 when a run is failed: field coverage under the thresholds or too many fallback extractions (a site redesign), URLs without an outcome, or a finish reason other than 'finished'.",
    )
    check.add_argument("manifests", nargs="+", metavar="MANIFEST")
    check.set_defaults(handler=cmd_check_run)

    doc = commands.add_parser("schema-doc", help="print the fields table generated from the schema (docs/fields.md)")
    doc.set_defaults(handler=cmd_schema_doc)

    runs = commands.add_parser(
        "runs",
        help="every scheduled job's outcome (the run log of a data directory)",
        description="Print <data-dir>/runs.jsonl, written by `newscrawl schedule --data-dir`: one row per finished "
        "Scrapyd job with its status, items, new and revised articles, failures, rejects and problems. "
        "Exit 1 when the latest job of any spider failed.",
    )
    runs.add_argument("data_dir", metavar="DATA_DIR")
    runs.add_argument(
        "--html",
        metavar="REPORT",
        help="also write the runs as one self-contained HTML page (a table, charts per site)",
    )
    runs.set_defaults(handler=cmd_runs)

    listing = commands.add_parser(
        "sites",
        help="list the registered sites (newscrawl/sites/<name>/)",
        description="One line per registered site: its name (the spider), canonical host and title. --names: names only.",
    )
    listing.add_argument("--names", action="store_true", help="only the names, one per line (for shell loops)")
    listing.set_defaults(handler=cmd_sites)
    return parser


def cmd_sites(options) -> int:
    for site in sites().values():
        print(site.name if options.names else f"{site.name}\t{site.host}\t{site.title}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("newscrawl").setLevel(logging.INFO)
    options = build_parser().parse_args(argv)
    try:
        return options.handler(options)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `newscrawl stats … | head`
        return 0
    except Exception as exc:  # noqa: BLE001 (the last guard: a message, not a traceback)
        if os.environ.get("NEWSCRAWL_DEBUG"):
            raise
        print(
            f"newscrawl {options.command}: {type(exc).__name__}: {exc} (NEWSCRAWL_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
