"""What feeds and sitemaps really hold: a feed served as text/html is still read as XML (live,
through the fault proxy: replay chose the right class from the body and hid it), a feed entity
that expands past a bound loses only its own entry, and a gzipped sitemap bomb is
failure:too_large like a Content-Encoding bomb, without a traceback."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

from conftest import FIXTURES
from faultsite import FaultSite
from scrapy.http import HtmlResponse, XmlResponse

from newscrawl.extract.registry import sites

STADSBLAD = FIXTURES / "stadsblad"
ITEMS = "".join(
    f"<item><title>Bericht {i}</title><link>https://www.nu.nl/binnenland/{6333700 + i}/bericht-{i}.html</link>"
    f"<pubDate>Thu, 31 Oct 2024 19:0{i}:00 +0100</pubDate></item>"
    for i in range(5)
)
RSS = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>NU.nl</title>{ITEMS}</channel></rss>'
LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9))
    + "]>"
)


def _feed(body: str, cls=XmlResponse, content_type: str = "application/rss+xml"):
    return cls(url="https://www.nu.nl/rss/Algemeen", body=body.encode(), headers={"Content-Type": content_type})


def test_a_feed_is_read_as_xml_whatever_class_its_content_type_gave():
    reader = sites()["nu"].discovery_reader
    as_xml = [link.url for link in reader.parse_feed(_feed(RSS))]
    as_html = [link.url for link in reader.parse_feed(_feed(RSS, HtmlResponse, "text/html; charset=utf-8"))]
    assert len(as_xml) == 5 and as_html == as_xml


def test_an_entity_bomb_loses_only_its_own_entry_counted():
    reader = sites()["nu"].discovery_reader
    bombed = RSS.replace("<?xml", "<?xml").replace("<rss", LAUGHS + "<rss", 1).replace("Bericht 2", "&j;")
    skipped: Counter[str] = Counter()
    links = reader.parse_feed(_feed(bombed), skipped)
    assert [link.url.rsplit("/", 2)[-2] for link in links] == ["6333700", "6333701", "6333703", "6333704"]
    assert skipped == {"entity": 1}
    # An entity the feed declared but did not use costs nothing.
    assert len(reader.parse_feed(_feed(RSS.replace("<rss", LAUGHS + "<rss", 1)))) == 5


def _site_with(tmp_path: Path, declaration: str, records: list[dict], files: dict[str, bytes]) -> tuple[Path, Path]:
    site = tmp_path / "site"
    site.mkdir()
    for name, body in files.items():
        (site / name).write_bytes(body)
    for name in ("robots.txt", "article_1201.html", "article_1202.html"):
        (site / name).write_bytes((STADSBLAD / "site" / name).read_bytes())
    base = json.loads((STADSBLAD / "site.json").read_text("utf-8"))
    kept = [r for r in base["records"] if r["url"].endswith(("robots.txt", "/1201/nieuwe-fietsbrug-over-de-vaart"))]
    kept += [r for r in base["records"] if "/1202/" in r["url"]]
    manifest = tmp_path / "site.json"
    manifest.write_text(json.dumps({**base, "records": kept + records}), "utf-8")
    declared = tmp_path / "sites.toml"
    declared.write_text(declaration, "utf-8")
    return manifest, declared


def _crawl(tmp_path: Path, manifest: Path, declared: Path) -> tuple[list[dict], dict, str]:
    out = tmp_path / "out.jsonl"
    result = FaultSite(manifest, {}, tmp_path).crawl(
        "blad",
        out,
        tmp_path,
        f"SITES_FILE={declared}",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        "HEALTH_MIN_ARTICLES=100",
    )
    items = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    manifest_data = json.loads((tmp_path / "out.jsonl.manifest.json").read_text())
    return items, manifest_data, result.stderr


DECLARATION = """
[sites.blad]
host = "www.stadsblad.test"
article_path = '^/nieuws/(?P<id>\\d{4,})/[a-z0-9-]+$'
"""


def _feed_record(content_type: str) -> dict:
    """The fixture site's feed, served with ``content_type``."""
    return {
        "url": "https://www.stadsblad.test/rss/nieuws.xml",
        "status": 200,
        "file": "site/feed.xml",
        "headers": {"Content-Type": content_type},
    }


FEED = (STADSBLAD / "site" / "feed.xml").read_bytes()


def test_a_feed_served_as_text_html_gives_its_articles_live(tmp_path):
    manifest, declared = _site_with(
        tmp_path,
        DECLARATION + 'feeds = ["/rss/nieuws.xml"]\n',
        [_feed_record("text/html; charset=utf-8")],
        {"feed.xml": FEED},
    )
    items, _, log = _crawl(tmp_path, manifest, declared)
    assert sorted(item["articleId"] for item in items) == ["1201", "1202"], log[-3000:]


def test_a_gzipped_sitemap_bomb_is_too_large_not_a_traceback(tmp_path):
    bomb = gzip.compress(b"<urlset>" + b" " * (64 << 20) + b"</urlset>", 9)
    url = "https://www.stadsblad.test/sitemap.xml.gz"
    record = {"url": url, "status": 200, "file": "site/sitemap.xml.gz", "headers": {"Content-Type": "application/gzip"}}
    manifest, declared = _site_with(
        tmp_path,
        DECLARATION + 'sitemaps = ["/sitemap.xml.gz"]\nfeeds = ["/rss/nieuws.xml"]\n',
        [record, _feed_record("application/rss+xml")],
        {"sitemap.xml.gz": bomb, "feed.xml": FEED},
    )
    items, report, log = _crawl(tmp_path, manifest, declared)
    assert "Traceback" not in log, log[-3000:]
    assert {"url": url, "reason": "too_large"}.items() <= next(f for f in report["urls"]["failures"]).items()
    assert sorted(item["articleId"] for item in items) == ["1201", "1202"]  # the feed's articles still come
