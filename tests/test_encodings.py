"""A page whose declared charset contradicts its bytes is read as the bytes allow; what cannot be
read is flagged, never emitted silently. Served through the fault proxy on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import FIXTURES, PROJECT
from faultsite import FaultSite

RIJKSMUSEUM = "https://www.nu.nl/cultuur/6400106/rijksmuseum-toont-voor-het-eerst-tekeningen-uit-privecollectie.html"
ZWEMBAD = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"
KAASWIEL = "https://www.nu.nl/opmerkelijk/6400105/kaaswiel-van-80-kilo-gestolen-uit-goudse-winkel.html"


@pytest.fixture(scope="module")
def mislabelled_crawl(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("encodings")
    site = FaultSite(FIXTURES / "nu" / "site.json", {}, tmp_path)
    utf8 = {"Content-Type": "text/html; charset=utf-8"}
    # Windows-1252 bytes, labelled UTF-8 in the header and in <meta charset="utf-8">.
    site.pages[RIJKSMUSEUM] = (200, utf8, site.pages[RIJKSMUSEUM][2].decode("utf-8").encode("cp1252"))
    # A UTF-8 page with a broken byte in the headline (a truncated multi-byte sequence).
    zwembad = site.pages[ZWEMBAD][2]
    assert zwembad.count(b"Gemeente sluit zwembad") >= 2
    site.pages[ZWEMBAD] = (
        200,
        utf8,
        zwembad.replace(b"<h1", b"<!-- \xc3\xa9 --><h1", 1).replace(
            b"Gemeente sluit zwembad", b"Gemeente sluit zw\xc3embad"
        ),
    )
    # A UTF-8 page with a byte-order mark, labelled ISO-8859-1: the BOM decides.
    site.pages[KAASWIEL] = (
        200,
        {"Content-Type": "text/html; charset=iso-8859-1"},
        b"\xef\xbb\xbf" + site.pages[KAASWIEL][2],
    )
    port = site.start()
    env = {
        **os.environ,
        "https_proxy": f"http://127.0.0.1:{port}",
        "http_proxy": f"http://127.0.0.1:{port}",
        "no_proxy": "",
        "PYTHONPATH": str(PROJECT),
        "SCRAPY_SETTINGS_MODULE": "newscrawl.settings",
    }
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "nu",
                "-o",
                str(tmp_path / "nu.jsonl"),
                "-a",
                f"start_urls={RIJKSMUSEUM},{ZWEMBAD},{KAASWIEL}",
                "-a",
                "related_depth=0",
                "-s",
                f"STATE_DB={tmp_path / 's.sqlite3'}",
                "-s",
                f"STATS_FILE={tmp_path / 'stats.json'}",
                "-s",
                f"HEALTH_SAMPLES_DIR={tmp_path / 'samples'}",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        site.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    items = {
        item["articleId"]: item for item in map(json.loads, (tmp_path / "nu.jsonl").read_text("utf-8").splitlines())
    }
    return items, json.loads((tmp_path / "stats.json").read_text("utf-8")), result.stderr


def test_windows_1252_labelled_utf8_is_read_right(mislabelled_crawl):
    items, stats, _ = mislabelled_crawl
    item = items["6400106"]
    assert "privécollectie" in item["headline"] + item["articleBody"] and "\ufffd" not in json.dumps(
        item, ensure_ascii=False
    )
    assert "warnings" not in item["metadata"]
    assert stats["charset/repaired"] == 1


def test_a_bom_decides_before_the_label(mislabelled_crawl):
    items, _, _ = mislabelled_crawl
    assert items["6400105"]["headline"].startswith("Kaaswiel") and "Ã" not in items["6400105"]["articleBody"]


def test_replacement_characters_are_flagged_and_counted(mislabelled_crawl):
    items, stats, log = mislabelled_crawl
    item = items["6400101"]
    assert "\ufffd" in item["headline"]
    assert item["metadata"]["warnings"] == [
        "headline: 1 replacement characters (U+FFFD): the page's bytes do not fit its charset"
    ]
    assert stats["item_warnings/headline"] == 1
    assert "headline: 1 replacement characters" in log
