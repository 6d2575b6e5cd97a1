"""Typed exports of datasets: Parquet (one explicit Arrow schema) and CSV.

JSON leaves types to the reader (pandas makes NU.nl's ids int64, DuckDB reads WNL's day-only
dates as text); an export says them once. Parquet keeps nested fields as lists and structs; CSV
writes them as JSON text, and neutralises cells that a spreadsheet would run as formulas. Times are instants with Amsterdam's zone; ``publishedDate`` is the
local day of publication and ``datePublishedPrecision`` says whether a time was known at all.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sized
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from newscrawl.article.dates import AMSTERDAM
from newscrawl.article.files import atomic_output
from newscrawl.article.schema import article_schema
from newscrawl.tools.dataset import UnplacedDates, placed_date, unplaced
from newscrawl.tools.present import FORMULA_START, as_dict

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


#: integer fields that pass 2**31: byte offsets in web archives of many gigabytes
WIDE_INTEGERS = frozenset({"recordOffset"})


def _arrow_type(pa, name: str, prop: dict, siblings: dict):
    kind = prop.get("type")
    if _is_instant(name, prop, siblings):
        return pa.timestamp("s", tz=TZ)
    if kind == "integer":
        return pa.int64() if name in WIDE_INTEGERS else pa.int32()
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


def _converter(prop: dict, instant: bool) -> Callable[[Any], Any]:
    """What makes a value of this schema a cell of its column (made once per column, not per value).
    None stays None; an instant becomes an aware datetime; an object with properties a struct, one
    without a map (key/value pairs); a list its items; a number where text is meant its text (an id a
    reader typed as a number is still the site's id)."""
    if instant:
        return _instant
    kind = prop.get("type")
    if kind == "object":
        props = prop.get("properties")
        if props:
            fields = [(key, _converter(sub, _is_instant(key, sub, props))) for key, sub in props.items()]
            return lambda value: None if value is None else {key: convert(value.get(key)) for key, convert in fields}
        return lambda value: None if value is None else (sorted(as_dict(value).items()) or None)
    if kind == "array":
        each = _converter(prop.get("items") or {}, False)
        return lambda value: [each(v) for v in value] if isinstance(value, list) else value
    if kind in (None, "string"):
        return lambda value: value if value is None or isinstance(value, str) else str(value)
    return lambda value: value


@cache
def _row_makers() -> list[tuple[str, bool, Callable[[Any], Any] | None]]:
    """(column, whether metadata holds it, its converter) for each column; None: a publication extra."""
    return [
        (name, in_metadata, None if name in _PUBLISHED_EXTRAS else _converter(prop, _is_instant(name, prop, siblings)))
        for name, prop, siblings, in_metadata in _columns()
    ]


#: the dates an export places in time: (column, whether metadata holds it) → its name in problems
#: (dataset.DATE_FIELDS: validate and stats place the same ones)
_PLACED = {
    ("datePublished", False): "datePublished",
    ("dateModified", False): "dateModified",
    ("dateDownloaded", True): "metadata/dateDownloaded",
}


def row(item: dict) -> dict:
    """One article as a row of the export schema; UnplacedDates when a date of it cannot be placed
    in time (all of them said, in dataset.DATE_FIELDS' order)."""
    metadata = as_dict(item.get("metadata"))
    values: dict = {}
    said: list[str] = []
    published = None
    for name, in_metadata, convert in _row_makers():
        if convert is None:
            if name == "publishedDate":
                values[name] = published.astimezone(AMSTERDAM).date() if published else None
            else:  # datePublishedPrecision
                values[name] = metadata.get(name, "second") if published else None
            continue
        value = (metadata if in_metadata else item).get(name)
        placed = _PLACED.get((name, in_metadata))
        if placed is None:
            values[name] = convert(value)
            continue
        try:
            values[name] = placed_date(value)
        except (ValueError, OverflowError):
            values[name] = None
            said.append(unplaced(placed, value))
        if name == "datePublished":
            published = values[name]
    if said:
        order = list(_PLACED.values())
        raise UnplacedDates(sorted(said, key=lambda text: order.index(text.split(":", 1)[0])))
    return values


#: rows per Parquet row group: an export holds one group at a time (about 30 MB of articles)
ROW_GROUP = 10_000


def write_parquet(rows: Iterable[dict], out: Path, clustered: bool = False, refused: Sized | None = None) -> int:
    """Parquet in row groups of ``ROW_GROUP`` articles (rows made by :func:`row`, with ``clusterId``
    when ``clustered``), written as they come; atomically, and not at all when ``refused`` holds
    anything once the rows are read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    if clustered:
        schema = schema.append(pa.field("clusterId", pa.string()))
    names = schema.names
    count = 0
    with atomic_output(out, refused) as target:
        with pq.ParquetWriter(target, schema) as writer:
            columns: list[list] = [[] for _ in names]
            for values in rows:
                for column, name in zip(columns, names):
                    column.append(values[name])
                if len(columns[0]) >= ROW_GROUP:
                    count += _write_group(writer, columns, schema)
                    columns = [[] for _ in names]
            if columns[0] or not count:
                count += _write_group(writer, columns, schema)
    return count


def _write_group(writer: Any, columns: list[list], schema: Any) -> int:
    """One row group, column by column (Arrow makes each column at once)."""
    import pyarrow as pa

    writer.write_table(pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, schema)], schema=schema))
    return len(columns[0])


def _csv_line(cells: Iterable, raw: bool = True) -> str:
    """One CSV row, as Python's csv module writes it (the excel dialect: a cell with a comma, a quote
    or a line break quoted, its quotes doubled; CRLF) but several times faster for long text. Each
    value as text: an instant in Amsterdam time, a day, a nested value as JSON; a text cell that
    starts like a formula gets a leading apostrophe unless ``raw``."""
    out = []
    for value in cells:
        kind = type(value)
        if value is None:
            text = ""
        elif kind is str:
            text = value if raw or not value.startswith(FORMULA_START) else "'" + value
        elif kind is datetime:
            text = value.astimezone(AMSTERDAM).isoformat()
        elif kind is date:
            text = value.isoformat()
        elif kind is list or kind is dict:
            text = _as_json(dict(value) if kind is list and value and isinstance(value[0], tuple) else value)
        else:
            text = str(value)
        if "," in text or '"' in text or "\n" in text or "\r" in text:
            text = '"' + text.replace('"', '""') + '"'
        out.append(text)
    if len(out) == 1 and not out[0]:
        out[0] = '""'  # the csv module's one empty cell
    return ",".join(out) + "\r\n"


def _json_time(value):
    if isinstance(value, datetime):
        return value.astimezone(AMSTERDAM).isoformat()
    raise TypeError(f"{type(value).__name__} in a nested value")


# json.dumps(value, ensure_ascii=False, default=_json_time), made once
_as_json = json.JSONEncoder(ensure_ascii=False, default=_json_time).encode


def write_csv(
    rows: Iterable[dict], out: Path, raw: bool = False, clustered: bool = False, refused: Sized | None = None
) -> int:
    """CSV with a header, of rows made by :func:`row` (with ``clusterId`` when ``clustered``); a cell
    that starts like a formula (=, +, -, @, tab, CR) gets a leading apostrophe so spreadsheets show
    it as text, unless ``raw``. Written row by row, atomically."""
    names = arrow_schema().names + (["clusterId"] if clustered else [])
    count = 0
    with atomic_output(out, refused) as target:
        stream = io.TextIOWrapper(target, encoding="utf-8", newline="")
        stream.write(_csv_line(names))
        for values in rows:
            stream.write(_csv_line([values[name] for name in names], raw))
            count += 1
        stream.flush()
        stream.detach()  # the atomic writer closes the file
    return count
