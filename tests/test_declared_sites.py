"""Sites declared in a TOML file (SITES_FILE): a spider, a line of `newscrawl sites`, items read by
the declared selectors and the page's standards, run health judged by what the site declares, and
every mistake in the file refused with one line before anything is crawled."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, PROJECT, replay_crawl, run_newscrawl, run_scrapy

from newscrawl.extract.declared import SitesFileError, load_sites
from newscrawl.extract.registry import package_sites, sites

DECLARED = FIXTURES / "stadsblad"
SITES_FILE = DECLARED / "sites.toml"
EXPECTED = {
    item["url"]: item
    for item in (json.loads(path.read_text("utf-8")) for path in sorted((DECLARED / "expected").glob("*.json")))
}
# Which rule gave each field: the declared selectors, the page's standards, or the generic body.
SOURCES = {
    "1201": {
        "headline": "site",
        "articleBody": "site",
        "authors": "site",
        "articleSection": "site",
        "relatedUrls": "site",
    },
    "1202": {"headline": "site", "articleBody": "site", "authors": "meta", "datePublished": "meta"},
    "1203": {"headline": "json-ld", "articleBody": "trafilatura", "datePublished": "json-ld"},
}


@pytest.fixture(scope="module")
def archive() -> Path:
    return DECLARED / "site.warc.gz"


def crawl(tmp_path: Path, archive: Path, sites_file: Path = SITES_FILE, *extra: str) -> tuple[list[dict], dict]:
    lines, stats, _ = replay_crawl("stadsblad", tmp_path, "-s", f"SITES_FILE={sites_file}", *extra, archive=archive)
    return [json.loads(line) for line in lines], stats


def test_a_declared_site_crawls_from_its_toml_file_alone(tmp_path, archive):
    items, stats = crawl(tmp_path, archive)
    by_url = {item["url"]: item for item in items}
    assert sorted(by_url) == sorted(EXPECTED)  # the feed's two, and the third from the front page
    for url, expected in EXPECTED.items():
        item = by_url[url]
        sources = item["metadata"].pop("sources")
        assert {k: sources.get(k) for k in SOURCES[item["articleId"]]} == SOURCES[item["articleId"]], url
        # The crawl found them through the feed or the front page, not as start URLs.
        assert item["metadata"].pop("discoveredVia") != "start"
        metadata = {k: v for k, v in expected["metadata"].items() if k != "discoveredVia"}
        assert {**item, "metadata": {k: item["metadata"].get(k) for k in metadata}} == {
            **expected,
            "metadata": metadata,
        }
    assert stats["item_scraped_count"] == 3


def test_validate_takes_a_declared_sites_dataset_without_its_sites_file(tmp_path, archive):
    """As stats, merge and export do: the published schema's `site` is any well-formed name."""
    items, _ = crawl(tmp_path, archive)
    dataset = tmp_path / "stadsblad.jsonl"
    assert len(items) == 3 and dataset.exists()
    checked = run_newscrawl("validate", str(dataset))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "3 of 3 lines valid" in checked.stdout
    assert "site stadsblad (3 line(s)) is not registered here" in checked.stdout
    with_file = run_newscrawl("validate", "--sites-file", str(SITES_FILE), str(dataset))
    assert with_file.returncode == 0 and "not registered" not in with_file.stdout
    # A site value that is no site name at all is still wrong.
    broken = json.loads(dataset.read_text("utf-8").splitlines()[0])
    (tmp_path / "broken.jsonl").write_text(json.dumps({**broken, "site": "Stads Blad!"}) + "\n", encoding="utf-8")
    wrong = run_newscrawl("validate", str(tmp_path / "broken.jsonl"))
    assert wrong.returncode == 1 and "site: 'Stads Blad!' is not one of" in wrong.stderr


def test_newscrawl_sites_and_scrapy_list_name_the_declared_site(tmp_path):
    listed = subprocess.run(
        [sys.executable, "-m", "newscrawl", "sites", "--sites-file", str(SITES_FILE)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert listed[-1] == "stadsblad\twww.stadsblad.test\tStadsblad"
    assert [line.split("\t")[0] for line in listed[:-1]] == sorted(package_sites())
    spiders = run_scrapy("list", "-s", f"SITES_FILE={SITES_FILE}").stdout.split()
    assert "stadsblad" in spiders and set(package_sites()) <= set(spiders)
    assert "stadsblad" not in run_scrapy("list").stdout.split()  # only with the file


def test_a_site_without_body_selectors_is_judged_by_what_it_declares(tmp_path, archive):
    # The same pages, one declared with selectors (that miss the third page's new markup) and one
    # with none: the first run fails for its selectors, the second is not failed for the generic body.
    few = ("-s", "HEALTH_MIN_ARTICLES=1")
    _, stats = crawl(tmp_path / "selectors", archive, SITES_FILE, *few)
    assert stats["run/status"] == "failed"
    bare = tmp_path / "bare.toml"
    text = SITES_FILE.read_text("utf-8")
    bare.write_text(text[: text.index("[sites.stadsblad.selectors]")], "utf-8")
    items, stats = crawl(tmp_path / "bare", archive, bare, *few)
    assert stats["run/status"] == "ok"
    assert {item["metadata"]["bodyExtractor"] for item in items} == {"trafilatura"}
    assert sorted(item["headline"] for item in items) == sorted(e["headline"] for e in EXPECTED.values())


def test_a_declared_article_path_that_matches_no_link_fails_the_run_loudly(tmp_path, archive):
    """Without a check_url nothing confirms the pattern: a wrong one would give an ok run with 0 items."""
    text = SITES_FILE.read_text("utf-8")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        text.replace("article_path = '^/nieuws/", "article_path = '^/artikel/").replace(
            'check_url = "https://www.stadsblad.test/nieuws/1201/nieuwe-fietsbrug-over-de-vaart"\n', ""
        ),
        "utf-8",
    )
    lines, stats, log = replay_crawl("stadsblad", tmp_path / "w", "-s", f"SITES_FILE={wrong}", archive=archive)
    assert lines == [] and stats["run/status"] == "failed"
    assert "WARNING: article_path matches no link: the 2 discovery pages read gave no article URL" in log
    # The control: the right pattern, still without check_url, is an ok run with its articles.
    right = tmp_path / "right.toml"
    right.write_text(
        text.replace('check_url = "https://www.stadsblad.test/nieuws/1201/nieuwe-fietsbrug-over-de-vaart"\n', ""),
        "utf-8",
    )
    lines, stats, log = replay_crawl("stadsblad", tmp_path / "r", "-s", f"SITES_FILE={right}", archive=archive)
    # 3 articles: too few to judge the layout (HEALTH_MIN_ARTICLES), and nothing failed.
    assert len(lines) == 3 and stats["run/status"] == "too_few" and "article_path matches no link" not in log


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(text, "utf-8")
    return path


def test_every_mistake_in_a_sites_file_is_one_line(tmp_path):
    path = write(
        tmp_path,
        """
[sites.nu]
host = "www.nu.nl"
article_path = '^/(?P<id>\\d+)$'
feeds = ["/rss"]

[sites.Blad]
host = "https://blad.test/"
article_path = '/nieuws/(\\d+)'
colour = "red"

[sites.krant]
host = "www.krant.test"
article_path = '^/(?P<id>\\d+'
feeds = ["rss.xml"]
selectors = { headline = "h1..kop", byline = "span", articleBody = "xpath://div[" }
""",
    )
    with pytest.raises(SitesFileError) as raised:
        load_sites(path, package_sites())
    lines = str(raised.value).splitlines()
    expected = [
        "[sites.nu] the name is taken by a built-in site (NU.nl)",
        "[sites.nu] host www.nu.nl already belongs to site nu",
        "[sites.Blad] the name must be",
        "[sites.Blad] unknown key 'colour'",
        "[sites.Blad] 'https://blad.test/' is not a host name",
        "[sites.Blad] article_path needs a named group (?P<id>…)",
        "[sites.Blad] declares no discovery source",
        "[sites.krant] article_path is not a regular expression",
        "[sites.krant] feeds: 'rss.xml' must be a path",
        "[sites.krant] selectors.headline: 'h1..kop' is not CSS",
        "[sites.krant] selectors.byline: not a field a selector can give",
        "[sites.krant] selectors.articleBody: 'xpath://div[' is not XPath",
    ]
    for part in expected:
        assert sum(part in line for line in lines) == 1, (part, lines)
    assert len(lines) == len(expected)
    assert all(line.startswith(f"{path}: [sites.") for line in lines)


def test_a_wrong_sites_file_stops_scrapy_with_its_mistakes_not_a_traceback(tmp_path):
    path = write(tmp_path, '[sites.krant]\nhost = "www.krant.test"\nfeeds = ["/rss.xml"]\n')
    result = run_scrapy("crawl", "krant", "-s", f"SITES_FILE={path}", status=2)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "newscrawl: refused: SITES_FILE",
        f"{path}: [sites.krant] article_path is required",
    ]
    missing = run_scrapy("list", "-s", f"SITES_FILE={tmp_path / 'none.toml'}", status=2)
    assert "cannot be read" in missing.stderr and "Traceback" not in missing.stderr
    not_toml = write(tmp_path, "[sites.krant\n")
    assert "not TOML" in run_scrapy("list", "-s", f"SITES_FILE={not_toml}", status=2).stderr


def test_the_declared_sites_are_not_registered_without_the_file():
    assert "stadsblad" not in sites()
