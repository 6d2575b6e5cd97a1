"""Where else it ran (issue 35, part 2): `newscrawl clusters` groups the same story across sites
and days, and only the same story.

Datasets written for the cluster cases: an ANP story about a dike reinforcement on NU.nl; the
same copy verbatim on WNL two hours later; a lightly edited copy on NOS (its own headline and
first sentence, the last paragraph cut, a paragraph of its own); NOS's own reporting on the same
event in other words, sharing one quote; another story of the same day and topic; and the same
copy a month later. Then revisions, a withdrawal, lines added later, a backfilled earlier copy.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT

HEADLINE = "Waterschap versterkt dijk bij Kampen na zorgen over stabiliteit"
LEAD = "Het waterschap Drents Overijsselse Delta begint volgende maand met het versterken van de IJsseldijk bij Kampen."
BODY = [
    "Bij metingen afgelopen winter bleek dat een stuk van ruim twee kilometer bij hoog water minder stabiel is dan"
    " gedacht. Het waterschap wil niet wachten tot het landelijke programma voor dijkversterking aan de beurt is.",
    "De werkzaamheden duren naar verwachting anderhalf jaar en kosten ongeveer 38 miljoen euro. Het Rijk betaalt het"
    " grootste deel, de rest komt uit de waterschapsbelasting van inwoners in het gebied.",
    "Bewoners van de Bovenhaven krijgen de komende weken een brief over de gevolgen. Het fietspad op de dijk gaat"
    " tijdens de werkzaamheden dicht en vrachtverkeer rijdt via een tijdelijke bouwweg langs de uiterwaarden.",
    '"We nemen geen enkel risico met de veiligheid van de mensen achter deze dijk", zegt dijkgraaf Kees van der Veen.'
    " Hij benadrukt dat er op dit moment geen direct gevaar is.",
    "Het waterschap onderzoekt ook of andere delen van de IJsseldijk dezelfde zwakke ondergrond hebben. De uitkomst"
    " van dat onderzoek wordt in het najaar verwacht.",
]
# NOS's own reporting on the same event: other words, one quote in common.
REWRITTEN = [
    "In Kampen gaat de schop in de IJsseldijk. Onderzoekers ontdekten deze winter dat de grond onder een deel van"
    " de dijk te slap is om een extreem hoge waterstand met zekerheid te doorstaan.",
    "Voor omwonenden betekent dat anderhalf jaar overlast: zware machines, een afgesloten fietsroute en bouwverkeer"
    " door de polder. Op een informatieavond in het stadhuis stelden tientallen mensen vragen.",
    '"We nemen geen enkel risico met de veiligheid van de mensen achter deze dijk", zegt dijkgraaf Kees van der Veen.'
    " Volgens hem is de situatie beheersbaar.",
    "Elders langs de rivier wordt nog gekeken of het probleem vaker voorkomt.",
]
# Another story of the same day and topic.
OTHER = [
    "Rijkswaterstaat sluit komend weekend de Ramspolbrug voor groot onderhoud aan de balgstuw. Automobilisten"
    " moeten omrijden via Zwolle, wat zeker een halfuur extra reistijd kost.",
    "De balgstuw beschermt het gebied rond het Zwarte Meer bij storm tegen hoog water vanuit het IJsselmeer. Na"
    " de werkzaamheden wordt de kering een keer proefgedraaid.",
    "Ook fietsers en voetgangers kunnen de brug niet over. Een pendelbus brengt hen van de ene naar de andere kant.",
]


def line(site: str, article_id: str, published: str, body: list[str], headline: str = HEADLINE, **extra) -> dict:
    metadata = {"dateDownloaded": published.replace("+02:00", "Z"), "revision": 1, "schemaVersion": "1.6"}
    metadata |= extra.pop("metadata", {})
    item = {
        "url": f"https://{site}.test/{article_id}",
        "canonicalUrl": f"https://{site}.test/{article_id}",
        "site": site,
        "articleId": article_id,
        "articleType": "NewsArticle",
        "headline": headline,
        "description": LEAD,
        "articleBody": "\n\n".join(body),
        "agencies": [],
        "datePublished": published,
        "metadata": metadata,
    }
    return item | extra


def edited(body: list[str]) -> list[str]:
    """A desk's light edit: its own first sentence, the last paragraph cut, a paragraph of its own."""
    first = "Het waterschap gaat de IJsseldijk bij Kampen versterken." + body[0][body[0].index(" Het waterschap") :]
    return [first, *body[1:3], "De gemeente Kampen zegt blij te zijn dat er snel wordt ingegrepen.", body[3]]


def write(path: Path, *items: dict) -> None:
    with path.open("a", encoding="utf-8") as stream:
        for item in items:
            stream.write(json.dumps(item, ensure_ascii=False) + "\n")


def clusters(out: Path, *files: Path, expect: int = 0) -> tuple[list[dict], str]:
    done = subprocess.run(
        [sys.executable, "-m", "newscrawl", "clusters", *map(str, files), "-o", str(out)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == expect, done.stdout + done.stderr
    return [json.loads(text) for text in out.read_text("utf-8").splitlines()], done.stdout + done.stderr


def members(cluster: dict) -> list[str]:
    return [f"{m['site']}:{m['articleId']}" for m in cluster["members"]]


@pytest.fixture
def datasets(tmp_path: Path) -> tuple[Path, Path, Path]:
    nu, nos, wnl = (tmp_path / f"{site}.jsonl" for site in ("nu", "nos", "wnl"))
    write(nu, line("nu", "1001", "2025-06-03T09:15:00+02:00", BODY, agencies=["ANP"]))
    write(nu, line("nu", "1002", "2025-06-03T11:40:00+02:00", OTHER, headline="Ramspolbrug dicht voor onderhoud"))
    write(wnl, line("wnl", "501", "2025-06-03T11:20:00+02:00", BODY))  # verbatim, no credit shown
    write(
        nos, line("nos", "2001", "2025-06-03T10:05:00+02:00", edited(BODY), headline="Dijk bij Kampen wordt versterkt")
    )
    write(nos, line("nos", "2002", "2025-06-03T19:30:00+02:00", REWRITTEN, headline="Overlast door dijkwerk Kampen"))
    write(nu, line("nu", "1050", "2025-07-08T09:00:00+02:00", BODY, agencies=["ANP"]))  # a month later
    return nu, nos, wnl


def test_copies_cluster_and_a_rewrite_another_story_or_a_late_rerun_do_not(tmp_path, datasets):
    found, said = clusters(tmp_path / "clusters.jsonl", *datasets)
    assert len(found) == 1, found
    [story] = found
    assert members(story) == ["nu:1001", "nos:2001", "wnl:501"]  # in order of publication
    assert story["first"] == {
        "site": "nu",
        "articleId": "1001",
        "url": "https://nu.test/1001",
        "datePublished": "2025-06-03T09:15:00+02:00",
    }
    similarity = {f"{m['site']}:{m['articleId']}": m["similarity"] for m in story["members"]}
    assert similarity["nu:1001"] == 1.0 and similarity["wnl:501"] > 0.95
    assert 0.3 <= similarity["nos:2001"] < 0.95  # lightly edited: joined, and not called a copy
    assert [m["creditsAgency"] for m in story["members"]] == [True, False, False]
    assert story["agencyCopy"] is True and story["sites"] == ["nos", "nu", "wnl"]
    assert story["clusterId"] == "nu:1001"
    assert "6 new article(s)" in said and "1 cluster(s) of two or more hold 3 of 6 article(s)" in said


def test_the_thresholds_hold_on_the_pairs(tmp_path):
    """Each pair alone: the verbatim and edited copies cluster; the rewrite and the other story do not."""
    from newscrawl.article.shingles import shingles
    from newscrawl.tools.clusters import SIMILARITY, sketch_of

    def similar(a: list[str], b: list[str]) -> float:
        x, y = sketch_of("\n".join(a)), sketch_of("\n".join(b))
        assert x is not None and y is not None
        return x.jaccard(y)

    assert similar(BODY, BODY) == 1.0
    assert similar(BODY, edited(BODY)) >= SIMILARITY
    assert similar(BODY, REWRITTEN) < SIMILARITY / 3  # the shared quote alone
    assert similar(BODY, OTHER) < 0.05
    exact = len(shingles("\n".join(BODY)) & shingles("\n".join(edited(BODY)))) / len(
        shingles("\n".join(BODY)) | shingles("\n".join(edited(BODY)))
    )
    assert abs(similar(BODY, edited(BODY)) - exact) < 0.12  # the sketch estimates the exact value


def test_new_lines_update_the_clusters_without_reading_the_old_ones(tmp_path, datasets):
    nu, nos, wnl = datasets
    out = tmp_path / "clusters.jsonl"
    clusters(out, nu, nos, wnl)
    # The next day: a revision of the NU.nl article (text edited), the WNL copy withdrawn, a new copy
    # on a declared site; and a backfill: an older capture of the same copy, published earlier.
    revised = line("nu", "1001", "2025-06-03T09:15:00+02:00", [*BODY[:4], "Update: de dijkgraaf licht het plan toe."])
    revised["metadata"] |= {"revision": 2, "dateDownloaded": "2025-06-04T08:00:00Z"}
    revised["agencies"] = ["ANP"]
    write(nu, revised)
    write(wnl, {
        "url": "https://wnl.test/501", "site": "wnl", "articleId": "501",
        "metadata": {"dateDownloaded": "2025-06-04T08:00:00Z", "revision": 2, "schemaVersion": "1.6",
                     "withdrawn": "2025-06-04T08:00:00Z", "httpStatus": 404},
    })  # fmt: skip
    regional = tmp_path / "stadsblad.jsonl"
    write(regional, line("stadsblad", "77", "2025-06-03T08:50:00+02:00", BODY, agencies=["ANP"]))
    found, said = clusters(out, nu, nos, wnl, regional)
    assert "read 3 new line(s): 1 new article(s), 2 line(s) of known articles" in said, said
    [story] = found
    # The earlier copy is the first member now; the cluster keeps its id; the revised article and
    # the withdrawn one stay in it, marked.
    assert members(story) == ["stadsblad:77", "nu:1001", "nos:2001", "wnl:501"]
    assert story["clusterId"] == "nu:1001" and story["first"]["site"] == "stadsblad"
    by_key = {f"{m['site']}:{m['articleId']}": m for m in story["members"]}
    assert by_key["nu:1001"]["revisions"] == 2 and by_key["nu:1001"]["similarity"] > 0.95
    assert by_key["wnl:501"]["withdrawn"] == "2025-06-04T08:00:00Z"
    assert 0.3 <= by_key["nos:2001"]["similarity"] < 0.95
    assert "1 cluster(s) of two or more hold 4 of 7 article(s)" in said
    # The same members as clustering everything from nothing.
    fresh, _ = clusters(tmp_path / "fresh.jsonl", nu, nos, wnl, regional)
    assert sorted(map(members, fresh)) == sorted(map(members, found))
    # Nothing new: nothing read, the same clusters.
    again, said = clusters(out, nu, nos, wnl, regional)
    assert again == found and "read 0 new line(s)" in said
    # A dataset rewritten (merged, say) is noticed and everything is clustered again.
    nos.write_text(nos.read_text("utf-8").replace("Dijk bij Kampen", "Kampen: dijk"), "utf-8")
    rebuilt, said = clusters(out, nu, nos, wnl, regional)
    assert "clustering everything again" in said and members(rebuilt[0]) == members(story)


def test_export_adds_cluster_ids_and_stats_counts_originals(tmp_path, datasets):
    pytest.importorskip("pyarrow")
    nu, nos, wnl = datasets
    out = tmp_path / "clusters.jsonl"
    clusters(out, nu, nos, wnl)
    csv = tmp_path / "x.csv"
    subprocess.run(
        [sys.executable, "-m", "newscrawl", "export", str(nu), str(nos), str(wnl), "-o", str(csv), "--clusters",
         str(out)],
        cwd=PROJECT, check=True, capture_output=True,
    )  # fmt: skip
    import csv as csv_module

    rows = {f"{r['site']}:{r['articleId']}": r["clusterId"] for r in csv_module.DictReader(csv.open())}
    assert rows == {
        "nu:1001": "nu:1001",
        "nos:2001": "nu:1001",
        "wnl:501": "nu:1001",
        "nu:1002": "nu:1002",
        "nos:2002": "nos:2002",
        "nu:1050": "nu:1050",
    }
    stats = subprocess.run(
        [sys.executable, "-m", "newscrawl", "stats", str(nu), str(nos), str(wnl), "--json", "--originals",
         "--clusters", str(out)],
        cwd=PROJECT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    summary = json.loads(stats.stdout)
    assert summary["articles"] == 4 and summary["perSite"] == {"nu": 3, "nos": 1}
    refused = subprocess.run(
        [sys.executable, "-m", "newscrawl", "stats", str(nu), "--originals"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "--originals needs --clusters" in refused.stderr
