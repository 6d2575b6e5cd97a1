"""Shared test helpers: fixture sites are read from tests/fixtures/<site>/site.json (never from ../shared)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir
from scrapy.http import Request
from scrapy.responsetypes import responsetypes

from newscrawl.extract.requestinfo import META_KEY, RequestInfo
from newscrawl.tools.fixtures import load_manifest

# Hypothesis keeps nothing in the work tree: no example database, its home in the temp directory.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "newscrawl-hypothesis"))
hypothesis_settings.register_profile("newscrawl", database=None)
hypothesis_settings.load_profile("newscrawl")

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).parent.parent


@dataclass(frozen=True)
class FixtureSite:
    """A registered site with its fixture folder tests/fixtures/<name>/: a package's, or one
    declared in a fixture folder's sites.toml (crawled with that file as SITES_FILE)."""

    name: str
    site: object  # newscrawl.extract.registry.Site
    options: tuple[str, ...] = ()  # scrapy options that register the site

    @property
    def folder(self) -> Path:
        return FIXTURES / self.name

    @contextmanager
    def registered(self):
        """The site in the registry for the block (a declared site is not, unless its file is named)."""
        from newscrawl.extract.registry import register_declared

        if not self.options:
            yield self.site
            return
        register_declared({self.name: self.site})
        try:
            yield self.site
        finally:
            register_declared({})


@cache
def fixture_sites() -> dict[str, FixtureSite]:
    """Every site the tests hold to the same checks, by name: the packages' and the declared ones."""
    from newscrawl.extract.declared import load_sites
    from newscrawl.extract.registry import package_sites

    found = {name: FixtureSite(name, site) for name, site in package_sites().items()}
    for path in sorted(FIXTURES.glob("*/sites.toml")):
        for name, site in load_sites(path, package_sites()).items():
            found[name] = FixtureSite(name, site, ("-s", f"SITES_FILE={path}"))
    return found


def manifest(site: str) -> dict:
    return load_manifest(FIXTURES / site / "site.json")


def fixture_response(site: str, url: str, rendered: bool = False, **meta):
    """The response the site fixture serves for ``url``, as the replay middleware would build it."""
    data = manifest(site)
    entry = next(r for r in data["records"] if r["url"] == url and r.get("rendered", False) == rendered)
    date = datetime.fromisoformat(entry.get("date", data["date"]).replace("Z", "+00:00"))
    body = (FIXTURES / site / entry["file"]).read_bytes() if entry.get("file") else b""
    headers = {"Date": date.strftime("%a, %d %b %Y %H:%M:%S GMT"), **entry.get("headers", {})}
    request = Request(url, meta={META_KEY: RequestInfo(archived_at=date, **meta)})
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=entry.get("status", 200), headers=headers, body=body, request=request)


def page_url(site: str, page_name: str) -> str:
    """The URL a stored fixture page is served at."""
    return next(
        r["url"]
        for r in manifest(site)["records"]
        if r.get("file") == f"site/{page_name}.html" and not r.get("rendered")
    )


def run_scrapy(*args: str, cwd: Path | None = None, status: int = 0) -> subprocess.CompletedProcess:
    """A `scrapy` command of the project, as a user runs it; fails the test unless it exits with ``status``.

    It runs in a scratch directory (the project found through SCRAPY_SETTINGS_MODULE), so that
    relative defaults (output/, the state store) never land in the work tree.
    """
    env = {
        **os.environ,
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])),
    }
    with tempfile.TemporaryDirectory(prefix="newscrawl-test-") as scratch:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", *args],
            cwd=cwd or scratch,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == status, result.stderr[-4000:]
    return result


def run_newscrawl(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The `newscrawl` command of the project (python -m newscrawl), run in the project (or ``cwd``)."""
    return subprocess.run(
        [sys.executable, "-m", "newscrawl", *args], capture_output=True, text=True, cwd=cwd or PROJECT, timeout=timeout
    )


def replay_crawl(
    spider: str, tmp_path: Path, *extra: str, archive: Path | None = None, name: str | None = None
) -> tuple[list[str], dict, str]:
    """`scrapy crawl <spider>` replayed from a WARC: (dataset lines, final stats, log)."""
    name = name or spider
    archive = archive or FIXTURES / spider / "site.warc.gz"
    known = fixture_sites().get(spider)
    extra = (*(known.options if known else ()), *extra)  # a later -s of the same name wins
    feed, stats_file = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.stats.json"
    result = run_scrapy(
        "crawl",
        spider,
        "-O",
        str(feed),
        "-s",
        f"REPLAY_WARC={archive}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        "-s",
        f"STATS_FILE={stats_file}",
        *extra,
    )
    return feed.read_text("utf-8").splitlines(), json.loads(stats_file.read_text("utf-8")), result.stderr


def project_crawler(spidercls, **overrides):
    """A crawler with the project's settings (settings.py holds every default) and a spider."""
    from scrapy.utils.project import get_project_settings
    from scrapy.utils.test import get_crawler

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    values = settings.copy_to_dict()
    values["TWISTED_REACTOR_ENABLED"] = False  # no reactor runs in a unit test
    crawler = get_crawler(spidercls, values)
    crawler.spider = crawler._create_spider()
    return crawler


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server on a free loopback port, for the tests of one module."""
    from loopback import RedisServer

    if not shutil.which("redis-server"):
        pytest.skip(
            "redis-server is not installed (apt-get install redis-server; scripts/install-system-deps.sh does it)"
        )
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


def cluster_worker(out: Path, redis_url: str, key_prefix: str, **settings) -> subprocess.Popen:
    """A `scrapy crawl nu` worker of a distributed crawl of the loopback site (tests/loopback.py):
    feed ``out``, beside it ``.stats.json``, ``.log`` and ``.samples``; ``settings`` override the defaults here."""
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "nu",
        "-O",
        str(out),
        "-a",
        "archive=1",
        "-a",
        "sections=",
        "-a",
        "related_depth=0",
        "-s",
        f"REDIS_URL={redis_url}",
        "-s",
        f"REDIS_KEY_PREFIX={key_prefix}",
        "-s",
        "TWISTED_DNS_RESOLVER=loopback.LoopbackResolver",
        "-s",
        f"STATS_FILE={out.with_suffix('.stats.json')}",
        "-s",
        "AUTOTHROTTLE_ENABLED=0",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16",
        "-s",
        "CLUSTER_CLOSE_AFTER=2",
        "-s",
        "LOG_LEVEL=INFO",
        "-s",
        f"HEALTH_SAMPLES_DIR={out.with_suffix('.samples')}",
    ]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]  # the last -s of a name wins
    env = {**os.environ, "PYTHONPATH": str(PROJECT / "tests")}
    log = open(out.with_suffix(".log"), "w")
    return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_for_worker(process: subprocess.Popen, timeout: float, log: Path) -> None:
    """The worker ran to its end and exited 0 (else the test fails with its log's tail)."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"worker did not finish within {timeout} s; log tail:\n{log.read_text()[-3000:]}")
    assert process.returncode == 0, log.read_text()[-3000:]


@contextmanager
def synthetic_site_served(work: Path, articles: int):
    """nginx on 127.0.0.1 serving a synthetic NU.nl site of ``articles`` articles
    (benchmarks/synthetic_site.py) for the distributed crawls; the test is skipped where it cannot run."""
    from loopback import LoopbackSite, available

    reason = available()
    if reason:
        pytest.skip(f"no loopback site: {reason}")
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from synthetic_site import generate

    served = LoopbackSite.from_warc(generate(articles, work / "site.warc.gz"), work)
    served.start()
    try:
        yield served
    finally:
        served.stop()
