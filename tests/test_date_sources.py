"""The page's own publication date wherever it is (newscrawl/extract/base.py, date_published_candidates).

Pages written for these tests in shapes real sites use: JSON-LD of other types, microdata, Dublin
Core and other meta names, visible date lines in other languages, the URL's day; a discovery
hint (the feed's date) only when the page has none, and a modification date never taken for the
publication.
"""

from datetime import UTC, datetime

import pytest
from scrapy.http import HtmlResponse, Request

from newscrawl.extract.registry import site_named
from newscrawl.extract.requestinfo import META_KEY, Hints, RequestInfo

NU_URL = "https://www.nu.nl/binnenland/6400999/een-artikel-over-de-gemeente.html"
WNL_URL = "https://wnl.tv/2025/03/28/een-bericht-uit-den-haag/"
FEED = "2025-03-31T15:00:00+02:00"  # what the feed said: not the page's date
FETCHED = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
BODY = " ".join(
    f"<p>De gemeenteraad sprak dinsdag urenlang over plan {n}, dat volgens de wethouder de buurt sterker "
    "maakt en volgens de oppositie vooral geld kost dat er niet is.</p>"
    for n in range(4)
)


def page(head: str = "", body: str = "", url: str = NU_URL, feed: str | None = FEED) -> HtmlResponse:
    html = (
        f"<html><head><title>Een artikel over de gemeente</title>{head}</head><body><main>"
        f"<h1>Een artikel over de gemeente</h1>{body}<div class='text'>{BODY}</div></main></body></html>"
    )
    info = RequestInfo(archived_at=FETCHED, hints=Hints(published=feed))
    return HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url, meta={META_KEY: info}))


def published(response: HtmlResponse) -> tuple[str | None, str | None, str | None, str | None]:
    site = site_named("wnl" if "wnl.tv" in response.url else "nu")
    item = site.parse_article(response)
    metadata = item["metadata"]
    return (
        item.get("datePublished"),
        metadata.get("datePublishedSource"),
        metadata.get("sources", {}).get("datePublished"),
        metadata.get("datePublishedPrecision"),
    )


def ld(obj: str) -> str:
    return f'<script type="application/ld+json">{obj}</script>'


def test_json_ld_of_another_type_than_article():
    head = ld('{"@context": "https://schema.org", "@type": "WebPage", "datePublished": "2019-10-19T08:30:00+02:00"}')
    assert published(page(head)) == ("2019-10-19T08:30:00+02:00", "json-ld", "json-ld:other", None)


def test_json_ld_in_a_graph_with_only_date_created():
    head = ld('{"@graph": [{"@type": "WebSite"}, {"@type": "BlogPosting", "dateCreated": "2021-03-03T10:00:00Z"}]}')
    assert published(page(head))[:3] == ("2021-03-03T11:00:00+01:00", "json-ld", "json-ld:other")


@pytest.mark.parametrize(
    "name",
    ["DC.date.issued", "dcterms.issued", "og:published_time", "date", "pubdate", "parsely-pub-date", "sailthru.date"],
)
def test_other_meta_names_of_the_publication_date(name):
    attribute = "property" if name.startswith("og:") else "name"
    head = f'<meta {attribute}="{name}" content="2016-02-29T21:15:00+01:00">'
    assert published(page(head))[:3] == ("2016-02-29T21:15:00+01:00", "meta", "meta:other")


def test_microdata_date_published():
    body = '<div itemscope itemtype="https://schema.org/NewsArticle"><meta itemprop="datePublished" content="2018-03-02T10:00:00+01:00"></div>'
    assert published(page(body=body))[:3] == ("2018-03-02T10:00:00+01:00", "meta", "meta:itemprop")


def test_old_nu_design_dublin_core_and_its_visible_line():
    # NU.nl before its 2023 design: DC.date.issued and "Gepubliceerd: … " under the headline.
    head = '<meta name="DC.date.issued" content="2015-11-12T12:07:00+01:00">'
    body = '<div class="dateplace-data">Gepubliceerd: 12 november 2015 12:07</div>'
    when, source, _, _ = published(page(head, body))
    assert when == "2015-11-12T12:07:00+01:00" and source in ("visible", "meta")


@pytest.mark.parametrize(
    ("line", "day"),
    [
        ("Veröffentlicht am 19. Oktober 2019", "2019-10-19"),
        ("Published on March 3, 2021", "2021-03-03"),
        ("Publié le 7 juin 2017", "2017-06-07"),
    ],
)
def test_a_visible_date_in_another_language_is_the_page_s_day_not_the_feed_s(line, day):
    when, source, detail, precision = published(page(body=f"<p class='byline'>{line}</p>"))
    assert (when, source, precision) == (day, "visible", "day")
    assert detail == "visible:htmldate"


def test_a_modification_date_is_never_taken_for_the_publication():
    head = '<meta property="article:modified_time" content="2020-05-05T10:00:00Z">'
    body = '<span itemprop="dateModified">2020-05-05</span>'
    assert published(page(head, body))[:2] == (FEED, "feed")


def test_the_feed_date_is_the_last_resort_and_said_so():
    assert published(page()) == (FEED, "feed", "feed", None)
    assert published(page(feed=None)) == (None, None, None, None)


def test_the_url_day_comes_before_the_feed_and_the_feed_gives_its_time_only_on_that_day():
    # A WNL post without any date on the page: the permalink's day; a feed time on that day agrees.
    same_day = "2025-03-28T07:45:00+01:00"
    assert published(page(url=WNL_URL, feed=same_day))[:2] == (same_day, "feed")
    assert published(page(url=WNL_URL, feed=FEED)) == ("2025-03-28", "url", "url", "day")


def test_a_coins_citation_gives_the_day():
    # Blog and library software put an OpenURL citation (COinS) beside a post; a whole day counts.
    title = "ctx_ver=Z39.88-2004&amp;rft.title=Een+bericht&amp;rft.date=2014-05-18&amp;rft.type=blogPost"
    body = f'<span class="Z3988" title="{title}"></span>'
    assert published(page(body=body)) == ("2014-05-18", "meta", "meta:coins", "day")
    year_only = body.replace("2014-05-18", "2014")
    assert published(page(body=year_only))[:2] == (FEED, "feed")


@pytest.mark.parametrize(
    "footer",
    ["© 2021 De Uitgever", "Copyright 2019-2021 De Uitgever", "Archief: 12/2021"],
)
def test_a_copyright_year_or_a_bare_month_is_never_the_publication_day(footer):
    # htmldate answers the 1st of a month when it found only a year or a month: not a day.
    assert published(page(body=f"<footer><p>{footer}</p></footer>"))[:2] == (FEED, "feed")


@pytest.mark.parametrize(
    "line", ["Veröffentlicht am 1. Dezember 2021", "Published December 1st, 2021", "Publié le 01/12/2021"]
)
def test_the_first_of_a_month_named_as_a_day_is_kept(line):
    assert published(page(body=f"<p class='byline'>{line}</p>"))[:3] == ("2021-12-01", "visible", "visible:htmldate")
