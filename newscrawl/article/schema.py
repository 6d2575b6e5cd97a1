"""The article JSON Schema, loaded once and compiled once."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_VERSION = "1.3"


@cache
def article_schema() -> dict[str, Any]:
    return json.loads(resources.files("newscrawl").joinpath("schemas/article.schema.json").read_text("utf-8"))


def registered_schema() -> dict[str, Any]:
    """The schema as this installation checks it: ``site`` must also be a registered site.

    The published file says only the pattern of a site name (consumers need no list of sites);
    the crawler, which knows its registry, refuses an item of a site it does not have.
    """
    from newscrawl.sites.registry import sites

    schema = copy.deepcopy(article_schema())
    schema["properties"]["site"]["enum"] = sorted(sites())
    return schema


@cache
def article_validator() -> Draft202012Validator:
    schema = registered_schema()
    Draft202012Validator.check_schema(schema)
    # The format checker only checks date-time/uri when rfc3339-validator and
    # rfc3986-validator are installed (both are dependencies of this project).
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def field_order() -> list[str]:
    """Top-level fields in schema order: the column order of every exported line."""
    return list(article_schema()["properties"])
