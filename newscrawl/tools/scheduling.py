"""Scheduling on Scrapyd: its JSON API, the run log of a data directory and the scheduler's tick.

The `newscrawl schedule` and `newscrawl runs` commands (newscrawl/tools/commands/) drive these.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from newscrawl import __version__
from newscrawl.article.schema import SCHEMA_VERSION, field_order
from newscrawl.run.redact import redact
from newscrawl.run.verdict import Verdict
from newscrawl.tools.present import (
    as_dict,
    for_terminal,
    jsonl_objects,
    moment,
    number,
    read_manifest,
    safe_name,
    say_skipped,
    utc_time,
)

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
        "SITES_FILE",
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

    def _open(self, url: str, body: bytes | None = None, headers: dict[str, str] | None = None):
        request = Request(url, data=body, headers=headers or {})
        if self.username:
            token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        return urlopen(request, timeout=self.timeout)

    def _request(self, endpoint: str, data: list[tuple[str, str]] | None = None, query: dict | None = None) -> dict:
        url = f"{self.url.rstrip('/')}/{endpoint}"
        if query:
            url += "?" + urlencode(query)
        body = urlencode(data).encode() if data is not None else None
        with self._open(url, body) as response:
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

    def log_url(self, log_url: str | None) -> str | None:
        """The whole URL of a job's log (Scrapyd gives a path on itself)."""
        return f"{self.url.rstrip('/')}/{log_url.lstrip('/')}" if log_url else None

    def log_tail(self, log_url: str | None, size: int = 65536) -> str:
        """The end of a job's log (its last ``size`` bytes): where a crash says why."""
        url = self.log_url(log_url)
        if url is None:
            return ""
        with self._open(url, headers={"Range": f"bytes=-{size}"}) as response:
            return response.read()[-size:].decode("utf-8", "replace")

    def schedule(self, project: str, spider: str, settings: list[tuple[str, str]], args: list[tuple[str, str]]) -> str:
        data = [("project", project), ("spider", spider)]
        data += [("setting", f"{name}={value}") for name, value in settings]
        data += args
        return self._request("schedule.json", data=data)["jobid"]


_LOG_ERROR = re.compile(r"\] (?:ERROR|CRITICAL): |^\w+(?:\.\w+)*(?:Error|Exception|Exit)\b.*:")


def error_lines(log: str, keep: int = 5) -> list[str]:
    """The last error lines of a log: ERROR and CRITICAL records and the exception that ended a
    traceback, the newest last (what an operator reads first to know why a job crashed)."""
    found = [line.strip() for line in log.splitlines() if _LOG_ERROR.search(line.strip())]
    # Redacted before anything is cut or copied: the tail goes to manifests, runs.jsonl, pages and alerts.
    return [for_terminal(redact(line)[:400]) for line in found[-keep:]]


class RunLog:
    """``<data-dir>/runs.jsonl``: one line per finished Scrapyd job, appended once, from its manifest.

    A job that ended without a manifest (it crashed before its feed closed: a bad setting, a
    missing archive, a kill) gets a stub manifest with ``status: failed`` and the reason, so every
    job's outcome is on disk.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.path = data_dir / "runs.jsonl"
        self.scheduled_path = data_dir / "scheduled.jsonl"
        # why lines of each file were passed over (reported by `newscrawl runs` and the scheduler)
        self.skipped: dict[Path, Counter[str]] = {}

    def _objects(self, path: Path) -> list[dict]:
        """The JSON objects of a JSONL file, in order; a line that is not one (not UTF-8, not JSON)
        is passed over, counted in ``skipped`` and logged once per reason: one bad byte must not
        stop the scheduling or the report."""
        skipped: Counter[str] = Counter()
        found = list(jsonl_objects(path, skipped))
        if skipped and skipped != self.skipped.get(path):
            for line in say_skipped(path, skipped):
                logger.warning("%s", line)
        self.skipped[path] = skipped
        return found

    def problems(self) -> list[str]:
        """What was passed over in the files read so far, one line per file and reason."""
        return [line for path, skipped in self.skipped.items() for line in say_skipped(path, skipped)]

    def entries(self) -> list[dict]:
        """The logged jobs, in the order they were recorded."""
        return self._objects(self.path)

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

    def note_scheduled(self, job: str, spider: str) -> None:
        """Remember a job this data directory's scheduler started, so its outcome is recorded even
        when Scrapyd forgets it (a restart while it was pending or running)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        line = {"job": job, "spider": spider, "scheduled": datetime.now(UTC).isoformat(timespec="seconds")}
        with self.scheduled_path.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(line, ensure_ascii=False) + "\n")

    def scheduled(self) -> list[dict]:
        """The jobs noted as scheduled, oldest first."""
        return [job for job in self._objects(self.scheduled_path) if isinstance(job.get("job"), str)]

    def lost(self, listed: set[str]) -> list[dict]:
        """Jobs noted as scheduled that Scrapyd no longer lists (pending, running or finished):
        Scrapyd restarted while they were pending or running, or more jobs finished between two
        ticks than it keeps. As job dicts for ``record`` (which passes over those logged already),
        marked ``lost``."""
        return [
            {"id": job["job"], "spider": job.get("spider"), "start_time": job.get("scheduled"), "lost": True}
            for job in self.scheduled()
            if job["job"] not in listed
        ]

    def record(self, finished: list[dict], logs: Scrapyd | None = None) -> list[dict]:
        """Log the finished jobs not logged yet; returns the new entries. ``logs`` serves the jobs'
        logs (read for a job that crashed without a manifest)."""
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
                "start": utc_time(job.get("start_time")),
                "end": utc_time(job.get("end_time")),
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
            path = manifests.get(job["id"]) or self.crash_stub(job, logs)
            manifest, wrong = read_manifest(path)
            if job.get("lost"):
                # Scrapyd forgot the job: its own manifest (or the stub) says when it ran.
                entry["start"], entry["end"] = manifest.get("startTime"), manifest.get("finishTime")
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
                    **({"logTail": manifest["logTail"]} if manifest.get("logTail") else {}),
                    **({"logUrl": manifest["logUrl"]} if manifest.get("logUrl") else {}),
                }
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as stream:
            for entry in entries:
                stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entries

    def crash_stub(self, job: dict, logs: Scrapyd | None = None) -> Path:
        """A manifest for a job that wrote none, valid against the manifest schema: no file, nothing
        counted, status failed and why (the end of its Scrapyd log when there is one)."""
        from newscrawl.run.manifest import required_counts  # the crawl's modules: only for a stub

        log_url = job.get("log_url")
        tail: list[str] = []
        if logs is not None and log_url:
            try:
                tail = error_lines(logs.log_tail(log_url))
            except (OSError, ValueError) as exc:
                tail = [redact(f"(the log could not be read: {exc})")]
        if job.get("lost"):
            finish_reason = "lost"
            reason = (
                "Scrapyd no longer knows the job and it wrote no manifest "
                "(Scrapyd restarted while it was pending or running?)"
            )
        else:
            finish_reason = "crashed"
            reason = "the job ended without a manifest (it crashed before its feed was closed)"
            reason += f": {tail[-1]}" if tail else f"; Scrapyd's log: {log_url}"
        stub = {
            "spider": job.get("spider"),
            "job": job["id"],
            "projectVersion": __version__,
            "schemaVersion": SCHEMA_VERSION,
            "fields": field_order(),
            "startTime": utc_time(job.get("start_time")),
            "finishTime": utc_time(job.get("end_time")) or datetime.now(UTC).isoformat(timespec="seconds"),
            "finishReason": finish_reason,
            "counts": dict.fromkeys(required_counts(), 0),
            "fieldCoverage": {},
            "datePublished": None,
            "file": None,
            "status": "failed",
            "problems": [reason],
            "layout": {"status": "failed", "articles": 0, "problems": [reason]},
            "logTail": tail,
            "logUrl": redact(str(logs.log_url(log_url) if logs is not None else log_url)) if log_url else None,
        }
        path = self.data_dir / str(job.get("spider")) / f"{job.get('spider')}-{job['id']}.{finish_reason}.manifest.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stub, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


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
    # A job running longer than this is reported and alerted (a hung crawl would keep its spider
    # from ever being scheduled again, and nobody would know).
    max_running: float = 6 * 3600.0
    running_since: dict[str, float] = field(default_factory=dict)
    alerted: set[str] = field(default_factory=set)  # stuck jobs already alerted by this scheduler
    # --adaptive: the (least, most) seconds between two runs of a spider, chosen from the new articles
    # its runs of the last day found: a run should find about ``adaptive_target`` new ones.
    adaptive: tuple[float, float] | None = None
    adaptive_target: float = 3.0
    clock: Any = time.time  # wall-clock seconds (the run log's times are wall-clock)
    last_scheduled: dict[str, float] = field(default_factory=dict)

    def interval(self, spider: str) -> tuple[float, float | None]:
        """Seconds between two runs of ``spider`` under --adaptive, and its rate (new articles per hour
        over its runs that ended in the last day; None without any)."""
        assert self.adaptive is not None and self.data_dir is not None
        least, most = self.adaptive
        now = self.clock()
        recent = []
        for entry in RunLog(self.data_dir).entries():
            end = moment(entry.get("end"))
            if entry.get("spider") == spider and end is not None and 0 <= now - end.timestamp() <= 86400:
                start = moment(entry.get("start")) or end
                recent.append((start.timestamp(), int(entry.get("new") or 0)))
        if not recent:
            return least, None
        hours = max(now - min(start for start, _ in recent), 60.0) / 3600
        rate = sum(new for _, new in recent) / hours
        if rate <= 0:
            return most, 0.0
        return min(most, max(least, 3600 * self.adaptive_target / rate)), rate

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

    def alert(self, job: str, spider: Any, reasons: list[str], finish_reason: str, **more: Any) -> None:
        """A job whose own checks never ran (crashed, lost, stuck): the scheduler sends its alert."""
        content = {
            "site": spider,
            "status": "failed",
            "reasons": reasons,
            "manifest": None,
            "finishReason": finish_reason,
            "items": 0,
            "requests": None,
            "job": job,
            **more,
        }
        from newscrawl.run.alerts import send_alerts

        for problem in send_alerts(self.alert_settings(), content):
            logger.error("Alert for job %s not sent: %s", job, problem)

    def alert_crash(self, entry: dict) -> None:
        """A job that crashed never ran its own checks: the scheduler sends its alert instead."""
        self.alert(
            entry["job"],
            entry["spider"],
            entry["problems"],
            entry["finishReason"],
            manifest=entry["manifest"],
            # Redacted again: a run log written by an older version holds the tail as it was.
            logTail=[redact(str(line)) for line in entry.get("logTail") or []],
            logUrl=redact(entry["logUrl"]) if entry.get("logUrl") else None,
        )

    def stuck(self, jobs: list[dict], now: float) -> tuple[dict, str, float, float] | None:
        """The first of a spider's active jobs pending or running longer than allowed: (job, state, seconds, limit)."""
        for job in jobs:
            for state, since, limit in (
                ("pending", self.pending_since, self.max_pending),
                ("running", self.running_since, self.max_running),
            ):
                waited = now - since.get(job["id"], now)
                if job.get("state") == state and waited > limit:
                    return job, state, waited, limit
        return None

    def alert_stuck(self, job: dict, reason: str) -> None:
        """A stuck job is alerted once (per scheduler process), like a crash: its own checks never run."""
        if job["id"] in self.alerted:
            return
        self.alerted.add(job["id"])
        self.alert(job["id"], job.get("spider"), [reason], "stuck")

    def record(self) -> list[dict]:
        """Record how the jobs Scrapyd lists as finished ended (each once) in the data directory's run
        log, and alert on a crash (a crashed job never ran its own checks); returns the new entries."""
        if self.data_dir is None:
            return []
        log = RunLog(self.data_dir)
        # Active before finished: a job moves pending → running → finished, so one missing from both
        # answers is gone from Scrapyd, not between lists.
        active = {str(job["id"]) for job in self.scrapyd.active_jobs(self.project)}
        finished = self.scrapyd.finished_jobs(self.project)
        lost = log.lost(active | {str(job.get("id")) for job in finished})
        entries = log.record(finished + lost, self.scrapyd)
        for entry in entries:
            say = logger.error if entry["status"] != "ok" else logger.info
            say(
                "%s job %s ended %s: %s",
                entry["spider"],
                entry["job"],
                entry["status"],
                "; ".join(entry["problems"]) or f"{entry['items']} items",
            )
            if entry["finishReason"] in ("crashed", "lost"):
                self.alert_crash(entry)
        return entries

    def tick(self) -> dict[str, str]:
        """Record how earlier jobs ended, then schedule every spider that is not pending or running;
        returns spider → job id or reason."""
        outcome: dict[str, str] = {}
        self.record()
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
        self.running_since = {
            job["id"]: self.running_since.get(job["id"], now) for job in active if job["state"] == "running"
        }
        for spider in self.spiders:
            mine = [job for job in active if job["spider"] == spider]
            stuck = self.stuck(mine, now)
            if stuck:
                late, state, waited, limit = stuck
                outcome[spider] = f"skipped: job {late['id']} {state} for {waited:.0f} s (over {limit:.0f} s)"
                why = (
                    "Scrapyd runs nothing for it (max_proc reached? a stuck job?)"
                    if state == "pending"
                    else "the crawl may hang (a site that never answers, a parser that never returns)"
                )
                logger.error(
                    "%s: job %s has been %s for %.0f s: %s", spider, for_terminal(late["id"]), state, waited, why
                )
                self.alert_stuck(late, f"job {late['id']} {state} for {waited:.0f} s (over {limit:.0f} s): {why}")
                continue
            if mine:
                outcome[spider] = "skipped: a job is still pending or running"
                logger.info("%s: not scheduled, its previous job is still pending or running", spider)
                continue
            if self.adaptive is not None:
                wait, rate = self.interval(spider)
                last = self.last_scheduled.get(spider)
                if last is not None and self.clock() - last < wait:
                    per_hour = "no runs in the last day" if rate is None else f"{rate:.1f} new articles/h"
                    outcome[spider] = (
                        f"skipped: adaptive, next run in {wait - (self.clock() - last):.0f} s ({per_hour})"
                    )
                    logger.info("%s: %s", spider, outcome[spider])
                    continue
            job = self.scrapyd.schedule(self.project, spider, self.job_settings(spider), self.args)
            self.last_scheduled[spider] = self.clock()
            if self.data_dir is not None:
                RunLog(self.data_dir).note_scheduled(job, spider)
            outcome[spider] = job
            logger.info("%s: scheduled job %s", spider, job)
        return outcome


# Setting names that hold secrets: never sent as Scrapyd job settings (listjobs.json, ps show them).
# A <secret>_FILE names a file whose content is used as the secret: secret-bearing too (a job could point it anywhere).
_SECRET_SETTING = re.compile(r"(PASSWORD|TOKEN|SECRET|DSN|WEBHOOK_URL)(_FILE)?$")


_URL_PASSWORD = re.compile(r"://[^/@\s]*:[^/@\s]*@")


def secret_settings(pairs: list[tuple[str, str]]) -> list[str]:
    """The names among ``[SPIDER:]NAME`` settings that hold secrets (by name, or a URL with a password)."""
    return [
        name
        for name, value in pairs
        if _SECRET_SETTING.search(name.rpartition(":")[2]) or _URL_PASSWORD.search(str(value))
    ]
