"""Scrapyd's JSON API as the scheduler uses it (HTTP basic auth), and the error lines of a job's log.

Where Scrapyd listens is one setting: the environment variable ``SCRAPYD_URL`` (default
:data:`DEFAULT_URL`). scripts/scrapyd.sh starts Scrapyd there, scripts/deploy.sh deploys there and
`newscrawl schedule` schedules there.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from newscrawl.run.redact import redact
from newscrawl.tools.present import (
    for_terminal,
)

logger = logging.getLogger("newscrawl.schedule")

#: where Scrapyd listens unless SCRAPYD_URL says otherwise
DEFAULT_URL = "http://127.0.0.1:6800"


def scrapyd_url() -> str:
    return os.environ.get("SCRAPYD_URL") or DEFAULT_URL


def listen_on(url: str) -> tuple[str, int]:
    """The address and port Scrapyd binds for ``url`` (what scripts/scrapyd.sh passes it as
    SCRAPYD_BIND_ADDRESS and SCRAPYD_HTTP_PORT, which Scrapyd reads over its config file)."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"SCRAPYD_URL must be http://HOST:PORT, not {url!r}")
    return parts.hostname, parts.port or 80


if __name__ == "__main__":  # python -m newscrawl.tools.scrapyd_client: the URL, address and port, one line
    try:
        where = scrapyd_url()
        print(where, *listen_on(where))
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


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
