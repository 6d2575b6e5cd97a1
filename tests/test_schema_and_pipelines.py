"""The schema is strict and really checks formats; the pipelines validate, reject with reasons, dedupe and revise."""

import json

import pytest
from conftest import fixture_response
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newscrawl.article.schema import article_schema, field_order
from newscrawl.crawl.pipelines.dedup import DedupPipeline
from newscrawl.crawl.pipelines.validation import ValidationPipeline, rejects_path_for, schema_errors
from newscrawl.extract.item import ArticleItem
from newscrawl.extract.registry import article_validator, site_named
from newscrawl.state import StateStore

nu = site_named("nu")
from newscrawl.crawl.spiders.sites import spider_for

NuSpider = spider_for("nu")

A_URL = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


def valid_item() -> dict:
    item = dict(nu.parse_article(fixture_response("nu", A_URL)))
    item["metadata"] = {**item["metadata"], "revision": 1}
    return item


def test_item_fields_are_the_schema_properties_in_order():
    assert list(ArticleItem.fields) == field_order() == list(article_schema()["properties"])


def test_a_parsed_item_is_valid():
    assert schema_errors(valid_item()) == []


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda i: i.update(datePublished="gisteren"), "datePublished"),
        (lambda i: i.update(datePublished="2025-03-31T14:05:00"), "datePublished"),  # no offset
        (lambda i: i.update(url="not a url"), "url"),
        (lambda i: i.update(canonicalUrl="https://www.nu.nl/a/1234567/b.html?utm_source=x"), "canonicalUrl"),
        (lambda i: i.update(colour="red"), "(item)"),
        (lambda i: i["metadata"].update(revision=0), "metadata/revision"),
        (lambda i: i.pop("headline"), "headline"),
        (lambda i: i.update(relatedUrls=[i["relatedUrls"][0]] * 2), "relatedUrls"),
        (lambda i: i.update(site="telegraaf"), "site"),
    ],
)
def test_schema_rejects(change, field):
    item = valid_item()
    change(item)
    errors = schema_errors(item)
    assert errors and errors[0].split(":")[0] == field


def test_format_checkers_are_installed():
    # Without rfc3339-validator jsonschema silently accepts any string as date-time.
    assert not article_validator().is_valid({**valid_item(), "datePublished": "2025-02-30T10:00:00+01:00"})


def make_crawler(tmp_path, **settings):
    crawler = get_crawler(
        NuSpider,
        {
            "STATE_DB": str(tmp_path / "state.sqlite3"),
            "EXTENSIONS": {StateStore: 0},
            "FEEDS": {str(tmp_path / "nu.jsonl"): {"format": "jsonlines"}},
            **settings,
        },
    )
    crawler.spider = crawler._create_spider()
    return crawler


def test_invalid_item_goes_to_the_rejects_file_with_its_reasons(tmp_path):
    crawler = make_crawler(tmp_path)
    pipeline = ValidationPipeline.from_crawler(crawler)
    pipeline.open_spider()
    item = valid_item()
    del item["articleBody"]
    with pytest.raises(DropItem):
        pipeline.process_item(item)
    assert pipeline.process_item(valid_item())
    pipeline.close_spider()
    rejects = [json.loads(line) for line in (tmp_path / "nu.rejects.jsonl").read_text("utf-8").splitlines()]
    assert len(rejects) == 1
    assert rejects[0]["url"] == A_URL and rejects[0]["errors"] == ["articleBody: 'articleBody' is a required property"]
    assert crawler.stats.get_value("validation/rejected") == 1
    assert crawler.stats.get_value("validation/rejected/articleBody") == 1


def test_rejects_path_follows_the_feed(tmp_path):
    crawler = make_crawler(tmp_path)
    assert rejects_path_for(crawler.settings, "nu") == tmp_path / "nu.rejects.jsonl"
    crawler = get_crawler(NuSpider, {"FEEDS": {}, "DEFAULT_FEED": "output/%(name)s.jsonl"})
    assert str(rejects_path_for(crawler.settings, "nu")) == "output/nu.rejects.jsonl"


def run_dedup(tmp_path, items):
    """Items through a fresh pipeline on the shared state file, as one crawl would; returns what was emitted."""
    crawler = make_crawler(tmp_path)
    pipeline = DedupPipeline.from_crawler(crawler)
    pipeline.open_spider()
    emitted = []
    for item in items:
        try:
            out = pipeline.process_item(item)
        except DropItem:
            continue
        pipeline.item_scraped(out, None, crawler.spider)
        emitted.append(out)
    pipeline.store.close()  # the crawl's end: the last batch of state writes is committed
    return emitted, crawler.stats


def parsed(url):
    return nu.parse_article(fixture_response("nu", url))


def test_dedup_across_runs_and_revisions(tmp_path):
    first, stats = run_dedup(tmp_path, [parsed(A_URL), parsed(A_URL)])
    assert [i["metadata"]["revision"] for i in first] == [1]
    assert stats.get_value("dedup/unchanged") == 1

    again, stats = run_dedup(tmp_path, [parsed(A_URL)])  # a later crawl, unchanged article
    assert again == [] and stats.get_value("dedup/unchanged") == 1

    changed = parsed(A_URL)
    changed["articleBody"] += "\n\nUpdate: de gemeenteraad praat volgende week opnieuw over het besluit."
    from newscrawl.extract.loader import content_hash

    changed["metadata"]["contentHash"] = content_hash(changed)
    revised, stats = run_dedup(tmp_path, [changed])
    assert [i["metadata"]["revision"] for i in revised] == [2]
    assert stats.get_value("dedup/revised") == 1


def test_same_text_under_another_article_id_is_one_item(tmp_path):
    copy_url = "https://www.nu.nl/algemeen/6400112/gemeente-sluit-zwembad-om-energiekosten.html"
    emitted, stats = run_dedup(tmp_path, [parsed(A_URL), parsed(copy_url)])
    assert [i["articleId"] for i in emitted] == ["6400101"]
    assert stats.get_value("dedup/same_content") == 1


def test_a_bare_day_is_allowed_only_with_day_precision():
    item = valid_item()
    item["datePublished"] = "2025-03-31"
    assert {e.split(":")[0] for e in schema_errors(item)} == {"datePublished"}
    item["metadata"]["datePublishedPrecision"] = "day"
    assert schema_errors(item) == []
    item["datePublished"] = "2025-03-31T14:05:00+02:00"  # a time where the page names none would be invented
    assert {e.split(":")[0] for e in schema_errors(item)} == {"datePublished"}


def test_copies_in_flight_together_are_still_one_item(tmp_path):
    # Scrapy runs pipelines asynchronously: the copy can arrive before the original is written.
    crawler = make_crawler(tmp_path)
    pipeline = DedupPipeline.from_crawler(crawler)
    pipeline.open_spider()
    first = pipeline.process_item(parsed(A_URL))
    with pytest.raises(DropItem, match="same text as nu:6400101"):
        pipeline.process_item(parsed("https://www.nu.nl/algemeen/6400112/gemeente-sluit-zwembad-om-energiekosten.html"))
    with pytest.raises(DropItem, match="already emitted in this run"):
        pipeline.process_item(parsed(A_URL))
    assert first["metadata"]["revision"] == 1


def test_an_item_rejected_later_releases_its_claim(tmp_path):
    crawler = make_crawler(tmp_path)
    pipeline = DedupPipeline.from_crawler(crawler)
    pipeline.open_spider()
    item = pipeline.process_item(parsed(A_URL))
    pipeline.item_dropped(item, None, DropItem("Invalid item"), crawler.spider)
    assert pipeline.process_item(parsed(A_URL))["metadata"]["revision"] == 1  # not lost: it may still be emitted


def test_state_writes_are_batched_and_committed_at_close(tmp_path, monkeypatch):
    from newscrawl.state import sqlite

    monkeypatch.setattr(sqlite, "BATCH_WRITES", 3)
    monkeypatch.setattr(sqlite, "BATCH_SECONDS", 3600)
    writer, reader = sqlite.SqliteStore(tmp_path / "s.db"), sqlite.SqliteStore(tmp_path / "s.db")
    for n in range(4):
        writer.record("nu", str(n), f"h{n}", 1, f"https://www.nu.nl/a/{n}/x.html", "2025-04-01T09:00:00Z")
    assert writer.get("nu", "3") is not None  # the writer reads its own open batch
    assert len(reader) == 3  # one full batch committed, the fourth write still open
    writer.close()
    assert len(reader) == 4 and reader.get("nu", "3").content_hash == "h3"
    reader.close()
