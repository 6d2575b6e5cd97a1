"""The dataset tools read lines with msgspec and validate them with jsonschema-rs first: both must
say exactly what json and jsonschema (the references the crawl's pipeline uses) say.

The fast validator's yes is final; its no, or anything it cannot take, goes to the reference. So it
agrees when it never accepts what the reference refuses, and accepts the lines a crawl writes (or
it saves nothing). Every kind of invalid line is made from valid ones by breaking one keyword of
the schema at each place it applies: the walk below reads the schema, so a keyword added there is
tested here.
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscrawl.article.schema import SCHEMA_VERSION, article_schema, fast_validity
from newscrawl.extract.registry import quick_schema_errors, schema_errors, sites
from newscrawl.tools.dataset import parse_line

FIXTURES = Path(__file__).parent / "fixtures"


def _valid_items() -> list[dict]:
    """The fixtures' expected articles as complete lines, and a withdrawal line."""
    items = []
    for path in sorted(FIXTURES.glob("*/expected/*.json")):
        item = json.loads(path.read_text("utf-8"))
        if item.get("site") not in sites():
            continue
        item["metadata"].setdefault("revision", 1)
        if not schema_errors(item):  # some expect a page to be refused (an empty article)
            items.append(item)
    withdrawal = {
        "url": "https://www.nu.nl/binnenland/6400101/x.html",
        "canonicalUrl": "https://www.nu.nl/binnenland/6400101/x.html",
        "site": "nu",
        "articleId": "6400101",
        "metadata": {
            "dateDownloaded": "2025-04-02T09:00:00Z",
            "contentHash": "0" * 64,
            "schemaVersion": SCHEMA_VERSION,
            "discoveredVia": "revisit",
            "withdrawn": "2025-04-02T09:00:00Z",
            "httpStatus": 410,
            "revision": 2,
        },
    }
    return items + [withdrawal]


VALID = _valid_items()


def _fast(item: Any) -> bool:
    return fast_validity(tuple(sorted(sites())))(item)


def test_the_fixtures_lines_are_valid_to_both():
    assert len(VALID) >= 15
    for item in VALID:
        assert schema_errors(item) == [], item["url"]
        assert _fast(item), f"the fast validator refuses a valid line: {item['url']}"


# Values that break a keyword, by keyword (the schema's value for it is given to choose one).
def _breakers(keyword: str, rule: Any, prop: dict) -> list[Any]:
    if keyword == "type":
        kinds = rule if isinstance(rule, list) else [rule]
        wrong = {"string": 7, "integer": "7", "number": "7.5", "boolean": "true", "array": "x", "object": ["x"]}
        found = [wrong[kind] for kind in kinds if kind in wrong]
        if "integer" in kinds:
            found += [7.5, True]  # a fraction; a boolean is no integer to jsonschema
        if "boolean" in kinds:
            found += [1, None]
        return found
    if keyword == "enum":
        return ["not-one-of-them", (rule[0] + " ") if isinstance(rule[0], str) else -12345]
    if keyword == "const":
        return [False] if rule is True else ["other"]
    if keyword == "pattern":
        return ["", " ", "x\ny", "nl\n\n", "٢٠٢٥-03-31", "HTTPS://x", "https://x?y#z", "ab1", "0" * 63]
    if keyword == "format":
        return {
            "date-time": [
                "2025-03-31T14:05:00",
                "2025-03-31t14:05:00+02:00",
                "2025-13-31T14:05:00+02:00",
                "2025-02-30T14:05:00+02:00",
                "2016-12-31T23:59:60Z",  # a leap second: the reference's checker refuses it
                "0000-01-01T00:00:00Z",  # year 0: likewise
                "2025-03-31T14:05:00+24:00",
                "2025-03-31T25:05:00Z",
                "2025-03-31 14:05:00Z",
            ],
            "date": ["2025-02-30", "2025-13-01", "0000-01-01", "2025-3-1", "20250331"],
            "uri": [
                "",
                "no scheme",
                "/relative/path",
                "https://www.nu.nl/a b",
                "https://[::1/x",
                "https://x/%zz",
                "1x://y",
            ],
        }.get(rule, [])
    if keyword in ("minimum", "maximum"):
        step = -1 if keyword == "minimum" else 1
        return [rule + step, rule + step * 0.5]
    if keyword == "minLength":
        return ["" if rule == 1 else "x" * (rule - 1)]
    if keyword == "minItems":
        return [[]] if rule == 1 else []
    if keyword == "maxItems":
        return [[prop.get("items", {}).get("examples", ["x"])[0]] * (rule + 1)]
    if keyword == "uniqueItems":
        return []  # made from the item's own list below
    return []


def _mutations(item: dict) -> Iterator[tuple[str, dict]]:
    """Each way of breaking one keyword at one place of ``item`` (where ``item`` has the field)."""
    schema = article_schema()
    yield from _walk(schema, item, [], item)
    # Object-level keywords: a field too many, a required field missing, and the allOf's rule that
    # a withdrawal line holds no text.
    for path, obj_schema, value in _objects(schema, item, []):
        if obj_schema.get("additionalProperties") is False:
            yield f"{'/'.join(map(str, path))}: additional property", _set(item, path, {**value, "unknownField": 1})
        for name in obj_schema.get("required", []):
            if name in value:
                yield (
                    f"{'/'.join(map(str, path))}: required {name}",
                    _set(item, path, {k: v for k, v in value.items() if k != name}),
                )
    if "withdrawn" in item["metadata"]:
        yield "(item): withdrawal with text", {**item, "headline": "Terug", "articleBody": "Tekst."}
    else:
        yield "metadata: withdrawn on an article", _set(item, ["metadata", "withdrawn"], "2025-04-02T09:00:00Z")


def _objects(schema: dict, value: Any, path: list) -> Iterator[tuple[list, dict, dict]]:
    if isinstance(value, dict) and schema.get("type") == "object":
        yield path, schema, value
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                yield from _objects(sub, value[name], path + [name])
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, element in enumerate(value[:2]):
            yield from _objects(schema["items"], element, path + [index])


def _walk(schema: dict, value: Any, path: list, item: dict) -> Iterator[tuple[str, dict]]:
    where = "/".join(map(str, path)) or "(item)"
    for keyword, rule in schema.items():
        for broken in _breakers(keyword, rule, schema):
            yield f"{where}: {keyword} {broken!r}", _set(item, path, broken)
    if schema.get("uniqueItems") and isinstance(value, list) and value:
        yield f"{where}: uniqueItems", _set(item, path, value + [copy.deepcopy(value[0])])
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                yield from _walk(sub, value[name], path + [name], item)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, element in enumerate(value[:2]):
            yield from _walk(schema["items"], element, path + [index], item)


def _set(item: dict, path: list, value: Any) -> dict:
    if not path:
        return value
    changed = copy.deepcopy(item)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def test_every_kind_of_invalid_line_is_refused_as_the_reference_refuses_it():
    kinds: set[str] = set()
    refused = accepted_by_reference = 0
    for item in VALID:
        for what, broken in _mutations(item):
            reference = schema_errors(broken)
            fast = _fast(broken)
            # The one direction that would let an invalid line through:
            assert not (fast and reference), f"{what}: the fast validator accepts what jsonschema refuses: {reference}"
            # What the dataset tools report is the reference's word, message for message.
            assert quick_schema_errors(broken) == reference, what
            if reference:
                refused += 1
                kinds.add(what.split(": ", 1)[1].split(" ", 1)[0])
            else:
                accepted_by_reference += 1
    assert refused > 1000
    assert {"type", "enum", "pattern", "format", "minimum", "maximum", "minLength", "uniqueItems"} <= kinds
    assert {"additional", "required", "withdrawal", "withdrawn"} <= kinds


URI_PARTS = [*"/?#[]@!$&'()*+,;=%-._~:", " ", "\n", "\t", "<", ">", "{", "}", "|", "\\", "^", "`", '"', "é", "\u00a0"]
URI_PARTS += ["https://", "http://", "www.nu.nl", "[::1]", "[v1.x]", ":80", ":99999", "user:pw@", "%2", "%zz", "%20"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(URI_PARTS) | st.text(string.ascii_letters + string.digits, max_size=3), max_size=8),
    st.sampled_from(["url", "canonicalUrl", "relatedUrls", "mainImage"]),
    st.booleans(),
)
def test_a_url_the_reference_refuses_is_never_quick_valid(parts, field, scheme):
    url = ("https://" if scheme else "") + "".join(parts)
    item = copy.deepcopy(VALID[0])
    if field == "relatedUrls":
        item[field] = [url]
    elif field == "mainImage":
        item[field] = {"url": url}
    else:
        item[field] = url
    assert not (_fast(item) and schema_errors(item)), url


DATE_PARTS = [
    "2025",
    "0000",
    "9999",
    "-",
    "03",
    "13",
    "31",
    "30",
    "02",
    "T",
    "t",
    " ",
    "14",
    "23",
    "24",
    ":",
    "59",
    "60",
]
DATE_PARTS += ["00", ".5", "Z", "z", "+02:00", "-00:00", "+24:00", "\n", "٢"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(DATE_PARTS), min_size=3, max_size=14), st.sampled_from(["dateModified", "dateDownloaded"])
)
def test_a_date_the_reference_refuses_is_never_quick_valid(parts, field):
    value = "".join(parts)
    item = copy.deepcopy(VALID[0])
    if field == "dateDownloaded":
        item["metadata"][field] = value
    else:
        item[field] = value
    assert not (_fast(item) and schema_errors(item)), value


# JSON texts that json and a fast reader might read differently.
EDGE_TEXTS = [
    b'{"a": 1, "a": 2}',
    b'{"n": 123456789012345678901234567890}',
    b'{"n": -123456789012345678901234567890}',
    b'{"n": 1e400}',
    b'{"n": -1e400}',
    b'{"n": NaN}',
    b'{"n": Infinity}',
    b'{"n": -0.0}',
    b'{"n": 1.00000000000000011102230246251565404236316680908203125}',
    b'{"s": "\\ud800"}',
    b'{"s": "\\udc00\\ud800"}',
    b'{"s": "\\u0000"}',
    b'\xef\xbb\xbf{"a": 1}',
    b'{"s": "\xff"}',
    b'{"a": 1}x',
    b"[1,]",
    b"[" * 3000 + b"]" * 3000,
    b'{"a": 1}\r\n',
    b'  {"a": [] }  \n',
]


def _json(raw: bytes) -> Any:
    from newscrawl.tools.dataset import _no_constant

    return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)


def _outcome(read, raw: bytes) -> tuple[str, str]:
    try:
        return "value", repr(read(raw))
    except (ValueError, RecursionError) as exc:
        return "error", type(exc).__name__


@pytest.mark.parametrize("raw", EDGE_TEXTS, ids=range(len(EDGE_TEXTS)))
def test_lines_read_as_json_reads_them(raw):
    assert _outcome(parse_line, raw) == _outcome(_json, raw)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_any_json_value_reads_as_json_reads_it(value, ascii_only):
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert _outcome(parse_line, raw) == _outcome(_json, raw)
