"""Reading, checking, summarising and merging dataset files (JSONL, one article per line).

Everything here reports problems as :class:`Problem` (file, line, message) instead of raising,
so the command line can say exactly what is wrong and exit non-zero without a traceback.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, cast

import msgspec

from newscrawl.article.dates import AMSTERDAM
from newscrawl.article.files import atomic_output
from newscrawl.article.schema import SCHEMA_VERSION, field_order
from newscrawl.extract.base import coverage_fields
from newscrawl.extract.registry import quick_schema_errors


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str
    fatal: bool = True  # False: worth saying, but no reason to refuse the file (an empty one, a torn last line)
    count: int = 1  # how many problems it stands for (Problems.since: the rest of a file's, not held)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


#: problems a command counts apart, by how their message begins (stats refuses mixed schema
#: versions; merge says how many torn last lines it dropped)
KINDS = {"schema": "schema version", "torn": "torn final line"}


class Problems:
    """The problems said while reading datasets: every one counted (in all, fatal, by :data:`KINDS`),
    the first ``keep`` held to be shown. A file of millions of bad lines costs a count, not a list."""

    KEEP = 10_000  # far more than a terminal is shown (present.print_problems)

    def __init__(self, keep: int | None = None) -> None:
        self.held: list[Problem] = []
        self.total = self.fatal = 0
        self.lines = 0  # lines with problems (a line's problems are said together)
        self.kinds: Counter[str] = Counter()
        self.last: Problem | None = None
        self._keep = self.KEEP if keep is None else keep

    def append(self, problem: Problem) -> None:
        self.total += problem.count
        self.fatal += problem.count if problem.fatal else 0
        if self.last is None or (self.last.path, self.last.line) != (problem.path, problem.line):
            self.lines += 1
        self.last = problem
        for kind, opening in KINDS.items():
            if problem.message.startswith(opening):
                self.kinds[kind] += problem.count
        if len(self.held) < self._keep:
            self.held.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    def __iadd__(self, problems: Iterable[Problem]) -> Problems:
        self.extend(problems)
        return self

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.held)

    def mark(self) -> tuple[int, int, int]:
        """Where the problems stand now, for :meth:`since`."""
        return self.total, self.fatal, len(self.held)

    def since(self, mark: tuple[int, int, int], path: str) -> list[Problem]:
        """The problems said since ``mark`` (all of one file's, say): those held, and one that stands
        for the rest, counted as they were (for an index, which says them again in a later run)."""
        held = self.held[mark[2] :]
        rest = self.total - mark[0] - sum(p.count for p in held)
        fatal = self.fatal - mark[1] - sum(p.count for p in held if p.fatal)
        if rest and self.last is not None:
            # A later run needs no more than their number and whether any refuses the file; the
            # last one's line keeps it a problem of a line (a whole-file one has the file read again).
            held.append(Problem(path, self.last.line, f"and {rest} more problem(s) read before", fatal > 0, rest))
        return held


@dataclass
class Record:
    path: str
    line: int
    item: Any  # the line's dict; of a lean read, a Lean
    offset: int = 0  # where the line starts in its file (a second pass reads it again from there)
    size: int = 0  # its length in bytes, newline included


def read_records(
    path: Path,
    problems: Problems,
    lean: bool = False,
    progress: Callable[[int, int], None] | None = None,
    start: tuple[int, int] = (0, 0),
    reached: list[int] | None = None,
) -> Iterator[Record]:
    """The JSON objects of a JSONL file, read line by line (a file of any size in little memory).
    A final line cut off mid-write (a crash) is dropped and reported as ``torn``; any other
    unreadable line is reported and skipped. With ``lean``, an item holds only what choosing and
    summarising need (:data:`LEAN_FIELDS`; the text fields only as ``True`` when not empty), read
    at a fifth of the cost; the same lines are read and the same problems said.
    ``start``: (offset, line number) of a line to read from (the file's earlier part was read
    before); ``reached`` is set to the (offset, line number) after the last whole line read."""
    name = str(path)
    try:
        stream = path.open("rb", buffering=1 << 20)
    except OSError as exc:
        problems.append(Problem(name, None, f"cannot read: {exc.strerror or exc}"))
        return
    with stream:
        try:
            if not start[0] and b"\x00" in stream.read(4096):
                problems.append(Problem(name, None, "binary data, not a JSONL text file"))
                return
            stream.seek(start[0])
        except OSError as exc:  # a directory, a device
            problems.append(Problem(name, None, f"cannot read: {exc.strerror or exc}"))
            return
        seen_text, good, bad_run = start[0] > 0, int(start[0] > 0), 0
        offset, number = start
        if reached is not None:
            reached[:] = start
        for batch, utf8 in _batches(stream, lean):
            if progress is not None:
                progress(sum(map(len, batch)), len(batch))
            for raw in batch:
                number += 1
                begins, offset = offset, offset + len(raw)
                if reached is not None and raw.endswith(b"\n"):
                    reached[:] = offset, number
                if raw.isspace():
                    continue
                if not seen_text and raw.strip() in (b"{", b"["):
                    # Pretty-printed JSON (a run manifest, a stats file): one problem, not one per line.
                    problems.append(Problem(name, None, _not_jsonl(path)))
                    return
                seen_text = True
                before = problems.total
                record = _lean_record(name, number, raw, begins, utf8) if lean else None
                if record is None:
                    record = _record(name, number, raw, problems, begins)
                    if lean and record is not None:
                        record.item = lean_view(record.item)
                if record is not None:
                    good, bad_run = good + 1, 0
                    yield record
                elif problems.total > before and problems.last is not None and problems.last.fatal:
                    bad_run += 1
                    if not good and bad_run == _GIVE_UP_AFTER:
                        problems.append(
                            Problem(
                                name, None, f"not a JSONL dataset: its first {bad_run} lines are unreadable; stopped"
                            )
                        )
                        return
        if not seen_text:
            # A scheduled run without new or changed articles leaves an empty file: nothing to read, nothing wrong.
            problems.append(Problem(name, None, "empty file: no articles", fatal=False))


# A file whose first lines are all unreadable is not a dataset: said once, not for each of its lines.
_GIVE_UP_AFTER = 20
#: lines read, and checked to be UTF-8, at once: up to this many, and up to this many bytes
BATCH, BATCH_BYTES = 128, 1 << 20


def _batches(stream: BinaryIO, check_utf8: bool) -> Iterator[tuple[list[bytes], bool]]:
    """The file's lines in batches, each with whether it is all UTF-8 (asked only with
    ``check_utf8``: a lean read's skipped fields are not checked by msgspec, so the batch is, at once)."""
    batch: list[bytes] = []
    size = 0
    for raw in stream:
        batch.append(raw)
        size += len(raw)
        if len(batch) == BATCH or size >= BATCH_BYTES:
            yield batch, check_utf8 and _all_utf8(b"".join(batch))
            batch, size = [], 0
    if batch:
        yield batch, check_utf8 and _all_utf8(b"".join(batch))


def _all_utf8(block: bytes) -> bool:
    """Whether ``block`` is UTF-8 throughout: Arrow checks it in place, ten times as fast as decoding."""
    if block.isascii():
        return True
    import pyarrow as pa

    offsets = pa.py_buffer(b"\0\0\0\0" + len(block).to_bytes(4, "little"))
    try:
        pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(block)]).cast(pa.string())
    except pa.ArrowInvalid:
        return False
    return True


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


class UnplacedDates(ValueError):
    """Dates of a line that no tool can place in time (an export's row says so while it makes the
    line's cells, with date_problems' words: export.row)."""

    def __init__(self, said: list[str]):
        super().__init__("; ".join(said))
        self.said = said


def unplaced(path: str, value: Any) -> str:
    return f"{path}: {value!r} cannot be placed in Amsterdam or UTC time"


def placed_date(value: Any) -> datetime | None:
    """A date field's value placed in time: an instant in Amsterdam time; a bare day its start
    there; a time without an offset as it is, once it is known to be placeable as Amsterdam's;
    None for what is not text. Raises ValueError or OverflowError for a date no tool can place
    (not ISO 8601, or outside what Amsterdam or UTC time can hold)."""
    if not isinstance(value, str):
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    local = moment if moment.tzinfo is not None else moment.replace(tzinfo=AMSTERDAM)
    placed = local.astimezone(AMSTERDAM)
    local.astimezone(UTC)
    if moment.tzinfo is not None:
        return placed
    return local if len(value) == 10 else moment


def date_problems(item: dict) -> list[str]:
    """Dates the schema's format accepts but no tool can place in time: an instant of year 1 or
    9999 with an offset falls outside what Amsterdam or UTC time can hold (export failed on it)."""
    found = []
    for path in DATE_FIELDS:
        value: Any = item
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        try:
            placed_date(value)
        except (ValueError, OverflowError):
            found.append(unplaced("/".join(path), value))
    return found


# msgspec reads JSON about three times as fast as json; it refuses everything json reads differently
# (NaN, Infinity, 1e400, lone surrogates), and then json reads the line, so a line means the same.
_QUICK = msgspec.json.Decoder()


def parse_line(raw: bytes) -> Any:
    """A line's JSON value, as json.loads reads it; raises as json.loads does."""
    try:
        return _QUICK.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)


class Lean(msgspec.Struct, gc=False):
    """What a lean read decodes of a line; the other fields are skipped (still checked to be JSON),
    and the text fields kept raw, only to say whether they are empty. ``get`` answers as the
    item's dict would (a text field: True when present and not empty)."""

    site: Any = msgspec.UNSET
    articleId: Any = msgspec.UNSET
    datePublished: Any = msgspec.UNSET
    articleSection: Any = msgspec.UNSET
    metadata: Any = msgspec.UNSET
    headline: Any = msgspec.UNSET
    description: Any = msgspec.UNSET
    articleBody: Any = msgspec.UNSET
    authors: Any = msgspec.UNSET
    dateModified: Any = msgspec.UNSET
    keywords: Any = msgspec.UNSET
    mainImage: Any = msgspec.UNSET
    errors: Any = msgspec.UNSET  # with item and no articleId: a rejects line
    item: Any = msgspec.UNSET

    def get(self, name: str, default: Any = None) -> Any:
        value = getattr(self, name, msgspec.UNSET)
        if value is msgspec.UNSET:
            return default
        if name in PRESENCE:
            return True if present_raw(value) else default
        return value

    def __contains__(self, name: str) -> bool:
        return getattr(self, name, msgspec.UNSET) is not msgspec.UNSET


# The text fields a lean read only tells apart from empty: kept as raw JSON, not decoded.
PRESENCE = frozenset({"headline", "description", "articleBody", "authors", "dateModified", "keywords", "mainImage"})
_LEAN_DECODER = msgspec.json.Decoder(
    msgspec.defstruct(
        "RawLean",
        [(name, msgspec.Raw if name in PRESENCE else Any, msgspec.UNSET) for name in Lean.__struct_fields__],
        bases=(Lean,),
    )
)
_TRUE = msgspec.Raw(b"true")


def lean_view(item: dict) -> Lean:
    """What a lean read of ``item``'s line gives."""
    return Lean(
        **{
            name: (_TRUE if item[name] else msgspec.Raw(b"false")) if name in PRESENCE else item[name]
            for name in Lean.__struct_fields__
            if name in item and name not in ("errors", "item")
        }
    )


def _lean_record(name: str, number: int, raw: bytes, offset: int, utf8: bool) -> Record | None:
    """A lean record, or None when the line needs the full reader (it says what is wrong, or reads
    what msgspec would not)."""
    if not utf8 and not raw.isascii():
        try:
            raw.decode("utf-8")  # the skipped fields' text is not checked by msgspec
        except UnicodeDecodeError:
            return None
    try:
        lean = cast(Lean, _LEAN_DECODER.decode(raw))
    except (msgspec.DecodeError, RecursionError):
        return None
    if lean.errors is not msgspec.UNSET and lean.item is not msgspec.UNSET and lean.articleId is msgspec.UNSET:
        return None
    return Record(name, number, lean, offset, len(raw))


def present_raw(raw: msgspec.Raw) -> bool:
    """Whether a raw JSON value is present and not empty: not null, false, zero, "", [] or {}.
    A value of more than 8 bytes of JSON is taken as present without being decoded (only a zero or
    an empty list written with padding, which no JSON writer makes, would be told apart otherwise)."""
    return len(raw) > 8 or bool(_QUICK.decode(raw))


def _record(name: str, number: int, raw: bytes, problems: Problems | list[Problem], offset: int = 0) -> Record | None:
    size = len(raw)
    try:
        item = _QUICK.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        pass  # json says what is wrong, or reads what msgspec would not (a lone surrogate escape)
    else:
        if isinstance(item, dict) and not ("errors" in item and "item" in item and "articleId" not in item):
            return Record(name, number, item, offset, size)
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
    return Record(name, number, item, offset, size)


# Versions whose lines mean what this version's lines mean: 1.3 only added metadata.warnings, 1.4
# withdrawal lines and metadata.silentEdit, 1.5 isAccessibleForFree, images and metadata.tdm, 1.6 agencies, 1.7
# lines read from web archives (metadata.archive), so a dataset that grew across the upgrades is merged and
# summarised as one.
READABLE_VERSIONS = frozenset({"1.2", "1.3", "1.4", "1.5", "1.6", SCHEMA_VERSION})
# Fields a version made required (JSON paths): a line of an earlier version lacks them (unknown, not wrong).
REQUIRED_SINCE = {"isAccessibleForFree": "1.5", "images": "1.5", "metadata/tdm": "1.5", "agencies": "1.6"}


def other_schema_version(record: Record) -> Problem | None:
    """A record of another schema version: its fields may mean something else, so it is not mixed in."""
    metadata = record.item.metadata if isinstance(record.item, Lean) else record.item.get("metadata")
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
        for error in quick_schema_errors(item, also_sites)
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


def field_ordered(item: dict) -> dict:
    """The item with its fields in schema order (unknown ones last), as merge and export write it."""
    order = _field_rank()
    return dict(sorted(item.items(), key=lambda kv: order.get(kv[0], len(order))))


@cache
def _field_rank() -> dict[str, int]:
    return {name: index for index, name in enumerate(field_order())}


def write_jsonl(items: Iterable[dict], out: Path, refused: Sized | None = None) -> int:
    """Write atomically: a reader never sees a half-written dataset. When ``refused`` holds
    anything once the items are written (problems found on the way), nothing is written."""
    count = 0
    with atomic_output(out, refused) as stream:
        for item in items:
            stream.write((json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8"))
            count += 1
    return 0 if refused else count


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


def read_all(
    paths: list[str], problems: Problems, same_schema: bool = False, lean: bool = False, positions: Any = None
):
    """Records of all files, with a progress bar when a person is watching; with ``same_schema``,
    records of another schema version are left out as problems (merge and stats never mix them).
    ``lean``: see :func:`read_records`. ``positions`` (an index: selection.Selection) says where
    to read each file from, and hears where it was read to and what was said of it."""
    from tqdm import tqdm

    sizes = []
    for path in paths:
        try:
            sizes.append(os.stat(path).st_size)
        except OSError:
            sizes.append(0)
    # Progress on a terminal only (a pipe or a log gets nothing): bytes read, lines per second and
    # the time left, over all the files.
    with tqdm(
        total=sum(sizes), unit="B", unit_scale=True, disable=not sys.stderr.isatty(), leave=False, mininterval=0.5
    ) as bar:
        started, lines = time.monotonic(), 0

        def advance(size: int, count: int) -> None:
            nonlocal lines
            lines += count
            bar.update(size)
            bar.set_postfix_str(f"{lines / max(time.monotonic() - started, 1e-3):,.0f} lines/s", refresh=False)

        for path in paths:
            start: tuple[int, int] = (0, 0)
            if positions is not None:
                offset, line, said = positions.start(path)
                start = (offset, line)
                problems += said
                bar.update(offset)
            reached = [0, 0]
            before = problems.mark()
            for record in read_records(
                Path(path), problems, lean, advance if not bar.disable else None, start, reached
            ):
                if same_schema:
                    other = other_schema_version(record)
                    if other is not None:
                        problems.append(other)
                        continue
                yield record
            if positions is not None:
                positions.reached(path, reached[0], reached[1], problems.since(before, path))
