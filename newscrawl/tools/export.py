"""Typed exports of datasets: Parquet (one explicit Arrow schema) and CSV.

JSON leaves types to the reader (pandas makes NU.nl's ids int64, DuckDB reads WNL's day-only
dates as text); an export says them once. Parquet keeps nested fields as lists and structs; CSV
writes them as JSON text, and neutralises cells that a spreadsheet would run as formulas. Times are instants with Amsterdam's zone; ``publishedDate`` is the
local day of publication and ``datePublishedPrecision`` says whether a time was known at all.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from newscrawl.article.dates import AMSTERDAM
from newscrawl.tools.present import as_dict, csv_cell

TZ = "Europe/Amsterdam"


def arrow_schema():
    import pyarrow as pa

    instant = pa.timestamp("s", tz=TZ)
    return pa.schema(
        [
            ("url", pa.string()),
            ("canonicalUrl", pa.string()),
            ("site", pa.string()),
            ("articleId", pa.string()),
            ("articleType", pa.string()),
            ("headline", pa.string()),
            ("description", pa.string()),
            ("articleBody", pa.string()),
            ("authors", pa.list_(pa.struct([("name", pa.string())]))),
            ("datePublished", instant),
            ("publishedDate", pa.date32()),
            ("datePublishedPrecision", pa.string()),
            ("datePublishedRaw", pa.string()),
            ("dateModified", instant),
            ("dateModifiedRaw", pa.string()),
            ("articleSection", pa.string()),
            ("keywords", pa.list_(pa.string())),
            ("mainImage", pa.struct([("url", pa.string()), ("caption", pa.string()), ("credit", pa.string())])),
            ("relatedUrls", pa.list_(pa.string())),
            ("inLanguage", pa.string()),
            ("wordCount", pa.int32()),
            ("dateDownloaded", instant),
            ("revision", pa.int32()),
            ("contentHash", pa.string()),
            ("schemaVersion", pa.string()),
            ("parser", pa.string()),
            ("bodyExtractor", pa.string()),
            ("discoveredVia", pa.string()),
            ("datePublishedSource", pa.string()),
            ("sources", pa.map_(pa.string(), pa.string())),
            ("warnings", pa.list_(pa.string())),
        ]
    )


def _instant(value) -> datetime | None:
    """An ISO date-time, or a bare day (its start in Amsterdam), as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=AMSTERDAM)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def row(item: dict) -> dict:
    """One article as a row of the export schema."""
    metadata = as_dict(item.get("metadata"))
    published = _instant(item.get("datePublished"))
    return {
        **{
            name: item.get(name)
            for name in (
                "url",
                "canonicalUrl",
                "site",
                "articleType",
                "headline",
                "description",
                "articleBody",
                "datePublishedRaw",
                "dateModifiedRaw",
                "articleSection",
                "inLanguage",
                "wordCount",
            )
        },
        "articleId": None if item.get("articleId") is None else str(item["articleId"]),
        "authors": item.get("authors"),
        "datePublished": published,
        "publishedDate": published.astimezone(AMSTERDAM).date() if published else None,
        "datePublishedPrecision": metadata.get("datePublishedPrecision", "second") if published else None,
        "dateModified": _instant(item.get("dateModified")),
        "keywords": item.get("keywords"),
        "mainImage": {key: (item.get("mainImage") or {}).get(key) for key in ("url", "caption", "credit")}
        if item.get("mainImage")
        else None,
        "relatedUrls": item.get("relatedUrls"),
        "dateDownloaded": _instant(metadata.get("dateDownloaded")),
        "sources": sorted((metadata.get("sources") or {}).items()) or None,
        "warnings": metadata.get("warnings"),
        **{
            name: metadata.get(name)
            for name in (
                "revision",
                "contentHash",
                "schemaVersion",
                "parser",
                "bodyExtractor",
                "discoveredVia",
                "datePublishedSource",
            )
        },
    }


def write_parquet(items: Iterable[dict], out: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [row(item) for item in items]
    table = pa.Table.from_pylist(rows, schema=arrow_schema())
    pq.write_table(table, out)
    return len(rows)


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(AMSTERDAM).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(
            dict(value) if isinstance(value, list) and value and isinstance(value[0], tuple) else value,
            ensure_ascii=False,
        )
    return value


def write_csv(items: Iterable[dict], out: Path, raw: bool = False) -> int:
    """CSV with a header; a cell that starts like a formula (=, +, -, @, tab, CR) gets a leading
    apostrophe so spreadsheets show it as text, unless ``raw``."""
    names = arrow_schema().names
    cell = (lambda value: value) if raw else csv_cell
    count = 0
    with out.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(names)
        for item in items:
            values = row(item)
            writer.writerow([cell(_csv_value(values[name])) for name in names])
            count += 1
    return count
