"""The site registry: what a Site must declare, and the rules everything else takes from it."""

import re

import pytest

from newscrawl.extract import ArticleParser, Discovery
from newscrawl.extract.registry import Check, Site, Source, article_validator, site_for_host, site_named, sites
from newscrawl.extract.urls import article_key, link_key, normalize_url


def test_the_registry_finds_every_site_package():
    assert {"nu", "wnl"} <= set(sites())
    assert all(site.name == name for name, site in sites().items())


def test_an_article_pattern_without_an_id_group_is_refused():
    with pytest.raises(ValueError, match="named group 'id'"):
        Site(
            name="x",
            title="X",
            host="x.nl",
            article_path=re.compile(r"^/(\d+)/$"),
            parser=ArticleParser,
            discovery=Discovery,
            sources=(),
            check=Check(url="https://x.nl/1/", scrapes=()),
        )


def test_a_parser_or_discovery_that_is_not_a_class_is_refused():
    for wrong in ({"parser": "newscrawl.sites.nu.parser.NuParser"}, {"discovery": object}):
        with pytest.raises(TypeError, match="must be a class"):
            Site(
                name="x",
                title="X",
                host="x.nl",
                article_path=re.compile(r"^/(?P<id>\d+)/$"),
                **{"parser": ArticleParser, "discovery": Discovery, **wrong},
                sources=(),
                check=None,
            )


def test_an_unknown_source_kind_is_refused():
    with pytest.raises(ValueError, match="unknown source kind"):
        Source("podcast", "/podcast/")


def test_hosts_and_aliases():
    assert site_for_host("nu.nl") is site_for_host("www.nu.nl") is site_named("nu")
    assert site_for_host("WWW.WNL.TV") is site_named("wnl")
    assert site_for_host("www.telegraaf.nl") is None
    with pytest.raises(KeyError, match="registered: "):
        site_named("telegraaf")


def test_article_key_is_the_id_group_whatever_the_section_slug():
    # The section slug is outside the id group: one article under two sections is one key.
    assert (
        article_key("https://nu.nl/economie/6400102/x.html")
        == article_key("https://www.nu.nl/politiek/6400102/y.html")
        == "nu:6400102"
    )
    assert article_key("http://www.wnl.tv/2025/03/31/kabinet/?utm_source=x") == "wnl:2025/03/31/kabinet"
    assert (
        link_key("https://www.nu.nl/-/6400105/") == "nu:6400105" and article_key("https://www.nu.nl/-/6400105/") is None
    )
    assert normalize_url("http://www.wnl.tv/2025/03/31/kabinet") == "https://wnl.tv/2025/03/31/kabinet/"


def test_an_item_of_an_unregistered_site_is_refused():
    # The published schema only says what a site name looks like; the crawler knows its sites.
    assert any(
        e.validator == "enum"
        for e in article_validator().iter_errors({"site": "telegraaf"})
        if list(e.path) == ["site"]
    )
    assert not [e for e in article_validator().iter_errors({"site": "nu"}) if list(e.path) == ["site"]]


def test_layout_thresholds_per_site_override_the_settings():
    from scrapy.utils.test import get_crawler

    from newscrawl.crawl.spiders.sites import spider_class
    from newscrawl.run.health import RunHealth

    base = site_named("nu")
    lenient = Site(
        **{**{f: getattr(base, f) for f in base.__dataclass_fields__}, "layout_min_coverage": {"authors": 0.1}}
    )
    crawler = get_crawler(spider_class(lenient), {"HEALTH_MIN_COVERAGE": {"headline": 0.9, "authors": 0.5}})
    assert RunHealth(crawler).min_coverage == {"headline": 0.9, "authors": 0.1}


def test_one_spider_per_site_with_its_contract():
    from scrapy.utils.project import get_project_settings

    from newscrawl.crawl.spiders import sites as spiders_module
    from newscrawl.crawl.spiders.loader import SiteSpiderLoader
    from newscrawl.crawl.spiders.sites import spider_for

    loader = SiteSpiderLoader(get_project_settings())
    assert loader.list() == sorted(sites())
    for name in sites():
        spider = loader.load(name)
        assert spider is spider_for(name)  # one class per site, made once
        assert not any(value is spider for value in vars(spiders_module).values())  # no globals() injection
        assert spider.name == name and spider.allowed_domains == sites()[name].crawl_hosts
        assert f"@url {sites()[name].check.url}" in spider.parse_article.__doc__
    assert spider_for("nu").allowed_domains == ["www.nu.nl"]
