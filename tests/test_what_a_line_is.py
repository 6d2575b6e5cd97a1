"""What a line really is (issue 34): a consent wall is never an article, and is named.

Crawls of the NU.nl fixture site through a proxy on 127.0.0.1 that stands in for DPG Media's
consent gate: without the consent cookie some article URLs answer 303 to myprivacy.dpgmedia.nl
(as DPG's sites do), one serves DPG's consent page at the article URL, one sends the reader to
another publisher's consent service. The proxy logs every host asked for and every request's
headers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import FIXTURES, PROJECT, fixture_response, page_url
from faultsite import FaultSite
from scrapy.http import HtmlResponse, Request

from newscrawl.extract.consent import consent_redirect
from newscrawl.extract.registry import site_named
from newscrawl.extract.urls import article_key

MANIFEST = FIXTURES / "nu" / "site.json"
COOKIE = "dpg_consent=granted"

# DPG's consent page, as its sites serve it at an article URL to a reader without the cookie:
# a title, an h1, two paragraphs of cookie text and the choice (written for this test).
DPG_CONSENT_PAGE = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">
<title>NU.nl - Privacy-instellingen</title><meta name="viewport" content="width=device-width"></head>
<body><header><img src="/static/nu-logo.svg" alt="NU.nl"></header>
<main class="pg-main"><h1>Jouw privacy-instellingen</h1>
<p>NU.nl is onderdeel van DPG Media. Wij en onze partners gebruiken cookies en vergelijkbare technieken om je een
persoonlijke ervaring te bieden, om advertenties en content te personaliseren en om het gebruik van onze websites
te analyseren.</p>
<p>Door op Akkoord te klikken geef je toestemming voor het gebruik van cookies door ons en derde partijen. Je kunt
je toestemming altijd intrekken via Privacy-instellingen onderaan elke pagina.</p>
<form method="post" action="/privacy-gate/accept-tcf2"><input type="hidden" name="redirectUri" value="/">
<button type="submit" name="consent" value="all">Akkoord</button>
<a href="https://myprivacy.dpgmedia.nl/consent/preferences">Instellingen aanpassen</a></form></main>
<footer><p>© DPG Media B.V.</p></footer></body></html>"""


def dpg_gate(article: str) -> str:
    """Where DPG sends a reader without consent: its consent host, with the way back to the
    article inside a callback inside a callback (each encoded once more)."""
    back = "https://www.nu.nl/privacy-gate/accept-tcf2?redirectUri=" + quote(
        quote(article.split("nu.nl", 1)[1], ""), ""
    )
    return f"https://myprivacy.dpgmedia.nl/consent?siteKey=Vh3kbz2pm5pLNWTD&callbackUrl={quote(back, '')}"


class ConsentSite(FaultSite):
    """The fixture site with DPG's consent gate on some article URLs (``walls``: URL → how); with
    the consent cookie every page is served as it is."""

    def __init__(self, walls: dict[str, str], workdir: Path):
        super().__init__(MANIFEST, {}, workdir)
        self.walls = walls
        self.headers_seen: list[tuple[str, dict[str, str]]] = []

    def respond(self, sock, url, headers):
        self.headers_seen.append((url, headers))
        how = self.walls.get(url)
        if how is None or COOKIE in headers.get("cookie", ""):
            return super().respond(sock, url, headers)
        send = lambda status, hd, body: self._send(sock, url, status, hd, body, how)  # noqa: E731
        if how == "dpg_redirect":
            return send(303, {"Location": dpg_gate(url)}, b"")
        if how == "dpg_page":
            return send(200, {"Content-Type": "text/html; charset=utf-8"}, DPG_CONSENT_PAGE.encode())
        if how == "other_publisher":  # another consent service, which names the article as the way back
            return send(302, {"Location": f"https://cmp.uitgever.example/consent?returnUrl={quote(url, '')}"}, b"")
        if how == "privacy_elsewhere":  # speaks of privacy but does not lead back: an ordinary off-site redirect
            return send(302, {"Location": "https://www.example.com/privacy?ref=nu"}, b"")
        return send(302, {"Location": "https://www.example.com/gekaapt/artikel.html"}, b"")


def articles() -> list[str]:
    records = json.loads(MANIFEST.read_text("utf-8"))["records"]
    return sorted(r["url"] for r in records if r.get("status", 200) == 200 and article_key(r["url"]))


def crawl(site: ConsentSite, tmp_path: Path, name: str, *settings: str) -> tuple[list[dict], dict, dict, str]:
    proxy = f"http://127.0.0.1:{site.start()}"
    env = {**os.environ, "https_proxy": proxy, "http_proxy": proxy, "no_proxy": ""}
    out = tmp_path / f"{name}.jsonl"
    args = [sys.executable, "-m", "scrapy", "crawl", "nu", "-O", str(out), "-a", "related_depth=1"]
    for setting in (
        f"STATE_DB={tmp_path / name}.sqlite3",
        f"STATS_FILE={tmp_path / name}.stats.json",
        f"HEALTH_SAMPLES_DIR={tmp_path / name}-samples",
        "AUTOTHROTTLE_ENABLED=0",
        "DOWNLOAD_DELAY=0",
        *settings,
    ):
        args += ["-s", setting]
    try:
        result = subprocess.run(args, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=240)
    finally:
        site.stop()
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    stats = json.loads((tmp_path / f"{name}.stats.json").read_text())
    manifest = json.loads((tmp_path / f"{name}.jsonl.manifest.json").read_text())
    return items, stats, manifest, result.stderr


def outcomes_of(manifest: dict) -> dict[str, str]:
    return {failure["url"]: f"failure:{failure['reason']}" for failure in manifest["urls"]["failures"]}


@pytest.fixture(scope="module")
def walled(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("consent")
    urls = articles()
    walls = dict(zip(urls, ["dpg_redirect", "dpg_page", "other_publisher", "offsite_redirect", "privacy_elsewhere"]))
    site = ConsentSite(walls, tmp_path)
    items, stats, manifest, log = crawl(site, tmp_path, "walled")
    return site, walls, items, stats, manifest, log


def test_a_redirect_to_a_consent_service_is_a_consent_wall_not_offsite(walled):
    site, walls, items, stats, manifest, log = walled
    details = manifest["urls"]["outcomeDetails"]
    # DPG's redirect, DPG's consent page and another publisher's consent service: three consent walls.
    assert details.get("skipped:consent_wall") == 3
    failures = outcomes_of(manifest)
    by_how = {how: url for url, how in walls.items()}
    assert by_how["dpg_redirect"] not in failures and by_how["other_publisher"] not in failures
    # The controls: a redirect elsewhere stays an off-site failure, even one whose path says "privacy".
    assert failures[by_how["offsite_redirect"]] == "failure:offsite"
    assert failures[by_how["privacy_elsewhere"]] == "failure:offsite"
    assert stats["skipped/consent_wall"] == 3
    assert "Consent wall: " + by_how["dpg_redirect"] + " redirected to the consent service myprivacy.dpgmedia.nl" in log
    # The consent hosts were never asked for: only the site's own host was.
    assert set(site.hosts) == {"www.nu.nl"}


def test_a_consent_page_at_an_article_url_is_never_an_article(walled):
    site, walls, items, stats, manifest, log = walled
    assert items, "the other articles still come"
    assert all("privacy" not in item["headline"].lower() for item in items)
    assert all("cookies" not in item["articleBody"] for item in items)
    urls = {item["url"] for item in items}
    assert not urls & set(walls)
    # No consent cookie was sent by default.
    assert all("cookie" not in headers for _, headers in site.headers_seen)


def test_a_run_behind_a_consent_wall_fails_and_says_so_with_what_to_do(tmp_path):
    site = ConsentSite(dict.fromkeys(articles(), "dpg_redirect"), tmp_path)
    items, stats, manifest, log = crawl(site, tmp_path, "all")
    assert items == [] and manifest["status"] == "failed"
    [problem] = [p for p in manifest["problems"] if p.startswith("consent wall:")]
    assert "asked for consent instead of showing the article" in problem and "CONSENT_COOKIES" in problem
    assert not any("offsite" in p for p in manifest["problems"])
    runs = subprocess.run(
        [sys.executable, "-m", "newscrawl", "check-run", str(tmp_path / "all.jsonl.manifest.json")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert runs.returncode == 1 and "consent wall" in runs.stdout + runs.stderr


def test_consent_cookies_the_operator_sets_go_to_the_site_only_and_open_the_gate(tmp_path):
    site = ConsentSite(dict.fromkeys(articles(), "dpg_redirect"), tmp_path)
    name, value = COOKIE.split("=")
    items, stats, manifest, log = crawl(site, tmp_path, "cookies", f'CONSENT_COOKIES={{"{name}": "{value}"}}')
    assert len(items) >= 5 and stats.get("skipped/consent_wall", 0) == 0
    sent = {urlhost for urlhost, headers in site.headers_seen if COOKIE in headers.get("cookie", "")}
    assert sent and all(url.startswith("https://www.nu.nl/") for url in sent)


@pytest.mark.parametrize(
    "target, expected",
    [
        (dpg_gate("https://www.nu.nl/binnenland/6400101/zwembad.html"), "consent service myprivacy.dpgmedia.nl"),
        (
            "https://consent.example.org/?continue=https%3A%2F%2Fwww.nu.nl%2Fbinnenland%2F6400101%2Fzwembad.html",
            "asks for consent",
        ),
        ("https://login.example.org/?continue=https%3A%2F%2Fwww.nu.nl%2Fbinnenland%2F6400101%2Fzwembad.html", None),
        ("https://cookies.example.org/info", None),
        ("https://www.example.com/gekaapt/artikel.html", None),
    ],
)
def test_what_counts_as_a_consent_redirect(target, expected):
    found = consent_redirect(target, "https://www.nu.nl/binnenland/6400101/zwembad.html")
    assert (found is None) if expected is None else (expected in (found or ""))


def test_an_article_with_a_cookie_bar_or_about_cookies_is_still_an_article():
    nu = site_named("nu")
    page = fixture_response("nu", page_url("nu", "article_6400101_zwembad"))
    bar = (
        '<div class="cookiebar"><p>Wij gebruiken cookies om je een betere ervaring te bieden; met je toestemming '
        "ook voor advertenties van derde partijen.</p><button>Akkoord</button> <a href='/privacy'>Instellingen</a></div>"
    )
    with_bar = page.replace(
        body=page.body.replace(b"<body", b"<body data-x='1'", 1).replace(b"</body>", bar.encode() + b"</body>")
    )
    assert nu.parse_article(with_bar)["headline"] == nu.parse_article(page)["headline"]
    # A page with no metadata at all (a small WordPress site): the bar beside the article's prose.
    prose = "".join(
        f"<p>{'De gemeenteraad besprak dinsdag het nieuwe parkeerbeleid voor de binnenstad. ' * 3}</p>"
        for _ in range(5)
    )
    url = "https://www.wnl.tv/2025/04/01/parkeerbeleid/"
    html = f"<html><head><title>Parkeerbeleid</title></head><body><article><h1>Parkeerbeleid besproken</h1>{prose}</article>{bar}</body></html>"
    item = site_named("wnl").parse_article(
        HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url))
    )
    assert not hasattr(item, "reason"), item
    # And the consent page itself, on its own: a consent wall, whatever parser reads it.
    for name, at in (("nu", "https://www.nu.nl/binnenland/6400101/zwembad.html"), ("wnl", url)):
        skipped = site_named(name).parse_article(
            HtmlResponse(at, body=DPG_CONSENT_PAGE.encode(), encoding="utf-8", request=Request(at))
        )
        assert getattr(skipped, "reason", None) == "consent_wall", (name, skipped)


# --- Paywalls ------------------------------------------------------------------------------------

ZWEMBAD = "https://www.nu.nl/binnenland/6400101/gemeente-sluit-zwembad-om-energiekosten.html"


def nu_page(change) -> HtmlResponse:
    page = fixture_response("nu", page_url("nu", "article_6400101_zwembad"))
    return page.replace(body=change(page.text).encode("utf-8"))


def test_a_paywalled_preview_is_marked_and_a_free_article_saying_word_abonnee_is_not():
    nu = site_named("nu")

    def with_ld(fields: str) -> dict:
        """The article, its JSON-LD NewsArticle given these fields too."""
        return nu.parse_article(
            nu_page(lambda html: html.replace('"@type": "NewsArticle",', f'"@type": "NewsArticle", {fields},', 1))
        )

    paywalled = with_ld(
        '"isAccessibleForFree": false, "hasPart": {"@type": "WebPageElement", '
        '"isAccessibleForFree": false, "cssSelector": ".nuplus-paywall"}'
    )
    assert paywalled["isAccessibleForFree"] is False
    assert paywalled["metadata"]["sources"]["isAccessibleForFree"] == "json-ld:hasPart"
    only_flag = with_ld('"isAccessibleForFree": "False"')
    assert only_flag["isAccessibleForFree"] is False
    assert only_flag["metadata"]["sources"]["isAccessibleForFree"] == "json-ld"
    # Free: the subscription pitch in the footer is words, not a paywall.
    free = nu.parse_article(
        nu_page(
            lambda html: html.replace(
                "</body>", "<footer><p>Word abonnee van NU+ en lees onbeperkt. Lees verder met NU+.</p></footer></body>"
            )
        )
    )
    assert free["isAccessibleForFree"] is True and "isAccessibleForFree" not in free["metadata"]["sources"]
    said_free = with_ld('"isAccessibleForFree": true')
    assert said_free["isAccessibleForFree"] is True
    assert said_free["metadata"]["sources"]["isAccessibleForFree"] == "json-ld"


def test_a_declared_sites_paywall_marker_marks_its_previews(tmp_path):
    from newscrawl.extract.declared import load_sites
    from newscrawl.extract.registry import package_sites

    text = (FIXTURES / "stadsblad" / "sites.toml").read_text("utf-8")
    declared = tmp_path / "sites.toml"
    declared.write_text(text.replace('listings = ["/"]', 'listings = ["/"]\npaywall = "div.abonnee-slot"'), "utf-8")
    from newscrawl.extract.declared import use_sites_file

    [site] = use_sites_file(declared).values()  # registered: its URLs are its articles
    try:
        url = "https://www.stadsblad.test/nieuws/1201/nieuwe-fietsbrug-over-de-vaart"
        html = (FIXTURES / "stadsblad" / "site" / "article_1201.html").read_text("utf-8")
        marker = '<div class="abonnee-slot"><p>Dit artikel is voor abonnees.</p></div></article>'

        def parse(body: str):
            return site.parse_article(HtmlResponse(url, body=body.encode(), encoding="utf-8", request=Request(url)))

        preview = parse(html.replace("</article>", marker))
        assert preview["isAccessibleForFree"] is False
        assert preview["metadata"]["sources"]["isAccessibleForFree"] == "site"
        assert parse(html)["isAccessibleForFree"] is True
    finally:
        use_sites_file(None)
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace('listings = ["/"]', 'listings = ["/"]\npaywall = "div[["'), "utf-8")
    with pytest.raises(Exception, match="paywall: 'div\\[\\[' is not CSS"):
        load_sites(broken, package_sites())


def test_short_paywalled_bodies_never_fail_a_run_and_are_counted_apart(monkeypatch):
    from scrapy.utils.test import get_crawler

    from newscrawl.crawl.spiders.sites import spider_for
    from newscrawl.run.health import RunHealth

    def item(free: bool) -> dict:
        return {
            "headline": "Kop",
            "articleBody": "Een korte teaser.",
            "datePublished": "2025-04-01T09:00:00+02:00",
            "authors": [{"name": "A"}],
            "isAccessibleForFree": free,
            "metadata": {
                "bodyExtractor": "trafilatura",
                "sources": {"headline": "json-ld", "articleBody": "trafilatura"},
            },
        }

    # The layout is judged by shares here; the site's baseline (kept in the state) is not the question.
    monkeypatch.setattr(RunHealth, "baseline_problems", lambda self, metrics: [])
    monkeypatch.setattr(RunHealth, "run_problems", lambda self: [])
    previews = RunHealth(get_crawler(spider_for("nu")))
    for _ in range(20):
        previews.observe(item(False), None)
    assessed = previews.assess()
    assert previews.paywalled == 20 and assessed["status"] != "failed", assessed
    control = RunHealth(get_crawler(spider_for("nu")))
    for _ in range(20):
        control.observe(item(True), None)
    assert control.assess()["status"] == "failed"  # the same bodies, not paywalled: a layout change


def test_validate_reads_lines_written_before_isaccessibleforfree_existed(tmp_path):
    line = json.loads((FIXTURES / "nu" / "expected" / "article_6400101_zwembad.json").read_text("utf-8"))
    # A 1.4 line has none of what 1.5 added: isAccessibleForFree, images, metadata.tdm.
    old = {k: v for k, v in line.items() if k not in ("isAccessibleForFree", "images")}
    old["metadata"] = {k: v for k, v in old["metadata"].items() if k != "tdm"} | {"schemaVersion": "1.4", "revision": 1}
    new = {**line, "metadata": {**line["metadata"], "revision": 1}}
    missing = {k: v for k, v in new.items() if k != "isAccessibleForFree"}
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(x) for x in (old, new, missing)) + "\n", "utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "newscrawl", "validate", str(tmp_path / "d.jsonl")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert "2 of 3 lines valid" in checked.stdout  # a 1.5 line must say it; a 1.4 line could not
    assert ":3: isAccessibleForFree: 'isAccessibleForFree' is a required property" in checked.stderr


# --- Language ------------------------------------------------------------------------------------

FRISIAN = (
    "De gemeente Ljouwert wol takom jier mear wenten bouwe yn it sintrum fan 'e stêd. It kolleezje sil "
    "de plannen tiisdei oan 'e gemeenteried foarlizze. Neffens de wethâlder is der grut ferlet fan "
    "betelbere hierwenten foar jongeren en âlderein."
)
DUTCH = (
    "De gemeente Leeuwarden wil volgend jaar meer woningen bouwen in het centrum van de stad. Het college "
    "legt de plannen dinsdag voor aan de gemeenteraad. Volgens de wethouder is er grote behoefte aan "
    "betaalbare huurwoningen voor jongeren en ouderen."
)
ENGLISH = (
    "The city council of Leeuwarden wants to build more homes in the centre of the city next year. The "
    "executive will present the plans to the council on Tuesday. According to the alderman there is a great "
    "need for affordable rental homes for young and old people."
)


def omrop_page(headline: str, body: str, lang: str) -> str:
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{headline} - Omrop</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "{headline}",
"datePublished": "2025-04-01T10:00:00+02:00"}}</script></head>
<body><header><nav><a href="/">Omrop</a> <a href="/nijs">Nijs</a></nav></header>
<article><h1>{headline}</h1><div class="tekst">{"".join(f"<p>{s.strip()}.</p>" for s in body.split(". ") if s.strip())}</div></article>
<footer>© Omrop</footer></body></html>"""


def test_in_language_is_detected_per_article_and_short_texts_keep_the_sites(tmp_path):
    from newscrawl.extract.declared import use_sites_file

    declared = tmp_path / "sites.toml"
    declared.write_text(
        """[sites.omrop]
title = "Omrop"
host = "www.omrop.test"
article_path = '^/nijs/(?P<id>\\d+)/[a-z0-9-]+$'
feeds = ["/rss"]
language = "fy"

[sites.omrop.selectors]
articleBody = "div.tekst > p"
""",
        "utf-8",
    )
    [site] = use_sites_file(declared).values()
    try:
        url = "https://www.omrop.test/nijs/1/wenten"

        def language(headline: str, body: str, lang: str) -> tuple[str, str]:
            page = omrop_page(headline, body, lang).encode()
            item = site.parse_article(HtmlResponse(url, body=page, encoding="utf-8", request=Request(url)))
            return item["inLanguage"], item["metadata"]["sources"]["inLanguage"]

        assert language("Mear wenten yn Ljouwert", FRISIAN, "fy") == ("fy", "detected")
        assert language("Meer woningen in Leeuwarden", DUTCH, "fy") == (
            "nl",
            "detected",
        )  # the page's lang= is not trusted
        assert language("More homes in Leeuwarden", ENGLISH, "fy") == ("en", "detected")
        # Too short to tell: the site's declared language.
        assert language("Kabinet valt", "Het kabinet is gevallen.", "nl") == ("fy", "site")
    finally:
        use_sites_file(None)
    with pytest.raises(ValueError, match="two letters"):
        from dataclasses import replace

        replace(site_named("nu"), language="fy-NL")


# --- Images --------------------------------------------------------------------------------------

# The zwembad article as NU.nl serves it with a responsive lead figure, a second photo in the text
# (a <picture> with WebP and JPEG sources), the author's avatar, a "Lees ook" block with the
# related article's thumbnail and a sidebar teaser (written for this test).
LEAD_FIGURE = """<figure class="imageblock article__image" data-block="ImageBlock">
  <div class="imageblock__wrapper"><img class="app-image" alt="Het lege zwembad De Spetter" width="854" height="480"
    src="https://images.nu.nl/m/a1b2c3d4e5f6_wd854/0/0/4000/2250/zwembad.jpg"
    srcset="https://images.nu.nl/m/a1b2c3d4e5f6_wd480/0/0/4000/2250/zwembad.jpg 480w,
            https://images.nu.nl/m/a1b2c3d4e5f6_wd1280/0/0/4000/2250/zwembad.jpg 1280w,
            https://images.nu.nl/m/a1b2c3d4e5f6_wd854/0/0/4000/2250/zwembad.jpg 854w"
    sizes="(min-width: 1024px) 854px, 100vw"/></div>
  <figcaption class="imageblock__caption"><span class="caption">Het zwembad De Spetter in Zuidwolde.</span> <span class="copyright">Foto: ANP / Vincent Jannink</span></figcaption>
</figure>"""
SECOND_FIGURE = """<figure class="imageblock" data-block="ImageBlock"><div class="imageblock__wrapper"><picture>
  <source type="image/webp" srcset="https://images.nu.nl/m/ffee00112233_wd640/0/0/3000/2000/wethouder.webp 1x, https://images.nu.nl/m/ffee00112233_wd1280/0/0/3000/2000/wethouder.webp 2x"/>
  <img class="app-image" src="https://images.nu.nl/m/ffee00112233_wd640/0/0/3000/2000/wethouder.jpg" alt="" width="640" height="427"/>
</picture></div><figcaption class="imageblock__caption">Wethouder Marieke Dijkstra licht het besluit toe. Beeld: Reuters</figcaption></figure>
<p class="textblock paragraph" data-text-role="ARTICLE_BODY">De raad stemt volgende week over het voorstel.</p>
<div class="linkblock" data-block="LinkBlock"><a class="linkblock__link" href="/economie/6400102/energieprijzen-dalen-voor-het-eerst-dit-jaar.html"><img class="linkblock__thumb" src="https://images.nu.nl/m/b7c8d9e0f1a2_wd320/0/0/4000/2250/energieprijzen.jpg" alt=""/><span class="linkblock__label">Lees ook</span> <span class="linkblock__title">Energieprijzen dalen voor het eerst dit jaar</span></a></div>"""
AUTHOR = """<div class="article__author"><img class="author-image" src="https://images.nu.nl/m/aaaa1111_wd96/redacteur.jpg" alt="Sanne de Vries" width="48" height="48"/> Sanne de Vries</div>"""
TEASER = """<aside class="grid__sidebar"><a href="/binnenland/6400103/storm.html"><img src="https://images.nu.nl/m/c3d4e5f6a7b8_wd640/storm.jpg" alt="Storm"/></a></aside>"""


def figures_page(html: str) -> str:
    start, end = html.index('<figure class="imageblock article__image"'), html.index("</figure>") + len("</figure>")
    html = html[:start] + LEAD_FIGURE + html[end:]
    html = html.replace('<h2 class="textblock subheader"', SECOND_FIGURE + '<h2 class="textblock subheader"', 1)
    html = html.replace('<header class="article__header">', '<header class="article__header">' + AUTHOR, 1)
    return html.replace("</article>", "</article>" + TEASER, 1)


def test_images_are_the_articles_own_figures_in_order_largest_file_credit_without_label():
    item = site_named("nu").parse_article(nu_page(figures_page))
    assert item["images"] == [
        {
            "url": "https://images.nu.nl/m/a1b2c3d4e5f6_wd1280/0/0/4000/2250/zwembad.jpg",
            "caption": "Het zwembad De Spetter in Zuidwolde.",
            "credit": "ANP / Vincent Jannink",
            "alt": "Het lege zwembad De Spetter",
        },
        {
            "url": "https://images.nu.nl/m/ffee00112233_wd1280/0/0/3000/2000/wethouder.webp",
            "caption": "Wethouder Marieke Dijkstra licht het besluit toe.",
            "credit": "Reuters",
        },
    ]
    # mainImage stays what it was: og:image.
    assert item["mainImage"]["url"].endswith("_wd1280/0/0/4000/2250/gemeente-sluit-zwembad-om-energiekosten.jpg")
    # No image text leaks into the body.
    assert "Beeld" not in item["articleBody"] and "Reuters" not in item["articleBody"]


def test_a_page_without_figures_has_its_og_image_as_its_one_image_and_a_nos_credit_span_is_the_credit():
    nu = site_named("nu")
    item = nu.parse_article(nu_page(lambda html: html[: html.index("<figure")] + html[html.index("</figure>") + 9 :]))
    assert [image["url"] for image in item["images"]] == [item["mainImage"]["url"]]
    nos_url = page_url("nos", "article_2561002")
    nos = site_named("nos").parse_article(fixture_response("nos", nos_url))
    assert nos["images"] == [
        {
            "url": "https://cdn.nos.nl/image/2025/03/30/1199000/1024x576a.jpg",
            "caption": "Paviljoens op een noodlocatie in Zoutkamp",
            "credit": "ANP / Kees van de Veen",
        }
    ]


@pytest.mark.parametrize(
    ("srcset", "expected"),
    [
        ("a.jpg 480w, b.jpg 1280w, c.jpg 854w", "b.jpg"),
        ("a.jpg, b.jpg 2x, c.jpg 1.5x", "b.jpg"),
        # An image CDN's commas stay inside the URL.
        (
            "https://img.test/w_640,h_360,c_fill/x.jpg 640w, https://img.test/w_1600,h_900,c_fill/x.jpg 1600w",
            "https://img.test/w_1600,h_900,c_fill/x.jpg",
        ),
        ("", None),
    ],
)
def test_the_largest_srcset_candidate(srcset, expected):
    from newscrawl.extract.images import largest

    assert largest(srcset) == expected
