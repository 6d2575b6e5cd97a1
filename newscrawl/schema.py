"""The article JSON Schema, loaded once and compiled once."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_VERSION = "1.1"


@cache
def article_schema() -> dict[str, Any]:
    return json.loads(resources.files("newscrawl").joinpath("schemas/article.schema.json").read_text("utf-8"))


@cache
def article_validator() -> Draft202012Validator:
    schema = article_schema()
    Draft202012Validator.check_schema(schema)
    # The format checker only checks date-time/uri when rfc3339-validator and
    # rfc3986-validator are installed (both are dependencies of this project).
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def field_order() -> list[str]:
    """Top-level fields in schema order: the column order of every exported line."""
    return list(article_schema()["properties"])
