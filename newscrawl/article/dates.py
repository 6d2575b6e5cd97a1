"""Dates to ISO 8601 in Europe/Amsterdam (docs/sites/README.md: Dates).

Machine dates (ISO 8601, RFC 822 from feeds) take a fast path; Dutch visible
dates ("31 okt 2024 om 19:09", "21 oktober 2024 — 14:23", "gisteren om 10:15")
go to dateparser. The offset is always the one in force on that date in
Amsterdam (CET +01:00 or CEST +02:00), never a fixed one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# "Bijgewerkt 31 okt …", "| Bijgewerkt: …", "Gepubliceerd: …": labels, not part of the date.
_LABEL_PREFIX = re.compile(
    r"^[\s|]*(?:laatst\s+)?(?:bijgewerkt|gepubliceerd|geplaatst|update|aangepast)(?:\s+op)?\s*:?\s*", re.IGNORECASE
)
# A clock time in a visible date; without one the date names a day, not an instant.
# "2 uur geleden" names an instant; "2 dagen geleden" only a day.
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}|\b(?:seconden?|minuut|minuten|uur|uren)\s+geleden\b|\bnu\b", re.IGNORECASE)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# "2 uur geleden", "5 minuten geleden": elapsed time, computed in UTC so that a
# DST switch in between does not shift the result by an hour.
_ELAPSED = re.compile(r"^(\d+)\s+(seconde|seconden|minuut|minuten|uur|uren)\s+geleden$", re.IGNORECASE)
_ELAPSED_UNIT = {
    "seconde": "seconds",
    "seconden": "seconds",
    "minuut": "minutes",
    "minuten": "minutes",
    "uur": "hours",
    "uren": "hours",
}
# A bare clock time ("0:48" video duration, "Bijgewerkt 11:40") names no day: not a date.
_TIME_ONLY = re.compile(r"^\d{1,2}[:.]\d{2}$")
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_RFC822_LIKE = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}")

_DATEPARSER_SETTINGS = {
    "TIMEZONE": "Europe/Amsterdam",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
}


def to_amsterdam(value: datetime) -> datetime:
    """An aware datetime in Amsterdam time without fractions; a naive one is taken as Amsterdam wall time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=AMSTERDAM)
    # Through UTC: a wall time that does not exist (02:30 on the spring switch day) becomes the
    # instant it names in Amsterdam's own form (03:30+02:00), not an impossible 02:30+01:00.
    return value.astimezone(UTC).astimezone(AMSTERDAM).replace(microsecond=0)


def format_iso(value: datetime) -> str:
    return to_amsterdam(value).isoformat(timespec="seconds")


def format_utc(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_machine_date(value: str) -> datetime | None:
    """ISO 8601 (JSON-LD, meta tags, sitemaps) or RFC 822 (RSS). None if it is neither, or if it
    names an instant that cannot be placed in Amsterdam time (year 1 or 9999 with an offset)."""
    parsed = _parse_machine_date(value)
    if parsed is None:
        return None
    try:
        to_amsterdam(parsed)
    except (OverflowError, ValueError):
        return None
    return parsed


def _parse_machine_date(value: str) -> datetime | None:
    value = value.strip()
    if _ISO_LIKE.match(value) or _ISO_DAY.match(value):  # a bare day (sitemap lastmod) is its midnight in Amsterdam
        try:
            return datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            return None
    if _RFC822_LIKE.match(value):
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return None


def parse_dutch_date(value: str, reference: datetime | None = None) -> datetime | None:
    """A visible Dutch date; relative ones ("gisteren", "2 uur geleden") count from ``reference``.

    ``reference`` is the time the page was served (aware); it defaults to now,
    which is right for a live crawl and wrong for a replayed one, so callers pass it.
    """
    text = _LABEL_PREFIX.sub("", value.strip()).strip()
    if not text or _TIME_ONLY.match(text):
        return None
    reference = reference or datetime.now(UTC)
    elapsed = _ELAPSED.match(text)
    if elapsed:
        amount, unit = int(elapsed.group(1)), _ELAPSED_UNIT[elapsed.group(2).lower()]
        return reference.astimezone(UTC) - timedelta(**{unit: amount})

    import dateparser  # slow import (~90 ms): only when a visible date needs it

    settings = dict(_DATEPARSER_SETTINGS)
    # dateparser reads a naive RELATIVE_BASE as wall time in TIMEZONE.
    settings["RELATIVE_BASE"] = reference.astimezone(AMSTERDAM).replace(tzinfo=None)
    try:
        parsed = dateparser.parse(text, languages=["nl"], settings=settings)
        if parsed is None:
            return None
        # Re-attach the zone ourselves: dateparser's fixed offset is not trusted near DST switches.
        parsed = parsed.replace(tzinfo=None).replace(tzinfo=AMSTERDAM)
        to_amsterdam(parsed)
    except (OverflowError, ValueError):
        return None  # "1 januari 1", "31 december 9999": no instant we can write
    return parsed if isinstance(parsed, datetime) else None


def parse_any_date(value: str | None, reference: datetime | None = None) -> datetime | None:
    if not value or not value.strip():
        return None
    return parse_machine_date(value) or parse_dutch_date(value, reference)


def normalize_date(value: str | None, reference: datetime | None = None) -> str | None:
    """Any supported date string → ``2024-10-31T19:09:00+01:00``, or None when unparseable."""
    parsed = parse_any_date(value, reference)
    return format_iso(parsed) if parsed else None


def normalize_date_or_day(value: str | None, reference: datetime | None = None) -> str | None:
    """Like :func:`normalize_date`, but a date that names no time stays a day (``2024-10-31``):
    "17 september", "gisteren" or a bare ISO date never get an invented midnight."""
    if not value or not value.strip():
        return None
    text = _LABEL_PREFIX.sub("", value.strip()).strip()
    if _ISO_DAY.match(text):
        try:
            return datetime.fromisoformat(text).date().isoformat()
        except ValueError:
            return None
    parsed = parse_any_date(value, reference)
    if parsed is None:
        return None
    if parse_machine_date(value) is None and not _HAS_TIME.search(text):
        return parsed.date().isoformat()
    return format_iso(parsed)


def instant(value: object, naive: tzinfo | None = None) -> datetime | None:
    """An ISO 8601 time as written in datasets, the state and manifests ("Z" for UTC allowed) as an
    aware datetime; a time without a zone (or a bare day) is taken in ``naive``, or refused when it
    is None. None for anything that is not such a time (one bad value must not stop a report)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=naive) if naive is not None else None
    return parsed


def published_key(item: dict[str, Any]) -> datetime:
    """datePublished as a sortable instant; a bare day (WNL, date from the URL) sorts at its start."""
    return published_moment(item.get("datePublished"))


def published_moment(value: Any) -> datetime:
    """A datePublished value as :func:`published_key` places it (year 1 when it is no date)."""
    value = value or "0001-01-01"
    if not isinstance(value, str):
        value = "0001-01-01"
    try:
        parsed = datetime.fromisoformat(value if "T" in value else value + "T00:00:00+01:00")
    except ValueError:
        return datetime.fromisoformat("0001-01-01T00:00:00+00:00")
    return parsed
