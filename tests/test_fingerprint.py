"""One article = one request fingerprint; a redirect between URLs of one article is not a duplicate."""

from scrapy import Request
from scrapy.utils.test import get_crawler

from newscrawl.crawl.fingerprint import ArticleDupeFilter, ArticleRequestFingerprinter

VARIANTS = [
    "https://www.nu.nl/economie/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html",
    "https://www.nu.nl/politiek/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html?utm_source=nu.nl",
    "http://nu.nl/economie/6400102/energieprijzen.html#reacties",
]


def dupefilter():
    crawler = get_crawler(settings_dict={"REQUEST_FINGERPRINTER_CLASS": ArticleRequestFingerprinter})
    return ArticleDupeFilter.from_crawler(crawler)


def test_url_variants_of_one_article_share_a_fingerprint():
    fingerprinter = ArticleRequestFingerprinter()
    assert len({fingerprinter.fingerprint(Request(url)) for url in VARIANTS}) == 1
    other = fingerprinter.fingerprint(Request("https://www.nu.nl/economie/6400103/x.html"))
    assert other != fingerprinter.fingerprint(Request(VARIANTS[0]))
    # Non-article pages keep Scrapy's own fingerprint: ?page=2 is another page.
    assert fingerprinter.fingerprint(Request("https://www.nu.nl/binnenland")) != fingerprinter.fingerprint(
        Request("https://www.nu.nl/binnenland?page=2")
    )


def test_dupefilter_drops_a_second_url_of_a_known_article():
    seen = dupefilter()
    assert not seen.request_seen(Request(VARIANTS[0]))
    assert seen.request_seen(Request(VARIANTS[1]))


def test_dupefilter_lets_a_redirect_within_one_article_through():
    seen = dupefilter()
    assert not seen.request_seen(Request(VARIANTS[1]))
    redirected = Request(VARIANTS[0], meta={"redirect_urls": [VARIANTS[1]]})
    assert not seen.request_seen(redirected)
    # …but a short link that resolves to an article fetched before is a duplicate.
    from_short_link = Request(VARIANTS[0], meta={"redirect_urls": ["https://www.nu.nl/-/6400102/"]})
    assert seen.request_seen(from_short_link)
