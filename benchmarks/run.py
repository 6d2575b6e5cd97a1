"""Benchmarks: what an article costs, how a crawl scales with N, and how it spreads over workers.

    .venv/bin/python benchmarks/run.py                      # everything (about 40 minutes)
    .venv/bin/python benchmarks/run.py --sizes 1000 --skip-http --skip-workers   # a quick look

Printed as Markdown (BENCHMARKS.md holds a run). Offline: replay crawls of synthetic sites
(benchmarks/synthetic_site.py, cached in benchmarks/.cache/), an HTTPS crawl of the same site
served by nginx on 127.0.0.1 (tests/loopback.py; needs root and nginx), and 1 vs 2 workers on
a redis-server started on a free loopback port.

* CPU per article, by stage, on 300 pages per site, beside a bare ``lxml.html.fromstring`` parse
  of the same pages (the floor), trafilatura and news-please (installed on first use into its
  own venv, benchmarks/.cache/venv-newsplease: its pins clash with the project's). Each figure is
  the best of 3 interleaved rounds: the machines are noisy, the ratios are what counts.
* ``scrapy bench``: Scrapy's engine alone on its own local site, for scale.
* Replay crawls of N articles: items/s in the article phase (from the end of discovery to the
  finish: start-up is not counted), CPU ms per item of the whole process, peak RSS of the
  process (getrusage; Scrapy's memusage/max is sampled once a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from synthetic_site import ARTICLE_MARK, generate  # noqa: E402
from synthetic_site import SITES as SYNTHETIC_SITES

CRAWL_ARGS = ["-a", "archive=1", "-a", "sections=", "-a", "related_depth=0"]
NEWSPLEASE_VENV = CACHE / "venv-newsplease"


def site_warc(site: str, n: int, size_kb: int | None = None) -> Path:
    warc = CACHE / (f"{site}-{n}.warc.gz" if size_kb is None else f"{site}-{n}-{size_kb}k.warc.gz")
    if not warc.exists():
        print(f"(generating {warc.name} …)", file=sys.stderr, flush=True)
        generate(n, warc, site=site, size_kb=size_kb)
    return warc


# --- CPU per article by stage ---------------------------------------------------
def sample_pages(site: str, count: int = 300, size_kb: int | None = None) -> list[tuple[str, bytes]]:
    from newscrawl.crawl.archive import WarcArchive

    archive = WarcArchive.open(str(site_warc(site, 1000, size_kb)))
    urls = [url for url, _ in sorted(archive.index) if ARTICLE_MARK[site] in url][:count]
    pages = [(url, archive.get(url)["body"]) for url in urls]
    archive.close()
    return pages


def best_of(rounds: int, stages: dict) -> dict[str, float]:
    """CPU ms per item of each stage; stages are interleaved in each round, the best round counts."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, (function, items) in stages.items():
            start = time.process_time()
            for item in items:
                function(item)
            ms = (time.process_time() - start) / len(items) * 1000
            best[name] = min(best.get(name, ms), ms)
    return best


def newsplease_ms(pages: list[tuple[str, bytes]]) -> float | None:
    """news-please's extraction per page, in its own venv (None when it cannot be installed)."""
    python = NEWSPLEASE_VENV / "bin" / "python"
    if not python.exists():
        print("(installing news-please into benchmarks/.cache/venv-newsplease …)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(NEWSPLEASE_VENV)], check=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "news-please"], capture_output=True, text=True
        )
        if installed.returncode != 0:
            print(f"news-please not installed: {installed.stderr[-500:]}", file=sys.stderr)
            return None
    with tempfile.TemporaryDirectory() as tmp:
        for number, (_url, body) in enumerate(pages):
            (Path(tmp) / f"{number}.html").write_bytes(body)
        (Path(tmp) / "urls.json").write_text(json.dumps([url for url, _ in pages]))
        script = (
            "import json, sys, time, warnings, logging; warnings.simplefilter('ignore'); logging.disable(logging.CRITICAL)\n"
            "from newsplease import NewsPlease\n"
            "d = sys.argv[1]; urls = json.load(open(d + '/urls.json'))\n"
            "pages = [open(f'{d}/{i}.html', encoding='utf-8').read() for i in range(len(urls))]\n"
            "NewsPlease.from_html(pages[0], url=urls[0], fetch_images=False)  # imports and caches warmed\n"
            "best = None\n"
            "for _ in range(3):\n"
            "    t = time.process_time()\n"
            "    for url, html in zip(urls, pages): NewsPlease.from_html(html, url=url, fetch_images=False)\n"
            "    ms = (time.process_time() - t) / len(urls) * 1000; best = ms if best is None else min(best, ms)\n"
            "print(best)\n"
        )
        result = subprocess.run([str(python), "-c", script, tmp], capture_output=True, text=True)
        if result.returncode != 0:
            print(f"news-please failed: {result.stderr[-500:]}", file=sys.stderr)
            return None
        return float(result.stdout.split()[-1])


def stage_costs(site: str) -> dict[str, float]:
    import lxml.html
    import trafilatura
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from newscrawl.article.dates import normalize_date
    from newscrawl.crawl.outcomes import DuplicateItem
    from newscrawl.crawl.pipelines.dedup import DedupPipeline
    from newscrawl.crawl.pipelines.validation import schema_errors
    from newscrawl.crawl.spiders.sites import spider_for
    from newscrawl.extract.registry import site_named

    parser = site_named(site)
    pages = sample_pages(site)
    # A new response per call: a response caches its parsed tree, and every round must parse.
    respond = lambda page: HtmlResponse(page[0], body=page[1], encoding="utf-8", request=Request(page[0]))  # noqa: E731
    items = [parser.parse_article(respond(page)) for page in pages]
    for item in items:
        item["metadata"]["revision"] = 1
    dicts = [dict(item) for item in items]
    dates = [("2025-03-31T18:00:00+02:00", "2025-03-31T16:00:00Z", "31 mrt 2025 om 18:00")] * len(pages)
    with tempfile.TemporaryDirectory() as tmp:
        crawler = get_crawler(spider_for(site), {"STATE_DB": f"{tmp}/state.sqlite3"})
        crawler.spider = crawler._create_spider()
        pipeline = DedupPipeline.from_crawler(crawler)
        pipeline.open_spider()
        store = pipeline.store

        def dedup(item):
            try:
                pipeline.process_item(item)
            except DuplicateItem:  # later rounds find the items recorded: the same lookups, then the drop
                pass
            meta = item["metadata"]
            store.record(item["site"], item["articleId"], meta["contentHash"], 1, item["url"], "now")
            store.release(item["site"], item["articleId"], meta["contentHash"])

        out = open(f"{tmp}/out.jsonl", "w", encoding="utf-8")
        costs = best_of(
            3,
            {
                "lxml_parse": (lambda page: lxml.html.fromstring(page[1]), pages),
                "extraction": (lambda page: parser.parse_article(respond(page)), pages),
                "dates": (lambda triple: [normalize_date(x) for x in triple], dates),
                "validation": (schema_errors, dicts),
                "dedup": (dedup, items),
                "export": (lambda d: (out.write(json.dumps(d, ensure_ascii=False) + "\n"), out.flush()), dicts),
                "trafilatura": (lambda page: trafilatura.extract(page[1].decode("utf-8")), pages[:100]),
            },
        )
        out.close()
    # The parser's own parse, for the split: parsel builds the tree once per response.
    costs["selector_parse"] = best_of(3, {"p": (lambda page: respond(page).selector.root, pages)})["p"]
    costs["newsplease"] = newsplease_ms(pages[:100])
    costs["page_kb"] = sum(len(body) for _, body in pages) / len(pages) / 1024
    return costs


def print_stage_table(site: str, costs: dict) -> None:
    floor = costs["lxml_parse"]
    total = costs["extraction"] + costs["validation"] + costs["dedup"] + costs["export"]
    rows = [
        ("bare `lxml.html.fromstring` (the floor)", costs["lxml_parse"]),
        ("our HTML parse (parsel, inside extraction)", costs["selector_parse"]),
        ("our extraction, parse and dates included", costs["extraction"]),
        ("date parsing alone: ISO, UTC and a Dutch date (dateparser)", costs["dates"]),
        ("schema validation", costs["validation"]),
        ("dedup + state (SQLite)", costs["dedup"]),
        ("JSONL export + flush", costs["export"]),
        ("**our total per article**", total),
        ("trafilatura `extract` (same pages)", costs["trafilatura"]),
        ("news-please `from_html` (same pages)", costs["newsplease"]),
    ]
    print(f"### {site}: {costs['page_kb']:.0f} KB per page on average\n")
    print("| stage | CPU ms per article | × bare lxml parse |\n|---|---|---|")
    for label, ms in rows:
        print(f"| {label} | {ms:.2f} | {ms / floor:.1f}× |" if ms is not None else f"| {label} | not measured | |")
    print(flush=True)


# --- scrapy bench -----------------------------------------------------------------
def scrapy_bench(seconds: int = 15) -> float:
    """Pages/s of `scrapy bench` (Scrapy's engine on its own local site), run outside the project."""
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "bench",
                "-s",
                f"CLOSESPIDER_TIMEOUT={seconds}",
                "-s",
                "LOGSTATS_INTERVAL=1",
            ],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
    rates = [int(m) for m in re.findall(r"Crawled \d+ pages \(at (\d+) pages/min\)", result.stderr)]
    steady = rates[2:-1] or rates  # leave out the ramp-up and the shutdown
    return sum(steady) / len(steady) / 60 if steady else 0.0


# --- crawls ---------------------------------------------------------------------------
def _run_measured(commands: list[list[str]], env: dict | None = None) -> tuple[float, float, int]:
    """Run the commands at once; (wall s, CPU s of all, peak RSS KB of the largest) in a fresh wrapper."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "commands = json.loads(sys.argv[1]); t = time.monotonic()\n"
        "procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]\n"
        "errors = [p.communicate()[1] for p in procs]\n"
        "bad = [e.decode(errors='replace')[-2000:] for p, e in zip(procs, errors) if p.returncode]\n"
        "assert not bad, bad\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(time.monotonic() - t, u.ru_utime + u.ru_stime, u.ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, json.dumps(commands)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


def crawl_command(site: str, tmp: Path, name: str, *settings: str) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        site,
        "-O",
        str(tmp / f"{name}.jsonl"),
        *CRAWL_ARGS,
        "-s",
        f"STATE_DB={tmp}/{name}.sqlite3",
        "-s",
        f"STATS_FILE={tmp}/{name}.stats.json",
        "-s",
        "LOG_LEVEL=WARNING",
    ]
    for setting in settings:
        command += ["-s", setting]
    return command


def phase_rate(stats_files: list[Path]) -> tuple[int, float]:
    """(items, items/s) from the first end of discovery to the last finish, over all workers."""
    stats = [json.loads(path.read_text()) for path in stats_files]
    items = sum(s.get("item_scraped_count", 0) for s in stats)
    begin = min(datetime.fromisoformat(s["discovery/done_time"]) for s in stats if "discovery/done_time" in s)
    end = max(datetime.fromisoformat(s["finish_time"]) for s in stats)
    return items, items / (end - begin).total_seconds()


def replay_crawl(site: str, n: int) -> dict:
    warc = site_warc(site, n)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wall, cpu, peak_kb = _run_measured([crawl_command(site, tmp, "crawl", f"REPLAY_WARC={warc}")])
        items, rate = phase_rate([tmp / "crawl.stats.json"])
    return {
        "site": site,
        "n": n,
        "items": items,
        "items_per_s": rate,
        "wall_s": wall,
        "cpu_ms_per_item": cpu / max(items, 1) * 1000,
        "peak_rss_mb": peak_kb / 1024,
    }


def http_crawl(site: str, n: int) -> dict | None:
    from loopback import LoopbackSite, available

    reason = available()
    if reason:
        print(f"(HTTP crawl skipped: {reason})", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        served = LoopbackSite.from_warc(site_warc(site, n), tmp)
        served.start()
        try:
            env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
            command = crawl_command(
                site,
                tmp,
                "crawl",
                "TWISTED_DNS_RESOLVER=loopback.LoopbackResolver",
                "AUTOTHROTTLE_ENABLED=0",
                "DOWNLOAD_DELAY=0",
                "CONCURRENT_REQUESTS=16",
                "CONCURRENT_REQUESTS_PER_DOMAIN=16",
            )
            wall, cpu, peak_kb = _run_measured([command], env)
            items, rate = phase_rate([tmp / "crawl.stats.json"])
        finally:
            served.stop()
    return {
        "site": site,
        "n": n,
        "items": items,
        "items_per_s": rate,
        "wall_s": wall,
        "cpu_ms_per_item": cpu / max(items, 1) * 1000,
        "peak_rss_mb": peak_kb / 1024,
    }


def workers_crawl(site: str, n: int, workers: int) -> dict | None:
    from loopback import RedisServer

    if not shutil.which("redis-server"):
        print("(worker comparison skipped: no redis-server)", file=sys.stderr)
        return None
    server = RedisServer().start()
    try:
        warc = site_warc(site, n)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            commands = [
                crawl_command(
                    site, tmp, f"w{i}", f"REPLAY_WARC={warc}", f"REDIS_URL={server.url}", "CLUSTER_CLOSE_AFTER=1"
                )
                for i in range(workers)
            ]
            wall, cpu, _ = _run_measured(commands)
            items, rate = phase_rate([tmp / f"w{i}.stats.json" for i in range(workers)])
            import redis as redis_client

            info = redis_client.Redis.from_url(server.url).info("memory")
            lines = [
                json.loads(line)["articleId"]
                for i in range(workers)
                for line in (tmp / f"w{i}.jsonl").read_text().splitlines()
            ]
    finally:
        server.stop()
    return {
        "workers": workers,
        "items": items,
        "unique": len(set(lines)),
        "items_per_s": rate,
        "wall_s": wall,
        "cpu_ms_per_item": cpu / max(items, 1) * 1000,
        # After the run only the state is left (the run's frontier and seen-set are removed); the peak had both.
        "redis_state_mb": info["used_memory"] / 2**20,
        "redis_peak_mb": info["used_memory_peak"] / 2**20,
    }


# --- the whole process against Scrapy's own floor ---------------------------------------
FLOOR_SIZES = (100, 1000, 10000)


def _crawl_cpu(command: list[str], clock: Path, cwd: Path) -> tuple[float, int]:
    """(CPU s between spider_opened and spider_closed, items) of one crawl process."""
    # Not SCRAPY_SETTINGS_MODULE: get_project_settings() sets it in this process, and the floor runs without the project.
    env = {
        **{k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"},
        "PYTHONPATH": os.pathsep.join([str(ROOT / "benchmarks"), str(ROOT)]),
    }
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    figures = json.loads(clock.read_text())
    return figures["cpu_s"], figures["items"]


def project_cpu(site: str, warc: Path, tmp: Path) -> tuple[float, int]:
    from scrapy.utils.project import get_project_settings

    extensions = {**get_project_settings().getdict("EXTENSIONS"), "engine_floor.CpuClock": 0}
    command = crawl_command(
        site,
        tmp,
        "project",
        f"REPLAY_WARC={warc}",
        f"EXTENSIONS={json.dumps(extensions)}",
        f"CPU_CLOCK_FILE={tmp}/clock.json",
    )
    for leftover in tmp.glob("project*"):
        leftover.unlink()
    return _crawl_cpu(command, tmp / "clock.json", ROOT)


def floor_cpu(site: str, warc: Path, tmp: Path) -> tuple[float, int]:
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "runspider",
        str(ROOT / "benchmarks" / "engine_floor.py"),
        "-O",
        str(tmp / "floor.jsonl"),
        "-s",
        f"FLOOR_WARC={warc}",
        "-s",
        f"FLOOR_MARK={ARTICLE_MARK[site]}",
        "-s",
        f"CPU_CLOCK_FILE={tmp}/clock.json",
    ]
    return _crawl_cpu(command, tmp / "clock.json", tmp)


def floor_rows(site: str, size_kb: int, sizes=FLOOR_SIZES, rounds: int = 2) -> list[dict]:
    """Marginal CPU per article of the project and of the floor between consecutive N (best of `rounds`)."""
    import lxml.html

    parse = best_of(3, {"parse": (lambda page: lxml.html.fromstring(page[1]), sample_pages(site, 300, size_kb))})[
        "parse"
    ]
    cpu: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in sizes:
            warc = site_warc(site, n, size_kb)
            for _ in range(rounds):  # interleaved: both sides see the same machine noise
                for kind, measure in (("project", project_cpu), ("floor", floor_cpu)):
                    seconds, items = measure(site, warc, tmp)
                    if items != n:
                        raise RuntimeError(f"{kind} crawl of {warc.name}: {items} items, expected {n}")
                    cpu[kind, n] = min(cpu.get((kind, n), float("inf")), seconds)
    rows = []
    for low, high in zip(sizes, sizes[1:]):
        project = (cpu["project", high] - cpu["project", low]) / (high - low) * 1000
        floor = (cpu["floor", high] - cpu["floor", low]) / (high - low) * 1000
        rows.append(
            {
                "site": site,
                "size_kb": size_kb,
                "n": high,
                "low": low,
                "project_ms": project,
                "floor_ms": floor,
                "parse_ms": parse,
                "ratio": project / floor,
                "added_ms": project - floor,
                "added_ratio": (project - floor) / parse,
            }
        )
    return rows


def print_floor_table(rows: list[dict]) -> None:
    print(
        "| site | page KB | N (marginal over) | project ms/article | Scrapy floor ms/article | project ÷ floor (target ≤ 2) "
        "| added above floor ms | bare lxml parse ms | added ÷ parse (target ≤ 4) |\n|---|---|---|---|---|---|---|---|---|"
    )
    for r in rows:
        print(
            f"| {r['site']} | {r['size_kb']} | {r['n']:,} (from {r['low']:,}) | {r['project_ms']:.2f} | {r['floor_ms']:.2f} | {r['ratio']:.2f}× "
            f"| {r['added_ms']:.2f} | {r['parse_ms']:.2f} | {r['added_ratio']:.2f}× |",
            flush=True,
        )
    print()


def flamegraph(site: str, n: int, size_kb: int, out: Path) -> Path | None:
    """A py-spy flame graph (SVG) of the whole crawl of n synthetic articles (pip install '.[bench]')."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not spy:
        print("(flame graph skipped: py-spy is not installed; pip install -e '.[bench]')", file=sys.stderr)
        return None
    warc = site_warc(site, n, size_kb)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run(
            [
                spy,
                "record",
                "-r",
                "200",
                "-o",
                str(out),
                "--",
                *crawl_command(site, tmp, "crawl", f"REPLAY_WARC={warc}"),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return out


def redis_state(site: str, n: int) -> dict | None:
    """Redis memory before (empty), at the peak of, and after a one-worker crawl of n articles, and the state's TTL."""
    from loopback import RedisServer

    if not shutil.which("redis-server"):
        print("(Redis state measurement skipped: no redis-server)", file=sys.stderr)
        return None
    import redis as redis_client

    server = RedisServer().start()
    try:
        client = redis_client.Redis.from_url(server.url, decode_responses=True)
        before = client.info("memory")["used_memory"]
        warc = site_warc(site, n)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            wall, _, _ = _run_measured(
                [
                    crawl_command(
                        site, tmp, "w0", f"REPLAY_WARC={warc}", f"REDIS_URL={server.url}", "CLUSTER_CLOSE_AFTER=1"
                    )
                ]
            )
        info = client.info("memory")
        keys = client.dbsize()
        sample = next(client.scan_iter("newscrawl:state:a:*", count=1000), None)
        ttl_days = client.ttl(sample) / 86400 if sample else None
    finally:
        server.stop()
    return {
        "n": n,
        "before_mb": before / 2**20,
        "peak_mb": info["used_memory_peak"] / 2**20,
        "after_mb": info["used_memory"] / 2**20,
        "per_article_b": (info["used_memory"] - before) / n,
        "keys": keys,
        "ttl_days": ttl_days,
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sites", default=None, help="comma-separated (default: every registered site with a synthetic site generator)"
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 10000, 100000],
        help="N for the replay crawls (the largest for nu only)",
    )
    parser.add_argument("--http-size", type=int, default=10000)
    parser.add_argument("--workers-size", type=int, default=10000)
    parser.add_argument("--skip-stages", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument(
        "--skip-floor", action="store_true", help="skip the whole-process comparison with Scrapy's own floor"
    )
    parser.add_argument("--floor-only", action="store_true", help="only the comparison with Scrapy's floor")
    parser.add_argument("--floor-page-kb", type=int, nargs="+", default=[30, 100])
    parser.add_argument(
        "--floor-sizes",
        type=int,
        nargs="+",
        default=list(FLOOR_SIZES),
        help="N of the floor crawls; marginals between consecutive N",
    )
    parser.add_argument(
        "--redis-state-size", type=int, default=100000, help="N of the crawl whose Redis state is measured (0: skip)"
    )
    parser.add_argument("--redis-state-only", action="store_true")
    parser.add_argument(
        "--flamegraph",
        type=Path,
        help="write a py-spy flame graph of a 1,000-article crawl of 30 KB pages (first site) here, then stop",
    )
    args = parser.parse_args()
    from newscrawl.extract.registry import sites as registered_sites

    unmeasured = [name for name in registered_sites() if name not in SYNTHETIC_SITES]
    if unmeasured and args.sites is None:
        print(
            f"No synthetic site in benchmarks/synthetic_site.py for {', '.join(unmeasured)}: not measured",
            file=sys.stderr,
        )
    sites = args.sites.split(",") if args.sites else [name for name in registered_sites() if name in SYNTHETIC_SITES]
    print(
        f"Run of {datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, Python {sys.version.split()[0]}\n", flush=True
    )

    if args.flamegraph:
        if flamegraph(sites[0], 1000, 30, args.flamegraph.resolve()):
            print(f"flame graph: {args.flamegraph}")
        return

    if args.redis_state_size:
        r = redis_state(sites[0], args.redis_state_size)
        if r:
            print(f"## Redis state of a {r['n']:,}-article crawl ({sites[0]}, one worker, replay)\n")
            print(
                f"Redis used memory: {r['before_mb']:.1f} MB empty, {r['peak_mb']:.1f} MB at the peak (frontier + seen-set + state), "
                f"{r['after_mb']:.1f} MB after (the state: {r['per_article_b']:.0f} B per article, {r['keys']:,} keys, "
                f"each expiring after {r['ttl_days']:.1f} days); {r['wall_s']:.0f} s wall\n",
                flush=True,
            )
        if args.redis_state_only:
            return

    if not args.skip_floor:
        print("## The whole crawl process against Scrapy's own floor (marginal CPU per article, replay)\n", flush=True)
        print_floor_table(
            [row for site in sites for kb in args.floor_page_kb for row in floor_rows(site, kb, args.floor_sizes)]
        )
        if args.floor_only:
            return

    if not args.skip_stages:
        print("## CPU per article by stage (best of 3 rounds, 300 synthetic pages per site)\n", flush=True)
        for site in sites:
            print_stage_table(site, stage_costs(site))
        print(
            f"`scrapy bench` (Scrapy's engine alone, its own local site, no parsing): {scrapy_bench():.0f} pages/s\n",
            flush=True,
        )

    print("## Replay crawls of N synthetic articles\n")
    print(
        "| site | N | items | items/s (article phase) | CPU ms per item (whole process) | wall s | peak RSS MB |\n|---|---|---|---|---|---|---|",
        flush=True,
    )
    largest = max(args.sizes)
    for site in sites:
        for n in args.sizes:
            if n == largest and site != sites[0] and len(args.sizes) > 1:
                continue  # the largest N for the first site only: it is the memory question, not a site one
            r = replay_crawl(site, n)
            print(
                f"| {site} | {n:,} | {r['items']:,} | {r['items_per_s']:.0f} | {r['cpu_ms_per_item']:.1f} | {r['wall_s']:.0f} | {r['peak_rss_mb']:.0f} |",
                flush=True,
            )
    print()

    if not args.skip_http:
        r = http_crawl(sites[0], args.http_size)
        if r:
            print(f"## Over HTTPS from nginx on 127.0.0.1 ({r['site']}, N = {r['n']:,}, no politeness delay)\n")
            print(
                f"{r['items']:,} items, {r['items_per_s']:.0f} items/s in the article phase, {r['cpu_ms_per_item']:.1f} CPU ms per item, "
                f"peak RSS {r['peak_rss_mb']:.0f} MB, {r['wall_s']:.0f} s wall\n",
                flush=True,
            )

    if not args.skip_workers:
        print(f"## 1 vs 2 workers on one redis-server ({sites[0]}, N = {args.workers_size:,}, replay)\n")
        print(
            "| workers | items | distinct articles | items/s (article phase) | CPU ms per item (all processes) | wall s | Redis peak MB | Redis after (state) MB |\n|---|---|---|---|---|---|---|---|",
            flush=True,
        )
        results = [workers_crawl(sites[0], args.workers_size, w) for w in (1, 2)]
        for r in results:
            if r:
                print(
                    f"| {r['workers']} | {r['items']:,} | {r['unique']:,} | {r['items_per_s']:.0f} | {r['cpu_ms_per_item']:.1f} | {r['wall_s']:.0f} "
                    f"| {r['redis_peak_mb']:.1f} | {r['redis_state_mb']:.1f} |",
                    flush=True,
                )
        if all(results):
            print(f"\n2 workers / 1 worker: {results[1]['items_per_s'] / results[0]['items_per_s']:.2f}×\n", flush=True)


if __name__ == "__main__":
    main()
