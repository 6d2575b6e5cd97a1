"""Alerts reach someone: a failed run sends exactly one e-mail (to an SMTP server on 127.0.0.1) and
one webhook POST (to a receiver on 127.0.0.1), each naming the site, the reason and the manifest;
a healthy run sends none."""

import shutil
from email import message_from_string
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from conftest import FIXTURES, replay_crawl, run_scrapy
from loopback import free_port, webhook_receiver
from test_run_health import WALL

from newscrawl.tools.fixtures import pack


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def receivers(monkeypatch):
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with webhook_receiver() as (url, posts):
        # The webhook URL is a secret: from the environment the crawl inherits, never a setting.
        monkeypatch.setenv("NEWSCRAWL_ALERT_WEBHOOK_URL", url)
        settings = [
            "-s",
            "ALERT_EMAIL_TO=desk@example.org,oncall@example.org",
            "-s",
            "ALERT_SMTP_HOST=127.0.0.1",
            "-s",
            f"ALERT_SMTP_PORT={smtp.port}",
        ]
        yield inbox.messages, posts, settings
    smtp.stop()


def walls_site(tmp_path):
    """The NU fixture site with a consent wall at every article URL, packed: a run that must fail."""
    site = tmp_path / "nu-walls"
    shutil.copytree(FIXTURES / "nu", site, ignore=shutil.ignore_patterns("*.warc.gz", "expected"))
    for page in [*(site / "site").glob("article_*.html"), *(site / "site").glob("liveblog_*.html")]:
        page.write_text(WALL, "utf-8")
    return pack(site / "site.json", tmp_path / "walls.warc.gz") and tmp_path / "walls.warc.gz"


def test_a_healthy_run_sends_nothing(tmp_path, receivers):
    messages, posts, settings = receivers
    lines, _, log = replay_crawl("nu", tmp_path, *settings)
    assert lines and messages == [] and posts == []
    assert "[Spidermon] OK" in log


def test_a_failed_run_sends_one_message_per_channel(tmp_path, receivers):
    messages, posts, settings = receivers
    replay_crawl("nu", tmp_path, *settings, archive=walls_site(tmp_path))
    manifest = str((tmp_path / "nu.jsonl.manifest.json").resolve())

    assert len(messages) == 1
    recipients, raw = messages[0]
    mail = message_from_string(raw, policy=default)
    assert recipients == ["desk@example.org", "oncall@example.org"]
    assert mail["Subject"].startswith("newscrawl: run of nu FAILED: Run health")
    text = mail.get_content()
    assert "none became an item" in text and f"Manifest: {manifest}" in text

    assert len(posts) == 1
    post = posts[0]
    assert post["site"] == "nu" and post["status"] == "failed" and post["manifest"] == manifest
    assert any("none became an item" in reason for reason in post["reasons"])


def test_the_alert_names_the_manifest_of_a_per_job_file(tmp_path, receivers):
    # As the scheduler names its job files: the alert must point at the manifest the run really wrote.
    _, posts, settings = receivers
    run_scrapy(
        "crawl",
        "nu",
        *settings,
        "-s",
        f"REPLAY_WARC={walls_site(tmp_path)}",
        "-s",
        f"STATE_DB={tmp_path / 's.sqlite3'}",
        "-s",
        f"DEFAULT_FEED={tmp_path}/nu/nu-%(time)s.jsonl",
    )
    [manifest] = (tmp_path / "nu").glob("nu-*.jsonl.manifest.json")
    assert len(posts) == 1 and posts[0]["manifest"] == str(manifest.resolve())


@pytest.mark.parametrize("command", ["parse", "check"])
def test_scrapy_parse_and_check_send_no_alert_and_log_no_run_check(tmp_path, receivers, command):
    # Alerts and run checks belong to crawls: `scrapy parse` of one article, or the contracts, are
    # not a run with URLs to account for (they sent "1 URLs without an outcome" before).
    messages, posts, settings = receivers
    archive = f"REPLAY_WARC={FIXTURES / 'nu' / 'site.warc.gz'}"
    url = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"
    args = ["parse", "--spider", "nu", "-c", "parse_article", url] if command == "parse" else ["check", "nu"]
    result = run_scrapy(*args, *settings, "-s", archive, "-s", f"STATE_DB={tmp_path / 's.sqlite3'}")
    assert messages == [] and posts == []
    assert "Spidermon" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-3000:]
    if command == "parse":
        assert "Gemeente sluit zwembad" in result.stdout


def test_a_failed_run_writes_spidermons_html_report_when_asked(tmp_path):
    # The one Spidermon channel the project wires: its template needs jinja2, a dependency now
    # (before, SPIDERMON_REPORT_FILENAME ended every crawl at start with "No module named 'jinja2'").
    report = tmp_path / "report.html"
    _, _, log = replay_crawl("nu", tmp_path, "-s", f"SPIDERMON_REPORT_FILENAME={report}", archive=walls_site(tmp_path))
    assert "No module named" not in log
    page = report.read_text("utf-8")
    assert "Run health" in page and "none became an item" in page
