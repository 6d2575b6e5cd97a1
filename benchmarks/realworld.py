"""Generic extraction on real pages of other sites, served at NU.nl and WNL article URLs.

    .venv/bin/python benchmarks/realworld.py [REALWORLD_DIR]     (default: ../shared/realworld)

The folder holds <site>.warc.gz for registered sites (real pages at the site's article URLs,
listed in a feed of the site's in the same archive) and key.json ({url: {"with": main-text phrases, "without": chrome phrases}}). Each site is
crawled in replay as a user would (start at the feed, since=2000-01-01, no related links); each
URL's body is taken from the dataset or the rejects file. Printed per site: pages with a body,
recall (share of "with" phrases found in the body) and leaks (share of "without" phrases found),
beside trafilatura.extract() on the same pages in the same run. Phrases and bodies are compared
lower-cased with whitespace collapsed.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def archives(folder: Path) -> list[tuple[str, Path, str]]:
    """(site, WARC, start URLs) for each <site>.warc.gz of a registered site: its feeds in the archive."""
    sys.path.insert(0, str(ROOT))
    from newscrawl.crawl.archive import WarcArchive
    from newscrawl.extract.registry import sites

    found = []
    for warc in sorted(folder.glob("*.warc.gz")):
        site = sites().get(warc.name.removesuffix(".warc.gz"))
        if site is None:
            continue
        reader = site.discovery_reader
        feeds = sorted(
            url
            for url, rendered in WarcArchive([str(warc)]).index
            if not rendered and reader.source_kind(url) == "feed"
        )
        found.append((site.name, warc, ",".join(feeds)))
    return found


def site_urls(site: str, key: dict) -> list[str]:
    from urllib.parse import urlsplit

    from newscrawl.extract.registry import site_for_host

    return sorted(url for url in key if (owner := site_for_host(urlsplit(url).hostname or "")) and owner.name == site)


def half(url: str) -> str:
    """The URL's half: "tune" (looked at while writing the rules) or "held out" (never looked at page by page)."""
    return "tune" if hashlib.sha256(url.encode()).digest()[0] % 2 == 0 else "held out"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().lower()


def crawl_items(site: str, warc: Path, tmp: Path, start_urls: str) -> tuple[dict[str, dict], dict]:
    feed, rejects, stats = tmp / f"{site}.jsonl", tmp / f"{site}.rejects.jsonl", tmp / f"{site}.stats.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            site,
            "-O",
            str(feed),
            "-a",
            f"start_urls={start_urls}",
            "-a",
            "since=2000-01-01",
            "-a",
            "related_depth=0",
            "-s",
            f"REPLAY_WARC={warc}",
            "-s",
            f"STATE_DB={tmp / 'state.sqlite3'}",
            "-s",
            f"REJECTS_FILE={rejects}",
            "-s",
            f"STATS_FILE={stats}",
            "-s",
            "LOG_LEVEL=WARNING",
            "-s",
            f"HEALTH_SAMPLES_DIR={tmp / 'samples'}",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    items: dict[str, dict] = {}
    for line in feed.read_text("utf-8").splitlines():
        item = json.loads(line)
        items[item["url"]] = item
    if rejects.exists():
        for line in rejects.read_text("utf-8").splitlines():
            record = json.loads(line)
            items.setdefault(record["url"], record["item"])
    return items, json.loads(stats.read_text("utf-8"))


def score(bodies: dict[str, str], key: dict, urls: list[str]) -> tuple[int, float, float]:
    found = with_total = leaked = without_total = 0
    with_body = 0
    for url in urls:
        body = squash(bodies.get(url, ""))
        with_body += bool(body)
        for phrase in key[url]["with"]:
            with_total += 1
            found += squash(phrase) in body
        for phrase in key[url]["without"]:
            without_total += 1
            leaked += squash(phrase) in body
    return with_body, 100 * found / max(with_total, 1), 100 * leaked / max(without_total, 1)


def trafilatura_bodies(warc: Path, urls: list[str]) -> dict[str, str]:
    import trafilatura

    sys.path.insert(0, str(ROOT))
    from newscrawl.crawl.archive import WarcArchive

    archive = WarcArchive.open(str(warc))
    bodies = {}
    for url in urls:
        record = archive.get(url, False)
        html = record["body"].decode("utf-8", "replace") if record else ""
        bodies[url] = trafilatura.extract(html) or ""
    return bodies


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "realworld")
    key = json.loads((folder / "key.json").read_text("utf-8"))
    print(
        "| site URLs | project: bodies / recall / leaks | project, lead + body: recall / leaks | trafilatura.extract: bodies / recall / leaks | project's skips |\n|---|---|---|---|---|"
    )
    halves: list[str] = []
    for site, warc, feeds in archives(folder):
        urls = site_urls(site, key)
        with tempfile.TemporaryDirectory() as tmp:
            items, stats = crawl_items(site, warc, Path(tmp), feeds)
        bodies = {url: item.get("articleBody", "") for url, item in items.items()}
        # The lead (description) is text of the article too: taken out of the body, not lost.
        lead_bodies = {
            url: f"{item.get('description', '')} {item.get('articleBody', '')}" for url, item in items.items()
        }
        ours, with_lead = score(bodies, key, urls), score(lead_bodies, key, urls)
        their_bodies = trafilatura_bodies(warc, urls)
        theirs = score(their_bodies, key, urls)
        skips = {k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith("skipped/")}
        print(
            f"| {site} | {ours[0]}/{len(urls)}, {ours[1]:.1f} %, {ours[2]:.1f} % | {with_lead[1]:.1f} %, {with_lead[2]:.1f} % "
            f"| {theirs[0]}/{len(urls)}, {theirs[1]:.1f} %, {theirs[2]:.1f} % | {skips} |",
            flush=True,
        )
        for name in ("tune", "held out"):
            part = [url for url in urls if half(url) == name]
            mine, lead, other = score(bodies, key, part), score(lead_bodies, key, part), score(their_bodies, key, part)
            halves.append(
                f"| {site}, {name} ({len(part)}) | {mine[0]}, {mine[1]:.1f} %, {mine[2]:.1f} % "
                f"| {lead[1]:.1f} %, {lead[2]:.1f} % | {other[0]}, {other[1]:.1f} %, {other[2]:.1f} % |"
            )
    print("\nThe same by half (tune: looked at while writing the rules; held out: never looked at page by page):\n")
    print("| site, half (pages) | project | project, lead + body | trafilatura |\n|---|---|---|---|")
    print("\n".join(halves))


if __name__ == "__main__":
    main()
