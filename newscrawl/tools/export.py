"""Typed exports of datasets: Parquet (one explicit Arrow schema) and CSV.

JSON leaves types to the reader (pandas makes NU.nl's ids int64, DuckDB reads WNL's day-only
dates as text); an export says them once. Parquet keeps nested fields as lists and structs; CSV
writes them as JSON text, and neutralises cells that a spreadsheet would run as formulas. Times are instants with Amsterdam's zone; ``publishedDate`` is the
local day of publication and ``datePublishedPrecision`` says whether a time was known at all.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path

from newscrawl.article.dates import AMSTERDAM
from newscrawl.article.schema import article_schema
from newscrawl.tools.present import as_dict, csv_cell

TZ = "Europe/Amsterdam"


# What an export adds to the schema's fields: the local day of publication and whether a time was
# known at all ("second", or "day": metadata.datePublishedPrecision), beside datePublished.
_PUBLISHED_EXTRAS = ("publishedDate", "datePublishedPrecision")
# Their meaning, for docs/export.md (the rest comes from the article schema).
EXTRA_MEANINGS = {
    "publishedDate": "Derived from `datePublished`: the day of publication in Amsterdam (a bare-day "
    "`datePublished` is that day). Empty when `datePublished` is.",
    "datePublishedPrecision": 'From `metadata.datePublishedPrecision`, filled in: `"second"` when '
    '`datePublished` has a time, `"day"` when the page named only the day (the timestamp column then '
    "holds that day's start, 00:00 in Amsterdam); empty when there is no `datePublished`.",
}


def _is_instant(name: str, prop: dict, siblings: dict) -> bool:
    """A date field: a date-time by format, or a date that has a ``…Raw`` twin (datePublished,
    which may be a bare day)."""
    return prop.get("format") == "date-time" or f"{name}Raw" in siblings


def _arrow_type(pa, name: str, prop: dict, siblings: dict):
    kind = prop.get("type")
    if _is_instant(name, prop, siblings):
        return pa.timestamp("s", tz=TZ)
    if kind == "integer":
        return pa.int32()
    if kind == "number":
        return pa.float64()
    if kind == "boolean":
        return pa.bool_()
    if kind == "array":
        return pa.list_(_arrow_type(pa, name, prop.get("items") or {}, {}))
    if kind == "object":
        props = prop.get("properties")
        if props:
            return pa.struct([(key, _arrow_type(pa, key, sub, props)) for key, sub in props.items()])
        return pa.map_(pa.string(), pa.string())
    return pa.string()  # text, an enum, a const


# The clusterId of an article (newscrawl clusters): an export with --clusters adds the column.
ClusterOf = Callable[[dict], str]


def _columns() -> list[tuple[str, dict, dict, bool]]:
    """(column, its schema, its siblings, whether it is one of metadata's) in export order: the article's fields in schema order,
    ``metadata`` flattened into its own fields at the end (the publication extras moved up)."""
    properties = article_schema()["properties"]
    metadata = properties["metadata"]["properties"]
    columns: list[tuple[str, dict, dict, bool]] = []
    for name, prop in properties.items():
        if name == "metadata":
            continue
        columns.append((name, prop, properties, False))
        if name == "datePublished":
            columns.append(("publishedDate", {"type": "string", "format": "date"}, {}, False))
            columns.append(("datePublishedPrecision", metadata["datePublishedPrecision"], {}, True))
    columns += [(name, prop, metadata, True) for name, prop in metadata.items() if name not in _PUBLISHED_EXTRAS]
    return columns


def columns() -> list[tuple[str, str, dict]]:
    """(column, where it comes from, its schema) in export order, for docs/export.md."""
    found = []
    for name, prop, _, in_metadata in _columns():
        if name in _PUBLISHED_EXTRAS:
            source = "derived"
        else:
            source = f"metadata.{name}" if in_metadata else name
        found.append((name, source, prop))
    return found


def arrow_schema():
    """The export's one Arrow schema, made from the article schema (a field added there is a column here)."""
    import pyarrow as pa

    fields = []
    for name, prop, siblings, _ in _columns():
        kind = pa.date32() if name == "publishedDate" else _arrow_type(pa, name, prop, siblings)
        fields.append((name, kind))
    return pa.schema(fields)


def _instant(value) -> datetime | None:
    """An ISO date-time, or a bare day (its start in Amsterdam), as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=AMSTERDAM)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _cell(value, prop: dict, instant: bool):
    """One value as its column holds it."""
    if value is None:
        return None
    if instant:
        return _instant(value)
    kind = prop.get("type")
    if kind == "object":
        props = prop.get("properties")
        if props:
            return {key: _cell(value.get(key), sub, _is_instant(key, sub, props)) for key, sub in props.items()}
        return sorted(as_dict(value).items()) or None  # a map: key/value pairs
    if kind == "array" and isinstance(value, list):
        return [_cell(v, prop.get("items") or {}, False) for v in value]
    if kind in (None, "string") and not isinstance(value, str):
        return str(value)  # an id a reader typed as a number is still the site's id, as text
    return value


def row(item: dict) -> dict:
    """One article as a row of the export schema."""
    metadata = as_dict(item.get("metadata"))
    published = _instant(item.get("datePublished"))
    values: dict = {}
    for name, prop, siblings, in_metadata in _columns():
        if name == "publishedDate":
            values[name] = published.astimezone(AMSTERDAM).date() if published else None
        elif name == "datePublishedPrecision":
            values[name] = metadata.get(name, "second") if published else None
        else:
            value = (metadata if in_metadata else item).get(name)
            values[name] = _cell(value, prop, _is_instant(name, prop, siblings))
    return values


def write_parquet(items: Iterable[dict], out: Path, cluster_of: ClusterOf | None = None) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    if cluster_of is not None:
        schema = schema.append(pa.field("clusterId", pa.string()))
    rows = [row(item) | ({"clusterId": cluster_of(item)} if cluster_of else {}) for item in items]
    table = pa.Table.from_pylist(rows, schema=schema)
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
            default=_json_time,  # a time inside a nested value (a live blog update's) as ISO text
        )
    return value


def _json_time(value):
    if isinstance(value, datetime):
        return value.astimezone(AMSTERDAM).isoformat()
    raise TypeError(f"{type(value).__name__} in a nested value")


def write_csv(items: Iterable[dict], out: Path, raw: bool = False, cluster_of: ClusterOf | None = None) -> int:
    """CSV with a header; a cell that starts like a formula (=, +, -, @, tab, CR) gets a leading
    apostrophe so spreadsheets show it as text, unless ``raw``."""
    names = arrow_schema().names + (["clusterId"] if cluster_of else [])
    cell = (lambda value: value) if raw else csv_cell
    count = 0
    with out.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(names)
        for item in items:
            values = row(item) | ({"clusterId": cluster_of(item)} if cluster_of else {})
            writer.writerow([cell(_csv_value(values[name])) for name in names])
            count += 1
    return count
