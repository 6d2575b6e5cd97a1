"""The data people receive: manifests, the newscrawl validate/stats/merge commands, the schema docs, the README snippets."""

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import FIXTURES, PROJECT, fixture_sites, replay_crawl

from newscrawl.article.schema import SCHEMA_VERSION
from newscrawl.tools.schemadoc import render

NEWSCRAWL = [sys.executable, "-m", "newscrawl"]


def newscrawl(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*NEWSCRAWL, *args], capture_output=True, text=True, timeout=120, cwd=cwd or PROJECT)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    """output/<site>.jsonl of every fixture site as a replay crawl writes them, with their manifests
    (the tests below that name NU.nl and WNL check the figures the README's demo shows)."""
    root = tmp_path_factory.mktemp("data")
    (root / "output").mkdir()
    for spider in fixture_sites():
        replay_crawl(spider, root / "output", "-s", f"STATE_DB={root / spider}.sqlite3")
    return root


def test_manifest_beside_each_feed_file(datasets):
    feed = datasets / "output" / "nu.jsonl"
    manifest = json.loads((datasets / "output" / "nu.jsonl.manifest.json").read_text())
    import hashlib

    assert manifest["file"] == {
        "path": "nu.jsonl",
        "bytes": feed.stat().st_size,
        "lines": 7,
        "sha256": hashlib.sha256(feed.read_bytes()).hexdigest(),
    }
    assert (
        manifest["spider"] == "nu"
        and manifest["schemaVersion"] == SCHEMA_VERSION
        and manifest["finishReason"] == "finished"
    )
    assert {
        k: manifest["counts"][k]
        for k in ("items", "new", "revised", "rejects", "duplicatesDropped", "fallbackExtractions")
    } == {"items": 7, "new": 7, "revised": 0, "rejects": 1, "duplicatesDropped": 1, "fallbackExtractions": 1}
    assert manifest["counts"]["failures"] == 7
    assert (
        manifest["fieldCoverage"]["headline"] == 1.0 and manifest["fieldCoverage"]["description"] == 0.4286
    )  # 3 of 7 NU articles have a lead (the live blog has none)
    assert manifest["datePublished"] == {"min": "2024-10-27T02:30:00+01:00", "max": "2025-03-31T21:00:00+02:00"}


@pytest.mark.parametrize("site", sorted(fixture_sites()))
def test_every_sites_dataset_validates_and_counts(datasets, site):
    path = f"output/{site}.jsonl"
    lines = (datasets / path).read_text("utf-8").splitlines()
    # A declared site's dataset is valid where its file is named (its name is not a built-in site's).
    sites_file = [o.removeprefix("SITES_FILE=") for o in fixture_sites()[site].options if o.startswith("SITES_FILE=")]
    result = newscrawl("validate", path, *(["--sites-file", *sites_file] if sites_file else []), cwd=datasets)
    assert result.returncode == 0 and f"{len(lines)} of {len(lines)} lines valid" in result.stdout, result.stderr
    stats = json.loads(newscrawl("stats", "--json", path, cwd=datasets).stdout)
    assert stats["perSite"] == {site: len({json.loads(line)["articleId"] for line in lines})}
    manifest = json.loads((datasets / f"{path}.manifest.json").read_text("utf-8"))
    assert manifest["spider"] == site and manifest["file"]["lines"] == len(lines)


def test_validate_accepts_crawled_datasets(datasets):
    result = newscrawl("validate", "output/nu.jsonl", "output/wnl.jsonl", cwd=datasets)
    assert result.returncode == 0 and "15 of 15 lines valid in 2 file(s); 0 problem(s)" in result.stdout


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file: no articles"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00", "binary data, not a JSONL text file"),
        (b'{"url": "https://www.nu.nl/a/1234567/b.html"\n', ":1: not JSON:"),
        (b'["not", "an", "object"]\n', ":1: not a JSON object but a list"),
        (b"caf\xe9\n", ":1: not UTF-8 text"),
    ],
)
def test_bad_input_gets_a_message_and_a_non_zero_exit(tmp_path, content, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    for command in ("validate", "stats"):
        result = newscrawl(command, str(bad))
        assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr


def test_another_schema_version_is_named(datasets, tmp_path):
    item = json.loads((datasets / "output" / "nu.jsonl").read_text().splitlines()[0])
    item["metadata"]["schemaVersion"] = "0.9"
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps(item) + "\n")
    result = newscrawl("validate", str(old))
    assert result.returncode == 1 and f"schema version '0.9', this tool reads {SCHEMA_VERSION!r}" in result.stderr


def test_validate_points_at_the_line_and_field(datasets, tmp_path):
    lines = (datasets / "output" / "wnl.jsonl").read_text().splitlines()
    broken = json.loads(lines[2])
    broken["datePublished"] = "gisteren"
    (tmp_path / "w.jsonl").write_text("\n".join([lines[0], lines[1], json.dumps(broken), *lines[3:]]) + "\n")
    result = newscrawl("validate", str(tmp_path / "w.jsonl"))
    assert (
        result.returncode == 1
        and f"{tmp_path / 'w.jsonl'}:3: datePublished:" in result.stderr
        and "7 of 8 lines valid" in result.stdout
    )


def test_stats_and_plot(datasets, tmp_path):
    result = newscrawl(
        "stats", "--json", "output/nu.jsonl", "output/wnl.jsonl", "--plot", str(tmp_path / "days.png"), cwd=datasets
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["articles"] == 15 and stats["perSite"] == {"wnl": 8, "nu": 7}
    assert stats["perDay"]["2025-03-31"] == {"nu": 4, "wnl": 3}  # the live blog started that evening
    # Compared as instants: 02:45+02:00 (WNL, 00:45 UTC) is earlier than 02:30+01:00 (NU, 01:30 UTC).
    assert stats["datePublished"] == {"min": "2024-10-27T02:45:00+02:00", "max": "2025-03-31T21:00:00+02:00"}
    assert (tmp_path / "days.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_merge_keeps_the_latest_revision_in_a_stable_order_and_survives_a_torn_line(datasets, tmp_path):
    lines = (datasets / "output" / "nu.jsonl").read_text().splitlines()
    revised = json.loads(lines[0])
    revised["metadata"]["revision"] = 2
    revised["articleBody"] += "\n\nUpdate: nieuwe alinea."
    later = tmp_path / "later.jsonl"
    later.write_text(
        json.dumps(revised, ensure_ascii=False) + "\n" + lines[1][: len(lines[1]) // 2]
    )  # a crash mid-line
    out = tmp_path / "merged.jsonl"
    result = newscrawl(
        "merge",
        str(datasets / "output" / "nu.jsonl"),
        str(datasets / "output" / "wnl.jsonl"),
        str(later),
        "-o",
        str(out),
    )
    assert (
        result.returncode == 0
        and "torn final line dropped" in result.stderr
        and "(1 torn final line(s) dropped)" in result.stdout
    )
    merged = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(merged) == 15
    by_id = {m["articleId"]: m for m in merged}
    assert by_id[revised["articleId"]]["metadata"]["revision"] == 2
    from newscrawl.article.dates import published_key

    keys = [(published_key(m), m["site"], m["articleId"]) for m in merged]
    assert keys == sorted(keys)
    every = tmp_path / "every.jsonl"
    assert (
        newscrawl(
            "merge", str(datasets / "output" / "nu.jsonl"), str(later), "--all-revisions", "-o", str(every)
        ).returncode
        == 0
    )
    assert len(every.read_text().splitlines()) == 8
    assert newscrawl("validate", str(out)).returncode == 0


def test_merge_refuses_corrupt_input_and_writes_nothing(datasets, tmp_path):
    corrupt = tmp_path / "corrupt.jsonl"
    corrupt.write_text("{broken\n" + (datasets / "output" / "nu.jsonl").read_text())
    result = newscrawl("merge", str(corrupt), "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 1 and "nothing written" in result.stderr and not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("command", ["schedule", "validate", "stats", "merge", "schema-doc"])
def test_every_command_has_help(command):
    result = newscrawl(command, "--help")
    assert result.returncode == 0 and "usage: newscrawl" in result.stdout


def test_fields_doc_is_generated_from_the_schema():
    assert (PROJECT / "docs" / "fields.md").read_text() == render(), "regenerate: newscrawl schema-doc > docs/fields.md"


def readme_snippets(language: str) -> list[str]:
    section = (PROJECT / "README.md").read_text().split("## Using the data", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


@pytest.fixture(scope="module")
def demo(datasets, tmp_path_factory):
    """output/ as `bash scripts/crawl-demo.sh` leaves it: the crawl of the site an hour later
    (tests/fixtures/nu/later.json: one article changed, one new) appended to output/nu.jsonl."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(datasets / "output", root / "output")
    state = root / "nu.sqlite3"
    shutil.copy(datasets / "nu.sqlite3", state)
    later, stats, _ = replay_crawl(
        "nu", root, "-s", f"STATE_DB={state}", archive=FIXTURES / "nu" / "later.warc.gz", name="nu-later"
    )
    assert (stats["run/new"], stats["run/revised"]) == (1, 1)
    with (root / "output" / "nu.jsonl").open("a", encoding="utf-8") as dataset:
        dataset.writelines(line + "\n" for line in later)
    return root


def stats_of(root: Path, *files: str) -> dict:
    result = newscrawl("stats", "--json", *files, cwd=root)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def latest_items(root: Path, *files: str) -> list[dict]:
    """Each article's latest revision, as `newscrawl merge` keeps them."""
    merged = root / "latest.jsonl"
    assert newscrawl("merge", *files, "-o", str(merged), cwd=root).returncode == 0
    return [json.loads(line) for line in merged.read_text().splitlines()]


@pytest.mark.parametrize("index", range(2), ids=["pandas", "duckdb"])
def test_readme_snippets_count_articles_as_newscrawl_stats_does(demo, index):
    files = ("output/nu.jsonl", "output/wnl.jsonl")
    lines = sum(len((demo / name).read_text().splitlines()) for name in files)
    per_site = stats_of(demo, *files)["perSite"]
    assert per_site == {"nu": 8, "wnl": 8} and lines == 17  # a revised article: 9 NU.nl lines, 8 articles
    snippet = readme_snippets("python")[index]
    result = subprocess.run([sys.executable, "-c", snippet], cwd=demo, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    if index == 0:
        counts = dict(re.findall(r"^(nu|wnl)\s+(\d+)$", result.stdout, re.M))
        assert {site: int(n) for site, n in counts.items()} == per_site
        # articleId stays a string, so it joins with DuckDB's VARCHAR and the schema's type.
        dtype = subprocess.run(
            [sys.executable, "-c", snippet + "\nprint('DTYPE', df['articleId'].map(type).unique())"],
            cwd=demo,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        assert "DTYPE [<class 'str'>]" in dtype
    else:
        counts = dict(re.findall(r"│ (nu|wnl)\s+│\s+(\d+) │", result.stdout))
        assert {site: int(n) for site, n in counts.items()} == per_site
        # Each author once per article, on its latest revision: counted here from what merge keeps.
        authors = Counter(author["name"] for item in latest_items(demo, *files) for author in item.get("authors", []))
        table = {name.strip(): int(n) for name, n in re.findall(r"│ ([^│┌┐─]+?)\s+│\s+(\d+) │$", result.stdout, re.M)}
        assert {name: n for name, n in table.items() if name not in per_site} == dict(authors)


@pytest.mark.parametrize("index", [2, 3], ids=["pandas", "duckdb"])
def test_readme_agency_share_snippets_count_each_articles_latest_credit_per_site_and_day(demo, tmp_path, index):
    """The demo's data with credits: the NU.nl articles of one day credit ANP (the revised one only
    in its revision), a WNL article AFP; the snippets' shares are counted here from the lines."""
    root = tmp_path / "credited"
    shutil.copytree(demo / "output", root / "output")
    nu = root / "output" / "nu.jsonl"
    items = [json.loads(line) for line in nu.read_text("utf-8").splitlines()]
    for item in items:
        if item.get("articleId") in ("6400101", "6400102") or item["metadata"]["revision"] == 2:
            item["agencies"] = ["ANP"]
    nu.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), "utf-8")
    wnl = root / "output" / "wnl.jsonl"
    wnl_items = [json.loads(line) for line in wnl.read_text("utf-8").splitlines()]
    wnl_items[0]["agencies"] = ["AFP"]
    wnl.write_text("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in wnl_items), "utf-8")
    expected: dict[tuple[str, str], list[int]] = {}
    for item in latest_items(root, "output/nu.jsonl", "output/wnl.jsonl"):
        when = datetime.fromisoformat(item["datePublished"])
        day = (when.astimezone(ZoneInfo("Europe/Amsterdam")) if when.tzinfo else when).date().isoformat()
        counts = expected.setdefault((item["site"], day), [0, 0])
        counts[0] += 1
        counts[1] += bool(item["agencies"])
    assert sum(n for _, n in expected.values()) == 4  # two NU.nl articles, the revised one, the WNL one
    result = subprocess.run(
        [sys.executable, "-c", readme_snippets("python")[index]], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    if index == 2:
        rows = re.findall(r"^(nu|wnl)?\s*(\d{4}-\d{2}-\d{2})\s+(\d+)\s+(\d+)\s+([\d.]+)$", result.stdout, re.M)
        found, site = {}, None
        for name, day, articles, credited, _ in rows:
            site = name or site
            found[(site, day)] = [int(articles), int(credited)]
    else:
        found = {
            (site, f"{int(y):04d}-{int(m):02d}-{int(d):02d}"): [int(articles), int(credited)]
            for site, y, m, d, articles, credited in re.findall(
                r"\('(nu|wnl)', datetime\.date\((\d+), (\d+), (\d+)\), (\d+), (\d+), [\d.]+\)", result.stdout
            )
        }
    assert found == expected, result.stdout


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_readme_jq_snippet_lists_each_article_once(demo):
    first = readme_snippets("bash")[0].splitlines()[0]
    result = subprocess.run(first, shell=True, cwd=demo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == stats_of(demo, "output/nu.jsonl", "output/wnl.jsonl")["articles"] == 16
    latest = latest_items(demo, "output/nu.jsonl", "output/wnl.jsonl")
    assert sorted(rows) == sorted([item["site"], item["datePublished"], item["headline"]] for item in latest)


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_readme_revision_query_finds_the_demo_revision(demo):
    """The demo appends a crawl of the site an hour later (tests/fixtures/nu/later.json) to output/nu.jsonl."""
    query = readme_snippets("bash")[0].splitlines()[1]
    result = subprocess.run(query, shell=True, cwd=demo, capture_output=True, text=True)
    assert result.returncode == 0 and [json.loads(line) for line in result.stdout.splitlines()] == [
        {
            "url": "https://www.nu.nl/algemeen/6400103/storm-trekt-over-noorse-kust-in-nacht-van-de-klokwissel.html",
            "revision": 2,
        }
    ]
    merged = demo / "merged.jsonl"
    assert newscrawl("merge", "output/nu.jsonl", "-o", str(merged), cwd=demo).returncode == 0
    storm = [json.loads(line) for line in merged.read_text().splitlines() if '"6400103"' in line]
    assert [item["metadata"]["revision"] for item in storm] == [2] and "Inmiddels varen ze weer." in storm[0][
        "articleBody"
    ]


def test_a_rejects_file_given_as_a_dataset_is_refused_clearly(datasets):
    rejects = datasets / "output" / "nu.rejects.jsonl"
    assert rejects.exists()
    for command in (["stats", str(rejects)], ["merge", str(rejects), "-o", str(datasets / "x.jsonl")]):
        result = newscrawl(*command)
        assert (
            result.returncode == 1 and "is this a rejects file?" in result.stderr and "Traceback" not in result.stderr
        )


def test_merge_and_stats_take_empty_job_files_and_refuse_another_schema_version(datasets, tmp_path):
    nu = datasets / "output" / "nu.jsonl"
    empty = tmp_path / "nu-2025-04-01T09-15-00.jsonl"
    empty.write_bytes(b"")  # a scheduled run that found nothing new
    merged = tmp_path / "all.jsonl"
    result = newscrawl("merge", str(nu), str(empty), "-o", str(merged))
    assert result.returncode == 0 and len(merged.read_text().splitlines()) == len(nu.read_text().splitlines())
    assert newscrawl("stats", str(nu), str(empty)).returncode == 0

    item = json.loads(nu.read_text().splitlines()[0])
    item["metadata"]["schemaVersion"] = "0.9"
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps(item) + "\n")
    for command in (["merge", str(nu), str(old), "-o", str(tmp_path / "mixed.jsonl")], ["stats", str(nu), str(old)]):
        result = newscrawl(*command)
        assert result.returncode == 1 and "schema version '0.9'" in result.stderr, command
    assert not (tmp_path / "mixed.jsonl").exists()


def test_stats_counts_each_article_once_in_its_latest_revision(datasets, tmp_path):
    lines = (datasets / "output" / "nu.jsonl").read_text().splitlines()
    revised = json.loads(lines[0])
    revised["metadata"]["revision"] = 2
    revised["headline"] += " (bijgewerkt)"
    later = tmp_path / "nu-2025-04-01T10-00-00.jsonl"  # the job file of a later run: one revised article
    later.write_text(json.dumps(revised, ensure_ascii=False) + "\n")
    files = [str(datasets / "output" / "nu.jsonl"), str(later)]
    once = json.loads(newscrawl("stats", *files, "--json").stdout)
    every = json.loads(newscrawl("stats", *files, "--json", "--all-revisions").stdout)
    assert (once["articles"], once["laterRevisions"]) == (len(lines), 1)
    assert (every["articles"], every["laterRevisions"]) == (len(lines) + 1, 1)


def test_export_parquet_reads_with_the_same_types_in_pandas_duckdb_and_polars(datasets, tmp_path):
    import duckdb
    import pandas as pd
    import polars as pl

    files = [str(datasets / "output" / f"{site}.jsonl") for site in ("nu", "wnl")]
    out = tmp_path / "articles.parquet"
    result = newscrawl("export", *files, "-o", str(out))
    assert result.returncode == 0 and result.stdout.startswith("15 articles"), result.stderr

    frame = pd.read_parquet(out)
    assert frame["articleId"].map(type).unique().tolist() == [str]
    assert str(frame["datePublished"].dtype).startswith("datetime64") and "Europe/Amsterdam" in str(
        frame["datePublished"].dtype
    )
    day_only = frame[frame["datePublishedPrecision"] == "day"]
    assert len(day_only) == 1 and str(day_only["publishedDate"].iloc[0]) == "2025-03-28"  # WNL layout B: the URL's day
    assert isinstance(frame["authors"].iloc[0][0], dict)

    types = dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{out}')").fetchall())
    assert (types["articleId"], types["datePublished"], types["publishedDate"], types["dateDownloaded"]) == (
        "VARCHAR",
        "TIMESTAMP WITH TIME ZONE",
        "DATE",
        "TIMESTAMP WITH TIME ZONE",
    )
    assert types["authors"] == 'STRUCT("name" VARCHAR)[]' and types["keywords"] == "VARCHAR[]"

    schema = pl.read_parquet(out).schema
    assert schema["articleId"] == pl.String and schema["datePublished"].time_zone == "Europe/Amsterdam"
    assert schema["publishedDate"] == pl.Date and schema["keywords"] == pl.List(pl.String)
    assert schema["authors"] == pl.List(pl.Struct({"name": pl.String}))


def test_export_csv_writes_nested_fields_as_json_text(datasets, tmp_path):
    import csv

    out = tmp_path / "nu.csv"
    assert newscrawl("export", str(datasets / "output" / "nu.jsonl"), "-o", str(out)).returncode == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 7 and all(row["articleId"].isdigit() for row in rows)
    assert json.loads(rows[0]["relatedUrls"]) == [] or json.loads(rows[0]["relatedUrls"])[0].startswith(
        "https://www.nu.nl/"
    )
    assert rows[0]["datePublished"][10] == "T" and rows[0]["datePublished"][-6] in "+-"
    assert newscrawl("export", str(datasets / "output" / "nu.jsonl"), "-o", str(tmp_path / "x.xlsx")).returncode == 2


def test_manifests_follow_their_schema(datasets):
    from jsonschema import Draft202012Validator

    schema = json.loads((PROJECT / "schemas" / "manifest.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for site in ("nu", "wnl"):
        manifest = json.loads((datasets / "output" / f"{site}.jsonl.manifest.json").read_text())
        assert [error.message for error in validator.iter_errors(manifest)] == []
    assert list(validator.iter_errors({"spider": "nu"}))  # a stub is not a manifest


def test_every_field_has_a_meaning_in_the_fields_doc():
    from newscrawl.article.schema import article_schema
    from newscrawl.tools.schemadoc import _rows

    schema = article_schema()
    blank = [
        path for path, _, _, meaning, _ in _rows(schema["properties"], set(schema["required"])) if not meaning.strip()
    ]
    assert blank == []  # authors[].name, mainImage.url/caption/credit once had none


def test_dataset_card_covers_every_site_and_schema_version_and_the_licences():
    import tomllib

    from newscrawl.extract.registry import sites

    card = (PROJECT / "docs" / "dataset.md").read_text()
    coverage = card.split("## What each site covers", 1)[1].split("\n## ", 1)[0]
    assert all(f"`{name}`" in coverage for name in sites())
    changelog = card.split("## Schema versions", 1)[1].split("\n## ", 1)[0]
    assert f"| {SCHEMA_VERSION} |" in changelog
    assert "copyright" in card.split("## Licence and terms", 1)[1].lower()
    licence = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["license"]
    licence = licence if isinstance(licence, str) else licence.get("text", "")
    assert licence.startswith("MIT") and (PROJECT / "LICENSE").read_text().startswith("MIT License")


def test_merge_and_export_write_files_with_the_usual_mode(datasets, tmp_path):
    """A merged dataset is shared like any other file: not left 0600 by its temporary file."""
    import stat

    merged, exported = tmp_path / "merged.jsonl", tmp_path / "nu.csv"
    assert newscrawl("merge", str(datasets / "output" / "nu.jsonl"), "-o", str(merged)).returncode == 0
    assert newscrawl("export", str(datasets / "output" / "nu.jsonl"), "-o", str(exported)).returncode == 0
    (tmp_path / "plain").write_text("")
    usual = stat.S_IMODE((tmp_path / "plain").stat().st_mode)
    assert usual & 0o044  # group and others may read under the usual umask 022
    assert stat.S_IMODE(merged.stat().st_mode) == stat.S_IMODE(exported.stat().st_mode) == usual


def test_the_fields_doc_gives_each_sites_default_article_type():
    """WNL's items are Articles (its WordPress says so), NU.nl's and NOS's NewsArticles: the doc says which."""
    from scrapy.utils.misc import load_object

    from newscrawl.article.schema import article_schema
    from newscrawl.extract.registry import sites

    said = article_schema()["properties"]["articleType"]["description"]
    for site in sites().values():
        default = load_object(site.parser).default_article_type
        assert re.search(rf"(?<!\w){default}\b[^,;]*\b{re.escape(site.title)}(?!\w)", said), (site.name, default, said)
    assert said in (PROJECT / "docs" / "fields.md").read_text()


def test_export_doc_is_generated_and_lists_the_columns_an_export_writes(datasets, tmp_path):
    import csv

    import pyarrow.parquet as pq

    from newscrawl.tools.schemadoc import render_export

    doc = (PROJECT / "docs" / "export.md").read_text()
    assert doc == render_export(), "regenerate: newscrawl schema-doc --export > docs/export.md"
    base, with_clusters = doc.split("With `--clusters", 1)
    documented = re.findall(r"^\| `([A-Za-z]+)` \|", base, re.M)
    parquet, table = tmp_path / "nu.parquet", tmp_path / "nu.csv"
    for out in (parquet, table):
        assert newscrawl("export", str(datasets / "output" / "nu.jsonl"), "-o", str(out)).returncode == 0
    assert pq.read_schema(parquet).names == documented
    with table.open(encoding="utf-8") as stream:
        assert next(csv.reader(stream)) == documented
    # With a clusters file, the one column the doc adds comes last.
    clusters, clustered = tmp_path / "clusters.jsonl", tmp_path / "clustered.parquet"
    assert newscrawl("clusters", str(datasets / "output" / "nu.jsonl"), "-o", str(clusters)).returncode == 0
    assert (
        newscrawl(
            "export", str(datasets / "output" / "nu.jsonl"), "-o", str(clustered), "--clusters", str(clusters)
        ).returncode
        == 0
    )
    assert pq.read_schema(clustered).names == documented + re.findall(r"^\| `([A-Za-z]+)` \|", with_clusters, re.M)
    # What the doc says of the added columns holds in the file: a time known to the second.
    rows = pq.read_table(parquet).to_pylist()
    assert {row["datePublishedPrecision"] for row in rows} == {"second"} and '`"second"`' in doc
    assert all(row["publishedDate"] == row["datePublished"].date() for row in rows)
