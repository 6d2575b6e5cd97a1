"""The article JSON Schema, loaded once and compiled once."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_VERSION = "1.7"


@cache
def article_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        resources.files("newscrawl").joinpath("schemas/article.schema.json").read_text("utf-8")
    )
    return schema


def schema_for_sites(site_names: tuple[str, ...]) -> dict[str, Any]:
    """The schema as an installation checks it: ``site`` must also be one of its sites.

    The published file says only the pattern of a site name (consumers need no list of sites);
    the crawler, which knows its registry, refuses an item of a site it does not have.
    """
    schema = copy.deepcopy(article_schema())
    schema["properties"]["site"]["enum"] = sorted(site_names)
    return schema


@cache
def validator_for_sites(site_names: tuple[str, ...]) -> Draft202012Validator:
    schema = schema_for_sites(site_names)
    Draft202012Validator.check_schema(schema)
    # The format checker only checks date-time/uri when rfc3339-validator and
    # rfc3986-validator are installed (both are dependencies of this project).
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


_REQUIRED = re.compile(r"^'(.+)' is a required property$")


def _error_field(error: Any) -> str:
    """The JSON path of the offending field; for a missing field, the field itself."""
    path = "/".join(map(str, error.absolute_path))
    missing = _REQUIRED.match(error.message) if error.validator == "required" else None
    if missing:
        path = f"{path}/{missing.group(1)}" if path else missing.group(1)
    return path or "(item)"


@cache
def fast_validity(site_names: tuple[str, ...]) -> Callable[[Any], bool]:
    """A quick yes to "is this item valid?" for the dataset tools (jsonschema-rs, about 40 times
    faster than the reference validator above). Only its yes is used: a no, or anything it cannot
    take, is asked of the reference, whose messages are the ones shown. Its yes must therefore never
    accept what the reference refuses: dates are checked by the reference's own date and date-time
    checkers (jsonschema-rs alone accepts a leap second and year 0); its URI check is stricter than
    the reference's, which tests/test_fast_validation.py holds it to."""
    import jsonschema_rs

    checkers = Draft202012Validator.FORMAT_CHECKER
    validator = jsonschema_rs.validator_for(
        schema_for_sites(site_names),
        validate_formats=True,
        formats={name: _conforms(checkers, name) for name in ("date", "date-time")},
    )

    def is_valid(item: Any) -> bool:
        try:
            return bool(validator.is_valid(item))
        except (ValueError, TypeError, OverflowError):  # a value it cannot convert (a lone surrogate, a huge int)
            return False

    return is_valid


def _conforms(checkers: Any, name: str) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        return bool(checkers.conforms(value, name))

    return check


def errors_against(validator: Draft202012Validator, item: Any) -> list[str]:
    """``"field/path: message"`` for each violation, sorted by path."""
    errors = sorted(validator.iter_errors(item), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_error_field(e)}: {e.message}" for e in errors]


def field_order() -> list[str]:
    """Top-level fields in schema order: the column order of every exported line."""
    return list(article_schema()["properties"])
