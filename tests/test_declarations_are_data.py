"""A site declaration is data people share: it may describe a site, never change how the crawler
behaves, reach a private host, or hang a crawl. Each case is what a hostile (or unlucky) sites file
did before: it is refused at load with one line naming the file, the site and the key, or it is
matched in linear time against a live local site (the fault proxy's log is the proof)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, run_scrapy
from faultsite import FaultSite, scrapy_crawl

from newscrawl.extract.declared import SitesFileError, load_sites
from newscrawl.extract.registry import package_sites

STADSBLAD = FIXTURES / "stadsblad"
BASE = """
[sites.krant]
host = "www.krant.test"
article_path = '^/nieuws/(?P<id>\\d+)/[a-z0-9-]+$'
feeds = ["/rss.xml"]
"""
# The backtracking classic: plausible for a slug, exponential on a slug that ends wrong.
SLUG_RULE = "^/nieuws/(?P<id>\\d{4,})/([a-z0-9]+-?)+$"
HOSTILE_SLUG = "a" * 40 + "!"


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "sites.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(SitesFileError) as raised:
        load_sites(path, package_sites())
    lines = str(raised.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [line.removeprefix(f"{path}: ") for line in lines]


def test_settings_take_only_politeness_health_and_limits(tmp_path):
    # What the probe set through a declaration: each is the operator's, refused by name.
    lines = problems(
        tmp_path,
        BASE
        + """
[sites.krant.settings]
ALERT_SMTP_HOST = "mail.krant.test"
ALERT_EMAIL_TO = ["dief@krant.test"]
FEEDS = { "output/nu.jsonl" = { format = "jsonlines", overwrite = true } }
LOG_FILE = "/etc/cron.d/newscrawl"
REDIS_URL = "redis://redis.krant.test:6379/0"
ROBOTSTXT_OBEY = false
USER_AGENT = "Googlebot/2.1"
CONCURRENT_REQUESTS = 64
SPIDERMON_ENABLED = false
LAYOUT_MIN_COVERAGE = { headline = 0.0 }
DOWNLOAD_DELAY = 0
CONCURRENT_REQUESTS_PER_DOMAIN = 64
HEALTH_MIN_COVERAGE = { headline = 2 }
""",
    )
    refused = [
        "ALERT_SMTP_HOST",
        "ALERT_EMAIL_TO",
        "FEEDS",
        "LOG_FILE",
        "REDIS_URL",
        "ROBOTSTXT_OBEY",
        "USER_AGENT",
        "CONCURRENT_REQUESTS",
        "SPIDERMON_ENABLED",
        "LAYOUT_MIN_COVERAGE",
    ]
    for key in refused:
        assert sum(line.startswith(f"[sites.krant] settings.{key}: not a setting") for line in lines) == 1, key
    assert "[sites.krant] settings.DOWNLOAD_DELAY must be between 0.25 and 60, not 0" in lines
    assert "[sites.krant] settings.CONCURRENT_REQUESTS_PER_DOMAIN must be between 1 and 4, not 64" in lines
    assert "[sites.krant] settings.HEALTH_MIN_COVERAGE.headline must be between 0 and 1, not 2" in lines
    assert len(lines) == len(refused) + 3


def test_gentler_politeness_and_own_health_thresholds_are_taken(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text(
        BASE + "\n[sites.krant.settings]\nDOWNLOAD_DELAY = 2\nHEALTH_MIN_COVERAGE = { authors = 0.1 }\n", "utf-8"
    )
    site = load_sites(path, package_sites())["krant"]
    assert site.settings == {"DOWNLOAD_DELAY": 2, "HEALTH_MIN_COVERAGE": {"authors": 0.1}}


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "is an IP address"),
        ("169.254.169.254", "is an IP address"),
        ("10.0.0.7", "is an IP address"),
        ("127.1", "local, private or metadata name"),
        ("metadata.google.internal", "local, private or metadata name"),
        ("printer.local", "local, private or metadata name"),
        ("evil.localhost", "local, private or metadata name"),
        ("feeds.nos.nl", "already belongs to site nos"),
    ],
)
def test_hosts_that_are_not_a_public_site_of_its_own_are_refused_at_load(tmp_path, host, reason):
    lines = problems(tmp_path, BASE.replace("www.krant.test", host))
    assert len(lines) == 1 and reason in lines[0], lines


def test_feed_urls_carry_no_credentials_and_no_private_or_taken_hosts(tmp_path):
    lines = problems(
        tmp_path,
        BASE.replace(
            '["/rss.xml"]',
            '["https://editor:hunter2@feeds.krant.test/rss", "https://[::1]/rss", '
            '"https://metadata.google.internal/computeMetadata/v1/", "https://www.nu.nl/rss/Algemeen"]',
        ),
    )
    assert len(lines) == 4, lines
    assert "user name or password" in lines[0] and "hunter2" not in "\n".join(lines)
    assert "IP address" in lines[1]
    assert "local, private or metadata" in lines[2]
    assert "belongs to site nu" in lines[3]


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("article_path", "'^/nieuws/(?P<id>\\d+)/(\\w+)-\\1$'", "linear time"),  # a back-reference
        ("article_path", "'^/nieuws/(?P<id>\\d+)(?=/)'", "linear time"),  # a look-ahead
    ],
)
def test_patterns_without_a_linear_time_bound_are_refused(tmp_path, key, value, reason):
    text = BASE.replace("article_path = '^/nieuws/(?P<id>\\d+)/[a-z0-9-]+$'", f"{key} = {value}")
    lines = problems(tmp_path, text)
    assert len(lines) == 1 and reason in lines[0], lines


def test_a_selector_regex_without_a_linear_time_bound_is_refused(tmp_path):
    text = BASE + "\n[sites.krant.selectors]\nheadline = 'xpath://h1[re:test(., \"(\\w+)\\s\\1\")]'\n"
    lines = problems(tmp_path, text)
    assert len(lines) == 1 and "selectors.headline" in lines[0] and "linear time" in lines[0], lines
    # The generic extractor runs boilerplate_xpath as plain XPath 1.0: no regular expressions at all.
    text = BASE.replace("feeds =", "boilerplate_xpath = '//div[re:test(@class, \"(a+)+$\")]'\nfeeds =")
    lines = problems(tmp_path, text)
    assert len(lines) == 1 and "boilerplate_xpath is not XPath 1.0" in lines[0], lines


def test_a_sites_file_that_is_no_file_or_nests_too_deep_is_one_line(tmp_path):
    fifo = tmp_path / "sites.fifo"
    os.mkfifo(fifo)
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 50_000 + "]" * 50_000 + "\n")
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"# " + b"x" * (2 << 20) + b"\n")
    for path, says in [
        (fifo, "not a regular file"),
        (Path("/dev/zero"), "not a regular file"),
        (deep, "nest too deep"),
        (huge, "more than a sites file holds"),
    ]:
        started = time.monotonic()
        result = run_scrapy("list", "-s", f"SITES_FILE={path}", status=2)
        assert time.monotonic() - started < 30
        lines = result.stderr.strip().splitlines()
        assert lines[0] == "newscrawl: refused: SITES_FILE" and len(lines) == 2, result.stderr[-2000:]
        assert lines[1].startswith(f"{path}: ") and says in lines[1], lines


def test_a_declared_feeds_setting_cannot_overwrite_another_dataset(tmp_path):
    other = tmp_path / "nu.jsonl"
    other.write_text('{"site": "nu", "articleId": "1"}\n')
    declared = tmp_path / "sites.toml"
    source = (STADSBLAD / "sites.toml").read_text("utf-8")
    declared.write_text(
        source.replace(
            "[sites.stadsblad.selectors]",
            f'[sites.stadsblad.settings]\nFEEDS = {{ "{other}" = {{ format = "jsonlines", overwrite = true }} }}\n\n'
            "[sites.stadsblad.selectors]",
        ),
        "utf-8",
    )
    result = run_scrapy(
        "crawl",
        "stadsblad",
        "-s",
        f"SITES_FILE={declared}",
        "-s",
        f"REPLAY_WARC={STADSBLAD / 'site.warc.gz'}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        status=2,
    )
    assert "[sites.stadsblad] settings.FEEDS: not a setting a declaration may give" in result.stderr
    assert other.read_text() == '{"site": "nu", "articleId": "1"}\n'


def _hostile_site(tmp_path: Path) -> tuple[Path, Path]:
    """The stadsblad fixture site with a backtracking slug rule and selector, a front page linking
    one slug that ends wrong and an article whose headline ends wrong; one article answers slowly."""
    site = tmp_path / "site"
    shutil.copytree(STADSBLAD / "site", site)
    bad_link = f'<div class="teaser"><a href="/nieuws/1299/{HOSTILE_SLUG}">Kapot</a></div>\n'
    hostile_article = "/nieuws/1204/kop-die-eindigt-met-een-uitroep"
    front = (site / "front.html").read_text("utf-8")
    front = front.replace(
        "</main>", bad_link + f'<div class="teaser"><a href="{hostile_article}">Kop</a></div>\n</main>'
    )
    (site / "front.html").write_text(front, "utf-8")
    article = (site / "article_1202.html").read_text("utf-8")
    article = article.replace("/nieuws/1202/bibliotheek-verlengt-openingstijden", hostile_article)  # its canonical
    head_start = article.index('<h1 class="kop">')
    head_end = article.index("</h1>", head_start)
    hostile_headline = " ".join(["woord"] * 30) + "!"
    article = article[:head_start] + f'<h1 class="kop">{hostile_headline}' + article[head_end:]
    article = article.replace(
        '<div class="artikel-tekst">', '<div class="artikel-tekst"><p>Een kop die met een uitroep eindigt.</p>'
    )
    (site / "article_1204.html").write_text(article, "utf-8")
    records = json.loads((STADSBLAD / "site.json").read_text("utf-8"))
    records["records"].append(
        {
            "url": f"https://www.stadsblad.test{hostile_article}",
            "status": 200,
            "file": "site/article_1204.html",
            "headers": {"Content-Type": "text/html; charset=utf-8"},
        }
    )
    manifest = tmp_path / "site.json"
    manifest.write_text(json.dumps(records), "utf-8")
    declared = tmp_path / "sites.toml"
    source = (STADSBLAD / "sites.toml").read_text("utf-8")
    source = source.replace("article_path = '^/nieuws/(?P<id>\\d{4,})/[a-z0-9-]+$'", f"article_path = '{SLUG_RULE}'")
    source = source.replace(
        'headline = "article h1.kop"', 'headline = [\'xpath://h1[re:test(., "^(\\w+\\s?)+$")]\', "article h1.kop"]'
    )
    assert SLUG_RULE in source and "re:test" in source
    declared.write_text(source, "utf-8")
    return manifest, declared


def _crawl(tmp_path: Path, site: FaultSite, declared: Path) -> subprocess.Popen:
    env = site.start_for_scrapy()
    args = scrapy_crawl(
        "stadsblad",
        tmp_path / "out.jsonl",
        f"SITES_FILE={declared}",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        f"STATS_FILE={tmp_path / 'stats.json'}",
        f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
        "DOWNLOAD_TIMEOUT=20",
    )
    return subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _ended(crawl: subprocess.Popen, timeout: float, otherwise: str) -> str:
    """The crawl's log once it has ended within ``timeout`` seconds; else it is killed and the test fails."""
    try:
        return crawl.communicate(timeout=timeout)[1]
    except subprocess.TimeoutExpired:
        crawl.kill()
        crawl.communicate()
        pytest.fail(otherwise)


def test_a_backtracking_slug_rule_and_selector_do_not_hang_a_live_crawl(tmp_path):
    manifest, declared = _hostile_site(tmp_path)
    site = FaultSite(manifest, {}, tmp_path)
    crawl = _crawl(tmp_path, site, declared)
    try:
        log = _ended(crawl, 90, "the crawl hung on a declared pattern")
    finally:
        site.stop()
    assert crawl.returncode == 0, log[-3000:]
    items = {
        json.loads(line)["articleId"]: json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()
    }
    # The hostile article is read (by the second, plain headline selector) and the wrong slug is no article.
    assert set(items) == {"1201", "1202", "1203", "1204"}
    assert items["1204"]["headline"] == " ".join(["woord"] * 30) + "!"
    assert not any(HOSTILE_SLUG in entry.url for entry in site.log)


def test_sigterm_ends_a_crawl_with_a_manifest_that_says_why(tmp_path):
    manifest, declared = _hostile_site(tmp_path)
    slow = "https://www.stadsblad.test/nieuws/1202/bibliotheek-verlengt-openingstijden"
    site = FaultSite(manifest, {slow: "slow"}, tmp_path, max_delay=60)
    crawl = _crawl(tmp_path, site, declared)
    try:
        deadline = time.monotonic() + 60
        # Wait until the hostile pages are on their way to the parser and the slow one is pending.
        while time.monotonic() < deadline and not any("1204" in entry.url for entry in site.log):
            time.sleep(0.2)
        time.sleep(1.5)
        crawl.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        _ended(crawl, 30, "SIGTERM did not end the crawl")
    finally:
        site.stop()
    assert time.monotonic() - sent < 30
    report = json.loads((tmp_path / "out.jsonl.manifest.json").read_text())
    assert report["finishReason"] == "shutdown"
    assert report["status"] == "failed" and any("shutdown" in problem for problem in report["problems"]), report
