"""Every registered site (a package newscrawl/sites/<name>/, or declared in a fixture folder's
sites.toml) against its fixtures (tests/fixtures/<name>/).

A site added to the registry is picked up here without any edit: its fixture folder must exist,
each stored page with an expected item must give exactly that item, its `scrapy check` contract
must pass, and a replay crawl of its fixture site must emit valid items with every URL accounted
for. (The archive-matches-manifest check is in test_archive.py, Scrapyd's spider list in
test_scrapyd.py.)
"""

import json
import re
from urllib.parse import urlsplit

import pytest
from conftest import FIXTURES, fixture_response, fixture_sites, manifest, page_url, replay_crawl, run_scrapy

from newscrawl.article.schema import article_schema
from newscrawl.crawl.pipelines.validation import schema_errors
from newscrawl.extract.common import Skip
from newscrawl.extract.urls import article_key

SITES = sorted(fixture_sites())
EXPECTED = [(name, path) for name in SITES for path in sorted((FIXTURES / name / "expected").glob("*.json"))]


@pytest.mark.parametrize("name", SITES)
def test_every_site_has_a_fixture_site_with_expected_items(name):
    folder = FIXTURES / name
    assert (folder / "site.json").is_file() and (folder / "site.warc.gz").is_file(), (
        f"tests/fixtures/{name}/ needs site.json and site.warc.gz"
    )
    assert list((folder / "expected").glob("*.json")), f"tests/fixtures/{name}/expected/ holds no expected item"
    check = fixture_sites()[name].site.check
    assert check, f"{name} has no `scrapy check` article (a declared site: check_url)"
    assert any(record["url"] == check.url for record in manifest(name)["records"]), (
        "the check URL must be in the fixture site"
    )


@pytest.mark.parametrize("name", SITES)
def test_site_name_fits_the_published_schema(name):
    assert re.fullmatch(article_schema()["properties"]["site"]["pattern"], name)


@pytest.mark.parametrize("name", SITES)
def test_discovery_sources_are_on_the_site(name):
    site = fixture_sites()[name].site
    reader = site.discovery_reader
    for source in site.sources:
        url = reader.source_url(source.path, "voorbeeld" if source.per_section else None)
        assert "{" not in url and urlsplit(url).hostname in site.crawl_hosts, url


@pytest.mark.parametrize("name, expected_path", EXPECTED, ids=[f"{n}-{p.stem}" for n, p in EXPECTED])
def test_stored_page_gives_exactly_the_expected_item(name, expected_path):
    expected = json.loads(expected_path.read_text("utf-8"))
    with fixture_sites()[name].registered() as site:
        item = site.parse_article(fixture_response(name, page_url(name, expected_path.stem)))
        key = article_key(item["canonicalUrl"]) if not isinstance(item, Skip) else ""
    assert not isinstance(item, Skip), item
    # Which rule found each field is checked below, not copied into the expected files.
    sources = item["metadata"].pop("sources")
    assert dict(item) == expected
    assert set(sources) <= set(item) and {"headline", "articleBody"} <= set(sources) | ({"articleBody"} - set(item))
    if item["metadata"]["bodyExtractor"] == "selectors" and "articleBody" in item:
        # A page in the site's own markup: its own rules found the headline and the body.
        assert sources["headline"] == sources["articleBody"] == "site"
    if "datePublished" in sources:
        assert sources["datePublished"].split(":")[0] == item["metadata"]["datePublishedSource"]
    # Its identity is the site's article key of the canonical URL (an expected item may be invalid:
    # a page without a body is written to show the reject).
    assert key.startswith(f"{name}:")
    assert item["metadata"]["parser"].startswith(f"{name}/")


@pytest.mark.parametrize("name", SITES)
def test_scrapy_check_contracts_pass_in_replay_mode(name):
    options = fixture_sites()[name].options
    result = run_scrapy("check", name, *options, "-s", f"REPLAY_WARC={FIXTURES / name / 'site.warc.gz'}")
    assert "Ran 3 contracts" in result.stderr and "OK" in result.stderr


@pytest.mark.parametrize("name", SITES)
def test_replay_crawl_emits_valid_items_and_accounts_for_every_url(name, tmp_path):
    lines, stats, _ = replay_crawl(name, tmp_path)
    items = [json.loads(line) for line in lines]
    assert items, "the fixture site must give at least one item"
    with fixture_sites()[name].registered():
        assert all(item["site"] == name and schema_errors(item) == [] for item in items)
    assert stats.get("replay/missing", 0) == 0 and stats.get("ledger/unaccounted", 0) == 0
    assert stats["finish_reason"] == "finished"
    report = json.loads((tmp_path / f"{name}.jsonl.manifest.json").read_text("utf-8"))
    assert report["spider"] == name and report["counts"]["items"] == len(items)
