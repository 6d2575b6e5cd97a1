"""Spider arguments: one typed object (newscrawl/crawl/spiders/arguments.py), a wrong one refused in one line."""

import subprocess
import sys
from datetime import date

import pytest
from conftest import FIXTURES, PROJECT, run_scrapy
from hypothesis import given
from hypothesis import strategies as st

from newscrawl.crawl.spiders.arguments import BadArgument, SpiderArgs
from newscrawl.crawl.spiders.sites import spider_class
from newscrawl.extract.registry import site_named


def test_the_strings_of_a_crawl_become_typed_values():
    args = SpiderArgs.parse(
        {
            "since": "2025-03-01",
            "max_articles": "20",
            "related_depth": "0",
            "archive": "1",
            "sections": "politiek, /economie/,",
            "start_urls": "https://www.nu.nl/rss/Algemeen,https://www.nu.nl/",
            "render": "0",
            "_job": "abc123",  # Scrapyd's own argument passes
        }
    )
    assert args == SpiderArgs(
        start_urls=("https://www.nu.nl/rss/Algemeen", "https://www.nu.nl/"),
        sections=("politiek", "economie"),
        since=date(2025, 3, 1),
        max_articles=20,
        related_depth=0,
        archive=True,
        render="0",
    )
    assert SpiderArgs.parse({}) == SpiderArgs() and SpiderArgs().sections is None


@pytest.mark.parametrize(
    ("given_args", "message"),
    [
        ({"since": "notadate"}, "since takes an ISO date (YYYY-MM-DD), got 'notadate'"),
        ({"max_articles": "abc"}, "max_articles takes a whole number, got 'abc'"),
        ({"max_articles": "-3"}, "max_articles takes a whole number of at least 0, got '-3'"),
        ({"related_depth": "1.5"}, "related_depth takes a whole number, got '1.5'"),
        ({"archive": "maybe"}, "archive takes 1 or 0, got 'maybe'"),
        ({"render": "sometimes"}, "render takes auto, 1 or 0, got 'sometimes'"),
        ({"start_urls": "www.nu.nl/rss"}, "start_urls takes comma-separated http(s) URLs, got 'www.nu.nl/rss'"),
        ({"maxarticles": "3", "sice": "x"}, "unknown spider arguments maxarticles, sice (known: start_urls, sections,"),
    ],
)
def test_a_wrong_argument_is_named_with_what_it_takes(given_args, message):
    with pytest.raises(BadArgument) as raised:
        SpiderArgs.parse(given_args)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)


@given(st.integers(min_value=0, max_value=10**9))
def test_any_whole_number_is_taken_as_itself(number):
    assert SpiderArgs.parse({"max_articles": f" {number} "}).max_articles == number


@given(st.text(alphabet=st.characters(categories=["L", "P", "Zs"]), min_size=1))
def test_text_without_a_date_is_never_a_since(text):
    if not text.strip():
        assert SpiderArgs.parse({"since": text}).since is None  # blank: no since
        return
    with pytest.raises(BadArgument, match="^since takes an ISO date"):
        SpiderArgs.parse({"since": text})


def test_the_spider_reads_its_arguments_through_the_object():
    spider = spider_class(site_named("wnl"))(since="2025-01-01", max_articles="5", _job="j1")
    assert (spider.since, spider.max_articles, spider._job) == (date(2025, 1, 1), 5, "j1")
    assert spider.sections == ["politiek", "binnenland", "economie"]  # the site's defaults
    with pytest.raises(BadArgument, match="unknown spider argument colour"):
        spider_class(site_named("wnl"))(colour="blue")


@pytest.mark.parametrize(
    ("argument", "line"),
    [
        ("since=notadate", "newscrawl: refused: since takes an ISO date (YYYY-MM-DD), got 'notadate'"),
        ("max_articles=abc", "newscrawl: refused: max_articles takes a whole number, got 'abc'"),
        ("colour=blue", "newscrawl: refused: unknown spider argument colour (known: "),
    ],
)
def test_scrapy_crawl_refuses_a_wrong_argument_in_one_line_before_anything_is_written(tmp_path, argument, line):
    feed = tmp_path / "nu.jsonl"
    result = run_scrapy(
        "crawl",
        "nu",
        "-a",
        argument,
        "-o",
        str(feed),
        "-s",
        f"REPLAY_WARC={FIXTURES / 'nu' / 'site.warc.gz'}",
        "-s",
        f"STATE_DB={tmp_path / 'state.sqlite3'}",
        status=2,
    )
    assert "Traceback" not in result.stderr
    assert (
        [text for text in result.stderr.splitlines() if text.startswith("newscrawl:")]
        == [text for text in result.stderr.splitlines() if text.startswith(line)]
        != []
    )
    assert not feed.exists() and not (tmp_path / "state.sqlite3").exists()


def test_schedule_refuses_a_wrong_argument_before_asking_scrapyd():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "newscrawl",
            "schedule",
            "--once",
            "nu",
            "--arg",
            "since=yesterday",
            "--url",
            "http://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "newscrawl schedule: --arg: since takes an ISO date (YYYY-MM-DD), got 'yesterday'"
