"""An item's text as a reader can use it: mojibake repaired, absurd sizes cut, each said in a warning.

A page's JSON-LD is often written by another system than its HTML: UTF-8 read as Windows-1252 on
the way gives ``RenÃ© Vermeulen``. ftfy's ``fix_encoding`` undoes exactly that (and nothing else:
quotes and dashes stay as the page has them); it runs only on text that shows the marks such
mojibake leaves, so a clean article costs a substring search. A hostile or broken page can also
carry a 200,000-character headline or 50,000 keywords: each field has a size no real article
reaches, and is cut there with a warning (``metadata.warnings``, counted as ``item_warnings/<field>``).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from newscrawl.article.text import map_strings

#: characters past which a text field is cut (a long read's body is ~50,000)
TEXT_LIMITS = {
    "headline": 1_000,
    "description": 5_000,
    "articleBody": 500_000,
    "articleSection": 500,
    "datePublishedRaw": 500,
    "dateModifiedRaw": 500,
}
#: (entries, characters per entry) past which a list field is cut
LIST_LIMITS = {"authors": (50, 300), "keywords": (100, 200), "relatedUrls": (500, 2_048)}
#: fields whose text may carry mojibake (URLs and dates do not)
REPAIRED = ("headline", "description", "articleBody", "authors", "articleSection", "keywords")
# What UTF-8 read as Windows-1252 or Latin-1 leaves in Dutch text: Ã before é, ë …; Â before a
# no-break space or °; â€ before curly quotes, dashes and €.
_MOJIBAKE_MARKS = ("Ã", "Â", "â€")


def _repair(text: str) -> str:
    if not any(mark in text for mark in _MOJIBAKE_MARKS):
        return text
    import ftfy  # only for the rare page that needs it

    return str(ftfy.fix_encoding(text))


def _first_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    for part in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        found = _first_text(part)
        if found:
            return found
    return ""


def _cut_entry(value: Any, chars: int) -> Any:
    if isinstance(value, str):
        return value[:chars]
    if isinstance(value, dict):
        return {k: v[:chars] if isinstance(v, str) else v for k, v in value.items()}
    return value


def repair_and_cap(item: MutableMapping[str, Any]) -> list[str]:
    """Repair mojibake and cut absurd sizes in ``item`` (in place); one warning per field changed."""
    warnings: list[str] = []
    for name in REPAIRED:
        value = item.get(name)
        fixed = map_strings(value, _repair)  # authors are {name, url}
        if fixed != value:
            item[name] = fixed
            before = _first_text([v for v, f in zip(value, fixed) if v != f] if isinstance(value, list) else value)
            warnings.append(f"{name}: mojibake repaired ({before[:40]!r} was text decoded with the wrong charset)")
    for name, limit in TEXT_LIMITS.items():
        value = item.get(name)
        if isinstance(value, str) and len(value) > limit:
            item[name] = value[:limit]
            warnings.append(f"{name}: {len(value)} characters, cut to {limit} (no article's {name} is that long)")
    for name, (entries, chars) in LIST_LIMITS.items():
        value = item.get(name)
        if not isinstance(value, list):
            continue
        long = [v for v in value[:entries] if _cut_entry(v, chars) != v]
        if name == "relatedUrls":  # a cut URL is a wrong one: an over-long one is left out
            cut = [v for v in value[:entries] if _cut_entry(v, chars) == v]
        else:
            cut = [_cut_entry(v, chars) for v in value[:entries]]
        if len(value) > entries:
            warnings.append(f"{name}: {len(value)} entries, cut to {entries}")
        if long:
            what = "left out" if name == "relatedUrls" else "cut"
            warnings.append(f"{name}: {len(long)} entries over {chars} characters {what}")
        if cut != value:
            item[name] = cut
    return warnings
