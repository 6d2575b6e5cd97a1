"""Alerts that reach someone: the run's health checks as Spidermon monitors, and its actions.

At the end of every crawl Spidermon (SPIDERMON_SPIDER_CLOSE_MONITORS) runs :class:`RunAlerts`:

* :class:`RunHealthMonitor`: the run's one verdict (newscrawl.run.verdict: layout change, articles
  lost to skips and failures, nothing emitted, parse errors, URLs without an outcome, a finish
  reason other than "finished") must not be "failed". The manifest records the same verdict.

When any fails, every alert channel that is configured receives one message naming the site, the
reasons and the manifest. Channels, each switched on by its settings (none is required):

* e-mail: ALERT_EMAIL_TO (comma list), ALERT_SMTP_HOST, ALERT_SMTP_PORT, ALERT_SMTP_USER, the
  password (a secret, below), ALERT_SMTP_TLS (STARTTLS, the server's certificate verified against
  the system's CAs or ALERT_SMTP_CA_FILE), ALERT_EMAIL_FROM (sent synchronously with smtplib: the
  reactor stops right after the crawl, so a deferred send could be lost);
* a webhook: the webhook URL (a secret: its path is often the token) receives a JSON POST (any chat
  or incident tool that takes one);

Secrets are never settings (Scrapy logs its settings, Scrapyd lists a job's settings and shows them
in ``ps``): each is read from the environment (NEWSCRAWL_ALERT_SMTP_PASSWORD,
NEWSCRAWL_ALERT_WEBHOOK_URL) or from a file on the host that runs the crawl (ALERT_SMTP_PASSWORD_FILE,
ALERT_WEBHOOK_URL_FILE), and logs show the webhook only as scheme://host/…. All channels of one
alert together get ALERT_DEADLINE seconds: a channel that has not answered by then is reported and
left behind, so a trickling server cannot hold a crawl.
* Spidermon's HTML report file (SPIDERMON_REPORT_FILENAME; its template needs jinja2, a dependency).
  Spidermon's Slack, Telegram, Discord and Sentry actions are not wired: they take their secrets as
  settings. The webhook channel reaches a chat or incident service instead.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import threading
import time
import warnings
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.core.actions import Action

from newscrawl.article.text import map_strings
from newscrawl.crawl.job import job_id
from newscrawl.run.manifest import run_manifest_path
from newscrawl.run.redact import inert_for_chat, redact
from newscrawl.run.verdict import run_verdict

logger = logging.getLogger(__name__)
# Spidermon's runner still calls Spider.log(); its deprecation warning says nothing about the run.
warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated", module=r"spidermon\..*")


@monitors.name("Run health")
class RunHealthMonitor(Monitor):
    @monitors.name("The run's verdict")
    def test_run_is_healthy(self):
        verdict = run_verdict(self.data.crawler)
        if verdict is None:
            self.skipTest("the RunVerdict extension is not enabled")
        if verdict.failed:
            self.fail("; ".join(verdict.problems))


def alert_content(action: Action) -> dict:
    """What every channel says: the site, the failed checks with their reasons, the manifest."""
    crawler = action.data.crawler
    spider = crawler.spider
    reasons = [f"{result.monitor.name}: {result.reason}" for result in action.result.monitors_failed_results]
    stats = crawler.stats
    return {
        "site": spider.name if spider else None,
        "status": "failed",
        "reasons": reasons,
        "manifest": str(manifest) if (manifest := run_manifest_path(crawler)) else None,
        "finishReason": stats.get_value("finish_reason"),
        "items": stats.get_value("item_scraped_count", 0),
        "requests": stats.get_value("downloader/request_count", 0),
        "job": job_id(crawler),
    }


#: secrets of the alert channels: setting name → environment variable; ``<NAME>_FILE`` names a file
SECRETS = {"ALERT_SMTP_PASSWORD": "NEWSCRAWL_ALERT_SMTP_PASSWORD", "ALERT_WEBHOOK_URL": "NEWSCRAWL_ALERT_WEBHOOK_URL"}


def secret(settings, name: str) -> str | None:
    """A secret from the environment, else from the file ``<name>_FILE`` names; None when neither is set."""
    value = os.environ.get(SECRETS[name])
    if value:
        return value
    path = settings.get(f"{name}_FILE")
    if path:
        return Path(path).read_text("utf-8").strip() or None
    return None


def redacted(url: str) -> str:
    """A webhook URL as logs may show it: its scheme and host, not the path or query that hold the token."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        host = None
    if not host or parts.scheme not in ("http", "https") or any(c.isspace() for c in url.strip()):
        return "(a webhook URL that is not an http(s) URL)"
    return f"{parts.scheme}://{host}/…"


class PlaintextLogin(ValueError):
    """An SMTP login that would send the password in cleartext."""


def plaintext_login(settings) -> str:
    """Why the SMTP settings would send the password in cleartext ("" when they would not)."""
    if settings.get("ALERT_SMTP_USER") and not settings.getbool("ALERT_SMTP_TLS"):
        if not settings.getbool("ALERT_SMTP_PLAINTEXT_LOGIN"):
            return (
                "ALERT_SMTP_USER without ALERT_SMTP_TLS would send the SMTP password in cleartext: set "
                "ALERT_SMTP_TLS=1 (or ALERT_SMTP_PLAINTEXT_LOGIN=1 for a server on this machine)"
            )
    return ""


def send_email(settings, content: dict, timeout: float = 30.0) -> None:
    """One alert e-mail (ALERT_EMAIL_TO over ALERT_SMTP_*), sent synchronously with smtplib."""
    refusal = plaintext_login(settings)
    if refusal:
        raise PlaintextLogin(refusal)
    to = settings.getlist("ALERT_EMAIL_TO")
    message = EmailMessage()
    message["Subject"] = redact(
        f"newscrawl: run of {content['site']} FAILED: {content['reasons'][0] if content['reasons'] else ''}"
    )[:250]
    message["From"] = settings.get("ALERT_EMAIL_FROM")
    message["To"] = ", ".join(to)
    lines = [f"The {content['site']} crawl failed its checks.", "", "Reasons:"]
    lines += [f"- {reason}" for reason in content["reasons"]]
    lines += [
        "",
        f"Manifest: {content['manifest']}",
        f"Finish reason: {content['finishReason']}",
        f"Items: {content['items']}, requests: {content['requests']}",
    ]
    if content["job"]:
        lines.append(f"Scrapyd job: {content['job']}")
    if content.get("logTail"):
        lines += ["", "The last error lines of its log:", *(f"  {line}" for line in content["logTail"])]
    if content.get("logUrl"):
        lines.append(f"Full log: {content['logUrl']}")
    message.set_content(redact("\n".join(lines)))
    with smtplib.SMTP(settings.get("ALERT_SMTP_HOST"), settings.getint("ALERT_SMTP_PORT"), timeout=timeout) as smtp:
        if settings.getbool("ALERT_SMTP_TLS"):
            # smtplib's own default context checks no certificate: an impostor would get the password.
            smtp.starttls(context=ssl.create_default_context(cafile=settings.get("ALERT_SMTP_CA_FILE") or None))
        if settings.get("ALERT_SMTP_USER"):
            smtp.login(settings.get("ALERT_SMTP_USER"), secret(settings, "ALERT_SMTP_PASSWORD") or "")
        smtp.send_message(message)
    logger.info("Alert e-mailed to %s", ", ".join(to))


def post_webhook(url: str, content: dict, timeout: float = 30.0) -> None:
    # Secret-shaped text redacted, and nothing a chat service acts on (<!channel>, links, @here).
    body = json.dumps(inert_for_chat(map_strings(content, redact)), ensure_ascii=False).encode("utf-8")
    request = Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urlopen(request, timeout=timeout) as answer:  # noqa: S310 (the operator's own URL)
        answer.read()
    logger.info("Alert posted to %s", redacted(url))


def _failure(name: str, exc: Exception, settings) -> str:
    """A channel's failure as logs may show it: the webhook by its type and redacted URL only (an
    exception's text may quote the whole URL, or a file's content read as one)."""
    if name == "webhook":
        code = getattr(exc, "code", None)
        status = f" {code}" if isinstance(code, int) else ""
        return f"webhook {redacted(secret(settings, 'ALERT_WEBHOOK_URL') or '')}: {type(exc).__name__}{status}"
    return redact(f"{name}: {type(exc).__name__}: {exc}")


def configured_channels(settings) -> list[str]:
    channels = []
    if settings.getlist("ALERT_EMAIL_TO") and settings.get("ALERT_SMTP_HOST"):
        channels.append("e-mail")
    if secret(settings, "ALERT_WEBHOOK_URL"):
        channels.append("webhook")
    return channels


def send_alerts(settings, content: dict) -> list[str]:
    """Every configured channel of our own (e-mail, webhook) gets the alert, all of them within
    ALERT_DEADLINE seconds; returns the failures (a channel still sending at the deadline is one)."""
    deadline = settings.getfloat("ALERT_DEADLINE")
    senders = {
        "e-mail": lambda: send_email(settings, content, timeout=deadline),
        "webhook": lambda: post_webhook(secret(settings, "ALERT_WEBHOOK_URL") or "", content, timeout=deadline),
    }
    problems: list[str] = []
    threads = []
    for name in configured_channels(settings):

        def send(name=name):
            try:
                senders[name]()
            except Exception as exc:  # any failure of a channel is reported, never raised into the crawl
                problems.append(_failure(name, exc, settings))

        # Daemon threads: one still waiting on a trickling server is left behind when the process ends.
        thread = threading.Thread(target=send, name=f"alert-{name}", daemon=True)
        thread.start()
        threads.append((name, thread))
    end = time.monotonic() + deadline
    for name, thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
        if thread.is_alive():
            problems.append(f"{name}: no answer within the {deadline:g} s alert deadline (ALERT_DEADLINE)")
    for problem in problems:
        logger.error("Alert not sent: %s", problem)
    return problems


class ChannelAlerts(Action):
    """The project's own channels (e-mail, webhook), sent together under one deadline."""

    def __init__(self, settings):
        super().__init__()
        self.settings = settings

    @classmethod
    def from_crawler_kwargs(cls, crawler):
        return {"settings": crawler.settings}

    def run_action(self):
        problems = send_alerts(self.settings, alert_content(self))
        if problems:
            raise AlertNotSent("; ".join(problems))


class AlertNotSent(RuntimeError):
    """A channel failed or missed the deadline (each is logged as an ERROR by send_alerts)."""


# Spidermon's own actions: (the setting that switches it on, the action). Only the HTML report file:
# Spidermon's Slack, Telegram, Discord and Sentry actions take their tokens, webhook URLs and DSNs as
# settings, which are logged and listed by Scrapyd; the project's webhook channel reaches the same
# services with its URL kept secret.
_SPIDERMON_ACTIONS = (("SPIDERMON_REPORT_FILENAME", "spidermon.contrib.actions.reports.files.CreateFileReport"),)


class RunAlerts(MonitorSuite):
    monitors = [RunHealthMonitor]

    def __init__(self, *args, crawler=None, **kwargs):
        actions = []
        if crawler is not None:
            settings = crawler.settings
            if configured_channels(settings):
                actions.append(ChannelAlerts)
            actions += [action for setting, action in _SPIDERMON_ACTIONS if settings.get(setting)]
        super().__init__(*args, monitors_failed_actions=[_load(a) for a in actions], crawler=crawler, **kwargs)


def _load(action):
    if isinstance(action, str):
        from scrapy.utils.misc import load_object

        return load_object(action)
    return action
