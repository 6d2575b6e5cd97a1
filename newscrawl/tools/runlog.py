"""``<data-dir>/runs.jsonl``: how every job ended, recorded once from its manifest (or a stub for
one that wrote none), and ``scheduled.jsonl``: the jobs the scheduler started.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from newscrawl import __version__
from newscrawl.article.files import atomic_output
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
from newscrawl.tools.scrapyd_client import Scrapyd, error_lines

logger = logging.getLogger("newscrawl.schedule")

#: how much of the end of runs.jsonl is read first for the jobs logged lately (about 150 entries; more
#: only when the jobs asked about are not all found and older than those lines)
RECENT_BYTES = 64 << 10
#: a job's manifest is looked for among those written since its start, less this (a day: Scrapyd
#: gives local times without a zone)
MANIFEST_MARGIN_SECONDS = 86_400.0


# The feed's start in a dataset file's name: nu-2025-04-01T09-00-00.jsonl.manifest.json.
_FEED_TIME = re.compile(r"-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})")


def _timestamp(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


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

    def _objects(self, path: Path, tail: int | None = None) -> list[dict]:
        """The JSON objects of a JSONL file (of its last ``tail`` bytes), in order; a line that is not
        one (not UTF-8, not JSON) is passed over, counted in ``skipped`` and logged once per reason:
        one bad byte must not stop the scheduling or the report."""
        skipped: Counter[str] = Counter()
        found = list(jsonl_objects(path, skipped, tail))
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

    def window(self, since: datetime | None = None, last: int | None = None) -> list[dict]:
        """The jobs the run log holds from ``since`` on, or at least its ``last`` latest, read from
        the end of the file: as much of it as the window needs (a few MiB for months of jobs), never
        the years before. Neither: every job."""
        if since is None and last is None:
            return self.entries()
        tail = RECENT_BYTES
        while True:
            found = self._objects(self.path, tail)
            if tail >= self.path.stat().st_size:
                return found  # the whole file
            ends = [end for entry in found if (end := moment(entry.get("end"))) is not None]
            enough_jobs = last is not None and len(found) > last
            reaches_back = since is not None and ends and min(ends) < since
            if (last is None or enough_jobs) and (since is None or reaches_back):
                return found
            tail *= 4

    def logged(self, among: dict[str, float | None]) -> set[str]:
        """Which of ``among`` (job id → when it ended, or None) the run log holds. Read from its end
        back, only as far as needed: until every one is found, or the lines read go back to a day
        before the earliest end of those not found (a job is logged after it ends; a day covers
        Scrapyd's local times). Never the years before."""
        tail, size = RECENT_BYTES, self.path.stat().st_size if self.path.exists() else 0
        while True:
            entries = self._objects(self.path, tail)
            done = {str(entry.get("job")) for entry in entries if entry.get("job") is not None}
            missing = [among[job] for job in among if job not in done]
            if not missing or tail >= size:
                return done
            read_back_to = min((end.timestamp() for e in entries if (end := moment(e.get("end")))), default=None)
            if None not in missing and read_back_to is not None:
                if read_back_to < min(m for m in missing if m is not None) - MANIFEST_MARGIN_SECONDS:
                    return done
            tail *= 4

    def manifests_by_job(self, since: float | None = None) -> dict[str, Path]:
        """Manifests by job id; with ``since`` (a Unix time), only those of feeds started since (the
        time in the feed's name, ``<spider>-<time>.jsonl``): older ones are neither opened nor
        stat'ed, so a tick costs the new jobs, not the thousands before them."""
        found = {}
        # The names' times compare as text: no name is parsed, no file stat'ed.
        earliest = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H-%M-%S") if since is not None else None
        for folder in self._folders():
            with os.scandir(folder) as entries:
                names = [entry.name for entry in entries if entry.name.endswith(".manifest.json")]
            for name in names:
                started = _FEED_TIME.search(name) if earliest else None
                if started and earliest and started.group(1) < earliest:
                    continue
                path = Path(folder) / name
                manifest, _ = read_manifest(path)
                job = manifest.get("job")
                if isinstance(job, str) and job:
                    found[job] = path
        return found

    def _folders(self) -> list[str]:
        try:
            with os.scandir(self.data_dir) as entries:
                return [entry.path for entry in entries if entry.is_dir()]
        except OSError:
            return []

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
        ends = {}
        for job in finished:
            if job.get("id"):
                when = utc_time(job.get("end_time") or job.get("start_time"))
                ends[str(job["id"])] = _timestamp(when) if when else None
        done = self.logged(ends)
        new = [job for job in finished if job.get("id") and job["id"] not in done]
        if not new:
            self.forget_scheduled(done)
            return []
        starts = [start for job in new if not job.get("lost") and (start := utc_time(job.get("start_time")))]
        # The new jobs' manifests are no older than their starts (less a margin for clocks). A job
        # Scrapyd gives no start for, or forgot (rare: a restart), is looked for in every manifest.
        since = min(map(_timestamp, starts)) - MANIFEST_MARGIN_SECONDS if len(starts) == len(new) else None
        manifests = self.manifests_by_job(since)
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
        self.forget_scheduled(done | {str(entry["job"]) for entry in entries})
        return entries

    def forget_scheduled(self, logged: set[str]) -> None:
        """scheduled.jsonl keeps only the jobs whose outcome is not logged yet: it stays as long as
        the jobs in flight, however many ran before."""
        jobs = self._objects(self.scheduled_path)
        keep = [job for job in jobs if str(job.get("job")) not in logged]
        if len(keep) == len(jobs):
            return
        with atomic_output(self.scheduled_path) as stream:
            for job in keep:
                stream.write((json.dumps(job, ensure_ascii=False) + "\n").encode("utf-8"))

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
