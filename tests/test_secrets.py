"""Alert secrets never reach logs, manifests or Scrapyd's job settings; SMTP over TLS checks the
server's certificate; a channel that trickles cannot hold a crawl. Real servers on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from conftest import replay_crawl
from faultsite import self_signed_certificate
from loopback import free_port, webhook_receiver
from test_alerts import Inbox, walls_site

TOKEN = "T0KEN-s3cr3t-9f8e7d"
PASSWORD = "pa55-w0rd-only-smtp-knows"


class Logins:
    """An aiosmtpd authenticator that keeps the passwords it was given."""

    def __init__(self):
        self.passwords: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.passwords.append(auth_data.password.decode())
        return AuthResult(success=auth_data.password.decode() == PASSWORD)


@pytest.fixture
def tls_smtp(tmp_path):
    """An SMTP server on 127.0.0.1 with STARTTLS (a self-signed certificate) and AUTH."""
    cert, key = self_signed_certificate(tmp_path, names=("localhost",), ips=("127.0.0.1",))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    inbox, logins = Inbox(), Logins()
    smtp = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=logins,
        auth_require_tls=True,
    )
    smtp.start()
    yield smtp.port, cert, inbox, logins
    smtp.stop()


def test_secrets_reach_their_servers_and_nowhere_else(tmp_path, tls_smtp, monkeypatch):
    port, cert, inbox, logins = tls_smtp
    password_file = tmp_path / "smtp-password"
    password_file.write_text(PASSWORD + "\n")
    with webhook_receiver() as (url, posts):
        monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", f"{url}/{TOKEN}")
        _, stats, log = replay_crawl(
            "nu",
            tmp_path,
            "-s",
            "ALERT_EMAIL_TO=desk@example.org",
            "-s",
            "ALERT_SMTP_HOST=127.0.0.1",
            "-s",
            f"ALERT_SMTP_PORT={port}",
            "-s",
            "ALERT_SMTP_TLS=1",
            "-s",
            f"ALERT_SMTP_CA_FILE={cert}",
            "-s",
            "ALERT_SMTP_USER=newscrawl",
            "-s",
            f"ALERT_SMTP_PASSWORD_FILE={password_file}",
            archive=walls_site(tmp_path),
        )
    # Both channels got the alert, with the secrets where they belong.
    assert len(posts) == 1 and len(inbox.messages) == 1 and logins.passwords == [PASSWORD]
    # Nowhere else: not the log, the stats, the manifest.
    assert "Alert posted to http://127.0.0.1/…" in log
    manifest = (tmp_path / "nu.jsonl.manifest.json").read_text("utf-8")
    for text in (log, json.dumps(stats), manifest):
        assert TOKEN not in text and PASSWORD not in text


def test_a_secret_given_as_a_setting_is_refused_and_not_shown(tmp_path):
    env = {"PYTHONPATH": str(__import__("conftest").PROJECT), "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "nu",
            "-s",
            f"ALERT_WEBHOOK_URL=https://hooks.example.org/{TOKEN}",
            "-o",
            str(tmp_path / "nu.jsonl"),
            "-s",
            f"STATE_DB={tmp_path / 's.sqlite3'}",
        ],
        cwd=tmp_path,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and TOKEN not in result.stderr + result.stdout
    assert "ALERT_WEBHOOK_URL is a secret and is not taken as a setting" in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "name",
    [
        "ALERT_SMTP_PASSWORD",
        "nu:ALERT_WEBHOOK_URL",
        "SPIDERMON_SLACK_SENDER_TOKEN",
        "SPIDERMON_SENTRY_DSN",
        "ALERT_WEBHOOK_URL_FILE",  # a job must not point a secret at another file either (issue 31)
    ],
)
def test_the_scheduler_never_puts_a_secret_in_scrapyds_job_settings(name):
    # The URL points nowhere: the refusal comes before any request to Scrapyd.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newscrawl",
            "schedule",
            "nu",
            "--once",
            "--url",
            "http://127.0.0.1:9",
            "--setting",
            f"{name}={TOKEN}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        result.returncode == 2
        and TOKEN not in result.stderr
        and "a secret would be shown in Scrapyd's job list" in result.stderr
    )


def test_smtp_tls_refuses_a_server_it_cannot_verify(tmp_path, tls_smtp, monkeypatch):
    from scrapy.settings import Settings

    from newscrawl.run.alerts import send_alerts

    port, cert, inbox, logins = tls_smtp
    monkeypatch.setenv("NEWSCRAWL_ALERT_SMTP_PASSWORD", PASSWORD)
    base = {
        "ALERT_EMAIL_TO": ["desk@example.org"],
        "ALERT_SMTP_HOST": "127.0.0.1",
        "ALERT_SMTP_PORT": port,
        "ALERT_SMTP_TLS": True,
        "ALERT_SMTP_USER": "newscrawl",
        "ALERT_DEADLINE": 10,
    }
    problems = send_alerts(
        Settings({**base}),
        {
            "site": "nu",
            "reasons": ["test"],
            "manifest": None,
            "finishReason": "x",
            "items": 0,
            "requests": 0,
            "job": None,
        },
    )
    assert len(problems) == 1 and "CERTIFICATE_VERIFY_FAILED" in problems[0]
    assert logins.passwords == [] and inbox.messages == []  # the impostor got nothing
    problems = send_alerts(
        Settings({**base, "ALERT_SMTP_CA_FILE": str(cert)}),
        {
            "site": "nu",
            "reasons": ["test"],
            "manifest": None,
            "finishReason": "x",
            "items": 0,
            "requests": 0,
            "job": None,
        },
    )
    assert problems == [] and logins.passwords == [PASSWORD] and len(inbox.messages) == 1


class TricklingWebhook:
    """A webhook that answers one byte a second, for at most 60 s (bounded), like a stalled proxy."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.stop = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def serve(self):
        while not self.stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.trickle, args=(connection,), daemon=True).start()

    def trickle(self, connection):
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 60:
                if self.stop.wait(1.0):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self):
        self.stop.set()
        self.sock.close()


def test_a_trickling_webhook_cannot_hold_the_alert_or_the_crawl(tmp_path, monkeypatch):
    from scrapy.settings import Settings

    from newscrawl.run.alerts import send_alerts

    hook = TricklingWebhook()
    try:
        monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", hook.url)
        started = time.monotonic()
        problems = send_alerts(Settings({"ALERT_DEADLINE": 2}), {"site": "nu", "reasons": []})
        took = time.monotonic() - started
        assert problems == ["webhook: no answer within the 2 s alert deadline (ALERT_DEADLINE)"] and took < 5
        # A whole failed crawl with that webhook ends soon after its deadline.
        started = time.monotonic()
        _, stats, log = replay_crawl("nu", tmp_path, "-s", "ALERT_DEADLINE=3", archive=walls_site(tmp_path))
        assert time.monotonic() - started < 40 and stats["finish_reason"] == "finished"
        assert "Alert not sent: webhook: no answer within the 3 s alert deadline" in log
    finally:
        hook.close()
