"""Readers of the standards a page carries, for the standard candidate chains of
:class:`newscrawl.extract.base.ArticleParser`: JSON-LD publication dates, authors and images, a
URL's section, and the settling of a visible wall time against machine-readable dates."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from newscrawl.article.dates import AMSTERDAM, parse_machine_date
from newscrawl.extract.common import ChosenDate, choose_date

#: a candidate value of a field: (source name, value)
Candidate = tuple[str, Any]


def jsonld_any_published(objects: list[dict[str, Any]]) -> str | None:
    """``datePublished`` (else ``dateCreated``) of any JSON-LD object that has one (a WebPage, a
    BlogPosting, a ReportageNewsArticle in a @graph …), the article's own type having none."""
    for name in ("datePublished", "dateCreated"):
        for obj in objects:
            value = obj.get(name)
            if isinstance(value, str) and value.strip():
                return value
    return None


def jsonld_author_names(ld: dict[str, Any]) -> list[str]:
    authors = ld.get("author") or []
    names = []
    for author in authors if isinstance(authors, list) else [authors]:
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and name:
            names.append(name)
    return names


def jsonld_image(ld: dict[str, Any]) -> str | None:
    image = ld.get("image")
    if isinstance(image, list):
        image = image[0] if image else None
    if isinstance(image, dict):
        image = image.get("url") or image.get("contentUrl")
    return image if isinstance(image, str) else None


def trust_visible_over_offset_bug(
    chosen: ChosenDate | None, candidates: list[Candidate], reference: datetime
) -> ChosenDate | None:
    """A meta time that is the visible date line's time off by a whole hour or two is a time-zone
    bug of the page's metadata (local time written as UTC, a fixed +01:00 in summer): the line
    the reader sees wins then. JSON-LD is trusted as it is."""
    if chosen is None or chosen.source != "meta":
        return chosen
    for source, raw in candidates:
        if (
            not source.startswith("visible")
            or not isinstance(raw, str)
            or not raw
            or parse_machine_date(raw) is not None
        ):
            continue
        if not re.search(r"\d{1,2}[:.]\d{2}", raw):
            return chosen  # a visible date without a time cannot contradict the meta's time
        seen = choose_date([(source, raw)], reference, raw)
        if seen is None:
            return chosen

        # Wall clocks, not instants: an autumn 02:30 is both +02:00 and +01:00, and either agrees.
        def wall(iso: str) -> datetime:
            return datetime.fromisoformat(iso[:19])

        shift = abs((wall(seen.iso) - wall(chosen.iso)).total_seconds())
        if shift in (3600, 7200):
            return ChosenDate(iso=seen.iso, raw=chosen.raw, source="visible", detail="visible", machine=False)
        return chosen
    return chosen


def url_section(url: str) -> str | None:
    """The first path segment when it is a word (``/economie/…``), not a date or an id."""
    first = urlsplit(url).path.strip("/").split("/")[0]
    return first if first.isalpha() else None


def settle_wall_time(chosen: ChosenDate | None, candidates: list[Candidate]) -> ChosenDate | None:
    """A wall time read from the page is ambiguous in the autumn DST hour (02:00–03:00 happens
    twice): when a machine date on the page names the same wall time, its instant is the answer."""
    if chosen is None or chosen.machine:
        return chosen
    for _source, raw in candidates:
        machine = parse_machine_date(raw) if isinstance(raw, str) and raw else None
        if machine is None or machine.tzinfo is None:
            continue
        local = machine.astimezone(AMSTERDAM)
        if local.replace(tzinfo=None).isoformat(timespec="minutes") == chosen.iso[:16]:
            return ChosenDate(
                iso=local.isoformat(timespec="seconds"),
                raw=chosen.raw,
                source=chosen.source,
                detail=chosen.detail,
                machine=False,
            )
    return chosen
