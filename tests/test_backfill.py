"""`newscrawl backfill`: the registered sites' articles in web archives someone else made.

The archives are written here, record by record, from the fixture sites' pages (our own invented
articles) mixed with other hosts, non-article pages, request, metadata and warcinfo records, WARC
1.0 and 1.1, and broken records of every kind. The expected lines are the fixture articles'
expected items (written from what each page shows).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import FIXTURES, PROJECT, manifest, run_newscrawl
from tests.measured import launched

CAPTURED = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
# The fixture sites' live blogs: items, whose updates are tested apart (tests/test_live_blogs.py).
LIVE_BLOGS = {"nu": {"6400108"}, "nos": {"2561004"}, "wnl": set()}


def expected(site: str) -> dict[str, dict]:
    """The fixture site's expected articles by id (what each page shows)."""
    found = {}
    for path in (FIXTURES / site / "expected").glob("*.json"):
        item = json.loads(path.read_text("utf-8"))
        found[item["articleId"]] = item
    return found


def page(site: str, name: str) -> tuple[str, bytes]:
    """(URL, HTML) of a fixture page."""
    record = next(r for r in manifest(site)["records"] if r.get("file") == f"site/{name}" and not r.get("rendered"))
    return record["url"], (FIXTURES / site / record["file"]).read_bytes()


def fixture_pages(site: str) -> list[tuple[str, int, dict, bytes]]:
    """(URL, status, headers, body) of every plain record of a fixture site."""
    pages = []
    for record in manifest(site)["records"]:
        if record.get("rendered"):
            continue
        body = (FIXTURES / site / record["file"]).read_bytes() if record.get("file") else b""
        pages.append((record["url"], record.get("status", 200), record.get("headers", {}), body))
    return pages


class Archive:
    """A WARC file written record by record, gzip per record (or plain), WARC/1.0 or 1.1."""

    def __init__(self, path: Path, gzipped: bool = True, version: str = "WARC/1.0"):
        self.path = path
        self.stream = path.open("wb")
        self.writer = WARCWriter(self.stream, gzip=gzipped, warc_version=version)
        self.offsets: dict[str, list[int]] = {}

    def response(self, url: str, body: bytes, when: datetime = CAPTURED, status: int = 200, headers=None) -> int:
        headers = {"Content-Type": "text/html; charset=UTF-8", **(headers or {})}
        http = StatusAndHeaders(f"{status} OK", list(headers.items()), protocol="HTTP/1.1")
        record = self.writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        offset = self.stream.tell()
        self.writer.write_record(record)
        self.offsets.setdefault(url, []).append(offset)
        return offset

    def request(self, url: str) -> None:
        http = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "example")], is_http_request=True)
        self.writer.write_record(self.writer.create_warc_record(url, "request", http_headers=http))

    def other(self, kind: str, url: str = "") -> None:
        payload = io.BytesIO(b"software: a crawler\r\n")
        self.writer.write_record(
            self.writer.create_warc_record(url, kind, payload=payload, warc_headers_dict={"Content-Type": "text/plain"})
        )

    def raw(self, data: bytes) -> int:
        offset = self.stream.tell()
        self.stream.write(data)
        return offset

    def close(self) -> Path:
        self.stream.close()
        return self.path


def raw_record(url: str, block: bytes, kind: str = "response", length: int | None = None) -> bytes:
    head = (
        f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2025-04-01T09:00:00Z\r\n"
        f"WARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-{abs(hash((url, kind))) % 10**12:012d}>\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(block) if length is None else length}\r\n\r\n"
    )
    return head.encode() + block + b"\r\n\r\n"


def http_block(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n" + body


def backfill(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    result = run_newscrawl("backfill", *args, timeout=timeout)
    return result


def backfill_peak_mb(*args: str) -> float:
    """Run `newscrawl backfill ARGS` (it must succeed); its own peak RSS in MB."""
    status, _, peak, _, stderr = launched([sys.executable, "-m", "newscrawl", "backfill", *args], PROJECT)
    assert status == 0, stderr[-2000:]
    return peak


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


def report(out: Path) -> dict:
    return json.loads((out / "backfill-report.json").read_text("utf-8"))


def record_at(path: Path, offset: int):
    with path.open("rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Date")


def mixed_archive(path: Path, version: str = "WARC/1.0") -> Archive:
    """Three sites' pages among other hosts' pages and records that are no pages."""
    archive = Archive(path, version=version)
    archive.other("warcinfo")
    for site in ("nu", "nos", "wnl"):
        for url, status, headers, body in fixture_pages(site):
            archive.request(url)
            archive.response(url, body, status=status, headers=headers)
            archive.other("metadata", url)
    nu_url, nu_html = page("nu", "article_6400102_energieprijzen.html")
    # Another host's copy of a NU.nl article, its canonical pointing at NU.nl: not NU.nl's article.
    archive.response("https://syndicated.example.net/nieuws/6400102-energieprijzen.html", nu_html)
    archive.response("https://www.telegraaf.example/nieuws/123/bericht.html", b"<html><h1>Elders</h1></html>")
    return archive


def test_mixed_hosts_one_dataset_per_site_through_the_pipeline(tmp_path):
    warc = mixed_archive(tmp_path / "mixed.warc.gz").close()
    out = tmp_path / "out"
    result = backfill(str(warc), "--sites", "nu,wnl", "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]

    for site in ("nu", "wnl"):
        got = {line["articleId"]: line for line in lines(out / f"{site}.jsonl")}
        # Every fixture article the page shows, read as a crawl reads it (the fixture's one empty
        # article is rejected by validation, its copy under a second id dropped by deduplication).
        wanted = {
            key: item
            for key, item in expected(site).items()
            if key not in ("6400110", "6400112")  # rejected (no body) / a copy of 6400101 under another id
        }
        # NU.nl's live blog is an item too (its updates are tested apart): a LiveBlogPosting.
        live = LIVE_BLOGS[site]
        assert set(got) == set(wanted) | live, site
        assert all(got[key]["articleType"] == "LiveBlogPosting" for key in live)
        for key, item in wanted.items():
            line = got[key]
            assert line["headline"] == item["headline"]
            assert line["articleBody"] == item["articleBody"]
            assert line["datePublished"] == item["datePublished"]
            assert line["metadata"]["discoveredVia"] == "archive"
            assert line["metadata"]["dateDownloaded"] == "2025-04-01T09:00:00Z"
            source = line["metadata"]["archive"]
            assert source["warcFile"] == str(warc) and source["captureDate"] == "2025-04-01T09:00:00Z"
            # The offset is where the article's response record starts.
            assert record_at(warc, source["recordOffset"]) == (line["url"], "2025-04-01T09:00:00Z")
        manifest_file = json.loads((out / f"{site}.jsonl.manifest.json").read_text("utf-8"))
        assert manifest_file["counts"]["items"] == len(got)
        assert manifest_file["file"]["lines"] == len(got)
    assert not (out / "nos.jsonl").exists()  # not asked for
    assert "6400102" in {line["articleId"] for line in lines(out / "nu.jsonl")}
    assert all("syndicated" not in line["url"] for line in lines(out / "nu.jsonl"))

    facts = report(out)
    assert facts["records"]["kept"] == sum(facts["sites"][s]["records"] for s in ("nu", "wnl"))
    assert facts["records"]["other_host"] >= 2 + len(fixture_pages("nos"))  # NOS was not asked
    assert facts["records"]["type/request"] > 0 and facts["records"]["type/metadata"] > 0
    assert facts["records"]["type/warcinfo"] == 1
    assert facts["records"]["not_article_url"] > 0
    assert facts["problems"] == []
    assert "nu.jsonl" in result.stdout and "wnl.jsonl" in result.stdout
    # Nothing was fetched: every request the crawl made was a record's.
    assert "backfill/not_fetched" not in result.stderr or "'backfill/not_fetched'" not in result.stderr


def test_warc_1_1_plain_and_the_projects_own_recordings(tmp_path):
    # The pages as uncompressed WARC/1.1 records, and the crawl's own recording of the same site.
    archive = Archive(tmp_path / "v11-plain.warc", gzipped=False, version="WARC/1.1")
    for url, status, headers, body in fixture_pages("nos"):
        archive.response(url, body, status=status, headers=headers)
    plain_rewritten = archive.close()
    out = tmp_path / "out"
    recorded = FIXTURES / "nos" / "site.warc.gz"  # written by the crawl's own WARC recorder
    result = backfill(str(plain_rewritten), str(recorded), "--sites", "nos", "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    got = lines(out / "nos.jsonl")
    assert {line["articleId"] for line in got} == set(expected("nos")) | LIVE_BLOGS["nos"]
    # The same pages twice (two files): the second captures are unchanged, not written again.
    assert report(out)["sites"]["nos"]["unchanged"] == len(got)


def test_captures_are_revisions_or_duplicates_and_dates_limit(tmp_path):
    url, html = page("nu", "article_6400101_zwembad.html")
    edited = html.replace(b"twee keer zoveel", b"drie keer zoveel")
    assert edited != html
    archive = Archive(tmp_path / "captures.warc.gz")
    archive.response(url, html, when=datetime(2025, 4, 1, 9, tzinfo=UTC))
    archive.response(url, html, when=datetime(2025, 4, 1, 12, tzinfo=UTC))  # unchanged: no line
    archive.response(url, edited, when=datetime(2025, 4, 2, 9, tzinfo=UTC))  # edited: revision 2
    other_url, other_html = page("nu", "article_6400104_storing.html")
    archive.response(other_url, other_html, when=datetime(2025, 3, 30, 21, 59, tzinfo=UTC))  # 30 March, Amsterdam
    archive.response(
        other_url.replace("6400104", "6400199"),
        other_html.replace(b"6400104", b"6400199").replace(b"</h1>", b" (later)</h1>"),
        when=datetime(2025, 4, 3, 8, tzinfo=UTC),
    )
    warc = archive.close()

    out = tmp_path / "all"
    assert backfill(str(warc), "--sites", "nu", "-o", str(out)).returncode == 0
    got = lines(out / "nu.jsonl")
    zwembad = [line for line in got if line["articleId"] == "6400101"]
    assert [line["metadata"]["revision"] for line in zwembad] == [1, 2]
    assert "drie keer zoveel" in zwembad[1]["articleBody"]
    assert zwembad[1]["metadata"]["archive"]["captureDate"] == "2025-04-02T09:00:00Z"
    assert report(out)["sites"]["nu"]["unchanged"] == 1

    # --from/--until: capture days in Amsterdam, both ends kept.
    out = tmp_path / "window"
    result = backfill(str(warc), "--sites", "nu", "--from", "2025-03-31", "--until", "2025-04-01", "-o", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    got = lines(out / "nu.jsonl")
    assert [(line["articleId"], line["metadata"]["revision"]) for line in got] == [("6400101", 1)]
    assert report(out)["records"]["outside_dates"] == 3


def test_each_page_is_read_with_the_layout_of_its_capture_date(tmp_path):
    # Both pages are in layout B (the 2024 redesign). Captured in 2023, before B existed, a page
    # is read with layout A, the only one valid then; captured in 2025, with B.
    archive = Archive(tmp_path / "layouts.warc.gz")
    url_2023, html_2023 = page("wnl", "post_500104_podcast.html")
    url_2025, html_2025 = page("wnl", "post_500103_huurwet.html")
    archive.response(url_2023, html_2023, when=datetime(2023, 6, 1, 10, tzinfo=UTC))
    archive.response(url_2025, html_2025, when=datetime(2025, 4, 1, 9, tzinfo=UTC))
    warc = archive.close()
    out = tmp_path / "out"
    result = backfill(str(warc), "--sites", "wnl", "-o", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    parsers = {line["articleId"]: line["metadata"]["parser"] for line in lines(out / "wnl.jsonl")}
    assert parsers == {
        expected_id("wnl", "post_500104_podcast.json"): "wnl/wordpress-a",
        expected_id("wnl", "post_500103_huurwet.json"): "wnl/wordpress-b",
    }


def expected_id(site: str, name: str) -> str:
    return json.loads((FIXTURES / site / "expected" / name).read_text("utf-8"))["articleId"]


def test_bad_records_are_counted_with_their_reason_and_the_rest_is_read(tmp_path):
    urls = [
        page("nu", name)
        for name in (
            "article_6400101_zwembad.html",
            "article_6400102_energieprijzen.html",
            "article_6400103_storm.html",
            "article_6400104_storing.html",
            "article_6400105_kaaswiel.html",
        )
    ]
    archive = Archive(tmp_path / "bad.warc.gz")
    archive.response(*urls[0])
    bad = {}
    bad["not_http"] = archive.raw(
        gzip.compress(raw_record("https://www.nu.nl/binnenland/6400201/a.html", b"no HTTP here"))
    )
    bad["unknown_type"] = archive.raw(gzip.compress(raw_record("https://www.nu.nl/x", b"x", kind="frobnicate")))
    archive.response(*urls[1])
    block = http_block(b"<html>short</html>")
    bad["wrong_content_length"] = archive.raw(
        gzip.compress(raw_record("https://www.nu.nl/binnenland/6400202/b.html", block, length=10))
    )
    archive.response(*urls[2])
    long_offset = archive.raw(
        gzip.compress(raw_record("https://www.nu.nl/binnenland/6400203/c.html", block, length=5000))
    )
    bad["bad_gzip"] = archive.raw(b"this is no gzip member at all" * 3)
    archive.response(*urls[3])
    cut = gzip.compress(raw_record(urls[4][0], http_block(urls[4][1])))
    archive.response(*urls[4])  # a whole copy first (its capture is read), then the cut one
    bad["truncated_gzip"] = archive.raw(cut[: len(cut) // 2])
    warc = archive.close()

    out = tmp_path / "out"
    result = backfill(str(warc), "--sites", "nu", "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    got = {line["articleId"] for line in lines(out / "nu.jsonl")}
    assert got == {"6400101", "6400102", "6400103", "6400104", "6400105"}
    facts = report(out)
    problems = {(p["reason"], p["offset"]) for p in facts["problems"]}
    for reason, offset in bad.items():
        assert (reason, offset) in problems, (reason, facts["problems"])
    assert ("wrong_content_length", long_offset) in problems
    for reason in bad:
        assert facts["records"][f"problem/{reason}"] >= 1
        assert facts["problemReasons"][reason]
    assert "problems: 6" in result.stdout
    assert "truncated_gzip" in result.stderr  # and said in the log, with where


def test_a_2_gb_record_is_passed_over_without_reading_it(tmp_path):
    url, html = page("nu", "article_6400101_zwembad.html")
    path = tmp_path / "big.warc"
    size = 2_200_000_000
    with path.open("wb") as stream:
        stream.write(raw_record("https://www.nu.nl/binnenland/6400300/groot.html", b"", length=size)[:-4])
        stream.seek(size, 1)  # a sparse hole: the block is 2.2 GB on paper
        stream.write(b"\r\n\r\n")
        archive_tail = io.BytesIO()
        writer = WARCWriter(archive_tail, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=UTF-8")], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(html),
                http_headers=http,
                warc_headers_dict={"WARC-Date": "2025-04-01T09:00:00Z"},
            )
        )
        stream.write(archive_tail.getvalue())
    assert path.stat().st_size > 2**31
    out = tmp_path / "out"
    peak = backfill_peak_mb(str(path), "--sites", "nu", "-o", str(out))
    assert peak < 400, peak  # the 2.2 GB block is never read
    assert [line["articleId"] for line in lines(out / "nu.jsonl")] == ["6400101"]
    facts = report(out)
    assert facts["records"]["problem/too_large"] == 1
    assert facts["problems"][0]["offset"] == 0


def test_a_directory_of_thousands_of_files(tmp_path):
    folder = tmp_path / "warcs"
    url, html = page("nu", "article_6400104_storing.html")
    files = 2000
    for number in range(files):
        sub = folder / f"{number // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        archive = Archive(sub / f"part-{number:05d}.warc.gz")
        if number % 100 == 0:
            article = 6400400 + number // 100
            archive.response(
                url.replace("6400104", str(article)),
                html.replace(b"6400104", str(article).encode()).replace(
                    b"urenlang niet", f"{number} uur niet".encode()
                ),
            )
        else:
            archive.response(f"https://elders.example/{number}.html", b"<html>elders</html>")
        archive.close()
    (folder / "README.txt").write_text("not a WARC")
    out = tmp_path / "out"
    result = backfill(str(folder), "--sites", "nu", "-o", str(out), timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    facts = report(out)
    assert facts["files"] == files and facts["records"]["files/read"] == files
    assert facts["records"]["other_host"] == files - 20
    assert len(lines(out / "nu.jsonl")) == 20


def many_articles_archive(path: Path, count: int, first: int = 0) -> Archive:
    url, html = page("nu", "article_6400103_storm.html")
    archive = Archive(path)
    for number in range(first, first + count):
        article = str(6500000 + number)
        archive.response(
            url.replace("6400103", article),
            html.replace(b"6400103", article.encode()).replace(b"zware storm", f"storm nummer {number}".encode()),
        )
        archive.response(f"https://elders.example/{number}.html", b"<html>elders</html>")
    return archive


def test_an_interrupted_backfill_resumes_where_it_stopped_and_writes_nothing_twice(tmp_path):
    count = 1000
    warc = many_articles_archive(tmp_path / "many.warc.gz", count).close()
    out = tmp_path / "out"
    dataset = out / "nu.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "newscrawl", "backfill", str(warc), "--sites", "nu", "-o", str(out)],
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not dataset.exists() or dataset.read_bytes().count(b"\n") < 300):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = dataset.read_bytes().count(b"\n")
    assert 300 <= written < count, "the backfill was not interrupted midway"

    result = backfill(str(warc), "--sites", "nu", "-o", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    got = lines(dataset)
    ids = [line["articleId"] for line in got]
    assert len(ids) == len(set(ids)) == count  # every article once: none lost, none twice
    facts = report(out)
    assert facts["records"]["files/resumed"] == 1
    # It began where the first run's mark was, not at the start of the file.
    assert facts["records"]["records"] < 2 * count
    assert facts["sites"]["nu"]["unchanged"] + facts["sites"]["nu"]["items"] <= count

    # A third run has nothing left to read in the file.
    again = backfill(str(warc), "--sites", "nu", "-o", str(out))
    assert again.returncode == 0
    assert report(out)["records"]["files/already_read"] == 1
    assert dataset.read_bytes().count(b"\n") == count


def test_arguments_refused(tmp_path):
    assert backfill(str(tmp_path / "missing.warc.gz"), "-o", str(tmp_path / "o")).returncode == 2
    warc = Archive(tmp_path / "a.warc.gz").close()
    result = backfill(str(warc), "--sites", "nu,nowhere", "-o", str(tmp_path / "o"))
    assert result.returncode == 2 and "nowhere" in result.stderr
    result = backfill(str(warc), "--from", "2025-02-01", "--until", "2025-01-01", "-o", str(tmp_path / "o"))
    assert result.returncode == 2


@pytest.mark.parametrize("gzipped", [True, False])
def test_framing_gives_each_record_its_exact_offset(tmp_path, gzipped):
    from newscrawl.crawl.warcfile import read_entries

    archive = Archive(tmp_path / ("f.warc.gz" if gzipped else "f.warc"), gzipped=gzipped)
    offsets = [
        archive.response(f"https://www.nu.nl/binnenland/{6400000 + n}/x.html", b"<p>%d</p>" % n) for n in range(5)
    ]
    junk = archive.raw(b"garbage between records\r\n\r\n")
    offsets.append(archive.response("https://www.nu.nl/binnenland/6400999/y.html", b"<p>last</p>"))
    warc = archive.close()
    with warc.open("rb") as stream:
        entries = list(read_entries(stream, 0, lambda headers: True, 1 << 20))
    good = [e for e in entries if e.problem is None]
    assert [e.offset for e in good] == offsets
    assert [e.problem for e in entries if e.problem] == ["bad_gzip" if gzipped else "not_warc"]
    assert next(e for e in entries if e.problem).offset == junk
    # Each entry ends where the next begins.
    assert all(a.offset + a.length == b.offset for a, b in zip(entries, entries[1:]))
    assert entries[-1].offset + entries[-1].length == os.path.getsize(warc)
    # From a record's offset, reading starts there.
    with warc.open("rb") as stream:
        assert [e.offset for e in read_entries(stream, offsets[3], lambda h: True, 1 << 20) if not e.problem][
            0
        ] == offsets[3]


def test_framing_of_records_larger_than_the_inflaters_slices(tmp_path):
    """Members of 200 KB and 9 MB (the inflater gives 4 MB a call) end where the next begins."""
    import random

    from newscrawl.crawl.warcfile import parse_response, read_entries

    archive = Archive(tmp_path / "large.warc.gz")
    rng = random.Random(5)
    bodies, offsets = [], []
    for number, size in enumerate([200_000, 9_000_000, 70_000]):
        # Text that compresses like a page (not a run of one byte): the members are of real size.
        words = ("storm", "kabinet", "dijk", "rivier", "1", "zwembad")
        bodies.append(" ".join(rng.choice(words) for _ in range(size // 6)).encode())
        offsets.append(archive.response(f"https://www.nu.nl/binnenland/{6400600 + number}/x.html", bodies[-1]))
    warc = archive.close()
    with warc.open("rb") as stream:
        entries = list(read_entries(stream, 0, lambda headers: True, 16 << 20))
    assert [(e.offset, e.problem) for e in entries] == [(offset, None) for offset in offsets]
    assert all(a.offset + a.length == b.offset for a, b in zip(entries, entries[1:], strict=False))
    assert entries[-1].offset + entries[-1].length == os.path.getsize(warc)
    assert [parse_response(e.data).body for e in entries] == bodies
    # A kept record larger than max_block is too_large, never held; the next is read.
    with warc.open("rb") as stream:
        small = list(read_entries(stream, 0, lambda headers: True, 1_000_000))
    assert [e.problem for e in small] == [None, "too_large", None]


def test_a_cluster_backfill_takes_over_a_killed_workers_file(tmp_path, redis_url):
    """Two workers on a real Redis share three files; one is killed mid-file. The other takes its
    file over from the marks it left: every article is in one of the two datasets, once."""
    per_file = 300
    files = [
        str(many_articles_archive(tmp_path / f"part{n}.warc.gz", per_file, first=n * 1000).close()) for n in range(3)
    ]
    prefix = f"backfill-test-{os.getpid()}"
    common = [*files, "--sites", "nu", "-s", f"REDIS_URL={redis_url}", "-s", f"REDIS_KEY_PREFIX={prefix}"]
    common += ["-s", "CLUSTER_DEAD_AFTER=3", "-s", "LOG_LEVEL=INFO"]

    def worker(name: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        command = [sys.executable, "-m", "newscrawl", "backfill", *common, "-o", str(tmp_path / name)]
        return subprocess.Popen(command, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)

    first = worker("a")
    dataset = tmp_path / "a" / "nu.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not dataset.exists() or dataset.read_bytes().count(b"\n") < 60):
        time.sleep(0.02)
    second = worker("b")
    first.send_signal(signal.SIGKILL)
    first.wait()
    written_by_a = dataset.read_bytes().count(b"\n")
    assert 60 <= written_by_a < per_file, "the first worker was not killed midway through its file"
    second.wait(timeout=300)
    log = (tmp_path / "b.log").read_text()
    assert second.returncode == 0, log[-3000:]

    ids = [line["articleId"] for name in ("a", "b") for line in lines(tmp_path / name / "nu.jsonl")]
    assert len(ids) == len(set(ids)) == 3 * per_file  # none lost, none twice
    facts = report(tmp_path / "b")
    assert facts["records"]["files/resumed"] == 1  # the killed worker's file, from its marks
    assert facts["records"]["records"] < 3 * 2 * per_file  # not read again from its start
    assert "died reading" in log and files[0] in log


def test_processes_split_the_articles_and_agree_with_one_process(tmp_path):
    """--processes 2: each process keeps the articles whose key hashes to it, so every capture of
    an article meets the others in one process; together they write what one process writes."""
    url, html = page("nu", "article_6400101_zwembad.html")
    files = []
    for n in range(3):
        archive = many_articles_archive(tmp_path / f"part{n}.warc.gz", 60, first=n * 30)  # half the ids again
        # The same article in every file, edited in the last: revision 1, then 2.
        edited = html if n < 2 else html.replace(b"twee keer zoveel", b"drie keer zoveel")
        archive.response(url, edited, when=datetime(2025, 4, 1 + n, 9, tzinfo=UTC))
        archive.response(*page("nu", "article_6400110_leeg.html"))  # no text: rejected, in the rejects file
        files.append(str(archive.close()))
    one = tmp_path / "one"
    assert backfill(*files, "--sites", "nu", "-o", str(one)).returncode == 0
    two = tmp_path / "two"
    result = backfill(*files, "--sites", "nu", "--processes", "2", "-o", str(two))
    assert result.returncode == 0, result.stderr[-3000:]

    def written(folder: Path, pattern: str) -> list[tuple]:
        return sorted(
            (line["articleId"], line["metadata"]["revision"], line["metadata"]["contentHash"])
            for path in folder.glob(pattern)
            for line in lines(path)
        )

    parts = sorted(two.glob("nu.part-*-of-2.jsonl"))
    assert [p.name for p in parts] == ["nu.part-1-of-2.jsonl", "nu.part-2-of-2.jsonl"]
    assert all(lines(p) for p in parts)  # both processes had articles
    assert written(two, "nu.part-*-of-2.jsonl") == written(one, "nu.jsonl")
    assert ("6400101", 2) in {(a, r) for a, r, _ in written(two, "nu.part-*-of-2.jsonl")}
    combined = report(two)
    assert combined["records"]["kept"] == report(one)["records"]["kept"]
    assert "backfill with 2 processes" in result.stdout

    # Each process its own rejects file: the empty article, in the process its key hashes to.
    rejects = {p.name for p in two.glob("*.rejects.jsonl")}
    assert len(rejects) == 1 and rejects <= {"nu.part-1-of-2.rejects.jsonl", "nu.part-2-of-2.rejects.jsonl"}
    # Run again with the same number: every file is read already, nothing is written twice.
    again = backfill(*files, "--sites", "nu", "--processes", "2", "-o", str(two))
    assert again.returncode == 0, again.stderr[-2000:]
    assert written(two, "nu.part-*-of-2.jsonl") == written(one, "nu.jsonl")
    # Resuming with another number of processes would mix two states: refused.
    again = backfill(*files, "--sites", "nu", "--processes", "3", "-o", str(two))
    assert again.returncode == 2 and "2 processes" in again.stderr


def test_memory_stays_bounded_whatever_the_number_of_records(tmp_path):
    """1,500 pages of 60 KB (90 MB of HTML) in bounded memory: a page is held from its record's
    reading to its line's writing, never the file's pages together (127 MB at the peak)."""
    url, html = page("nu", "article_6400103_storm.html")
    padding = b"<!-- " + b"menu " * 12_000 + b"-->"  # a page of about 60 KB, as real pages are
    archive = Archive(tmp_path / "big.warc.gz")
    for number in range(1500):
        article = str(6600000 + number)
        body = html.replace(b"6400103", article.encode()).replace(b"zware storm", f"storm {number}".encode())
        archive.response(url.replace("6400103", article), body.replace(b"</body>", padding + b"</body>"))
    warc = archive.close()
    out = tmp_path / "out"
    peak = backfill_peak_mb(str(warc), "--sites", "nu", "-o", str(out))
    assert len(lines(out / "nu.jsonl")) == 1500
    assert peak < 400, f"peak {peak:.0f} MB"
