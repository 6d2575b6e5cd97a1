"""Agency credits on real pages of other sites: which pages credit an agency, and by which source.

    .venv/bin/python benchmarks/realagencies.py REALWORLD_DIR

The folder holds <site>.warc.gz archives of real pages served at a registered site's article URLs
(news, blogs, magazines; mostly German and English). Each article page is parsed by the site's
parser as after a total redesign; printed: how many are articles, how many credit an agency, and
each of those (URL, agencies, the source that named them, authors, the text's opening) for a
person to check. No page's true credits are known beforehand: precision is what that check
finds; the pages' text can be searched for credits the parser missed ("(dpa)", "(Reuters)", …).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from scrapy.http import HtmlResponse, Request
    from warcio.archiveiterator import ArchiveIterator

    from newscrawl.extract.registry import sites
    from newscrawl.extract.urls import article_key

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "realworld")
    pages, credited = 0, []
    for warc in sorted(folder.glob("*.warc.gz")):
        site = sites().get(warc.name.removesuffix(".warc.gz"))
        if site is None:
            continue
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type != "response" or not article_key(url):
                    continue
                item = site.parse_article(HtmlResponse(url, body=record.content_stream().read(), request=Request(url)))
                if not hasattr(item, "get") or "agencies" not in item:
                    continue  # not an article (a Skip)
                pages += 1
                if item["agencies"]:
                    credited.append(item)
    print(f"{pages} article pages; {len(credited)} credit an agency")
    for item in credited:
        authors = [author["name"] for author in item.get("authors", [])]
        opening = " ".join(item["articleBody"].split())[:90]
        print(f"- {item['url']}: {item['agencies']} ({item['metadata']['sources']['agencies']}); authors {authors}")
        print(f"    {opening}")


if __name__ == "__main__":
    main()
