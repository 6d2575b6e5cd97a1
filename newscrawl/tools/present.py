"""Values from datasets, manifests and run logs made safe for where people open them.

Pages and Scrapyd answers are written by others: a headline may be a spreadsheet formula, a run
log line may carry terminal escape sequences, a manifest may not be the shape we wrote. Each
output (CSV, terminal, HTML) passes its values through one of these.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# OWASP's rule for CSV injection: a cell that starts with one of these is read as a formula by
# spreadsheet programs; a leading apostrophe makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# C0 and C1 controls (ESC starts terminal sequences; CR and BS overwrite what was printed) and the
# bidirectional overrides that reorder what a terminal shows.
_TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# A Scrapyd job id or spider name that may name a file: no separator, no leading dot.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


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
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        return {}, f"manifest unreadable: {type(exc).__name__}: {exc}"[:300]
    if not isinstance(manifest, dict):
        return {}, f"manifest of the wrong shape (a JSON {type(manifest).__name__}, not an object)"
    return manifest, None


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON object read from a file we do not control (a manifest, a dataset line), or {}."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def print_problems(problems: list, limit: int = 200) -> None:
    """Problems of dataset files on stderr, as inert text, at most ``limit`` of them."""
    for problem in problems[:limit]:
        print(for_terminal(problem), file=sys.stderr)
    if len(problems) > limit:
        print(f"… and {len(problems) - limit} more problems", file=sys.stderr)


def moment(text: Any) -> datetime | None:
    """A time from a run log, a manifest or Scrapyd ("2025-04-01 09:00:01.123456", the server's local
    time, or ISO 8601 with a zone) as an aware UTC datetime; None for anything else."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def utc_time(text: Any) -> str | None:
    """The same time as ISO 8601 in UTC, to the second (how manifests and the run log give times)."""
    found = moment(text)
    return found.isoformat(timespec="seconds") if found else None
