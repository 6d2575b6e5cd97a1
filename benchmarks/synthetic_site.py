"""Synthetic NU.nl and WNL sites of N articles, packed straight into a WARC for replay benchmarks.

Pages are built from the project's own fixture articles (tests/fixtures/nu/site/…zwembad.html,
tests/fixtures/wnl/site/post_500101_kerncentrales.html): same head (meta tags, JSON-LD,
scripts), menus, consent, footer and block markup, with unique ids, titles, dates and
paragraphs, padded with menu and script chrome to 50–150 KB like real pages. Discovery: a
sitemap index with child sitemaps of 5,000 articles each (crawl with ``-a archive=1
-a sections=``), plus robots.txt, a front page and empty feeds, so no discovery request is
missing from the archive. ``tests/loopback.py`` serves the same WARC over HTTPS on 127.0.0.1.

    python benchmarks/synthetic_site.py nu 1000 benchmarks/.cache/nu-1000.warc.gz
    python benchmarks/synthetic_site.py wnl 1000 benchmarks/.cache/wnl-1000.warc.gz
    python benchmarks/synthetic_site.py nu 1000 benchmarks/.cache/nu-1000-30k.warc.gz 30   # pages of 30 KB ± 10 %
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from newscrawl.crawl.archive import write_response_record  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
TEMPLATE = FIXTURES / "nu" / "site" / "article_6400101_zwembad.html"
WNL_TEMPLATE = FIXTURES / "wnl" / "site" / "post_500101_kerncentrales.html"
BASE = "https://www.nu.nl"
WNL_BASE = "https://wnl.tv"
WORDS = (
    "gemeente kabinet minister onderzoek provincie rechter politie school ziekenhuis water energie wonen boeren "
    "verkiezingen begroting kamer europa markt prijzen werk jongeren klimaat stikstof verkeer spoor haven zorg "
    "cultuur museum sport voetbal wielrennen weer storm rivier dijk burgemeester raad plan besluit kritiek"
).split()
SECTIONS = ("binnenland", "economie", "politiek", "buitenland", "tech", "cultuur")
CHUNK = 5000


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def pad(page: str, rng: random.Random, size_kb: int | None = None) -> str:
    """Menu and script chrome before </body> until the page is 50–150 KB like real pages (or size_kb ± 10 %)."""
    target = rng.randint(50_000, 150_000) if size_kb is None else rng.randint(size_kb * 900, size_kb * 1100)
    chrome = (
        '<nav class="mega-menu"><ul>'
        + "".join(
            f'<li class="mega-menu__item"><a class="mega-menu__link" href="/{s}">{s}</a></li>' for s in SECTIONS * 6
        )
        + "</ul></nav>"
    )
    script = '<script>window.__SCREEN_STATE__ = {"blocks": "' + "x" * 3000 + '"};</script>'
    filler = []
    while len(page) + sum(map(len, filler)) < target:
        filler.append(chrome + script)
    return page.replace("</body>", "".join(filler) + "</body>", 1)


def wnl_post(
    template: str, index: int, rng: random.Random, published: datetime, size_kb: int | None = None
) -> tuple[str, bytes]:
    """A WNL post (layout A, docs/sites/wnl.md) with its own id, title, dates and paragraphs."""
    post_id = 600000 + index
    title = f"{sentence(rng)[:-1]} ({post_id})"
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80]
    url = f"{WNL_BASE}/{published:%Y/%m/%d}/{slug}/"
    old_url = "https://wnl.tv/2025/03/31/kabinet-wil-snellere-bouw-van-kleine-kerncentrales/"
    page = template.replace(old_url, url).replace(old_url.replace("/", "\\/"), url.replace("/", "\\/"))
    page = re.sub(r"Kabinet wil snellere bouw van (&#8216;|‘)kleine kerncentrales(&#8217;|’)", title, page).replace(
        "500101", str(post_id)
    )
    utc, modified = published.astimezone(UTC), (published + timedelta(minutes=20)).astimezone(UTC)
    page = re.sub(r'"datePublished": "[^"]+"', f'"datePublished": "{utc.isoformat()}"', page)
    page = re.sub(r'"dateModified": "[^"]+"', f'"dateModified": "{modified.isoformat()}"', page)
    page = re.sub(r'(property="article:published_time" content=")[^"]+', rf"\g<1>{utc.isoformat()}", page)
    page = re.sub(r'(property="article:modified_time" content=")[^"]+', rf"\g<1>{modified.isoformat()}", page)
    start = page.index('<div class="entry-content">') + len('<div class="entry-content">')
    end = page.index("<!-- .entry-content is not closed")
    paragraphs = "\n".join(
        f"<p>{' '.join(sentence(rng) for _ in range(rng.randint(2, 5)))}</p>" for _ in range(rng.randint(6, 14))
    )
    page = page[:start] + "\n" + paragraphs + "\n" + page[end:]
    return url, pad(page, rng, size_kb).encode("utf-8")


def article(
    template: str, index: int, rng: random.Random, published: datetime, size_kb: int | None = None
) -> tuple[str, bytes]:
    article_id = 7000000 + index
    section = SECTIONS[index % len(SECTIONS)]
    title = f"{sentence(rng)[:-1]} ({article_id})"
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80]
    url = f"{BASE}/{section}/{article_id}/{slug}.html"
    paragraphs = "\n".join(
        f'<p class="textblock paragraph" data-text-role="ARTICLE_BODY">{" ".join(sentence(rng) for _ in range(rng.randint(2, 5)))}</p>'
        for _ in range(rng.randint(6, 14))
    )
    page = template
    page = re.sub(r"https://www\.nu\.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten\.html", url, page)
    page = page.replace("Gemeente sluit zwembad om hoge energiekosten", title).replace("6400101", str(article_id))
    page = re.sub(r'"datePublished": "[^"]+"', f'"datePublished": "{published.isoformat()}"', page)
    page = re.sub(r'"dateModified": "[^"]+"', f'"dateModified": "{published.isoformat()}"', page)
    utc = published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = re.sub(r'(name="article:published_time" content=")[^"]+', rf"\g<1>{utc}", page)
    # Replace the body blocks with this article's own paragraphs (the Lees ook link is kept: realistic).
    start, end = (
        page.index('<p class="textblock paragraph"'),
        page.index('</div>\n      <footer class="article__footer">'),
    )
    page = page[:start] + paragraphs + "\n" + page[end:]
    page = pad(page, rng, size_kb)
    return url, page.encode("utf-8")


HTML = [("Content-Type", "text/html; charset=utf-8")]
XML = [("Content-Type", "application/xml; charset=utf-8")]
RSS = [("Content-Type", "application/rss+xml; charset=utf-8")]
EMPTY_RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>feed</title></channel></rss>"
Page = tuple[str, bytes, list, int]  # url, body, headers, status


def _sitemaps(base: str, articles: Iterator[tuple[str, bytes, datetime]], n: int, child_name: str) -> Iterator[Page]:
    """The articles, and per CHUNK of them a child sitemap; then the index listing the children."""
    chunks = (n + CHUNK - 1) // CHUNK
    index = "".join(f"<sitemap><loc>{base}/{child_name.format(i)}</loc></sitemap>" for i in range(chunks))
    yield (
        f"{base}/sitemap_index.xml",
        f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{index}</sitemapindex>".encode(),
        XML,
        200,
    )
    entries: list[str] = []
    for number, (url, body, published) in enumerate(articles):
        yield url, body, HTML, 200
        entries.append(f"<url><loc>{url}</loc><lastmod>{published.isoformat()}</lastmod></url>")
        if len(entries) == CHUNK or number == n - 1:
            urlset = f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{''.join(entries)}</urlset>"
            yield f"{base}/{child_name.format(number // CHUNK)}", urlset.encode(), XML, 200
            entries = []


def _published(i: int) -> datetime:
    return datetime(2025, 3, 31, 18, 0, tzinfo=UTC) - timedelta(minutes=7 * i)


def _start_pages(base: str, home: bytes, feed: str) -> Iterator[Page]:
    """robots.txt, an empty front page and an empty feed: discovery finds its articles in the sitemaps."""
    yield f"{base}/robots.txt", b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")], 200
    yield f"{base}/", home, HTML, 200
    yield f"{base}{feed}", EMPTY_RSS, RSS, 200


def nu_pages(n: int, rng: random.Random, size_kb: int | None = None) -> Iterator[Page]:
    template = TEMPLATE.read_text("utf-8")
    yield from _start_pages(
        BASE, b"<html><body data-page-type='frontpage'><main></main></body></html>", "/rss/Algemeen"
    )
    yield (
        f"{BASE}/sitemap_news.xml",
        b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'></urlset>",
        XML,
        200,
    )
    articles = ((*article(template, i, rng, _published(i), size_kb), _published(i)) for i in range(n))
    yield from _sitemaps(BASE, articles, n, "sitemap_articles_{}.xml")


def wnl_pages(n: int, rng: random.Random, size_kb: int | None = None) -> Iterator[Page]:
    template = WNL_TEMPLATE.read_text("utf-8")
    yield from _start_pages(WNL_BASE, b"<html><body class='home'><main></main></body></html>", "/feed/")
    yield f"{WNL_BASE}/wp-sitemap.xml", b"<html><body>Not found</body></html>", HTML, 404
    yield (
        f"{WNL_BASE}/wp-json/wp/v2/posts?per_page=20&page=1&_embed=1",
        b"[]",
        [("Content-Type", "application/json; charset=UTF-8")],
        200,
    )
    articles = ((*wnl_post(template, i, rng, _published(i), size_kb), _published(i)) for i in range(n))
    yield from _sitemaps(WNL_BASE, articles, n, "post-sitemap{}.xml")


SITES = {"nu": nu_pages, "wnl": wnl_pages}
# A substring of every synthetic article URL of the site (and of no start page).
ARTICLE_MARK = {"nu": "/70", "wnl": "/2025/"}


def generate(n: int, out: Path, seed: int = 1, site: str = "nu", size_kb: int | None = None) -> Path:
    """Write the synthetic ``site`` of ``n`` articles to the WARC ``out`` (pages of 50–150 KB, or size_kb ± 10 %)."""
    rng = random.Random(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    served = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
    date = served.strftime("%a, %d %b %Y %H:%M:%S GMT")
    with out.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, body, headers, status in SITES[site](n, rng, size_kb):
            write_response_record(
                writer, url, status, [("Date", date), *headers, ("Content-Length", str(len(body)))], body, served
            )
    return out


if __name__ == "__main__":
    name, count, target = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    generate(count, target, site=name, size_kb=int(sys.argv[4]) if len(sys.argv) > 4 else None)
    print(f"{name}: {count} articles → {target} ({target.stat().st_size / 1e6:.1f} MB)")
