"""Reading, checking, summarising and merging dataset files (JSONL, one article per line).

Everything here reports problems as :class:`Problem` (file, line, message) instead of raising,
so the command line can say exactly what is wrong and exit non-zero without a traceback.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.article.dates import AMSTERDAM, published_key
from newscrawl.article.files import atomic_output
from newscrawl.article.schema import SCHEMA_VERSION, field_order
from newscrawl.extract.base import coverage_fields
from newscrawl.extract.registry import schema_errors
from newscrawl.tools.present import as_dict


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str
    fatal: bool = True  # False: worth saying, but no reason to refuse the file (an empty one, a torn last line)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class Record:
    path: str
    line: int
    item: dict


def read_records(path: Path, problems: list[Problem]) -> Iterator[Record]:
    """The JSON objects of a JSONL file, read line by line (a file of any size in little memory).
    A final line cut off mid-write (a crash) is dropped and reported as ``torn``; any other
    unreadable line is reported and skipped."""
    name = str(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        problems.append(Problem(name, None, f"cannot read: {exc.strerror or exc}"))
        return
    with stream:
        try:
            if b"\x00" in stream.read(4096):
                problems.append(Problem(name, None, "binary data, not a JSONL text file"))
                return
            stream.seek(0)
        except OSError as exc:  # a directory, a device
            problems.append(Problem(name, None, f"cannot read: {exc.strerror or exc}"))
            return
        seen_text, good, bad_run = False, 0, 0
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            if not seen_text and raw.strip() in (b"{", b"["):
                # Pretty-printed JSON (a run manifest, a stats file): one problem, not one per line.
                problems.append(Problem(name, None, _not_jsonl(path)))
                return
            seen_text = True
            before = len(problems)
            record = _record(name, number, raw, problems)
            if record is not None:
                good, bad_run = good + 1, 0
                yield record
            elif len(problems) > before and problems[-1].fatal:
                bad_run += 1
                if not good and bad_run == _GIVE_UP_AFTER:
                    problems.append(
                        Problem(name, None, f"not a JSONL dataset: its first {bad_run} lines are unreadable; stopped")
                    )
                    return
        if not seen_text:
            # A scheduled run without new or changed articles leaves an empty file: nothing to read, nothing wrong.
            problems.append(Problem(name, None, "empty file: no articles", fatal=False))


# A file whose first lines are all unreadable is not a dataset: said once, not for each of its lines.
_GIVE_UP_AFTER = 20


def _not_jsonl(path: Path) -> str:
    """What a file of one pretty-printed JSON document is, for the one line that says so."""
    try:
        document = json.loads(path.read_text("utf-8")) if path.stat().st_size < 16 << 20 else None
    except (OSError, ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and "spider" in document and "counts" in document:
        dataset = path.name.removesuffix(".manifest.json")
        return f"a run manifest, not a dataset: give the dataset it describes ({dataset})"
    return "one JSON document over several lines, not JSONL (one article object per line)"


class NotJsonNumber(ValueError):
    pass


def _no_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity; no other JSON reader (jq, DuckDB, Arrow) does.
    raise NotJsonNumber(name)


#: date-time fields of an item a dataset tool places in time (export's columns, stats' days)
DATE_FIELDS = (("datePublished",), ("dateModified",), ("metadata", "dateDownloaded"))


def date_check(record: Record) -> list[Problem]:
    """Only the dates of a line (what export needs to place it in time), as problems."""
    return [Problem(record.path, record.line, error) for error in date_problems(record.item)]


def date_problems(item: dict) -> list[str]:
    """Dates the schema's format accepts but no tool can place in time: an instant of year 1 or
    9999 with an offset falls outside what Amsterdam or UTC time can hold (export failed on it)."""
    found = []
    for path in DATE_FIELDS:
        value: Any = item
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, str):
            continue
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=AMSTERDAM)
            moment.astimezone(AMSTERDAM)
            moment.astimezone(UTC)
        except (ValueError, OverflowError):
            found.append(f"{'/'.join(path)}: {value!r} cannot be placed in Amsterdam or UTC time")
    return found


def _record(name: str, number: int, raw: bytes, problems: list[Problem]) -> Record | None:
    torn = not raw.endswith(b"\n")  # only the last line of a file can lack its newline
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, number, f"not UTF-8 text (byte {exc.start})"))
        return None
    try:
        item = json.loads(text, parse_constant=_no_constant)
    except NotJsonNumber as exc:
        problems.append(Problem(name, number, f"not JSON: {exc} (RFC 8259 has no NaN or Infinity)"))
        return None
    except json.JSONDecodeError as exc:
        if torn:
            problems.append(
                Problem(name, number, f"torn final line dropped (the writer stopped mid-line): {exc.msg}", fatal=False)
            )
        else:
            problems.append(Problem(name, number, f"not JSON: {exc.msg} at column {exc.colno}"))
        return None
    except RecursionError:
        problems.append(Problem(name, number, "not an article: JSON nested too deeply"))
        return None
    if not isinstance(item, dict):
        problems.append(Problem(name, number, f"not a JSON object but a {type(item).__name__}"))
        return None
    if "errors" in item and "item" in item and "articleId" not in item:
        problems.append(
            Problem(
                name, number, "a rejects line ({url, reason, errors, item}), not an article: is this a rejects file?"
            )
        )
        return None
    return Record(name, number, item)


# Versions whose lines mean what this version's lines mean: 1.3 only added metadata.warnings, 1.4
# withdrawal lines and metadata.silentEdit, 1.5 isAccessibleForFree, images and metadata.tdm, 1.6 agencies, so a
# dataset that grew across the upgrades is merged and summarised as one.
READABLE_VERSIONS = frozenset({"1.2", "1.3", "1.4", "1.5", SCHEMA_VERSION})
# Fields a version made required (JSON paths): a line of an earlier version lacks them (unknown, not wrong).
REQUIRED_SINCE = {"isAccessibleForFree": "1.5", "images": "1.5", "metadata/tdm": "1.5", "agencies": "1.6"}


def other_schema_version(record: Record) -> Problem | None:
    """A record of another schema version: its fields may mean something else, so it is not mixed in."""
    metadata = record.item.get("metadata")
    version = metadata.get("schemaVersion") if isinstance(metadata, dict) else None
    if version is not None and version not in READABLE_VERSIONS:
        return Problem(record.path, record.line, f"schema version {version!r}, this tool reads {SCHEMA_VERSION!r}")
    return None


def check_record(record: Record, also_sites: frozenset[str] = frozenset()) -> list[Problem]:
    """Schema problems of one record; a different schema version is said once, plainly.
    ``also_sites``: site names taken as known besides the registered ones (declared elsewhere)."""
    other = other_schema_version(record)
    if other is not None:
        return [other]
    item = record.item
    metadata = item.get("metadata")
    added: set[str] = set()
    if isinstance(metadata, dict) and metadata.get("schemaVersion") != SCHEMA_VERSION:
        # An earlier readable version: the current schema less what it added holds for it.
        version = str(metadata.get("schemaVersion"))
        added = {name for name, since in REQUIRED_SINCE.items() if _older(version, since)}
        item = {**item, "metadata": {**metadata, "schemaVersion": SCHEMA_VERSION}}
    errors = [
        error
        for error in schema_errors(item, also_sites)
        if not any(error == f"{name}: '{name.rsplit('/', 1)[-1]}' is a required property" for name in added)
    ] + date_problems(item)
    return [Problem(record.path, record.line, error) for error in errors]


def _older(version: str, than: str) -> bool:
    try:
        return tuple(map(int, version.split("."))) < tuple(map(int, than.split(".")))
    except ValueError:
        return False


def article_key(item: dict) -> tuple:
    return (item.get("site"), item.get("articleId"))


def revision_rank(item: dict) -> tuple:
    """The later revision wins; of two copies of one revision, the later download."""
    metadata = as_dict(item.get("metadata"))
    return metadata.get("revision", 0), str(metadata.get("dateDownloaded", ""))


def latest_lines(records: Iterable[Record]) -> dict[tuple, tuple[str, int]]:
    """Where each article's latest revision is: (file, line) by (site, articleId)."""
    best: dict[tuple, tuple[tuple, str, int]] = {}
    for record in records:
        key, rank = article_key(record.item), revision_rank(record.item)
        if key not in best or rank > best[key][0]:
            best[key] = (rank, record.path, record.line)
    return {key: (path, line) for key, (_, path, line) in best.items()}


def merge(
    records: Iterable[Record],
    all_revisions: bool = False,
    problems: list[Problem] | None = None,
    check: Callable[[Record], list[Problem]] | None = None,
) -> list[dict]:
    """One dataset from many runs: the latest revision of each article (or every revision),
    ordered by datePublished, then site, articleId and revision. With ``problems``, each chosen
    line is checked (by ``check``, else as ``newscrawl validate`` checks it) and its problems
    added there: merge never writes a line validate rejects."""

    def revision(item: dict) -> int:
        return revision_rank(item)[0]

    chosen: dict[tuple, Record] = {}
    for record in records:
        item = record.item
        key = article_key(item) + ((revision(item),) if all_revisions else ())
        current = chosen.get(key)
        if current is None or revision_rank(item) > revision_rank(current.item):
            chosen[key] = record
    if problems is not None:
        for record in chosen.values():
            problems.extend((check or check_record)(record))
    items = [record.item for record in chosen.values()]
    items.sort(key=lambda i: (published_key(i), str(i.get("site")), str(i.get("articleId")), revision(i)))
    order = {name: index for index, name in enumerate(field_order())}
    return [dict(sorted(item.items(), key=lambda kv: order.get(kv[0], len(order)))) for item in items]


def write_jsonl(items: Iterable[dict], out: Path) -> int:
    """Write atomically: a reader never sees a half-written dataset."""
    count = 0
    with atomic_output(out) as stream:
        for item in items:
            stream.write((json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8"))
            count += 1
    return count


@dataclass
class Summary:
    articles: int = 0
    revisions: int = 0
    withdrawn: int = 0  # withdrawal lines (metadata.withdrawn): an article gone, not an article
    per_site: Counter[str] = field(default_factory=Counter)
    per_section: Counter[tuple[str, str]] = field(default_factory=Counter)
    per_day: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    coverage: Counter[str] = field(default_factory=Counter)
    first: str | None = None
    last: str | None = None

    def as_dict(self) -> dict:
        return {
            "articles": self.articles,
            "laterRevisions": self.revisions,
            "withdrawn": self.withdrawn,
            "perSite": dict(self.per_site.most_common()),
            "perSection": {f"{site}/{section}": n for (site, section), n in self.per_section.most_common()},
            "perDay": {day: dict(sites) for day, sites in sorted(self.per_day.items())},
            "datePublished": {"min": self.first, "max": self.last} if self.first else None,
            "fieldCoverage": {
                name: round(self.coverage[name] / self.articles, 4) if self.articles else None
                for name in coverage_fields()
            },
        }


def summarise(records: Iterable[Record]) -> Summary:
    summary = Summary(per_site=Counter(), per_section=Counter(), per_day=defaultdict(Counter), coverage=Counter())
    first = last = None  # (instant, datePublished) of the earliest and latest article: nothing else is kept
    for record in records:
        item = record.item
        if "withdrawn" in as_dict(item.get("metadata")):
            summary.withdrawn += 1
            continue
        summary.articles += 1
        if (item.get("metadata") or {}).get("revision", 1) > 1:
            summary.revisions += 1
        site = item.get("site", "?")
        summary.per_site[site] += 1
        summary.per_section[(site, item.get("articleSection", "?"))] += 1
        if item.get("datePublished"):
            summary.per_day[str(item["datePublished"])[:10]][site] += 1
            when = (published_key(item), str(item["datePublished"]))
            first = when if first is None or when[0] < first[0] else first
            last = when if last is None or when[0] >= last[0] else last
        for name in coverage_fields():
            if item.get(name):
                summary.coverage[name] += 1
    if first is not None and last is not None:
        summary.first, summary.last = first[1], last[1]
    return summary


def plot_per_day(summary: Summary, out: Path) -> None:
    """Articles per day per site, as a PNG (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = sorted(summary.per_day)
    sites = sorted(summary.per_site)
    figure, axes = plt.subplots(figsize=(max(6, len(days) * 0.5 + 2), 4))
    bottom = [0] * len(days)
    for site in sites:
        counts = [summary.per_day[day].get(site, 0) for day in days]
        axes.bar(days, counts, bottom=bottom, label=site)
        bottom = [b + c for b, c in zip(bottom, counts)]
    axes.set_title("Articles per day (datePublished)")
    axes.set_ylabel("articles")
    axes.legend(title="site")
    axes.tick_params(axis="x", labelrotation=60)
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)


def read_all(paths: list[str], problems: list[Problem], same_schema: bool = False):
    """Records of all files, with a progress bar when a person is watching; with ``same_schema``,
    records of another schema version are left out as problems (merge and stats never mix them)."""
    from tqdm import tqdm

    for path in tqdm(paths, unit="file", disable=not sys.stderr.isatty(), leave=False):
        for record in read_records(Path(path), problems):
            other = other_schema_version(record) if same_schema else None
            if other is not None:
                problems.append(other)
                continue
            yield record
