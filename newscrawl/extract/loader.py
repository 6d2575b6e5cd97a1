"""ArticleLoader: input/output processors that turn extracted strings into item fields.

Site parsers add raw values (in order of precedence where a field has several
sources); the processors normalise text, split author and keyword lists, turn
dates into Amsterdam ISO 8601 and canonicalise links. :func:`finish_article`
then adds the derived fields (wordCount, metadata).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from typing import Any

from itemloaders.processors import MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from newscrawl.article.dates import format_utc, normalize_date
from newscrawl.article.schema import SCHEMA_VERSION
from newscrawl.article.text import normalize_text, unique, word_count
from newscrawl.extract import agencies
from newscrawl.extract.item import ArticleItem
from newscrawl.extract.urls import article_key, normalize_url

_AUTHOR_SEPARATORS = re.compile(r"\s*(?:,|&|\ben\b|\bm\.m\.v\.)\s*", re.IGNORECASE)
# Where a byline line goes on to the date or place: "Door Ilse de Groot · 1 april 2025, 09:30".
_BYLINE_END = re.compile(r"\s*(?:[·•|]|\s[–—-]\s).*$", re.DOTALL)
_PHOTO_PREFIX = re.compile(r"^\s*(?:foto|beeld)\s*:\s*", re.IGNORECASE)


def split_authors(byline: str) -> list[str]:
    """ "Door Lena Sanders en Jeroen de Vries" → ["Lena Sanders", "Jeroen de Vries"]. People only:
    agencies and publications are sources ("NU.nl/ANP" → [], "NU.nl/Thomas Moerman" → ["Thomas Moerman"])."""
    text = _BYLINE_END.sub("", normalize_text(byline))
    names = [normalize_text(name) for part in agencies.parts(text) for name in _AUTHOR_SEPARATORS.split(part)]
    return agencies.people([name for name in names if name])


def split_keywords(value: str | list[str]) -> list[str]:
    if isinstance(value, list):
        return value
    return value.split(",")


def strip_photo_prefix(value: str) -> str:
    return _PHOTO_PREFIX.sub("", value)


_DAY_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_date(value: str, loader_context: dict[str, Any]) -> str | None:
    """ISO 8601 in Amsterdam time; a bare day (from a URL) stays a bare day: no time is invented."""
    if _DAY_ONLY.match(value.strip()):
        return value.strip()
    return normalize_date(value, loader_context.get("reference_time"))


def to_related_url(value: str, loader_context: dict[str, Any]) -> str | None:
    """Same-site article links only, canonical form, never the article itself."""
    url = normalize_url(value, loader_context.get("base_url"))
    key = article_key(url) if url else None
    if key is None or not key.startswith(loader_context["site"] + ":"):
        return None
    if key == loader_context.get("self_key"):
        return None
    return url


def author_objects(names: list[str]) -> list[dict[str, str]] | None:
    names = unique(names)
    return [{"name": name} for name in names] or None


def section_slug(value: str) -> str:
    """A section as its URL slug: "Goedemorgen Nederland" (JSON-LD, breadcrumbs) → "goedemorgen-nederland"."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def drop_empty_values(value: dict[str, Any]) -> dict[str, Any] | None:
    cleaned = {key: item for key, item in value.items() if item}
    return cleaned or None


class ArticleLoader(ItemLoader):
    """Text normalised, the first value taken: what a field gets unless its declaration says
    otherwise (newscrawl/extract/fields.py; each parser class gets a subclass with those)."""

    default_item_class = ArticleItem
    default_input_processor = MapCompose(normalize_text)
    default_output_processor = TakeFirst()
    # A field's processors are its class's (fields.processors): looked up once per class and field.
    # itemloaders looks them up again for every value, through ItemAdapter and a caught
    # AttributeError, which cost more than most fields' cleanup.
    _processors: dict[tuple[str, str], Callable[..., Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._processors = {}

    def get_input_processor(self, field_name: str) -> Callable[..., Any]:
        found = self._processors.get(("in", field_name))
        if found is None:
            found = self._processors["in", field_name] = super().get_input_processor(field_name)
        return found

    def get_output_processor(self, field_name: str) -> Callable[..., Any]:
        found = self._processors.get(("out", field_name))
        if found is None:
            found = self._processors["out", field_name] = super().get_output_processor(field_name)
        return found


def content_hash(item: ArticleItem) -> str:
    """Identity of the article text: changes when headline, lead or body change, not when chrome does."""
    parts = [item.get("headline", ""), item.get("description", ""), item.get("articleBody", "")]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def finish_article(
    item: ArticleItem,
    *,
    downloaded_at: datetime,
    discovered_via: str,
    body_extractor: str,
    date_published_source: str | None,
    parser: str,
) -> ArticleItem:
    """Derived fields: a modification equal to the publication is no modification; counts and crawl metadata."""
    if item.get("dateModified") and item.get("dateModified") == item.get("datePublished"):
        del item["dateModified"]
        item.pop("dateModifiedRaw", None)
    item.setdefault("relatedUrls", [])
    body = item.get("articleBody") or ""
    if body:
        item["wordCount"] = word_count(body)
    metadata = {
        "dateDownloaded": format_utc(downloaded_at),
        "contentHash": content_hash(item),
        "schemaVersion": SCHEMA_VERSION,
        "discoveredVia": discovered_via,
        "bodyExtractor": body_extractor,
    }
    if date_published_source:
        metadata["datePublishedSource"] = date_published_source
    metadata["parser"] = parser
    item["metadata"] = metadata
    return item
