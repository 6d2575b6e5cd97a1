"""An article's text as a set of word shingles: what near-duplicate detection compares.

Two texts that share most of their five-word runs are copies of one another, whatever their
punctuation, case, quotes or line breaks; a story rewritten in other words shares almost none.
"""

from __future__ import annotations

import re
import unicodedata

SHINGLE_WORDS = 5  # words per shingle: long enough that two different stories share almost none
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The text's words, case-folded, accents and punctuation set aside ("Café’s" → "cafe", "s")."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The distinct runs of ``size`` words; a text shorter than that is one shingle (or none)."""
    found = words(text)
    if len(found) <= size:
        return {" ".join(found)} if found else set()
    return {" ".join(found[i : i + size]) for i in range(len(found) - size + 1)}


def article_text(item: dict[str, object]) -> str:
    """What two copies of a story share: headline, lead and body (not bylines, dates or links)."""
    return "\n".join(str(item.get(name) or "") for name in ("headline", "description", "articleBody"))
