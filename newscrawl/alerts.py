"""Alerts that reach someone: the run's health checks as Spidermon monitors, and its actions.

At the end of every crawl Spidermon (SPIDERMON_SPIDER_CLOSE_MONITORS) runs :class:`RunAlerts`:

* :class:`RunHealthMonitor`: the verdict of newscrawl.monitor.LayoutMonitor (layout change,
  articles lost to skips and failures, nothing emitted, parse errors) must not be "failed";
* :class:`UrlOutcomeMonitor`: every discovered URL has an outcome (none left unaccounted);
* Spidermon's own FinishReasonMonitor: the crawl finished ("finished"), not shut down or killed.

When any fails, every alert channel that is configured receives one message naming the site, the
reasons and the manifest. Channels, each switched on by its settings (none is required):

* e-mail: ALERT_EMAIL_TO (comma list), ALERT_SMTP_HOST, ALERT_SMTP_PORT, ALERT_SMTP_USER,
  ALERT_SMTP_PASSWORD, ALERT_SMTP_TLS, ALERT_EMAIL_FROM (sent synchronously with smtplib: the
  reactor stops right after the crawl, so a deferred send could be lost);
* a webhook: ALERT_WEBHOOK_URL receives a JSON POST (any chat or incident tool that takes one);
* Spidermon's own: Slack (SPIDERMON_SLACK_SENDER_TOKEN …), Telegram (SPIDERMON_TELEGRAM_SENDER_TOKEN …),
  Discord (SPIDERMON_DISCORD_WEBHOOK_URL), Sentry (SPIDERMON_SENTRY_DSN …) and an HTML report file
  (SPIDERMON_REPORT_FILENAME), with Spidermon's settings as documented there.
"""

from __future__ import annotations

import json
import logging
import smtplib
import warnings
from email.message import EmailMessage
from urllib.request import Request, urlopen

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.monitors import FinishReasonMonitor
from spidermon.core.actions import Action

from .manifest import run_manifest_path
from .runtime import job_id, runtime

logger = logging.getLogger(__name__)
# Spidermon's runner still calls Spider.log(); its deprecation warning says nothing about the run.
warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated", module=r"spidermon\..*")


@monitors.name("Run health")
class RunHealthMonitor(Monitor):
    @monitors.name("No layout change, lost articles or parse errors")
    def test_run_is_healthy(self):
        monitor = runtime(self.data.crawler).monitor
        if monitor is None:
            self.skipTest("LayoutMonitor is not enabled")
        verdict = monitor.verdict()
        if verdict["status"] == "failed":
            self.fail("; ".join(verdict["problems"]))


@monitors.name("URL outcomes")
class UrlOutcomeMonitor(Monitor):
    @monitors.name("Every discovered URL has an outcome")
    def test_no_url_left_unaccounted(self):
        ledger = runtime(self.data.crawler).ledger
        if ledger is None:
            self.skipTest("the URL ledger is not enabled")
        left = ledger.unaccounted()
        if left:
            self.fail(f"{len(left)} URLs without an outcome, e.g. {', '.join(left[:3])}")


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


def send_email(settings, content: dict) -> None:
    """One alert e-mail (ALERT_EMAIL_TO over ALERT_SMTP_*), sent synchronously with smtplib."""
    to = settings.getlist("ALERT_EMAIL_TO")
    message = EmailMessage()
    message["Subject"] = f"newscrawl: run of {content['site']} FAILED: {content['reasons'][0] if content['reasons'] else ''}"[:250]
    message["From"] = settings.get("ALERT_EMAIL_FROM")
    message["To"] = ", ".join(to)
    lines = [f"The {content['site']} crawl failed its checks.", "", "Reasons:"]
    lines += [f"- {reason}" for reason in content["reasons"]]
    lines += ["", f"Manifest: {content['manifest']}", f"Finish reason: {content['finishReason']}",
              f"Items: {content['items']}, requests: {content['requests']}"]
    if content["job"]:
        lines.append(f"Scrapyd job: {content['job']}")
    message.set_content("\n".join(lines))
    with smtplib.SMTP(settings.get("ALERT_SMTP_HOST"), settings.getint("ALERT_SMTP_PORT"), timeout=30) as smtp:
        if settings.getbool("ALERT_SMTP_TLS"):
            smtp.starttls()
        if settings.get("ALERT_SMTP_USER"):
            smtp.login(settings.get("ALERT_SMTP_USER"), settings.get("ALERT_SMTP_PASSWORD") or "")
        smtp.send_message(message)
    logger.info("Alert e-mailed to %s", ", ".join(to))


def post_webhook(url: str, content: dict) -> None:
    body = json.dumps(content, ensure_ascii=False).encode("utf-8")
    request = Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urlopen(request, timeout=30) as answer:  # noqa: S310 (the operator's own URL)
        answer.read()
    logger.info("Alert posted to %s", url)


def send_alerts(settings, content: dict) -> list[str]:
    """Every configured channel of our own (e-mail, webhook) gets the alert; returns the failures.

    For what happens outside a crawl (the scheduler finds a job that crashed before its checks ran).
    """
    problems = []
    channels = []
    if settings.getlist("ALERT_EMAIL_TO") and settings.get("ALERT_SMTP_HOST"):
        channels.append(("e-mail", lambda: send_email(settings, content)))
    if settings.get("ALERT_WEBHOOK_URL"):
        channels.append(("webhook", lambda: post_webhook(settings.get("ALERT_WEBHOOK_URL"), content)))
    for name, send in channels:
        try:
            send()
        except OSError as exc:
            problems.append(f"{name}: {exc}")
    return problems


class EmailAlert(Action):
    def __init__(self, settings):
        super().__init__()
        self.settings = settings

    @classmethod
    def from_crawler_kwargs(cls, crawler):
        return {"settings": crawler.settings}

    def run_action(self):
        send_email(self.settings, alert_content(self))


class WebhookAlert(Action):
    def __init__(self, url: str):
        super().__init__()
        self.url = url

    @classmethod
    def from_crawler_kwargs(cls, crawler):
        return {"url": crawler.settings.get("ALERT_WEBHOOK_URL")}

    def run_action(self):
        post_webhook(self.url, alert_content(self))


# Spidermon's own actions: (the setting that switches it on, the action).
_SPIDERMON_ACTIONS = (
    ("SPIDERMON_SLACK_SENDER_TOKEN", "spidermon.contrib.actions.slack.notifiers.SendSlackMessageSpiderFinished"),
    ("SPIDERMON_TELEGRAM_SENDER_TOKEN", "spidermon.contrib.actions.telegram.notifiers.SendTelegramMessageSpiderFinished"),
    ("SPIDERMON_DISCORD_WEBHOOK_URL", "spidermon.contrib.actions.discord.notifiers.SendDiscordMessageSpiderFinished"),
    ("SPIDERMON_SENTRY_DSN", "spidermon.contrib.actions.sentry.SendSentryMessage"),
    ("SPIDERMON_REPORT_FILENAME", "spidermon.contrib.actions.reports.files.CreateFileReport"),
)


class RunAlerts(MonitorSuite):
    monitors = [RunHealthMonitor, UrlOutcomeMonitor, FinishReasonMonitor]

    def __init__(self, *args, crawler=None, **kwargs):
        actions = []
        if crawler is not None:
            settings = crawler.settings
            if settings.getlist("ALERT_EMAIL_TO") and settings.get("ALERT_SMTP_HOST"):
                actions.append(EmailAlert)
            if settings.get("ALERT_WEBHOOK_URL"):
                actions.append(WebhookAlert)
            actions += [action for setting, action in _SPIDERMON_ACTIONS if settings.get(setting)]
        super().__init__(*args, monitors_failed_actions=[_load(a) for a in actions], crawler=crawler, **kwargs)


def _load(action):
    if isinstance(action, str):
        from scrapy.utils.misc import load_object

        return load_object(action)
    return action

