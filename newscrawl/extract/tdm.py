"""Reserved rights: whether the publisher reserved text-and-data mining (EU DSM Directive, Art. 4),
read as the W3C TDM Reservation Protocol (TDMRep, final report of 2024) says.

Three places may say it: the site's ``/.well-known/tdmrep.json`` (rules by path), the response's
``tdm-reservation`` and ``tdm-policy`` headers, and the page's ``<meta name="tdm-reservation">``
and ``<meta name="tdm-policy">``. TDMRep's processing priority: the file is read first, a header
supersedes it, the page's metadata supersedes both. ``tdm-reservation`` is 1 (reserved) or 0 (not
reserved); any other value is a protocol error, read as unset: that place then says nothing, and
the item's warnings say why. Nothing said anywhere is not a reservation (``reserved: false``,
``source: "none"``).

The file is a publisher's declaration, read as data: at most ``MAX_RULES`` rules, patterns matched
without regular expressions (``*`` and a final ``$``, as robots.txt), in time linear in the path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

MAX_RULES = 1000
MAX_PATTERN = 2048
WELL_KNOWN = "/.well-known/tdmrep.json"


@dataclass(frozen=True)
class Declaration:
    """One place's say: reserved or not, and the policy it names (only kept when reserved)."""

    reserved: bool
    policy: str | None
    source: str  # "tdmrep.json" | "header" | "meta" | "none"

    def as_metadata(self) -> dict[str, Any]:
        found: dict[str, Any] = {"reserved": self.reserved, "source": self.source}
        if self.reserved and self.policy:
            found["policy"] = self.policy
        return found


NOTHING_SAID = Declaration(False, None, "none")


def reservation(value: object) -> int | None:
    """1 or 0; anything else (absent, "yes", 2, "") is unset."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in (0, 1) else None
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value.strip())
    return None


def _policy(value: object) -> str | None:
    if isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")) and len(value) < 2048:
        return value.strip()
    return None


@dataclass(frozen=True)
class Rule:
    location: str
    reserved: bool
    policy: str | None


def read_rules(body: bytes) -> tuple[tuple[Rule, ...], str | None]:
    """The rules of a tdmrep.json, and why it was not read whole (None when it was)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return (), f"not JSON: {str(exc)[:120]}"
    if not isinstance(data, list):
        return (), "not a JSON array of rules"
    rules: list[Rule] = []
    skipped = 0
    for entry in data[:MAX_RULES]:
        found = reservation(entry.get("tdm-reservation")) if isinstance(entry, dict) else None
        location = entry.get("location") if isinstance(entry, dict) else None
        if (
            found is None
            or not isinstance(location, str)
            or not location.startswith("/")
            or len(location) > MAX_PATTERN
        ):
            skipped += 1
            continue
        rules.append(Rule(location, found == 1, _policy(entry.get("tdm-policy"))))
    problems = []
    if skipped:
        problems.append(f"{skipped} rules without a location and a tdm-reservation of 0 or 1 were ignored")
    if len(data) > MAX_RULES:
        problems.append(f"{len(data)} rules: only the first {MAX_RULES} are read")
    return tuple(rules), "; ".join(problems) or None


def matches(pattern: str, path: str) -> bool:
    """robots.txt matching: the pattern is a prefix of the path, ``*`` any run of characters, a
    final ``$`` the path's end. Greedy and leftmost, so linear in the path (no backtracking)."""
    anchored = pattern.endswith("$")
    parts = unquote(pattern[:-1] if anchored else pattern).split("*")
    path = unquote(path)
    if not path.startswith(parts[0]):
        return False
    position = len(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        last = index == len(parts) - 1
        if last and anchored:
            return len(path) - position >= len(part) and path.endswith(part)
        found = path.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return position == len(path) if anchored else True


def file_declaration(rules: tuple[Rule, ...], path: str) -> Declaration | None:
    """The first rule whose location matches the path ("the most specific match is the first in sequence")."""
    for rule in rules:
        if matches(rule.location, path):
            return Declaration(rule.reserved, rule.policy, "tdmrep.json")
    return None


def declaration(
    from_file: Declaration | None,
    header: tuple[str | None, str | None],
    meta: tuple[str | None, str | None],
    warnings: list[str],
) -> Declaration:
    """What holds for the page: the page's metadata over the header over the file (TDMRep's
    processing priority); a protocol error is unset there, with a warning."""
    chosen = from_file or NOTHING_SAID
    for source, (value, policy) in (("header", header), ("meta", meta)):
        if value is None:
            continue
        found = reservation(value)
        if found is None:
            warnings.append(f"tdm: the {source}'s tdm-reservation {value[:40]!r} is not 0 or 1: read as unset")
            continue
        chosen = Declaration(found == 1, _policy(policy), source)
    return chosen
