"""Benchmarks: replay crawls of synthetic NU.nl sites of N articles, and the CPU cost per article by stage.

    python benchmarks/run.py 1000 10000        # figures for each N, printed as Markdown

Per N: items/s in the article phase (after discovery, so start-up is not counted), wall time, peak
RSS (Scrapy's memusage/max). Per stage, on 300 pages of the same kind, CPU ms per article and the
ratio to a bare ``lxml.html.fromstring`` parse of the page (the floor), with trafilatura beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic_site import generate  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"


def crawl(n: int) -> dict:
    warc = CACHE / f"nu-{n}.warc.gz"
    if not warc.exists():
        generate(n, warc)
    with tempfile.TemporaryDirectory() as tmp:
        stats_file = Path(tmp) / "stats.json"
        command = [sys.executable, "-m", "scrapy", "crawl", "nu", "-O", f"{tmp}/nu.jsonl", "-a", "archive=1", "-a", "sections=", "-a", "related_depth=0",
                   "-s", f"REPLAY_WARC={warc}", "-s", f"STATE_DB={tmp}/state.sqlite3", "-s", f"STATS_FILE={stats_file}", "-s", "LOG_LEVEL=WARNING"]
        # A fresh wrapper process per crawl, so RUSAGE_CHILDREN's peak is this crawl's peak RSS
        # (Scrapy's memusage/max is sampled only once a minute).
        wrapper = ("import resource, subprocess, sys, time; t = time.monotonic(); subprocess.run(sys.argv[1:], check=True, capture_output=True); "
                   "print(time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        wall, peak_kb = subprocess.run([sys.executable, "-c", wrapper, *command], cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
        wall, peak_kb = float(wall), int(peak_kb)
        stats = json.loads(stats_file.read_text())
    items = stats["item_scraped_count"]
    phase = (datetime.fromisoformat(stats["finish_time"]) - datetime.fromisoformat(stats["discovery/done_time"])).total_seconds()
    return {"n": n, "items": items, "wall_s": round(wall, 1), "article_phase_s": round(phase, 1), "items_per_s": round(items / phase, 1),
            "peak_rss_mb": round(peak_kb / 1024), "rejected": stats.get("validation/rejected", 0)}


def stage_costs(pages: int = 300) -> dict:
    import lxml.html
    import trafilatura
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from newscrawl.archive import WarcArchive
    from newscrawl.dates import normalize_date
    from newscrawl.pipelines.dedup import DedupPipeline
    from newscrawl.pipelines.validation import schema_errors
    from newscrawl.sites import nu
    from newscrawl.spiders.nu import NuSpider

    warc = CACHE / "nu-1000.warc.gz"
    if not warc.exists():
        generate(1000, warc)
    archive = WarcArchive.open(str(warc))
    urls = [url for url, _ in sorted(archive.index) if "/70" in url][:pages]
    bodies = [(url, archive.get(url)["body"]) for url in urls]
    archive.close()

    def cpu(function, items):
        start = time.process_time()
        results = [function(x) for x in items]
        return (time.process_time() - start) / len(items) * 1000, results

    parse_ms, _ = cpu(lambda ub: lxml.html.fromstring(ub[1]), bodies)
    extract_ms, items = cpu(lambda ub: nu.parse_article(HtmlResponse(ub[0], body=ub[1], encoding="utf-8", request=Request(ub[0]))), bodies)
    dates = [("2025-03-31T18:00:00+02:00", "2025-03-31T16:00:00Z", "31 mrt 2025 om 18:00")] * len(bodies)
    date_ms, _ = cpu(lambda d: [normalize_date(x) for x in d], dates)
    for item in items:
        item["metadata"]["revision"] = 1
    validate_ms, _ = cpu(lambda i: schema_errors(dict(i)), items)
    with tempfile.TemporaryDirectory() as tmp:
        crawler = get_crawler(NuSpider, {"STATE_DB": f"{tmp}/state.sqlite3"})
        crawler.spider = crawler._create_spider()
        pipeline = DedupPipeline.from_crawler(crawler)
        pipeline.open_spider()
        dedup_ms, _ = cpu(lambda i: (pipeline.process_item(i), pipeline.store.record(i["site"], i["articleId"], i["metadata"]["contentHash"], 1, i["url"], "now")), items)
        with open(f"{tmp}/out.jsonl", "w", encoding="utf-8") as out:
            export_ms, _ = cpu(lambda i: (out.write(json.dumps(dict(i), ensure_ascii=False) + "\n"), out.flush()), items)
    trafilatura_ms, _ = cpu(lambda ub: trafilatura.extract(ub[1].decode("utf-8")), bodies[:50])
    kb = sum(len(b) for _, b in bodies) / len(bodies) / 1024
    return {"pages": len(bodies), "page_kb": round(kb), "lxml_parse_ms": parse_ms, "extraction_ms": extract_ms, "of_which_dates_ms": date_ms,
            "validation_ms": validate_ms, "dedup_ms": dedup_ms, "export_ms": export_ms, "trafilatura_ms": trafilatura_ms}


def main(sizes: list[int]) -> None:
    costs = stage_costs()
    floor = costs["lxml_parse_ms"]
    print(f"## CPU per article by stage ({costs['pages']} pages, {costs['page_kb']} KB average)\n")
    print("| stage | CPU ms per article | × bare lxml parse |\n|---|---|---|")
    for key, label in (("lxml_parse_ms", "bare lxml.html.fromstring (the floor)"), ("extraction_ms", "our extraction (parse included)"),
                       ("of_which_dates_ms", "date parsing, separately: ISO + UTC + a visible Dutch date (dateparser)"), ("validation_ms", "schema validation"),
                       ("dedup_ms", "dedup + state write (SQLite)"), ("export_ms", "JSONL export + flush"), ("trafilatura_ms", "trafilatura.extract (for comparison)")):
        print(f"| {label} | {costs[key]:.2f} | {costs[key] / floor:.1f}× |")
    total = costs["extraction_ms"] + costs["validation_ms"] + costs["dedup_ms"] + costs["export_ms"]
    print(f"| **our total per article** | **{total:.2f}** | **{total / floor:.1f}×** |\n")
    print("## Replay crawls\n\n| N | items | items/s (article phase) | article phase s | wall s | peak RSS MB |\n|---|---|---|---|---|---|")
    for n in sizes:
        r = crawl(n)
        print(f"| {r['n']:,} | {r['items']:,} | {r['items_per_s']} | {r['article_phase_s']} | {r['wall_s']} | {r['peak_rss_mb']} |", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000])
