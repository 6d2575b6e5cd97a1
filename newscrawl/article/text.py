"""Text normalisation shared by all sites (docs/sites/README.md: Text, Body).

Every text field goes through :func:`normalize_text`; body blocks are read from
lxml elements with :func:`block_text` so that ``<br>`` survives as a line break
while inline tags add no spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

# Zero-width characters and the soft hyphen: invisible on the page, noise in data.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))

# Elements whose text is never part of a block (scripts, styles, embedded media).
_NON_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "video", "audio", "object"})


def normalize_text(value: str | None) -> str:
    """NFC, invisible characters removed, whitespace runs collapsed, trimmed.

    Typographic quotes, dashes and ellipses are kept as they are.
    """
    if not value:
        return ""
    if not value.isascii():  # ASCII is NFC already and has no invisible characters
        value = unicodedata.normalize("NFC", value).translate(_INVISIBLE)
    # str.split() splits on the same Unicode whitespace as re's \s (U+00A0 included), and is 5x faster.
    return " ".join(value.split())


def normalize_lines(value: str | None) -> str:
    """Like :func:`normalize_text`, but keeps line breaks: each line normalised, empty lines dropped."""
    if not value:
        return ""
    lines = (normalize_text(line) for line in value.split("\n"))
    return "\n".join(line for line in lines if line)


def block_text(element: etree._Element) -> str:
    """The normalised text of one body block (a ``p``, ``h2``, ``li`` …).

    ``<br>`` becomes a newline; text nodes of inline tags are joined with "" so
    ``zei <a>eerder</a>, en`` reads ``zei eerder, en``. Walked with an explicit stack, not
    recursion: a page with thousands of nested inline tags is still one block of text.
    """
    parts: list[str] = []
    if element.text:
        parts.append(element.text)
    # Each entry: an element to open, or a tail string to emit after a subtree.
    stack: list[etree._Element | str] = list(reversed(element))
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
            continue
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if node.tail:
            stack.append(node.tail)
        if tag in _NON_TEXT_TAGS:
            continue  # skip the element's own content but keep the text that follows it
        if tag == "br":
            parts.append("\n")
        elif node.text and tag:
            parts.append(node.text)
        stack.extend(reversed(node))
    return normalize_lines("".join(parts))


def join_blocks(blocks: Iterable[str]) -> str:
    """Body assembly: non-empty blocks in order, separated by a blank line."""
    return "\n\n".join(block for block in blocks if block)


def normalize_body(value: str | None) -> str:
    """A body already joined by blank lines: each block normalised, the blank lines kept."""
    if not value:
        return ""
    return join_blocks(normalize_lines(block) for block in value.split("\n\n"))


def word_count(text: str) -> int:
    return len(text.split())


def unique(values: Iterable[str]) -> list[str]:
    """Values in first-seen order without duplicates or empties."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


# Phrases that only ever appear in site chrome (menus, widgets, CTAs, footers).
# Parsers must never let them into an item; tests check every emitted item.
BOILERPLATE_PHRASES: tuple[str, ...] = (
    # NU.nl (docs/sites/nu.md)
    "Ga naar de inhoud",
    "Lees ook",
    "Advertentie",
    "NUjij-reacties",
    "Reacties op dit nieuwsbericht",
    "Log in en lees reacties",
    "Lees reacties, stel vragen",
    "NU.nl gebruikt cookies",
    "Instellingen aanpassen",
    "Volg ons op sociale media",
    "NU.nl is onderdeel van DPG Media",
    "KvK Nummer",
    "Alle rechten voorbehouden",
    "Luister NU praat je bij",
    # WNL (docs/sites/wnl.md)
    "Maak nu het verschil",
    "Word lid van WNL",
    "Steun WNL",
    "Luister de podcast",
    "Tekstgrootte",
    "Artikel delen",
    "Gekopieerd",
    "Ook de moeite waard",
    "Meest gelezen",
    "Meer van WNL",
    "Wij gebruiken cookies",
)


# Lone surrogates cannot be encoded as UTF-8 (the line would never be written); C0/C1 control
# characters (but newline and tab) break terminals, CSV readers and some JSON tools; bidirectional
# embeddings, overrides and isolates (U+202A-202E, U+2066-2069) reorder what a reader sees (the
# "Trojan Source" trick), and tag characters (U+E0000-E007F) hide text no one sees.
_UNCLEAN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]")


def map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` (a string, or lists and objects of them: an item, an alert) with every string
    value passed through ``change``; keys and other values as they are."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [map_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {key: map_strings(item, change) for key, item in value.items()}
    return value


def clean_unicode(value: Any, counts: Counter[str]) -> Any:
    """``value`` (a string, or lists and dicts of them) as clean Unicode: lone surrogates become
    U+FFFD, control characters other than newline and tab are removed; ``counts`` says how many."""
    if isinstance(value, str):
        if _UNCLEAN.search(value) is None:
            return value

        def fix(match: re.Match[str]) -> str:
            char = match.group()
            if "\ud800" <= char <= "\udfff":
                counts["surrogates_replaced"] += 1
                return "\ufffd"
            if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
                counts["bidi_controls_removed"] += 1
            elif char >= "\U000e0000":
                counts["tag_chars_removed"] += 1
            else:
                counts["control_chars_removed"] += 1
            return ""

        return _UNCLEAN.sub(fix, value)
    if isinstance(value, list):
        return [clean_unicode(v, counts) for v in value]
    if isinstance(value, dict):
        return {clean_unicode(k, counts): clean_unicode(v, counts) for k, v in value.items()}
    return value
