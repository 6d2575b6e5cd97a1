"""The human documentation of the item, generated from schemas/article.schema.json: the fields
table (``newscrawl schema-doc > docs/fields.md``) and the export's columns (``newscrawl schema-doc
--export > docs/export.md``). A test fails when a committed page and the code differ.
"""

from __future__ import annotations

import json
from typing import Any

from newscrawl.article.schema import SCHEMA_VERSION, article_schema


def _type(spec: dict[str, Any]) -> str:
    if "const" in spec:
        return f"`{json.dumps(spec['const'], ensure_ascii=False)}`"
    if "enum" in spec:
        return "one of " + ", ".join(f"`{value}`" for value in spec["enum"])
    kind = spec.get("type", "string")
    if kind == "array":
        return f"list of {_type(spec.get('items', {}))}"
    if spec.get("format"):
        return f"{kind} ({spec['format']})"
    return kind


def _article_required(schema: dict[str, Any]) -> dict[str, set[str]]:
    """What an article line requires, by object path ("" the line, "metadata."): the rule that names
    what a line without metadata.withdrawn must hold adds to what every line requires."""
    required = {"": set(schema.get("required", [])), "metadata.": set(schema["properties"]["metadata"]["required"])}
    for rule in schema.get("allOf", []):
        otherwise = rule.get("else", {})
        if "withdrawn" in str(rule.get("if")) and otherwise:
            required[""] |= set(otherwise.get("required", []))
            required["metadata."] |= set(otherwise["properties"]["metadata"]["required"])
    return required


def _rows(
    properties: dict[str, Any], required: set[str], prefix: str = "", article: dict[str, set[str]] | None = None
) -> list[tuple[str, str, str, str, str]]:
    rows = []
    required = required | (article or {}).get(prefix, set())
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        example = spec.get("examples", [None])[0]
        rows.append(
            (
                f"`{path}`",
                _type(spec),
                "yes" if name in required else "no",
                " ".join(spec.get("description", "").split()),
                f"`{json.dumps(example, ensure_ascii=False)}`" if example is not None else "",
            )
        )
        if spec.get("type") == "object" and "properties" in spec:
            rows += _rows(spec["properties"], set(spec.get("required", [])), f"{path}.", article)
        items = spec.get("items", {})
        if spec.get("type") == "array" and items.get("type") == "object":
            rows += _rows(items["properties"], set(items.get("required", [])), f"{path}[].")
    return rows


def _table_row(cells) -> str:
    """One Markdown table row (a | inside a cell escaped)."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def render() -> str:
    schema = article_schema()
    lines = [
        f"# Article fields (schema version {SCHEMA_VERSION})",
        "",
        "Generated from `schemas/article.schema.json` by `newscrawl schema-doc`; do not edit by hand.",
        "Each line of a dataset is one JSON object with these fields, in this order. Optional fields are",
        'omitted when unknown, never filled with guesses. "required" is what an article line holds; a',
        "withdrawal line (`metadata.withdrawn`) holds only `url`, `canonicalUrl`, `site`, `articleId` and `metadata`.",
        "",
        "| field | type | required | meaning | example |",
        "|---|---|---|---|---|",
    ]
    article = _article_required(schema)
    lines += [_table_row(row) for row in _rows(schema["properties"], set(), article=article)]
    for rule in schema.get("allOf", []):
        lines += ["", f"Rule: {rule.get('$comment', '')}"]
    return "\n".join(lines) + "\n"


def _csv_form(arrow_type) -> str:
    """How a CSV cell holds a column of this Arrow type."""
    text = str(arrow_type)
    if text.startswith("timestamp"):
        return "ISO 8601 with the Amsterdam offset"
    if text.startswith("date32"):
        return "YYYY-MM-DD"
    if text.startswith(("list", "struct", "map")):
        return "JSON text"
    return {"int32": "integer", "double": "number", "bool": "true/false"}.get(text, "text")


def render_export() -> str:
    """docs/export.md: the columns of `newscrawl export` (Parquet and CSV), made from the code that writes them."""
    from newscrawl.tools.export import EXTRA_MEANINGS, arrow_schema, columns

    schema = arrow_schema()
    lines = [
        f"# Export columns (schema version {SCHEMA_VERSION})",
        "",
        "Generated from `newscrawl/tools/export.py` and `schemas/article.schema.json` by",
        "`newscrawl schema-doc --export`; do not edit by hand.",
        "",
        "`newscrawl export FILE… -o out.parquet` (or `out.csv`) writes one row per article (its latest",
        "revision, unless `--all-revisions`) with the columns below, in this order. It differs from the",
        "JSONL lines in three ways:",
        "",
        "- `metadata` is flattened: each of its fields is a top-level column (`revision`, `contentHash`, …);",
        "- two columns are added after `datePublished`: `publishedDate` and `datePublishedPrecision`;",
        "- types are explicit: `articleId` is text, times are timestamps with the Europe/Amsterdam zone",
        "  (a bare-day `datePublished` becomes that day's start; `datePublishedPrecision` says so), lists and",
        "  objects stay lists and structs in Parquet and are JSON text in CSV, a free-form map",
        "  (`sources`) is a map of text to text.",
        "",
        "An empty CSV cell (a Parquet null) is a field the article lacks. CSV cells that a spreadsheet would",
        "run as a formula (starting with `=`, `+`, `-`, `@`, a tab or CR) get a leading `'` unless `--csv-raw`.",
        "",
        "| column | from | Parquet type | CSV cell | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, source, prop in columns():
        arrow_type = schema.field(name).type
        meaning = EXTRA_MEANINGS.get(name) or " ".join(prop.get("description", "").split())
        cells = [f"`{name}`", "derived" if source == "derived" else f"`{source}`", f"`{arrow_type}`"]
        lines.append(_table_row([*cells, _csv_form(arrow_type), meaning]))
    lines += [
        "",
        "With `--clusters CLUSTERS` (a file `newscrawl clusters` wrote), one more column comes last:",
        "",
        "| column | from | Parquet type | CSV cell | meaning |",
        "|---|---|---|---|---|",
        _table_row(
            [
                "`clusterId`",
                "the clusters file",
                "`string`",
                "text",
                "The cluster of near-identical articles the article belongs to (the same story on several sites or "
                "days: docs/clusters.md): the site:articleId of the article the cluster was founded on. An article "
                "in no cluster of two or more is a cluster of its own: its own site:articleId.",
            ]
        ),
    ]
    return "\n".join(lines) + "\n"
