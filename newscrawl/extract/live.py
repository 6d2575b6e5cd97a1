"""Live blogs: the updates of a LiveBlogPosting, in page order, each with an exact instant.

A live blog's updates are what any live blog's markup has in common, whatever its classes: a run
of sibling entries under one parent, each holding one ``<time>``. The blog's own dateline is a
``<time>`` too, but alone under its parent and in the blog's header: never an update. A site that
knows its markup gives the entries itself (``ArticleParser.live_entries``).

An update's instant, in order of precedence: its ``time[datetime]`` when that names a date and a
time; the page's JSON-LD ``liveBlogUpdate`` of the same headline or of the same wall time; the
visible time of day ("21:35") on the blog's day, walking from the oldest update to the newest and
moving to the next day when the clock goes back (an update after midnight); a visible Dutch date
with a time ("31 mrt 21:35"). No instant is invented: an update none of these dates keeps none and
its blog says so in a warning.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from newscrawl.article.dates import AMSTERDAM, format_iso, parse_any_date, parse_machine_date, to_amsterdam
from newscrawl.article.text import block_text, normalize_text
from newscrawl.extract.generic import is_hidden

MAX_UPDATES = 2000
_TIME_OF_DAY = re.compile(r"^\s*(?:om\s+)?(\d{1,2})[:.](\d{2})(?:\s*uur)?\s*$", re.IGNORECASE)
_HEADINGS = ("h2", "h3", "h4")
_BLOCK_TAGS = ("p", "li", "blockquote", "h5", "h6")
_NESTING = frozenset({"p", "li", "blockquote"})
_NOT_TEXT = frozenset({"time", "figure", "figcaption", "button", "script", "style", "nav", "aside", "footer"})


@dataclass
class Update:
    element: etree._Element
    time_text: str  # the visible time, or the datetime attribute
    headline: str | None
    blocks: list[str]
    published: str | None = None  # ISO, Amsterdam


def entries(scope: etree._Element) -> list[etree._Element]:
    """The blog's update entries in page order: the largest run of siblings each holding one <time>
    (outside the blog's header), with text of their own beside it."""
    every = list(scope.iter("time"))
    # How many <time> elements each ancestor holds, counted in one pass (the elements are the keys:
    # the Counter keeps their proxies, so lxml hands the same ones back).
    held: Counter[etree._Element] = Counter(a for time in every for a in _up_to(time, scope))
    groups: defaultdict[Any, list[etree._Element]] = defaultdict(list)
    # A page of thousands of <time> elements is read up to a bound.
    for time in every[:MAX_UPDATES]:
        if is_hidden(time) or any(a.tag == "header" for a in _up_to(time, scope)):
            continue
        entry = time
        parent = entry.getparent()
        # The highest ancestor that holds this <time> and no other: the update's own element.
        while parent is not None and parent is not scope and held[parent] == 1:
            entry, parent = parent, parent.getparent()
        if parent is None or entry.find(".//h1") is not None or not _text_beside_time(entry):
            continue
        groups[parent].append(entry)
    if not groups:
        return []
    return max(groups.values(), key=lambda found: (len(found), sum(len(_text(e)) for e in found)))


def _up_to(element: etree._Element, scope: etree._Element) -> list[etree._Element]:
    found = []
    node = element.getparent()
    while node is not None and node is not scope:
        found.append(node)
        node = node.getparent()
    return found


def _text(element: etree._Element) -> str:
    return normalize_text(element.xpath("string()"))


def _text_beside_time(entry: etree._Element) -> bool:
    time = next(entry.iter("time"), None)
    return len(_text(entry)) > len(_text(time) if time is not None else "") + 10


def read_update(entry: etree._Element) -> Update:
    """An entry's visible time, heading and text blocks."""
    time = next(entry.iter("time"), None)
    stamp = ((time.get("datetime") or "").strip() or _text(time)) if time is not None else ""
    heading = next((h for h in entry.iter(*_HEADINGS) if not _in_skipped(h, entry)), None)
    headline = block_text(heading) if heading is not None else None
    blocks = [
        text
        for element in entry.iter(*_BLOCK_TAGS)
        if element is not entry
        and not _in_skipped(element, entry)
        and not any(a.tag in _NESTING for a in _up_to(element, entry))
        and (text := block_text(element))
        and text != headline
    ]
    if not blocks:
        # Text straight in the entry: all of it but the time and the heading.
        rest = _text(entry)
        for part in (_text(time) if time is not None else "", headline or ""):
            rest = rest.replace(part, "", 1) if part else rest
        blocks = [normalize_text(rest)] if normalize_text(rest) else []
    return Update(entry, stamp, headline or None, blocks)


def _in_skipped(element: etree._Element, entry: etree._Element) -> bool:
    return element.tag in _NOT_TEXT or any(a.tag in _NOT_TEXT for a in _up_to(element, entry))


def date_updates(
    updates: list[Update], start: datetime | None, ld_updates: list[dict[str, Any]], warnings: list[str]
) -> None:
    """Give each update its instant (see the module's description); ``start`` is the blog's own
    publication (or coverage start), aware."""
    by_headline: dict[str, str] = {}
    by_wall: dict[str, str] = {}
    for entry in ld_updates:
        when = parse_machine_date(str(entry.get("datePublished") or ""))
        if when is None or when.tzinfo is None:
            continue
        iso = format_iso(when)
        if isinstance(entry.get("headline"), str):
            by_headline.setdefault(normalize_text(entry["headline"]).lower(), iso)
        by_wall.setdefault(to_amsterdam(when).strftime("%H:%M"), iso)
    for update in updates:
        machine = parse_machine_date(update.time_text)
        if machine is not None and machine.tzinfo is not None and "T" in update.time_text:
            update.published = format_iso(machine)
        elif update.headline and normalize_text(update.headline).lower() in by_headline:
            update.published = by_headline[normalize_text(update.headline).lower()]
        elif (wall := _wall(update.time_text)) and wall in by_wall:
            update.published = by_wall[wall]
        elif not _TIME_OF_DAY.match(update.time_text):
            when = parse_any_date(update.time_text, start)
            update.published = (
                format_iso(when) if when is not None and re.search(r"\d[:.]\d", update.time_text) else None
            )
    _date_times_of_day(updates, start)
    missing = [u for u in updates if u.published is None]
    if missing:
        warnings.append(f"liveBlogUpdate: {len(missing)} updates without a date and time on the page, left undated")


def _wall(text: str) -> str | None:
    match = _TIME_OF_DAY.match(text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _date_times_of_day(updates: list[Update], start: datetime | None) -> None:
    """The updates still undated that show a time of day: on the blog's day, oldest first, a day
    later whenever the clock goes back."""
    if start is None or all(u.published is not None or not _wall(u.time_text) for u in updates):
        return
    # Page order is newest first when the page's times mostly fall as it goes down.
    walls = [_wall(u.time_text) or "" for u in updates]
    falling = sum(1 for a, b in zip(walls, walls[1:], strict=False) if a and b and b < a)
    rising = sum(1 for a, b in zip(walls, walls[1:], strict=False) if a and b and b > a)
    oldest_first = list(reversed(updates)) if falling > rising else list(updates)
    day = to_amsterdam(start).date()
    previous = to_amsterdam(start).strftime("%H:%M")
    for update in oldest_first:
        wall = _wall(update.time_text)
        if update.published is not None:
            moment = to_amsterdam(datetime.fromisoformat(update.published))
            day, previous = moment.date(), moment.strftime("%H:%M")
            continue
        if wall is None:
            continue
        if wall < previous:
            day += timedelta(days=1)
        hour, minute = map(int, wall.split(":"))
        local = datetime(day.year, day.month, day.day, hour, minute).replace(tzinfo=AMSTERDAM)
        update.published = format_iso(local)
        previous = wall


def as_items(updates: list[Update]) -> list[dict[str, Any]]:
    """The item's liveBlogUpdate: page order; the text of each as its blocks joined by blank lines."""
    found = []
    for update in updates:
        entry: dict[str, Any] = {}
        if update.published:
            entry["datePublished"] = update.published
        if update.headline:
            entry["headline"] = update.headline
        entry["articleBody"] = "\n\n".join(update.blocks)
        if update.blocks:
            found.append(entry)
    return found


def body_blocks(updates: list[Update]) -> list[str]:
    """The blog's text as articleBody: each update's heading and blocks, in page order."""
    blocks: list[str] = []
    for update in updates:
        if update.blocks:
            blocks += ([update.headline] if update.headline else []) + update.blocks
    return blocks
