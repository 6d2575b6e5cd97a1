"""The human documentation of the item: a fields table generated from schemas/article.schema.json.

``newscrawl schema-doc > docs/fields.md``; a test fails when the committed table and the schema differ.
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


def _rows(properties: dict[str, Any], required: set[str], prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    rows = []
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
            rows += _rows(spec["properties"], set(spec.get("required", [])), f"{path}.")
        items = spec.get("items", {})
        if spec.get("type") == "array" and items.get("type") == "object":
            rows += _rows(items["properties"], set(items.get("required", [])), f"{path}[].")
    return rows


def render() -> str:
    schema = article_schema()
    lines = [
        f"# Article fields (schema version {SCHEMA_VERSION})",
        "",
        "Generated from `schemas/article.schema.json` by `newscrawl schema-doc`; do not edit by hand.",
        "Each line of a dataset is one JSON object with these fields, in this order. Optional fields are",
        "omitted when unknown, never filled with guesses.",
        "",
        "| field | type | required | meaning | example |",
        "|---|---|---|---|---|",
    ]
    for row in _rows(schema["properties"], set(schema.get("required", []))):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    for rule in schema.get("allOf", []):
        lines += ["", f"Rule: {rule.get('$comment', '')}"]
    return "\n".join(lines) + "\n"
