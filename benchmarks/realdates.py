"""Publication dates on real pages of other sites, beside htmldate and trafilatura in the same run.

    .venv/bin/python benchmarks/realdates.py [REALWORLD_DIR]     (default: ../shared/realworld)

``dates.json`` gives, for pages served at NU.nl article URLs in ``nu.warc.gz``, the day each was
published. The crawl is a user's (start at the feed, since=2000-01-01, no related links); the
feed dates every page 31 Oct 2024, which is not the page's date: a crawler that takes it instead
of the page's own scores a miss. Each URL's datePublished is taken from the dataset or the rejects
file. Beside it, on the same HTML: ``htmldate.find_date`` (extensive and fast) and
``trafilatura.extract_metadata().date``.

Per extractor: day accuracy (share of all pages whose date has the known day), coverage (share
with any date), precision (share of the dates given that have the known day). The pages are split
in two halves by a hash of their URL: "tune" (looked at while writing the rules) and "held out"
(never looked at page by page); both are printed. The key has days only, so a time cannot be
checked here (tests/ check times on pages written for them).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realworld import ROOT, archives, crawl_items, half, site_urls  # noqa: E402


def score(dates: dict[str, str | None], key: dict[str, dict], urls: list[str]) -> str:
    given = [url for url in urls if dates.get(url)]
    right = [url for url in given if str(dates[url])[:10] == key[url]["date"]]
    n = max(len(urls), 1)
    return (
        f"{100 * len(right) / n:.1f} % ({len(right)}/{len(urls)}), coverage {100 * len(given) / n:.0f} %, "
        f"precision {100 * len(right) / max(len(given), 1):.1f} %"
    )


def library_dates(warc: Path, urls: list[str]) -> dict[str, dict[str, str | None]]:
    import htmldate
    import trafilatura

    sys.path.insert(0, str(ROOT))
    from newscrawl.crawl.archive import WarcArchive

    archive = WarcArchive.open(str(warc))
    found: dict[str, dict[str, str | None]] = {"htmldate extensive": {}, "htmldate fast": {}, "trafilatura": {}}
    for url in urls:
        record = archive.get(url, False)
        html = record["body"].decode("utf-8", "replace") if record else ""
        readers: dict[str, Callable[..., str | None]] = {
            "htmldate extensive": lambda html=html: htmldate.find_date(html, extensive_search=True, original_date=True),
            "htmldate fast": lambda html=html: htmldate.find_date(html, extensive_search=False, original_date=True),
            "trafilatura": lambda html=html: getattr(trafilatura.extract_metadata(html), "date", None),
        }
        for name, read in readers.items():
            try:
                found[name][url] = read()
            except Exception:  # noqa: BLE001 (a library's failure on one page is a miss, not the end)
                found[name][url] = None
    return found


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "realworld")
    key = json.loads((folder / "dates.json").read_text("utf-8"))
    urls = sorted(key)
    items: dict[str, dict] = {}
    results: dict[str, dict[str, str | None]] = {"newscrawl": {}}
    for site, warc, feeds in archives(folder):  # the archives of the sites the known dates are on
        if not (mine := site_urls(site, key)):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            items.update(crawl_items(site, warc, Path(tmp), feeds)[0])
        for name, dates in library_dates(warc, mine).items():
            results.setdefault(name, {}).update(dates)
    ours = results["newscrawl"] = {url: item.get("datePublished") for url, item in items.items()}
    feed_dated = sum(
        1 for url in urls if (items.get(url, {}).get("metadata") or {}).get("datePublishedSource") == "feed"
    )
    halves = {name: [url for url in urls if half(url) == name] for name in ("tune", "held out")}
    print(f"{len(urls)} pages with a known day ({len(halves['tune'])} tune, {len(halves['held out'])} held out)\n")
    print("| extractor | all: day right, coverage, precision | tune half | held-out half |\n|---|---|---|---|")
    for name, dates in results.items():
        print(
            f"| {name} | {score(dates, key, urls)} | {score(dates, key, halves['tune'])} "
            f"| {score(dates, key, halves['held out'])} |"
        )
    print(f"\nnewscrawl took the feed's date (the last resort) on {feed_dated} pages.")
    own = {
        url: date
        for url, date in ours.items()
        if url in key and (items[url].get("metadata") or {}).get("datePublishedSource") != "feed"
    }
    print(f"newscrawl, the page's own dates only (the feed's left out): {score(own, key, urls)}")
    not_items = [url for url in urls if url not in items]
    print(f"newscrawl made no item of {len(not_items)} pages (not an article: a video page, a stub …).")


if __name__ == "__main__":
    main()
