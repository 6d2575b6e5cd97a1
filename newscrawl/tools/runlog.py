"""``<data-dir>/runs.jsonl``: how every job ended, recorded once from its manifest (or a stub for
one that wrote none), and ``scheduled.jsonl``: the jobs the scheduler started.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from newscrawl import __version__
from newscrawl.article.schema import SCHEMA_VERSION, field_order
from newscrawl.run.redact import redact
from newscrawl.run.verdict import Verdict
from newscrawl.tools.present import (
    as_dict,
    for_terminal,
    jsonl_objects,
    number,
    read_manifest,
    safe_name,
    say_skipped,
    utc_time,
)
from newscrawl.tools.scrapyd_client import Scrapyd, error_lines

logger = logging.getLogger("newscrawl.schedule")

logger = logging.getLogger("newscrawl.schedule")


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
