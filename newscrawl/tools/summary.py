"""``newscrawl stats``' summary, counted by DuckDB from the key rows of the lines (selection.py).

Each line adds a few columns to its key row: its site and section (as marshal bytes: a label of any
JSON type stays itself), day, datePublished, whether it is a withdrawal or a later revision, and a
bit per coverage field. The chosen rows are then grouped by all of them; replaying the groups in the
order of their first line gives every count, and every order of first appearance, that counting the
lines one by one in the order read gives.
"""

from __future__ import annotations

import marshal
from collections import Counter, defaultdict
from operator import attrgetter
from typing import Any

from msgspec import UNSET

from newscrawl.extract.base import coverage_fields
from newscrawl.tools.dataset import PRESENCE, Lean, Summary, present_raw
from newscrawl.tools.selection import Selection

COLUMNS = (
    ("site_o", "BLOB"),  # the site (marshal) when it is not text, else NULL: the key's site_s is it
    ("section_t", "VARCHAR"),  # the section when it is text, else NULL and in section_o (marshal)
    ("section_o", "BLOB"),
    ("withdrawn", "BOOLEAN"),
    ("later", "BOOLEAN"),
    ("cov", "INTEGER"),
)


_COVERAGE = tuple((1 << index, name) for index, name in enumerate(coverage_fields()))


def columns(items: list[Lean]) -> list:
    """The summary's columns of a batch of lines (lean items: see dataset.read_records)."""
    import pyarrow as pa

    metadata = [item.metadata for item in items]
    sections = ["?" if (value := item.articleSection) is UNSET else value for item in items]
    try:
        section_text, section_other = pa.array(sections, pa.string()), pa.nulls(len(items), pa.binary())
    except (pa.ArrowException, UnicodeEncodeError, TypeError):
        text = [value if type(value) is str and _utf8(value) else None for value in sections]
        section_text = pa.array(text, pa.string())
        section_other = pa.array(
            [None if t is not None else marshal.dumps(v) for t, v in zip(text, sections)], pa.binary()
        )
    return [
        pa.array(
            [
                None if type(site := item.site) is str else marshal.dumps("?" if site is UNSET else site)
                for item in items
            ],
            pa.binary(),
        ),
        section_text,
        section_other,
        pa.array([type(m) is dict and "withdrawn" in m for m in metadata], pa.bool_()),
        pa.array([_later(m) for m in metadata], pa.bool_()),
        pa.array(_covered(items), pa.int32()),
    ]


def _utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _later(metadata: Any) -> bool:
    """A later revision (revision above 1)."""
    if type(metadata) is not dict:
        return False
    revision = metadata.get("revision", 1)
    return isinstance(revision, (int, float)) and revision > 1


def _covered(items: list[Lean]) -> list[int]:
    """A bit per coverage field a line has and is not empty, a field at a time."""
    covered = [0] * len(items)
    for bit, name in _COVERAGE:
        values = map(attrgetter(name), items)
        if name in PRESENCE:
            present = [value is not UNSET and present_raw(value) for value in values]
        else:
            present = [value is not UNSET and bool(value) for value in values]
        covered = [mask | bit if there else mask for mask, there in zip(covered, present)]
    return covered


def summarise(selection: Selection, all_revisions: bool) -> Summary:
    """The summary of each article's latest line (every line with ``all_revisions``)."""
    selection.keep(selection.chosen(None if all_revisions else False), "chosen")
    chosen = "SELECT * FROM chosen"
    summary = Summary(per_site=Counter(), per_section=Counter(), per_day=defaultdict(Counter), coverage=Counter())
    groups = selection.rows(
        f"""SELECT site_s, site_o, section_t, section_o, substr(pub_s, 1, 10) AS day, withdrawn, later, cov,
                   count(*), min(seq) AS first
            FROM ({chosen}) GROUP BY ALL ORDER BY first"""
    )
    for site_s, site_o, section_t, section_o, day, withdrawn, later, covered, count, _ in groups:
        if withdrawn:
            summary.withdrawn += count
            continue
        summary.articles += count
        if later:
            summary.revisions += count
        site = site_s.decode("utf-8", "surrogatepass") if site_o is None else marshal.loads(site_o)
        summary.per_site[site] += count
        summary.per_section[(site, section_t if section_o is None else marshal.loads(section_o))] += count
        if day is not None:
            summary.per_day[day][site] += count
        for bit, name in _COVERAGE:
            if covered & bit:
                summary.coverage[name] += count
    # The earliest datePublished (the first read of equal instants) and the latest (the last read).
    dated = f"SELECT pub_s, pub, seq FROM ({chosen}) WHERE NOT withdrawn AND pub_s IS NOT NULL"
    for order, target in (("pub, seq", "first"), ("pub DESC, seq DESC", "last")):
        for text, *_ in selection.rows(f"{dated} ORDER BY {order} LIMIT 1"):
            setattr(summary, target, text)
    return summary
