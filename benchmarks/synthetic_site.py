"""A synthetic NU.nl site of N articles, packed straight into a WARC for replay benchmarks.

Pages are built from the project's own fixture article (tests/fixtures/nu/site/…zwembad.html):
same head, menus, consent, footer and block markup, with unique ids, titles and paragraphs,
padded with menu and script chrome to 50–150 KB like real pages. Discovery: a sitemap index
with child sitemaps of 5,000 articles each (crawl with ``-a archive=1``), plus robots.txt, a
front page and an empty section/feed set so no discovery request is missing from the archive.

    python benchmarks/synthetic_site.py 1000 benchmarks/.cache/nu-1000.warc.gz
"""

from __future__ import annotations

import random
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from newscrawl.archive import write_response_record  # noqa: E402

TEMPLATE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nu" / "site" / "article_6400101_zwembad.html"
BASE = "https://www.nu.nl"
WORDS = ("gemeente kabinet minister onderzoek provincie rechter politie school ziekenhuis water energie wonen boeren "
         "verkiezingen begroting kamer europa markt prijzen werk jongeren klimaat stikstof verkeer spoor haven zorg "
         "cultuur museum sport voetbal wielrennen weer storm rivier dijk burgemeester raad plan besluit kritiek").split()
SECTIONS = ("binnenland", "economie", "politiek", "buitenland", "tech", "cultuur")
CHUNK = 5000


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def article(template: str, index: int, rng: random.Random, published: datetime) -> tuple[str, bytes]:
    article_id = 7000000 + index
    section = SECTIONS[index % len(SECTIONS)]
    title = f"{sentence(rng)[:-1]} ({article_id})"
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80]
    url = f"{BASE}/{section}/{article_id}/{slug}.html"
    paragraphs = "\n".join(f'<p class="textblock paragraph" data-text-role="ARTICLE_BODY">{" ".join(sentence(rng) for _ in range(rng.randint(2, 5)))}</p>' for _ in range(rng.randint(6, 14)))
    page = template
    page = re.sub(r"https://www\.nu\.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten\.html", url, page)
    page = page.replace("Gemeente sluit zwembad om hoge energiekosten", title).replace("6400101", str(article_id))
    page = re.sub(r'"datePublished": "[^"]+"', f'"datePublished": "{published.isoformat()}"', page)
    page = re.sub(r'"dateModified": "[^"]+"', f'"dateModified": "{published.isoformat()}"', page)
    utc = published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = re.sub(r'(name="article:published_time" content=")[^"]+', rf"\g<1>{utc}", page)
    # Replace the body blocks with this article's own paragraphs (the Lees ook link is kept: realistic).
    start, end = page.index('<p class="textblock paragraph"'), page.index("</div>\n      <footer class=\"article__footer\">")
    page = page[:start] + paragraphs + "\n" + page[end:]
    target = rng.randint(50_000, 150_000)
    chrome = '<nav class="mega-menu"><ul>' + "".join(f'<li class="mega-menu__item"><a class="mega-menu__link" href="/{s}">{s}</a></li>' for s in SECTIONS * 6) + "</ul></nav>"
    script = '<script>window.__SCREEN_STATE__ = {"blocks": "' + "x" * 3000 + '"};</script>'
    filler = []
    while len(page) + sum(map(len, filler)) < target:
        filler.append(chrome + script)
    page = page.replace("</body>", "".join(filler) + "</body>", 1)
    return url, page.encode("utf-8")


def generate(n: int, out: Path, seed: int = 1) -> Path:
    rng = random.Random(seed)
    template = TEMPLATE.read_text("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    served = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
    html = [("Content-Type", "text/html; charset=utf-8")]
    xml = [("Content-Type", "application/xml; charset=utf-8")]

    def record(writer, url, body, headers, status=200):
        write_response_record(writer, url, status, [("Date", served.strftime("%a, %d %b %Y %H:%M:%S GMT")), *headers, ("Content-Length", str(len(body)))], body, served)

    with out.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        record(writer, f"{BASE}/robots.txt", b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
        record(writer, f"{BASE}/", b"<html><body data-page-type='frontpage'><main></main></body></html>", html)
        record(writer, f"{BASE}/rss/Algemeen", b"<?xml version='1.0'?><rss version='2.0'><channel><title>NU</title></channel></rss>", [("Content-Type", "application/rss+xml")])
        record(writer, f"{BASE}/sitemap_news.xml", b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'></urlset>", xml)
        chunks = [list(range(start, min(n, start + CHUNK))) for start in range(0, n, CHUNK)]
        index = "".join(f"<sitemap><loc>{BASE}/sitemap_articles_{i}.xml</loc></sitemap>" for i in range(len(chunks)))
        record(writer, f"{BASE}/sitemap_index.xml", f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{index}</sitemapindex>".encode(), xml)
        for number, chunk in enumerate(chunks):
            urls = []
            for i in chunk:
                published = datetime(2025, 3, 31, 18, 0, tzinfo=UTC) - timedelta(minutes=7 * i)
                url, body = article(template, i, rng, published.astimezone(UTC))
                urls.append((url, published))
                record(writer, url, body, html)
            entries = "".join(f"<url><loc>{u}</loc><lastmod>{p.isoformat()}</lastmod></url>" for u, p in urls)
            record(writer, f"{BASE}/sitemap_articles_{number}.xml", f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{entries}</urlset>".encode(), xml)
    return out


if __name__ == "__main__":
    count, target = int(sys.argv[1]), Path(sys.argv[2])
    generate(count, target)
    print(f"{count} articles → {target} ({target.stat().st_size / 1e6:.1f} MB)")
