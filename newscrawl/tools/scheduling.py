"""Scheduling on Scrapyd: the scheduler's tick (Scrapyd's API: scrapyd_client.py; the run log: runlog.py).

The `newscrawl schedule` and `newscrawl runs` commands (newscrawl/tools/commands/) drive these.
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawl.run.redact import redact
from newscrawl.tools.present import (
    for_terminal,
    moment,
)
from newscrawl.tools.runlog import RunLog
from newscrawl.tools.scrapyd_client import Scrapyd

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
