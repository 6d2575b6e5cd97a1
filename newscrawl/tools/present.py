"""Values from datasets, manifests and run logs made safe for where people open them.

Pages and Scrapyd answers are written by others: a headline may be a spreadsheet formula, a run
log line may carry terminal escape sequences, a manifest may not be the shape we wrote. Each
output (CSV, terminal, HTML) passes its values through one of these.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from newscrawl.article.files import bounded_lines, open_regular

#: a manifest is a few KB; a file named like one but larger is not read
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
#: a run-log line is a few hundred bytes (a crash's log tail at most a few KB)
MAX_LOG_LINE_BYTES = 1024 * 1024

# OWASP's rule for CSV injection: a cell that starts with one of these is read as a formula by
# spreadsheet programs; a leading apostrophe makes it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# C0 and C1 controls (ESC starts terminal sequences; CR and BS overwrite what was printed) and the
# bidirectional overrides that reorder what a terminal shows.
_TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# A Scrapyd job id or spider name that may name a file: no separator, no leading dot.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def for_terminal(value: Any) -> str:
    """``value`` as text that cannot move the cursor, recolour or rewrite a terminal: every control
    character is shown as its escape (``\\x1b``)."""
    return _TERMINAL_UNSAFE.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", str(value)
    )


def number(value: Any) -> int | float | None:
    """A count or share from a manifest or run log, or None when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def safe_name(value: Any) -> bool:
    """True when ``value`` may be used in a file name (a Scrapyd job id, a spider name)."""
    return isinstance(value, str) and _SAFE_NAME.fullmatch(value) is not None


def read_manifest(path: Path) -> tuple[dict, str | None]:
    """A manifest as a dict, or an empty one and what is wrong with the file (never an exception)."""
    try:
        with open_regular(path, MAX_MANIFEST_BYTES, "a manifest") as stream:
            manifest = json.loads(stream.read(MAX_MANIFEST_BYTES + 1))
    except (OSError, ValueError, RecursionError) as exc:
        return {}, f"manifest unreadable: {type(exc).__name__}: {exc}"[:300]
    if not isinstance(manifest, dict):
        return {}, f"manifest of the wrong shape (a JSON {type(manifest).__name__}, not an object)"
    wrong = manifest_shape_problem(manifest)
    return (manifest, f"manifest of the wrong shape: {wrong}") if wrong else (manifest, None)


def manifest_shape_problem(manifest: dict) -> str:
    """What makes a manifest unusable as a run's record ("" when nothing): the fields a run log
    reads must have their types, or a hand-broken file would pass as an ok run with 0 items."""
    counts = manifest.get("counts")
    if counts is not None and not (
        isinstance(counts, dict)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values())
    ):
        return "counts must be an object of whole numbers"
    if "status" in manifest and manifest["status"] not in ("ok", "failed"):
        return "status must be 'ok' or 'failed'"
    problems = manifest.get("problems")
    if problems is not None and not (isinstance(problems, list) and all(isinstance(p, str) for p in problems)):
        return "problems must be a list of lines"
    if not isinstance(manifest.get("finishReason"), (str, type(None))):
        return "finishReason must be a string"
    return ""


def jsonl_objects(path: Path, skipped: Counter[str], tail: int | None = None) -> Iterator[dict]:
    """The JSON objects of a JSONL file of ours (a run log), streamed: a line that is not one (not
    UTF-8, not JSON, not an object, over MAX_LOG_LINE_BYTES) is passed over and counted by reason.
    A path that is not a regular file is one problem, counted, never read. With ``tail``, only the
    lines that begin in its last ``tail`` bytes: what a log grown for years needs read for its
    recent entries."""
    try:
        stream = open_regular(path)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        skipped[f"file {exc}"] += 1
        return
    with stream:
        if tail is not None:
            start = max(0, stream.seek(0, 2) - tail)
            stream.seek(max(0, start - 1))
            while start and (cut := stream.readline(MAX_LOG_LINE_BYTES)) and not cut.endswith(b"\n"):
                pass  # the line the cut falls into (or the newline just before it) is not whole
        for raw in bounded_lines(stream, MAX_LOG_LINE_BYTES, skipped, "too long"):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                skipped["not UTF-8"] += 1
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):
                skipped["not JSON"] += 1
                continue
            if isinstance(value, dict):
                yield value
            else:
                skipped["not an object"] += 1


def say_skipped(path: Path, skipped: Counter[str]) -> list[str]:
    """One line per reason lines of ``path`` were passed over."""
    return [
        f"{path.name}: {count} line{'s' if count != 1 else ''} passed over ({reason})"
        for reason, count in sorted(skipped.items())
    ]


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON object read from a file we do not control (a manifest, a dataset line), or {}."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class Said(Protocol):
    """Problems said: a list, or a dataset.Problems (which counts more than it holds)."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...


def print_problems(*groups: Said, limit: int = 200) -> None:
    """Problems of dataset files on stderr, as inert text, at most ``limit`` of them (``groups``:
    lists or dataset.Problems, whose length counts the problems it no longer holds)."""
    shown = 0
    for problem in itertools.islice(itertools.chain.from_iterable(groups), limit):
        print(for_terminal(problem), file=sys.stderr)
        shown += getattr(problem, "count", 1)  # (one may stand for many: dataset.Problems.since)
    total = sum(len(group) for group in groups)
    if total > shown:
        print(f"… and {total - shown} more problems", file=sys.stderr)


def moment(text: Any) -> datetime | None:
    """A time from a run log, a manifest or Scrapyd ("2025-04-01 09:00:01.123456", the server's local
    time, or ISO 8601 with a zone) as an aware UTC datetime; None for anything else."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):  # year 1 with an offset is before what UTC can hold
        return None


def utc_time(text: Any) -> str | None:
    """The same time as ISO 8601 in UTC, to the second (how manifests and the run log give times)."""
    found = moment(text)
    return found.isoformat(timespec="seconds") if found else None
