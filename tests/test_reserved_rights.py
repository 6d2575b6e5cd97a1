"""Reserved rights (issue 34): each TDMRep signal alone and in conflict, read as the protocol's
processing priority says (the page's meta over the response's header over the site's
/.well-known/tdmrep.json), through crawls of the NU.nl fixture site served on 127.0.0.1 with
those signals; robots.txt's rules for named AI crawlers recorded per site; TDM_POLICY=obey."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, fixture_response, page_url
from faultsite import FaultSite
from test_what_a_line_is import crawl

from newscrawl.extract.registry import site_named
from newscrawl.extract.tdm import Declaration, matches, read_rules

MANIFEST = FIXTURES / "nu" / "site.json"
NU = "https://www.nu.nl"
POLICY = "https://www.nu.nl/over-nu/tdm-licentie.json"
TDMREP = json.dumps(
    [
        {"location": "/binnenland/*", "tdm-reservation": 1, "tdm-policy": POLICY},
        {"location": "/opmerkelijk/", "tdm-reservation": 0},
        {"location": "/tech/*.html$", "tdm-reservation": 1},
    ]
).encode()
ROBOTS = b"""User-agent: GPTBot
Disallow: /

User-agent: CCBot
Disallow: /

User-agent: Google-Extended
Disallow: /binnenland/

User-agent: *
Allow: /
"""
# The crawl's six articles, by canonical URL, and what each says (article id → header, meta).
ZWEMBAD = f"{NU}/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"  # the file alone: reserved
ENERGIE = f"{NU}/economie/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html"  # the header alone: reserved
STORM = (
    f"{NU}/buitenland/6400103/storm-trekt-over-noorse-kust-in-nacht-van-de-klokwissel.html"  # the meta alone: reserved
)
STORING = f"{NU}/tech/6400104/storing-bij-digitale-overheidsdiensten-na-zomertijdwissel.html"  # file 1, header 0
RIJKSMUSEUM = (
    f"{NU}/cultuur/6400106/rijksmuseum-toont-voor-het-eerst-tekeningen-uit-privecollectie.html"  # header 1, meta 0
)
KAASWIEL = f"{NU}/opmerkelijk/6400105/kaaswiel-van-80-kilo-gestolen-uit-goudse-winkel.html"  # file 0, meta "ja"
LIVE = f"{NU}/binnenland/6400108/live-verkiezingsavond-gemeenteraad.html"  # a live blog: the file alone, reserved
SIGNALS = {
    "6400102": ({"tdm-reservation": "1", "tdm-policy": POLICY}, None),
    "6400103": ({}, "1"),
    "6400104": ({"tdm-reservation": "0"}, None),
    "6400106": ({"tdm-reservation": "1"}, "0"),
    "6400105": ({}, "ja"),
}


def with_meta(body: bytes, value: str) -> bytes:
    return body.replace(b"</head>", f'<meta name="tdm-reservation" content="{value}"/></head>'.encode(), 1)


class RightsSite(FaultSite):
    """The NU.nl fixture site with a tdmrep.json (or none), TDMRep headers and meta tags on some
    pages, and a robots.txt that names AI crawlers."""

    def __init__(self, workdir: Path, tdmrep: bytes | None = TDMREP):
        super().__init__(MANIFEST, {}, workdir)
        html = {"Content-Type": "text/html; charset=utf-8"}
        if tdmrep is not None:
            self.pages[f"{NU}/.well-known/tdmrep.json"] = (200, {"Content-Type": "application/json"}, tdmrep)
        self.pages[f"{NU}/robots.txt"] = (200, {"Content-Type": "text/plain"}, ROBOTS)
        # The fixture's copy of the zwembad article under another id: whichever of the two comes first
        # is the line, the other a duplicate. Gone here, so that the lines are the same every run.
        del self.pages[f"{NU}/algemeen/6400112/gemeente-sluit-zwembad-om-energiekosten.html"]
        for url, (status, extra, body) in list(self.pages.items()):
            found = next((signals for number, signals in SIGNALS.items() if f"/{number}/" in url), None)
            if found is not None and status == 200:
                headers, meta = found
                self.pages[url] = (status, {**html, **extra, **headers}, with_meta(body, meta) if meta else body)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("rights")
    site = RightsSite(tmp_path)
    items, stats, manifest, log = crawl(site, tmp_path, "recorded")
    return site, {item["canonicalUrl"]: item for item in items}, stats, manifest, log


def test_each_tdmrep_signal_alone_and_in_conflict(recorded):
    _, items, _, _, _ = recorded
    assert {url: item["metadata"]["tdm"] for url, item in items.items()} == {
        ZWEMBAD: {"reserved": True, "policy": POLICY, "source": "tdmrep.json"},
        ENERGIE: {"reserved": True, "policy": POLICY, "source": "header"},
        STORM: {"reserved": True, "source": "meta"},
        STORING: {"reserved": False, "source": "header"},  # the header supersedes the file
        RIJKSMUSEUM: {"reserved": False, "source": "meta"},  # the page's meta supersedes the header
        KAASWIEL: {"reserved": False, "source": "tdmrep.json"},  # "ja" is a protocol error: unset
        LIVE: {"reserved": True, "policy": POLICY, "source": "tdmrep.json"},
    }
    assert any("tdm-reservation 'ja' is not 0 or 1" in w for w in items[KAASWIEL]["metadata"]["warnings"])


def test_the_file_is_read_once_from_the_site_and_the_run_records_rights_and_ai_crawler_rules(recorded):
    site, items, stats, manifest, _ = recorded
    asked = [entry.url for entry in site.log]
    assert asked.count(f"{NU}/.well-known/tdmrep.json") == 1
    assert asked.index(f"{NU}/.well-known/tdmrep.json") < min(asked.index(item["url"]) for item in items.values())
    assert set(site.hosts) == {"www.nu.nl"}  # only the site's own host, at every hop
    rights = manifest["rights"]
    assert rights["tdmReserved"] == 4  # lines written (a duplicate page parsed is not a line)
    assert rights["tdmrep"] == {"www.nu.nl": "3 rules"}
    ai = rights["aiCrawlers"]["www.nu.nl"]
    assert ai["GPTBot"] == ai["CCBot"] == "disallowed"
    assert ai["ClaudeBot"] == "allowed" and ai["Google-Extended"] == "allowed"  # only /binnenland/ is closed to it


def test_tdm_policy_obey_leaves_reserved_articles_out_and_says_so(tmp_path):
    site = RightsSite(tmp_path)
    items, stats, manifest, log = crawl(site, tmp_path, "obeyed", "TDM_POLICY=obey")
    urls = {item["canonicalUrl"] for item in items}
    assert urls == {STORING, RIJKSMUSEUM, KAASWIEL}
    # The storm article is listed under two URLs: each page is skipped (and the live blog)
    assert stats["skipped/tdm_reserved"] == 5
    assert "TDM_POLICY=obey" in log


def test_no_file_and_a_broken_file_say_nothing_and_the_crawl_goes_on(tmp_path):
    (tmp_path / "absent").mkdir()
    absent = RightsSite(tmp_path / "absent", tdmrep=None)
    items, _, manifest, _ = crawl(absent, tmp_path / "absent", "absent")
    by_url = {item["canonicalUrl"]: item for item in items}
    assert by_url[ZWEMBAD]["metadata"]["tdm"] == {"reserved": False, "source": "none"}
    assert manifest["rights"]["tdmrep"] == {"www.nu.nl": "absent (404)"}
    (tmp_path / "broken").mkdir()
    broken = RightsSite(tmp_path / "broken", tdmrep=b'[{"location": "/", "tdm-reservation": 1')
    items, stats, manifest, log = crawl(broken, tmp_path / "broken", "broken")
    assert len(items) == len(by_url)
    assert stats["tdmrep/invalid"] == 1 and manifest["rights"]["tdmrep"]["www.nu.nl"].startswith("0 rules; not JSON")
    assert "tdmrep.json: not JSON" in log


def test_the_page_over_the_header_over_the_file_when_all_three_disagree():
    nu = site_named("nu")
    url = page_url("nu", "article_6400101_zwembad")
    page = fixture_response("nu", url, tdm_file=Declaration(True, POLICY, "tdmrep.json"))
    page = page.replace(headers={**page.headers.to_unicode_dict(), "tdm-reservation": "0"})
    assert nu.parse_article(page)["metadata"]["tdm"] == {"reserved": False, "source": "header"}
    page = page.replace(body=with_meta(page.body, "1"))
    assert nu.parse_article(page)["metadata"]["tdm"] == {"reserved": True, "source": "meta"}


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/", "/binnenland/1/a.html", True),
        ("/binnenland/", "/binnenland/1/a.html", True),
        ("/binnenland/", "/buitenland/1/a.html", False),
        ("/*.html$", "/binnenland/1/a.html", True),
        ("/*.html$", "/binnenland/1/a.html5", False),
        ("/a/*/c$", "/a/b/c", True),
        ("/a/*/c$", "/a/b/c/d", False),
        ("/path/foo-%24", "/path/foo-$", True),
    ],
)
def test_tdmrep_locations_match_as_robots_paths(pattern, path, expected):
    assert matches(pattern, path) is expected


def test_a_hostile_file_is_bounded():
    many = json.dumps([{"location": f"/x{i}/", "tdm-reservation": 1} for i in range(5000)]).encode()
    rules, problem = read_rules(many)
    assert len(rules) == 1000 and "5000 rules" in (problem or "")
    rules, problem = read_rules(b"[" * 100_000 + b"]" * 100_000)
    assert rules == () and problem
    rules, problem = read_rules(b'{"location": "/"}')
    assert rules == () and problem == "not a JSON array of rules"
    # A pattern that makes a backtracking matcher run for ages is one left-to-right pass here.
    assert not matches("/" + "*a" * 1000 + "$", "/" + "a" * 20_000 + "b")
    assert matches("/" + "*a" * 1000 + "$", "/" + "a" * 20_000)
