"""WARC record and replay: a real HTTP server on 127.0.0.1 is recorded, then replayed with the server gone."""

import gzip
import json
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import FIXTURES, PROJECT
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from newscrawl.crawl.archive import WarcArchive, WarcReplayMiddleware
from newscrawl.extract.registry import sites
from newscrawl.tools.fixtures import load_manifest, pack

SPIDER = """
import scrapy

class Walk(scrapy.Spider):
    name = "walk"
    custom_settings = {"ROBOTSTXT_OBEY": False, "ITEM_PIPELINES": {}, "ADDONS": {}, "FEED_EXPORT_FIELDS": None, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}

    async def start(self):
        yield scrapy.Request(self.root + "/index.html", callback=self.parse)
        yield scrapy.Request(self.root + "/missing.html", callback=self.parse, errback=self.failed)

    def parse(self, response):
        yield {"url": response.url, "status": response.status, "title": response.css("title::text").get(), "encoding": response.headers.get("Content-Encoding", b"").decode()}
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse, errback=self.failed)

    def failed(self, failure):
        yield {"url": failure.request.url, "failed": failure.value.__class__.__name__}
"""


class GzipHandler(SimpleHTTPRequestHandler):
    """Serves index.html gzip-compressed, so the archive must keep the encoded body and its header."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/index.html":
            body = gzip.compress(
                b'<html><head><title>Voorpagina</title></head><body><a href="/redirect">x</a></body></html>'
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/redirect":
            self.send_response(301)
            self.send_header("Location", "/artikel.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            super().do_GET()


def crawl(tmp_path, out_name, **settings):
    spider_file = tmp_path / "walk.py"
    spider_file.write_text(SPIDER, "utf-8")
    root = settings.pop("root")
    # The local server is the one test host the scope lets through (newscrawl/crawl/scope.py).
    args = [
        sys.executable,
        "-m",
        "scrapy",
        "runspider",
        str(spider_file),
        "-O",
        str(tmp_path / out_name),
        "-a",
        f"root={root}",
        "-s",
        f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
        "-s",
        f"SCOPE_TEST_HOSTS={root.split('//', 1)[1]}",
    ]
    for key, value in settings.items():
        args += ["-s", f"{key}={value}"]
    result = subprocess.run(args, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / out_name).read_text("utf-8").splitlines()]
    return sorted(rows, key=lambda r: r["url"]), result.stderr


def test_record_then_replay_gives_the_same_crawl_without_the_server(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "artikel.html").write_text("<html><head><title>Artikel</title></head><body>tekst</body></html>", "utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(GzipHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    root = f"http://127.0.0.1:{server.server_port}"
    warc = tmp_path / "rec.warc.gz"
    try:
        live, _ = crawl(tmp_path, "live.jsonl", root=root, RECORD_WARC=warc)
    finally:
        server.shutdown()
        server.server_close()
    archive = WarcArchive.open(str(warc))
    assert {archive.get(u)["status"] for u in (f"{root}/index.html", f"{root}/redirect", f"{root}/missing.html")} == {
        200,
        301,
        404,
    }
    assert archive.get(f"{root}/index.html")["body"][:2] == b"\x1f\x8b"  # stored as sent: still gzip
    archive.close()

    replayed, log = crawl(tmp_path, "replay.jsonl", root=root, REPLAY_WARC=warc)
    assert replayed == live
    assert [r.get("title") for r in live] == ["Artikel", "Voorpagina", None]
    assert live[2]["failed"] == "HttpError"  # the recorded 404 replays as a 404
    # robots.txt is off: index, redirect, its target, missing, and the site's tdmrep.json (a 404 recorded and replayed)
    assert "'replay/hit': 5" in log


def test_missing_url_is_counted_and_never_fetched():
    crawler = get_crawler(settings_dict={"REPLAY_WARC": str(FIXTURES / "nu" / "site.warc.gz")})
    middleware = WarcReplayMiddleware.from_crawler(crawler)
    with pytest.raises(IgnoreRequest, match="not in the replay archive"):
        middleware.process_request(Request("https://www.nu.nl/binnenland/6499999/bestaat-niet.html"))
    assert crawler.stats.get_value("replay/missing") == 1
    response = middleware.process_request(Request("https://www.nu.nl/-/6400105/"))
    assert response.status == 302 and b"/opmerkelijk/6400105/" in response.headers["Location"]
    assert "replay" in response.flags


ARCHIVES = sorted(
    {
        *((site, "site") for site in sites()),
        *((path.parent.name, path.name.removesuffix(".warc.gz")) for path in FIXTURES.glob("*/*.warc.gz")),
    }
)


@pytest.mark.parametrize(("site", "name"), ARCHIVES)
def test_committed_fixture_archive_matches_its_manifest(tmp_path, site, name):
    """Whoever edits a fixture page must re-pack: python -m newscrawl.tools.fixtures pack tests/fixtures/<site>/<name>.json tests/fixtures/<site>/<name>.warc.gz"""
    fresh = tmp_path / "fresh.warc.gz"
    pack(FIXTURES / site / f"{name}.json", fresh)
    committed, rebuilt = WarcArchive.open(str(FIXTURES / site / f"{name}.warc.gz")), WarcArchive.open(str(fresh))
    records = load_manifest(FIXTURES / site / f"{name}.json")["records"]
    assert sorted(committed.index) == sorted(rebuilt.index) and len(records) == len(committed)
    for url, rendered in committed.index:
        old, new = committed.get(url, rendered), rebuilt.get(url, rendered)
        assert (old["status"], old["body"], old["headers"]) == (new["status"], new["body"], new["headers"]), url


def test_the_fast_record_reader_reads_what_warcio_reads():
    from newscrawl.crawl.archive import _read_response_record, read_record_with_warcio

    checked = 0
    for path in sorted(FIXTURES.glob("*/*.warc.gz")):
        archive = WarcArchive.open(str(path))
        with path.open("rb") as stream:
            for (url, _rendered), (_, offset, length) in archive.index.items():
                stream.seek(offset)
                fast = _read_response_record(stream.read(length))
                stream.seek(offset)
                assert fast is not None and fast == read_record_with_warcio(stream), url
                checked += 1
        archive.close()
    assert checked > 50
    assert (
        _read_response_record(b"\x1f\x8b not gzip") is None
        and _read_response_record(b"WARC/1.0\r\nWARC-Type: request\r\n\r\n") is None
    )


def test_a_later_capture_is_its_site_with_the_changes_applied(tmp_path):
    import json
    import shutil

    later = load_manifest(FIXTURES / "nu" / "later.json")
    changed = [entry for entry in later["records"] if "replace" in entry]
    assert {entry["file"] for entry in changed} == {"site/article_6400103_storm.html", "site/rss_Algemeen.xml"}
    assert (
        len(later["records"]) == len(load_manifest(FIXTURES / "nu" / "site.json")["records"])
        and later["date"] == "2025-04-01T10:00:00Z"
    )
    # A change whose text the page no longer has is refused, not packed silently unchanged.
    shutil.copytree(FIXTURES / "nu", tmp_path / "nu", ignore=shutil.ignore_patterns("*.warc.gz", "expected"))
    stale = tmp_path / "nu" / "stale.json"
    stale.write_text(
        json.dumps(
            {
                "extends": "site.json",
                "date": "2025-04-01T10:00:00Z",
                "changes": [{"file": "site/article_6400103_storm.html", "replace": ["not on the page", "x"]}],
            }
        )
    )
    with pytest.raises(ValueError, match="no longer fits"):
        pack(stale, tmp_path / "stale.warc.gz")


def test_packing_refuses_a_fixture_site_with_each_problem_on_a_line(tmp_path):
    # The rules a fixture site must keep, said by the packing tool instead of found by experiment.
    site = tmp_path / "voorbeeld"
    shutil.copytree(FIXTURES / "stadsblad", site, ignore=shutil.ignore_patterns("*.warc.gz"))
    manifest = json.loads((site / "site.json").read_text("utf-8"))
    manifest["records"] = [
        r
        for r in manifest["records"]
        if not r["url"].endswith(("/robots.txt", "/1202/bibliotheek-verlengt-openingstijden"))
    ]
    manifest["records"].append({"url": "https://cdn.stadsblad.test/logo.png", "status": 200, "file": "site/logo.png"})
    (site / "site.json").write_text(json.dumps(manifest), "utf-8")
    (site / "expected" / "article_1203.json").rename(site / "expected" / "markt.json")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newscrawl.tools.fixtures",
            "pack",
            str(site / "site.json"),
            str(tmp_path / "x.warc.gz"),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT,
    )
    assert result.returncode == 1 and not (tmp_path / "x.warc.gz").exists()
    assert result.stderr.splitlines()[1:] == [
        "  no record of https://cdn.stadsblad.test/robots.txt (every host the crawl asks needs one)",
        "  no record of https://www.stadsblad.test/robots.txt (every host the crawl asks needs one)",
        "  https://cdn.stadsblad.test/logo.png: its file site/logo.png is not there",
        "  expected/article_1201.json: links https://www.stadsblad.test/nieuws/1202/bibliotheek-verlengt-openingstijden, which the archive does not hold",
        "  expected/article_1202.json: no record serves site/article_1202.html at its url 'https://www.stadsblad.test/nieuws/1202/bibliotheek-verlengt-openingstijden'",
        "  expected/markt.json: no record serves site/markt.html at its url 'https://www.stadsblad.test/nieuws/1203/markt-verhuist-tijdelijk-naar-het-plein'",
    ], result.stderr
