"""Who wrote it (issue 35, part 1): the news agencies an article credits, never from photo credits,
and authors that are people only.

A corpus of pages written for this: the fixture articles of NU.nl, WNL, NOS and a declared site,
each given one credit form the sites use ("NU.nl/ANP", "ANP", "Door: ANP", "Reuters/NU.nl",
"(AFP)", "Bron: ANP", a dateline, a declared selector), and controls that name an agency without
crediting it (a text that quotes Reuters, journalists whose names hold an agency's letters, the
photo credits "Foto: ANP" and "Beeld: Reuters", a NOS figure's credit span). The expected agencies
and authors are what each page shows a reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FIXTURES, fixture_response, page_url
from scrapy.http import HtmlResponse, Request

from newscrawl.extract.registry import site_named

NU_BYLINE = '<div class="textblock author" data-text-role="ARTICLE_AUTHOR">Door Sanne Jansen</div>'
NU_LD_AUTHOR = '"author": [{"@type": "Person", "name": "Sanne Jansen"}]'
WNL_BYLINE = '<p class="post-author">Door: <a href="https://wnl.tv/author/redactie/" rel="author">Redactie</a></p>'


def nu_credit(credit: str) -> Callable[[str], str]:
    """The zwembad article with this byline, its JSON-LD author the same credit (as NU.nl writes both)."""
    return lambda html: html.replace(
        NU_BYLINE, f'<div class="textblock author" data-text-role="ARTICLE_AUTHOR">{credit}</div>'
    ).replace(NU_LD_AUTHOR, f'"author": [{{"@type": "Person", "name": "{credit.removeprefix("Door: ")}"}}]')


def nu_after_text(html_block: str) -> Callable[[str], str]:
    """The zwembad article with a block after its last paragraph."""
    last = '<p class="textblock paragraph" data-text-role="ARTICLE_BODY">Ook het schoolzwemmen stopt.'

    def change(html: str) -> str:
        end = html.index("</p>", html.index(last)) + len("</p>")
        return html[:end] + html_block + html[end:]

    return change


def wnl_byline(credit: str) -> Callable[[str], str]:
    return lambda html: html.replace(WNL_BYLINE, f'<p class="post-author">Door: <a href="#">{credit}</a></p>').replace(
        '<meta name="author" content="Redactie" />', f'<meta name="author" content="{credit}" />'
    )


def wnl_last_paragraph(paragraph: str) -> Callable[[str], str]:
    """The post without its theme byline, the editor's line typed under the text (older posts)."""

    def change(html: str) -> str:
        html = html.replace(WNL_BYLINE, "").replace('<meta name="author" content="Redactie" />', "")
        marker = "<!-- .entry-content is not closed"
        return html.replace(marker, f"<p>{paragraph}</p>\n{marker}", 1)

    return change


def nos_first_paragraph(prefix: str) -> Callable[[str], str]:
    first = '<p class="sc-6d77a1d1-1 eFgHiJ">Gemeenten krijgen een jaar extra'
    return lambda html: html.replace(first, first.replace(">Gemeenten", f">{prefix}Gemeenten"), 1)


def nos_last_paragraph(text: str) -> Callable[[str], str]:
    last = "We geven gemeenten alleen meer tijd om te doen wat al afgesproken is.&quot;</p>"
    return lambda html: html.replace(last, last + f'\n<p class="sc-6d77a1d1-1 eFgHiJ">{text}</p>', 1)


@dataclass(frozen=True)
class Case:
    name: str
    site: str
    page: str
    change: Callable[[str], str]
    agencies: list[str]  # what the page credits
    authors: list[str] | None  # the people of its byline (None: the item has no authors)
    control: bool = False  # names an agency without crediting it


def same(html: str) -> str:
    return html


ZWEMBAD, KERNCENTRALES, NOS1, NOS2 = (
    "article_6400101_zwembad",
    "post_500101_kerncentrales",
    "article_2561001",
    "article_2561002",
)
CASES = [
    # The credit forms.
    Case("nu: NU.nl/ANP", "nu", ZWEMBAD, nu_credit("NU.nl/ANP"), ["ANP"], None),
    Case("nu: Reuters/NU.nl", "nu", ZWEMBAD, nu_credit("Reuters/NU.nl"), ["Reuters"], None),
    Case("nu: ANP", "nu", ZWEMBAD, nu_credit("ANP"), ["ANP"], None),
    Case("nu: Door: ANP", "nu", ZWEMBAD, nu_credit("Door: ANP"), ["ANP"], None),
    Case("nu: a journalist and ANP", "nu", ZWEMBAD, nu_credit("Door Sanne Jansen en ANP"), ["ANP"], ["Sanne Jansen"]),
    Case(
        "nu: Bron: ANP under the text",
        "nu",
        ZWEMBAD,
        nu_after_text('<p class="textblock paragraph" data-text-role="ARTICLE_BODY">Bron: ANP</p>'),
        ["ANP"],
        ["Sanne Jansen"],
    ),
    Case("wnl: Door: ANP", "wnl", KERNCENTRALES, wnl_byline("ANP"), ["ANP"], None),
    Case("wnl: (AFP) under the text", "wnl", KERNCENTRALES, wnl_last_paragraph("<em>(AFP)</em>"), ["AFP"], None),
    Case(
        "wnl: Door: Redactie m.m.v. ANP",
        "wnl",
        KERNCENTRALES,
        wnl_last_paragraph("<em>Door: Redactie m.m.v. ANP</em>"),
        ["ANP"],
        ["Redactie"],
    ),
    Case("nos: dateline", "nos", NOS1, nos_first_paragraph("DEN HAAG (ANP) - "), ["ANP"], ["NOS Nieuws"]),
    Case(
        "nos: dateline of two agencies",
        "nos",
        NOS1,
        nos_first_paragraph("WASHINGTON (Reuters/AFP) – "),
        ["Reuters", "AFP"],
        ["NOS Nieuws"],
    ),
    Case("nos: (AFP) under the text", "nos", NOS1, nos_last_paragraph("(AFP)"), ["AFP"], None),
    Case(
        "nos: a sign-off (ANP) closing the text",
        "nos",
        NOS1,
        lambda html: html.replace("afgesproken is.&quot;</p>", "afgesproken is.&quot; (ANP)</p>", 1),
        ["ANP"],
        ["NOS Nieuws"],
    ),
    # The controls: an agency named, not credited.
    Case("nu: only a photo credit (Foto: ANP)", "nu", ZWEMBAD, same, [], ["Sanne Jansen"], True),
    Case(
        "nu: the text quotes Reuters and ANP",
        "nu",
        ZWEMBAD,
        nu_after_text(
            '<p class="textblock paragraph" data-text-role="ARTICLE_BODY">Dat meldt persbureau Reuters. Ook ANP en AFP '
            "berichten erover, op gezag van Bloomberg.</p>"
        ),
        [],
        ["Sanne Jansen"],
        True,
    ),
    Case(
        "nu: journalists with an agency's letters",
        "nu",
        ZWEMBAD,
        nu_credit("Door Anouk Panders en Ap Dekker"),
        [],
        ["Anouk Panders", "Ap Dekker"],
        True,
    ),
    Case(
        "nu: the site's credit of a journalist",
        "nu",
        ZWEMBAD,
        nu_credit("NU.nl/Thomas Moerman"),
        [],
        ["Thomas Moerman"],
        True,
    ),
    Case(
        "nu: Beeld: Reuters under a photo",
        "nu",
        ZWEMBAD,
        lambda html: html.replace(
            '<span class="copyright">Foto: ANP</span>', '<span class="copyright">Beeld: Reuters</span>'
        ),
        [],
        ["Sanne Jansen"],
        True,
    ),
    Case("wnl: Foto: ANP. in the hero caption", "wnl", KERNCENTRALES, same, [], ["Redactie"], True),
    Case("nos: a figure's credit span", "nos", NOS2, same, [], ["NOS Nieuws"], True),
    Case(
        "nos: a party in parentheses closing the text",
        "nos",
        NOS1,
        lambda html: html.replace(
            "afgesproken is.&quot;</p>", "afgesproken is.&quot; Dat zegt Kamerlid Jansen (SP).</p>", 1
        ),
        [],
        ["NOS Nieuws"],
        True,
    ),
    Case(
        "nos: a sentence opening with a name in parentheses",
        "nos",
        NOS1,
        nos_first_paragraph("Volgens de Kamer (SP) - en anderen - "),
        [],
        ["NOS Nieuws"],
        True,
    ),
]


def parse(case: Case) -> dict:
    page = fixture_response(case.site, page_url(case.site, case.page))
    return site_named(case.site).parse_article(page.replace(body=case.change(page.text).encode("utf-8")))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_agencies_are_read_from_credits_and_bylines_never_from_photos_or_mentions(case):
    item = parse(case)
    assert item["agencies"] == case.agencies
    authors = [author["name"] for author in item["authors"]] if "authors" in item else None
    assert authors == case.authors
    if case.agencies:
        assert item["metadata"]["sources"]["agencies"] in (
            "site",
            "byline",
            "typed-byline",
            "json-ld",
            "meta",
            "dateline",
            "sign-off",
        )
    else:
        assert "agencies" not in item["metadata"]["sources"]


def test_a_credit_line_under_the_text_is_not_text_and_a_dateline_is():
    bron = parse(CASES[5])
    assert not bron["articleBody"].endswith("Bron: ANP") and "Ook het schoolzwemmen stopt" in bron["articleBody"]
    assert bron["metadata"]["sources"]["agencies"] == "typed-byline"
    afp = parse(next(case for case in CASES if case.name == "nos: (AFP) under the text"))
    assert "(AFP)" not in afp["articleBody"]
    dateline = parse(next(case for case in CASES if case.name == "nos: dateline"))
    assert dateline["articleBody"].startswith("DEN HAAG (ANP) - Gemeenten")
    assert dateline["metadata"]["sources"]["agencies"] == "dateline"


def test_precision_and_recall_of_agencies_on_the_corpus(capsys):
    """Precision comes first: no control may credit anything. Printed for the closing note."""
    true_positive = false_positive = false_negative = 0
    for case in CASES:
        got, expected = set(parse(case)["agencies"]), set(case.agencies)
        true_positive += len(got & expected)
        false_positive += len(got - expected)
        false_negative += len(expected - got)
    precision = true_positive / max(true_positive + false_positive, 1)
    recall = true_positive / max(true_positive + false_negative, 1)
    with capsys.disabled():
        print(
            f"\nagencies on {len(CASES)} pages ({sum(c.control for c in CASES)} controls): "
            f"precision {precision:.2f}, recall {recall:.2f} (TP {true_positive}, FP {false_positive}, "
            f"FN {false_negative})"
        )
    assert false_positive == 0 and recall == 1.0


def test_a_declared_site_reads_agencies_from_its_selectors(tmp_path: Path):
    from newscrawl.extract.declared import use_sites_file

    text = (FIXTURES / "stadsblad" / "sites.toml").read_text("utf-8")
    declared = tmp_path / "sites.toml"
    declared.write_text(
        text.replace('authors = "article .auteur"', 'authors = "article .auteur"\nagencies = "article .bron"')
    )
    [site] = use_sites_file(declared).values()
    try:
        url = "https://www.stadsblad.test/nieuws/1201/nieuwe-fietsbrug-over-de-vaart"
        html = (FIXTURES / "stadsblad" / "site" / "article_1201.html").read_text("utf-8")

        def parse_page(body: str) -> dict:
            return site.parse_article(HtmlResponse(url, body=body.encode(), encoding="utf-8", request=Request(url)))

        credited = parse_page(html.replace("</article>", '<p class="bron">Bron: ANP/Belga</p></article>'))
        assert credited["agencies"] == ["ANP", "Belga"]
        assert credited["metadata"]["sources"]["agencies"] == "site"
        # The site's byline selector: its agency is credited, its person is the author.
        byline = parse_page(
            html.replace('<span class="auteur">Ilse de Groot</span>', '<span class="auteur">Ilse de Groot/ANP</span>')
        )
        assert byline["agencies"] == ["ANP"] and [a["name"] for a in byline["authors"]] == ["Ilse de Groot"]
        assert parse_page(html)["agencies"] == []
    finally:
        use_sites_file(None)


def test_a_generic_page_credits_its_typed_credit_line(tmp_path: Path):
    """A page no selector knows: the generic body's last line "Bron: Reuters" is its credit."""
    from newscrawl.extract.declared import use_sites_file

    declared = tmp_path / "sites.toml"
    declared.write_text(
        """[sites.omroep]
title = "Omroep"
host = "www.omroep.test"
article_path = '^/nieuws/(?P<id>\\d+)/[a-z0-9-]+$'
feeds = ["/rss"]
""",
        "utf-8",
    )
    [site] = use_sites_file(declared).values()
    try:
        url = "https://www.omroep.test/nieuws/7/haven"
        paragraphs = "".join(
            f"<p>{sentence}</p>"
            for sentence in (
                "De haven van Rotterdam heeft vorig jaar minder containers overgeslagen dan het jaar ervoor.",
                "Vooral de handel met China liep terug, meldt het havenbedrijf in zijn jaarverslag.",
                "Het havenbedrijf verwacht dat de overslag dit jaar weer aantrekt, maar noemt de onzekerheid groot.",
                "Bron: Reuters",
            )
        )
        page = f"""<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Minder overslag in haven</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Minder overslag in haven", "datePublished": "2025-04-01T10:00:00+02:00"}}</script></head>
<body><header><nav><a href="/">Omroep</a></nav></header><article><h1>Minder overslag in haven</h1>
<div class="tekst">{paragraphs}</div></article><footer>© Omroep</footer></body></html>"""
        item = site.parse_article(HtmlResponse(url, body=page.encode(), encoding="utf-8", request=Request(url)))
        assert item["agencies"] == ["Reuters"]
        assert "Bron: Reuters" not in item["articleBody"] and "authors" not in item
    finally:
        use_sites_file(None)


@pytest.mark.parametrize(
    ("credit", "agencies"),
    [
        ("NU.nl/ANP", ["ANP"]),
        ("Door: Lotte Bakker (ANP)", ["ANP"]),
        ("Door: redactie | Foto: ANP", []),
        ("ANP, Reuters, AFP", ["ANP", "Reuters", "AFP"]),
        ("Associated Press", ["AP"]),
        ("Agence France-Presse", ["AFP"]),
        ("Door: Reuters-correspondent Jan Smit", []),
        ("Apeldoorn", []),
        ("© ANP", []),
    ],
)
def test_credit_forms(credit, agencies):
    from newscrawl.extract.agencies import credited

    assert credited(credit) == agencies


def test_old_lines_without_agencies_still_validate(tmp_path: Path):
    import json
    import subprocess
    import sys

    from conftest import PROJECT

    line = json.loads((FIXTURES / "nu" / "expected" / "article_6400101_zwembad.json").read_text("utf-8"))
    old = {k: v for k, v in line.items() if k != "agencies"}
    old["metadata"] = {**old["metadata"], "schemaVersion": "1.5", "revision": 1}
    missing = {k: v for k, v in line.items() if k != "agencies"}
    missing["metadata"] = {**line["metadata"], "revision": 1}
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(x) for x in (old, missing)) + "\n", "utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "newscrawl", "validate", str(tmp_path / "d.jsonl")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert "1 of 2 lines valid" in checked.stdout, checked.stdout + checked.stderr
    assert re.search(r":2: agencies: 'agencies' is a required property", checked.stderr), checked.stderr
