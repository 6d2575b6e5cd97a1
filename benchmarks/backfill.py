"""Backfill from a CC-NEWS-like archive: pages per second, CPU per kept article against the floor,
the WARC readers side by side, other extractors on the same pages, and memory at ten times the size.

    .venv/bin/python benchmarks/backfill.py                 # about 10 minutes; archives cached in benchmarks/.cache/backfill/
    .venv/bin/python benchmarks/backfill.py --captures 500  # a quick look

The archive (made once, offline): CC-NEWS's form, gzip per record, a request and a response record
per capture. 20 % of the captures are articles of NU.nl and WNL in their realistic markup
(benchmarks/synthetic_site.py: the fixture articles with their own ids, dates and text, 50-150 KB
like real pages), so about 10 % of the records are article pages; the rest are the same kind of
pages on other hosts and the sites' pages that are no articles (sitemaps, robots.txt, the front).

Everything runs on one core (taskset -c 0 when there is one). CPU is user + system of each
process (wait4), net of start-up: a run on a one-record archive is subtracted.

* ``newscrawl backfill``: the whole pipeline (read, parse, validate, deduplicate, write).
* The floor: the same file read with fastwarc, each kept page parsed by ``lxml.html.fromstring``,
  nothing else.
* The readers: warcio, fastwarc and newscrawl's framing (newscrawl/crawl/warcfile.py) reading
  every record and its payload.
* trafilatura, news-please (in its own venv, as benchmarks/run.py installs it) and Fundus (its
  own venv) on the same kept pages, per page.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache" / "backfill"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic_site import ARTICLE_MARK, SITES  # noqa: E402
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

from tests.measured import launched  # noqa: E402

OTHER_HOSTS = [f"www.dagblad{number}.example" for number in range(40)]
FUNDUS_VENV = ROOT / "benchmarks" / ".cache" / "venv-fundus"


def one_core() -> list[str]:
    return ["taskset", "-c", "0"] if shutil.which("taskset") and os.cpu_count() and os.cpu_count() > 1 else []


def build_archive(path: Path, captures: int, seed: int = 7) -> dict:
    """The CC-NEWS-like archive of ``captures`` captures; returns what it holds."""
    rng = random.Random(seed)
    articles = captures // 5
    per_site = articles // 2
    pages: dict[str, list] = {}
    for site in ("nu", "wnl"):
        site_pages = list(SITES[site](per_site * 5, random.Random(seed + len(site))))
        pages[site] = [p for p in site_pages if ARTICLE_MARK[site] in p[0] and p[3] == 200]
        pages[site + "/other"] = [p for p in site_pages if ARTICLE_MARK[site] not in p[0]]
    kept = pages["nu"][:per_site] + pages["wnl"][:per_site]
    spare = pages["nu"][per_site:] + pages["wnl"][per_site:]
    others = []
    for number in range(captures - len(kept)):
        if number % 15 == 0 and (pages["nu/other"] or pages["wnl/other"]):
            source = pages["nu/other"] or pages["wnl/other"]
            others.append(source.pop())
            continue
        url, body, headers, status = spare[number % len(spare)]
        host = OTHER_HOSTS[number % len(OTHER_HOSTS)]
        path_part = url.split("/", 3)[3]
        others.append((f"https://{host}/{number}/{path_part}", body, headers, status))
    order = [("kept", item) for item in kept] + [("other", item) for item in others]
    rng.shuffle(order)
    served = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
    path.parent.mkdir(parents=True, exist_ok=True)
    records = 0
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True, warc_version="WARC/1.1")
        writer.write_record(
            writer.create_warc_record("", "warcinfo", payload=io.BytesIO(b"software: synthetic CC-NEWS\r\n"))
        )
        records += 1
        for number, (_kind, (url, body, headers, status)) in enumerate(order):
            when = (served + timedelta(seconds=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
            request = StatusAndHeaders(
                f"GET /{url.split('/', 3)[-1]} HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True
            )
            writer.write_record(
                writer.create_warc_record(url, "request", http_headers=request, warc_headers_dict={"WARC-Date": when})
            )
            http = StatusAndHeaders(f"{status} OK", [*headers, ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": when}
                )
            )
            records += 2
    return {"records": records, "captures": len(order), "articles": len(kept), "bytes": path.stat().st_size}


def archive(captures: int) -> tuple[Path, dict]:
    path = CACHE / f"ccnews-like-{captures}.warc.gz"
    facts_file = path.with_suffix(".json")
    if not path.exists() or not facts_file.exists():
        print(f"(making {path.name} …)", file=sys.stderr, flush=True)
        # In its own process: the pages it generates would swell this one, and a child's peak RSS
        # (wait4) counts the memory it was forked with.
        subprocess.run([sys.executable, __file__, "--make", str(captures)], check=True)
    return path, json.loads(facts_file.read_text())


def startup_archive() -> Path:
    path = CACHE / "one-record.warc.gz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as stream:
            writer = WARCWriter(stream, gzip=True)
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    "https://www.elders.example/", "response", payload=io.BytesIO(b"<html></html>"), http_headers=http
                )
            )
    return path


def measured(command: list[str], cwd: Path = ROOT) -> tuple[float, float, float, str]:
    """(CPU s, wall s, peak RSS MB, stdout) of one process on one core, its own usage alone
    (tests/measured.py: this process holds pages, which a forked child would count as its own)."""
    started = time.monotonic()
    status, cpu, peak, stdout, stderr = launched(command, cwd, tuple(one_core()))
    if status != 0:
        raise RuntimeError(f"{command}: exit {status}\n{stderr[-2000:]}")
    return cpu, time.monotonic() - started, peak, stdout


def backfill_run(warc: Path) -> tuple[float, float, float, dict]:
    with tempfile.TemporaryDirectory(prefix="backfill-bench-") as out:
        cpu, wall, peak, _ = measured(
            [
                sys.executable,
                "-m",
                "newscrawl",
                "backfill",
                str(warc),
                "--sites",
                "nu,wnl",
                "-o",
                out,
                "-s",
                "LOG_LEVEL=WARNING",
            ]
        )
        report = json.loads((Path(out) / "backfill-report.json").read_text())
    return cpu, wall, peak, report


FLOOR = """
import sys, json
from fastwarc.warc import ArchiveIterator, WarcRecordType
import lxml.html
offsets = set(json.load(open(sys.argv[2])))
parsed = 0
for record in ArchiveIterator(open(sys.argv[1], 'rb'), record_types=WarcRecordType.response):
    if record.stream_pos in offsets:
        lxml.html.fromstring(record.reader.read()); parsed += 1
print(parsed)
"""


def floor_run(warc: Path, offsets: list[int]) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "offsets.json"
        listing.write_text(json.dumps(offsets))
        cpu, wall, peak, out = measured([sys.executable, "-c", FLOOR, str(warc), str(listing)])
    return cpu, wall, peak, int(out.split()[-1])


def kept_pages(warc: Path) -> tuple[list[int], list[tuple[str, bytes]]]:
    """The offsets and (URL, HTML) of the records the backfill keeps (as it frames and chooses them)."""
    from newscrawl.crawl.backfill import Scan
    from newscrawl.crawl.warcfile import parse_response, read_entries
    from newscrawl.extract.registry import sites

    scan = Scan([str(warc)], {name: sites()[name] for name in ("nu", "wnl")})
    offsets, pages = [], []
    with warc.open("rb") as stream:
        for entry in read_entries(stream, 0, lambda headers: scan.classify(headers)[0] == "kept", 16 << 20):
            if entry.data is not None:
                response = parse_response(entry.data)
                if response is not None and response.status == 200:
                    offsets.append(entry.offset)
                    pages.append((entry.url, response.body))
    return offsets, pages


READERS = """
import sys, time
path, which = sys.argv[1], sys.argv[2]
start = time.process_time(); records = 0; payload = 0
if which == 'warcio':
    from warcio.archiveiterator import ArchiveIterator
    with open(path, 'rb') as stream:
        for record in ArchiveIterator(stream):
            payload += len(record.content_stream().read()); records += 1
elif which == 'fastwarc':
    from fastwarc.warc import ArchiveIterator
    for record in ArchiveIterator(open(path, 'rb')):
        payload += len(record.reader.read()); records += 1
else:
    from newscrawl.crawl.warcfile import read_entries, parse_response
    with open(path, 'rb') as stream:
        for entry in read_entries(stream, 0, lambda headers: True, 1 << 26):
            records += 1
            if entry.warc_type == 'response':
                payload += len(parse_response(entry.data).body)
print(records, payload, time.process_time() - start)
"""


def reader_rows(warc: Path) -> list[tuple[str, int, float]]:
    rows = []
    for which in ("warcio", "fastwarc", "newscrawl framing + fastwarc"):
        best = None
        for _ in range(3):
            _, _, _, out = measured([sys.executable, "-c", READERS, str(warc), which.split()[0]])
            records, _payload, seconds = out.split()
            best = float(seconds) if best is None else min(best, float(seconds))
        rows.append((which, int(records), best))
    return rows


def trafilatura_ms(pages: list[tuple[str, bytes]]) -> float:
    import trafilatura

    trafilatura.extract(pages[0][1].decode("utf-8"), url=pages[0][0])
    best = None
    for _ in range(3):
        started = time.process_time()
        for url, body in pages:
            trafilatura.extract(body.decode("utf-8"), url=url)
        ms = (time.process_time() - started) / len(pages) * 1000
        best = ms if best is None else min(best, ms)
    return float(best or 0)


def fundus_reader(warc: Path) -> tuple[float | None, str]:
    """Fundus's CC-NEWS source on the same archive, in its own venv. It reads WARCs over HTTP only
    (requests), so the file is served on 127.0.0.1; it has no parser for NU.nl, NOS or WNL (its
    Dutch-language publisher is Belgium's Nieuwsblad), so it keeps none of their pages: what is
    measured is its reading of the file. (CPU s, what it said), or (None, why)."""
    python = FUNDUS_VENV / "bin" / "python"
    if not python.exists():
        print("(installing fundus into benchmarks/.cache/venv-fundus …)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(FUNDUS_VENV)], check=True)
        # Fundus 0.5.7 imports a name curl_cffi 0.14 removed.
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "fundus", "curl_cffi<0.14"], capture_output=True, text=True
        )
        if installed.returncode != 0:
            return None, f"not installed: {installed.stderr.strip()[-200:]}"
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(warc.parent)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = server.stdout.readline() if server.stdout else ""  # "Serving HTTP on 127.0.0.1 port N …"
        port = int(line.split(" port ")[1].split()[0])
        script = (
            "import sys, time, logging; logging.disable(logging.CRITICAL)\n"
            "from fundus import PublisherCollection\n"
            "from fundus.scraping.html import CCNewsSource\n"
            "source = CCNewsSource(PublisherCollection.be.Nieuwsblad, warc_path=sys.argv[1])\n"
            "start = time.process_time(); kept = sum(1 for _ in source.fetch())\n"
            "print(kept, time.process_time() - start)\n"
        )
        url = f"http://127.0.0.1:{port}/{warc.name}"
        result = subprocess.run([*one_core(), str(python), "-c", script, url], capture_output=True, text=True)
    finally:
        server.terminate()
        server.wait()
    if result.returncode != 0:
        return None, f"failed: {result.stderr.strip()[-300:]}"
    kept, seconds = result.stdout.split()
    return float(seconds), f"{kept} pages kept (no parser for these sites)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--captures", type=int, default=2000, help="captures in the archive (two records each)")
    parser.add_argument(
        "--scale", type=int, default=10, help="the larger archive, for memory: this many times the captures"
    )
    parser.add_argument("--skip-others", action="store_true", help="not news-please, Fundus or trafilatura")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds of the pipeline and the floor (the least CPU counts)"
    )
    parser.add_argument("--make", type=int, metavar="CAPTURES", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        path = CACHE / f"ccnews-like-{args.make}.warc.gz"
        path.with_suffix(".json").write_text(json.dumps(build_archive(path, args.make)))
        return

    warc, facts = archive(args.captures)
    startup = startup_archive()
    print(
        f"Archive: {facts['records']:,} records ({facts['captures']:,} captures, {facts['articles']:,} of them "
        f"articles of NU.nl and WNL), {facts['bytes'] / 1e6:.0f} MB gzipped, WARC/1.1, gzip per record\n"
    )
    offsets, pages = kept_pages(warc)
    # Interleaved rounds, the least CPU of each: both sides see the same machine noise.
    best: dict[str, tuple] = {}
    for _ in range(args.rounds):
        for name, measure in (
            ("base", lambda: backfill_run(startup)),
            ("base_floor", lambda: floor_run(startup, [])),
            ("run", lambda: backfill_run(warc)),
            ("floor", lambda: floor_run(warc, offsets)),
        ):
            figures = measure()
            if name not in best or figures[0] < best[name][0]:
                best[name] = figures
    base_cpu, base_floor = best["base"][0], best["base_floor"][0]
    cpu, wall, peak, report = best["run"]
    floor_cpu, floor_wall, floor_peak, parsed = best["floor"]
    lines = sum(site["items"] for site in report["sites"].values())
    kept = report["records"]["kept"]
    net, floor_net = cpu - base_cpu, floor_cpu - base_floor
    print("| | CPU s | net of start-up s | records/s (net CPU) | kept pages | ms per kept page (net) | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| newscrawl backfill | {cpu:.2f} | {net:.2f} | {facts['records'] / net:,.0f} | {kept:,} ({lines:,} lines) "
        f"| {net / kept * 1000:.2f} | {peak:.0f} |"
    )
    print(
        f"| floor: fastwarc + lxml.html.fromstring | {floor_cpu:.2f} | {floor_net:.2f} | {facts['records'] / floor_net:,.0f} "
        f"| {parsed:,} | {floor_net / parsed * 1000:.2f} | {floor_peak:.0f} |"
    )
    print(f"\nStart-up (a one-record archive): newscrawl {base_cpu:.2f} s, floor {base_floor:.2f} s.")
    print(f"CPU per kept article, newscrawl ÷ floor: {(net / kept) / (floor_net / parsed):.2f}× (target ≤ 3×)\n")

    print("| reader (every record and its payload) | records | CPU s | records/s |\n|---|---|---|---|")
    for which, records, seconds in reader_rows(warc):
        print(f"| {which} | {records:,} | {seconds:.2f} | {records / seconds:,.0f} |")
    print()

    if not args.skip_others:
        from run import newsplease_ms

        sample = pages[:300]
        import lxml.html

        started = time.process_time()
        for _, body in sample:
            lxml.html.fromstring(body)
        lxml_ms = (time.process_time() - started) / len(sample) * 1000
        print(f"| per kept page ({len(sample)} pages) | CPU ms |\n|---|---|")
        print(f"| newscrawl backfill (everything, net) | {net / kept * 1000:.2f} |")
        print(f"| lxml.html.fromstring alone | {lxml_ms:.2f} |")
        print(f"| trafilatura.extract | {trafilatura_ms(sample):.2f} |")
        newsplease = newsplease_ms(sample)
        print(
            f"| news-please NewsPlease.from_html | {newsplease:.2f} |"
            if newsplease
            else "| news-please | not measured |"
        )
        print()
        fundus, said = fundus_reader(warc)
        if fundus is None:
            print(f"Fundus's CC-NEWS source: not measured ({said}).\n")
        else:
            print(
                f"Fundus's CC-NEWS source (CCNewsSource over 127.0.0.1) read the archive's {facts['records']:,} records "
                f"in {fundus:.2f} CPU s ({facts['records'] / fundus:,.0f} records/s): {said}.\n"
            )

    if args.scale > 1:
        big, big_facts = archive(args.captures * args.scale)
        big_cpu, big_wall, big_peak, big_report = backfill_run(big)
        print("| archive | records | MB | kept | CPU s | peak RSS MB |\n|---|---|---|---|---|---|")
        print(f"| 1× | {facts['records']:,} | {facts['bytes'] / 1e6:.0f} | {kept:,} | {cpu:.1f} | {peak:.0f} |")
        print(
            f"| {args.scale}× | {big_facts['records']:,} | {big_facts['bytes'] / 1e6:.0f} | {big_report['records']['kept']:,} "
            f"| {big_cpu:.1f} | {big_peak:.0f} |"
        )


if __name__ == "__main__":
    main()
