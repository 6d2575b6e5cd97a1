"""The redesign harness: each fixture site with its pages mutated as a redesign would, crawled in
replay and scored against the unmutated crawl.

    .venv/bin/python tests/redesign.py            # prints the table of docs/redesign.md

Mutations (applied to the article pages; "listings" also to front, section and archive pages):
class names and ids renamed consistently, JSON-LD removed, <meta> tags removed, <article>
turned into nested <div>s, data-* attributes removed. Scores per variant, against the items of the unmutated crawl (matched
by canonical URL): articles kept, body ROUGE-L F1 (word level, mean and minimum), exact headline,
authors and datePublished, related links found, boilerplate phrases in bodies, and the run's
layout verdict.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conftest import FIXTURES, fixture_sites, replay_crawl  # noqa: E402

from newscrawl.article.text import BOILERPLATE_PHRASES  # noqa: E402
from newscrawl.extract.urls import link_key  # noqa: E402
from newscrawl.tools.fixtures import pack  # noqa: E402

_CLASS = re.compile(r"""(\sclass\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_ID = re.compile(r"""(\sid\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_JSONLD = re.compile(r"""<script[^>]*application/ld\+json[^>]*>.*?</script>""", re.IGNORECASE | re.DOTALL)
_META = re.compile(r"""<meta\s(?=[^>]*\b(?:name|property|itemprop)\s*=)[^>]*>""", re.IGNORECASE)


def _renamed(token: str) -> str:
    return "r" + hashlib.sha1(token.encode()).hexdigest()[:7]


def rename(html: str) -> str:
    """Every class token and id replaced by a meaningless one, consistently across the site."""
    html = _CLASS.sub(
        lambda m: m.group(1) + m.group(2) + " ".join(_renamed(t) for t in m.group(3).split()) + m.group(2), html
    )
    return _ID.sub(lambda m: m.group(1) + m.group(2) + _renamed(m.group(3).strip()) + m.group(2), html)


def drop_jsonld(html: str) -> str:
    return _JSONLD.sub("", html)


def drop_meta(html: str) -> str:
    return _META.sub("", html)


_DATA = re.compile(r"""\sdata-[\w-]+\s*=\s*(["']).*?\1""", re.IGNORECASE | re.DOTALL)


def drop_data_attributes(html: str) -> str:
    """data-* attributes gone too (an app's text roles, page types): only tags and text are left."""
    return _DATA.sub("", html)


def article_to_divs(html: str) -> str:
    html = re.sub(r"<article\b", "<div><div", html, flags=re.IGNORECASE)
    return re.sub(r"</article\s*>", "</div></div>", html, flags=re.IGNORECASE)


@dataclass(frozen=True)
class Variant:
    name: str
    article: tuple  # mutations of article pages
    listings: tuple = ()  # mutations of the other HTML pages


VARIANTS = [
    Variant("none", ()),
    Variant("classes and ids renamed", (rename,)),
    Variant("renamed, no JSON-LD", (rename, drop_jsonld)),
    Variant("renamed, listings renamed too", (rename,), (rename,)),
    Variant("renamed, no JSON-LD, no meta (visible page only)", (rename, drop_jsonld, drop_meta)),
    Variant("<article> → nested <div>s", (article_to_divs,)),
    Variant("renamed, data-* attributes removed, no JSON-LD", (rename, drop_data_attributes, drop_jsonld)),
    Variant("all of these combined", (rename, drop_jsonld, drop_meta, article_to_divs), (rename,)),
]


def is_article_page(site: str, record: dict) -> bool:
    """Served at an article URL of the site (by the site's own URL rules, not the file's name)."""
    with fixture_sites()[site].registered():
        return link_key(record["url"]) is not None


def mutated_site(site: str, variant: Variant, out: Path) -> Path:
    """A copy of tests/fixtures/<site> with the variant's mutations, packed; returns the WARC."""
    folder = out / f"{site}-site"
    shutil.copytree(FIXTURES / site, folder, ignore=shutil.ignore_patterns("*.warc.gz", "expected"))
    manifest = json.loads((folder / "site.json").read_text("utf-8"))
    for record in manifest["records"]:
        file = record.get("file")
        if not file or not file.endswith(".html"):
            continue
        mutations = variant.article if is_article_page(site, record) else variant.listings
        path = folder / file
        html = path.read_text("utf-8")
        for mutate in mutations:
            html = mutate(html)
        path.write_text(html, "utf-8")
    return pack(folder / "site.json", out / f"{site}.warc.gz") and out / f"{site}.warc.gz"


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two word lists (bit-parallel, Hyyrö 2004)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, word in enumerate(a):
        masks[word] = masks.get(word, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for word in b:
        u = v & masks.get(word, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def rouge_l_f1(reference: str, candidate: str) -> float:
    ref, cand = reference.split(), candidate.split()
    if not ref and not cand:
        return 100.0
    lcs = lcs_length(ref, cand)
    if not lcs:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 100 * 2 * precision * recall / (precision + recall)


def authors(item: dict) -> list[str]:
    return [a["name"] for a in item.get("authors", [])]


def crawl(site: str, warc: Path, tmp: Path) -> tuple[dict[str, dict], dict, dict]:
    """(emitted items by canonical URL, stats, manifest) of a replay crawl."""
    # Judged however few articles the fixture site has: a lost rule must show on any site.
    lines, stats, _ = replay_crawl(site, tmp, "-s", "HEALTH_MIN_ARTICLES=1", archive=warc)
    items = {item["canonicalUrl"]: item for item in map(json.loads, lines)}
    return items, stats, json.loads((tmp / f"{site}.jsonl.manifest.json").read_text("utf-8"))


def score(baseline: dict[str, dict], items: dict[str, dict], manifest: dict) -> dict:
    kept = [url for url in baseline if url in items]
    f1 = [rouge_l_f1(baseline[url].get("articleBody", ""), items[url].get("articleBody", "")) for url in kept]
    exact = lambda field: 100 * sum(baseline[u].get(field) == items[u].get(field) for u in kept) / max(len(kept), 1)  # noqa: E731
    related_expected = sum(len(baseline[u].get("relatedUrls", [])) for u in baseline)
    related_found = sum(
        len(set(baseline[u].get("relatedUrls", [])) & set(items[u].get("relatedUrls", []))) for u in kept
    )
    # Fields the site's own rules gave on the unmutated page and no longer give.
    rules_lost = [
        (u, name)
        for u in kept
        for name, source in baseline[u]["metadata"].get("sources", {}).items()
        if source == "site" and items[u]["metadata"].get("sources", {}).get(name) != "site"
    ]
    leaks = [u for u in kept for phrase in BOILERPLATE_PHRASES if phrase in items[u].get("articleBody", "")]
    return {
        "articles": len(kept),
        "of": len(baseline),
        "f1_mean": sum(f1) / len(f1) if f1 else 0.0,
        "f1_min": min(f1) if f1 else 0.0,
        "headline": exact("headline"),
        "authors": 100 * sum(authors(baseline[u]) == authors(items[u]) for u in kept) / max(len(kept), 1),
        "datePublished": exact("datePublished"),
        "related": 100 * related_found / related_expected if related_expected else 0.0,
        "boilerplate": len(leaks),
        "rules_lost": len(rules_lost),
        "status": manifest.get("status"),
        "layout": (manifest.get("layout") or {}).get("status"),
    }


def run(site: str, variants: list[Variant], workdir: Path) -> dict[str, dict]:
    results = {}
    base_dir = workdir / site / "none"
    base_dir.mkdir(parents=True)
    baseline, _, _ = crawl(site, FIXTURES / site / "site.warc.gz", base_dir)
    for index, variant in enumerate(variants):
        tmp = workdir / site / f"v{index}"
        tmp.mkdir(parents=True, exist_ok=True)
        warc = mutated_site(site, variant, tmp)
        items, _, manifest = crawl(site, warc, tmp)
        results[variant.name] = score(baseline, items, manifest)
    return results


def table(site: str, results: dict[str, dict]) -> str:
    rows = [
        f"| {site}: change to the pages | articles | body F1 mean / min | headline | authors | datePublished | related links | boilerplate | site rules lost | run status |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        rows.append(
            f"| {name} | {r['articles']}/{r['of']} | {r['f1_mean']:.1f} / {r['f1_min']:.1f} | {r['headline']:.0f} % | {r['authors']:.0f} % "
            f"| {r['datePublished']:.0f} % | {r['related']:.0f} % | {r['boilerplate']} | {r['rules_lost']} | {r['status']} ({r['layout']}) |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        for site_name in sorted(fixture_sites()):
            print(table(site_name, run(site_name, VARIANTS, Path(scratch))) + "\n", flush=True)
