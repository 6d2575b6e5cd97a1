"""Secrets never travel in text the project copies: a crashed job's log tail is redacted before it
reaches the stub manifest, runs.jsonl, the runs page and the webhook (a real local receiver), chat
markup in it is inert, a failing webhook is logged by type and redacted URL only, and an SMTP login
without TLS is refused unless allowed (a real local SMTP server sees no password)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller
from conftest import FIXTURES, run_scrapy
from loopback import free_port, webhook_receiver
from test_scheduler import CRASHED_JOB, crashed_job_scrapyd

from newscrawl.run.redact import inert_for_chat, redact
from newscrawl.tools.scheduling import Scheduler

SECRETS = [
    "hunter2",
    "s3cr3t-redis",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuZXdzY3Jhd2wifQ.c2lnbmF0dXJlLXZhbHVl",
    "xoxb-1234567890-abcdefghij",
    "T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "AKIAIOSFODNN7EXAMPLE",
]
CRASH_LOG = """2025-04-01 09:00:01 [scrapy.utils.log] INFO: Scrapy started (bot: newscrawl)
2025-04-01 09:00:02 [scrapy.core.engine] ERROR: cannot reach redis://newscrawl:s3cr3t-redis@redis.internal:6379/0
2025-04-01 09:00:02 [newscrawl.run.alerts] ERROR: Alert not sent: webhook: POST https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX failed
2025-04-01 09:00:03 [scrapy.core.scraper] ERROR: request headers {'Authorization': [b'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuZXdzY3Jhd2wifQ.c2lnbmF0dXJlLXZhbHVl']}
2025-04-01 09:00:03 [newscrawl] ERROR: <!channel> login failed with password=hunter2 token: xoxb-1234567890-abcdefghij <https://evil.example/|klik hier>
Traceback (most recent call last):
  File "/srv/venv/lib/python3.11/site-packages/scrapy/crawler.py", line 150, in crawl
RuntimeError: AWS key AKIAIOSFODNN7EXAMPLE rejected; @everyone look
"""


def test_redaction_takes_out_every_secret_shape():
    cleaned = redact(CRASH_LOG)
    for secret in SECRETS:
        assert secret not in cleaned, secret
    # What is no secret stays readable.
    assert "redis.internal:6379/0" in cleaned and "login failed" in cleaned and "rejected" in cleaned
    inert = json.dumps(inert_for_chat({"logTail": [cleaned]}))
    assert "<!channel>" not in inert and "<https://" not in inert and "@everyone" not in inert


def test_a_crashed_jobs_log_tail_is_redacted_everywhere_it_is_copied(tmp_path, monkeypatch):
    data = tmp_path / "data"
    with crashed_job_scrapyd(tmp_path, CRASH_LOG) as (scrapyd, _):
        with webhook_receiver() as (url, posts):
            monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", url)
            Scheduler(scrapyd, "newscrawl", [], data).tick()
    runs = subprocess.run(
        [sys.executable, "-m", "newscrawl", "runs", str(data), "--html", str(tmp_path / "runs.html")],
        capture_output=True,
        text=True,
    )
    copies = {
        "stub manifest": (data / "wnl" / f"wnl-{CRASHED_JOB}.crashed.manifest.json").read_text(),
        "runs.jsonl": (data / "runs.jsonl").read_text(),
        "runs page": (tmp_path / "runs.html").read_text(),
        "newscrawl runs": runs.stdout,
        "webhook": json.dumps(posts, ensure_ascii=False),
    }
    for where, text in copies.items():
        for secret in SECRETS:
            assert secret not in text, (where, secret)
    assert len(posts) == 1
    tail = posts[0]["logTail"]
    assert any("redis://[redacted]@redis.internal" in line for line in tail), tail
    assert not any("<!channel>" in line or "<https://" in line for line in tail), tail
    assert any("&lt;!channel&gt;" in line for line in tail)


def test_a_failing_webhook_is_logged_by_its_type_and_redacted_url_only(tmp_path, monkeypatch):
    from scrapy.settings import Settings

    from newscrawl.run.alerts import send_alerts

    settings = Settings()
    settings.setmodule("newscrawl.settings")
    for url in ("hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", "https://hooks.slack.com/x y hunter2"):
        monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", url)
        problems = send_alerts(settings, {"site": "nu", "reasons": []})
        assert len(problems) == 1 and "XXXXXXXX" not in problems[0] and "hunter2" not in problems[0], problems
        assert problems[0].startswith("webhook (a webhook URL that is not an http(s) URL): "), problems
    # The same from a file: its content is never printed.
    monkeypatch.delenv("NEWSCRAWL_ALERT_WEBHOOK_URL")
    secret_file = tmp_path / "webhook"
    secret_file.write_text("not-a-url-but-a-secret hunter2\n")
    settings.set("ALERT_WEBHOOK_URL_FILE", str(secret_file))
    problems = send_alerts(settings, {"site": "nu", "reasons": []})
    assert len(problems) == 1 and "hunter2" not in problems[0]


class Inbox:
    def __init__(self):
        self.logins = []
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler name)
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def plain_smtp():
    """A local SMTP server that accepts a login over plain text (and records what it was given)."""
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        inbox.logins.append((mechanism, auth_data))
        return AuthResult(success=True)

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    yield controller.port, inbox
    controller.stop()


def test_an_smtp_login_without_tls_is_refused_before_the_crawl(tmp_path, plain_smtp, monkeypatch):
    port, inbox = plain_smtp
    monkeypatch.setenv("NEWSCRAWL_ALERT_SMTP_PASSWORD", "hunter2")
    common = [
        "-s",
        f"REPLAY_WARC={FIXTURES / 'nu' / 'site.warc.gz'}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        "-s",
        "ALERT_EMAIL_TO=desk@example.org",
        "-s",
        "ALERT_SMTP_HOST=127.0.0.1",
        "-s",
        f"ALERT_SMTP_PORT={port}",
        "-s",
        "ALERT_SMTP_USER=newscrawl",
    ]
    result = run_scrapy("crawl", "nu", "-o", str(tmp_path / "nu.jsonl"), *common, status=2)
    assert "ALERT_SMTP_USER without ALERT_SMTP_TLS would send the SMTP password in cleartext" in result.stderr
    assert "hunter2" not in result.stderr
    # Sent directly (as the scheduler does for a crashed job): refused before connecting.
    from scrapy.settings import Settings

    from newscrawl.run.alerts import send_alerts

    settings = Settings()
    settings.setmodule("newscrawl.settings")
    settings.setdict(
        {"ALERT_EMAIL_TO": "desk@example.org", "ALERT_SMTP_HOST": "127.0.0.1", "ALERT_SMTP_PORT": port}
        | {"ALERT_SMTP_USER": "newscrawl"}
    )
    problems = send_alerts(settings, {"site": "nu", "reasons": ["x"], "manifest": None, "finishReason": "x"})
    assert len(problems) == 1 and "PlaintextLogin" in problems[0]
    assert inbox.logins == [] and inbox.messages == []
    # Allowed explicitly (a server on this machine): the login goes through.
    settings.set("ALERT_SMTP_PLAINTEXT_LOGIN", True)
    content = {"site": "nu", "reasons": ["x"], "manifest": None, "finishReason": "x", "items": 0}
    assert send_alerts(settings, content | {"requests": 0, "job": None}) == []
    assert len(inbox.logins) == 1 and len(inbox.messages) == 1
