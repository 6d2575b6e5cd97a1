"""`newscrawl merge FILE… --into MERGED`: a merged dataset kept up to date by reading what was added.

The result is what `merge MERGED FILE… -o MERGED` writes: MERGED is the first of the inputs. But
MERGED's lines are not read again: an index beside it (``MERGED.index.duckdb``) holds their key
rows, and where each input file was read to. A run reads the inputs' new lines only (a file that
only grew, from where it was read to; a new or rewritten one whole), chooses among those and
MERGED's key rows, and writes the new MERGED in its order: its own lines copied as they are (they
were checked and ordered when written), the new ones checked, ordered and written as merge writes
them. The copy reads bytes, not JSON: a day's lines cost a day's parsing, whatever the history.

When the index is missing, of another mode (--all-revisions or not), or MERGED is not the file it
describes (rewritten, replaced), MERGED and the inputs are read whole, and the index made again.
The output replaces MERGED atomically, then the index changes in one transaction: a run that dies
between the two leaves an index that no longer describes MERGED, so the next run reads it whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newscrawl.article.files import atomic_output, head_digest
from newscrawl.tools.dataset import Problems, Record, check_record, field_ordered, read_all
from newscrawl.tools.selection import OUTPUT_ORDER, Lines, Selection, select

#: chosen rows read, and their places in the new merged file handed to the index, at once
_WRITTEN_BATCH = 100_000


def index_path(into: Path) -> Path:
    return into.with_name(into.name + ".index.duckdb")


@dataclass
class Outcome:
    written: int = 0  # lines of the new merged file (0 when nothing was written)
    read: int = 0  # lines read as JSON this run
    kept: int = 0  # lines of the merged file taken from the index, not read again
    whole: str = ""  # why the merged file was read whole ("" when it was not)
    invalid: Problems | None = None  # lines validate rejects among the chosen new ones


def merge_into(paths: list[str], into: Path, all_revisions: bool, problems: Problems) -> Outcome:
    """Merge ``paths`` into ``into`` (see the module); ``problems`` hears what reading found. Nothing
    is written, and the index is left as it was, when a line is unreadable or invalid."""
    outcome = Outcome(invalid=Problems())
    mode = "merge --all-revisions" if all_revisions else "merge"
    selection = Selection(index=index_path(into), purpose=mode)
    failed = True
    try:
        key = str(into)
        outcome.whole = _why_whole(selection, into)
        if outcome.whole:
            selection.forget()
            inputs = [key, *paths] if into.is_file() and into.stat().st_size else list(paths)
        else:
            own = selection.kept(key)
            assert own is not None
            outcome.kept = own[1]
            selection.file(key)  # first in this run's order: its lines win ties, as the first read
            inputs = list(paths)

        def counted(records):
            for record in records:
                outcome.read += 1
                yield record

        select(
            counted(read_all(inputs, problems, same_schema=True, lean=True, positions=selection)), selection=selection
        )
        own_file = selection.file(key)
        selection.keep(
            f"SELECT c.*, row_number() OVER (ORDER BY {OUTPUT_ORDER}) AS n "
            f"FROM ({selection.chosen(all_revisions)}) AS c",
            "out_rows",
        )
        if problems.fatal:  # nothing is written; the chosen new lines are still checked, to say all at once
            for _ in _lines(selection, own_file, outcome):
                pass
            return outcome
        selection.execute("CREATE TEMP TABLE written (n BIGINT, off BIGINT, len INTEGER)")
        with atomic_output(into, outcome.invalid) as stream:
            for line in _lines(selection, own_file, outcome):
                stream.write(line)
        if outcome.invalid:
            return outcome
        _remember(selection, into, own_file)
        failed = False
        return outcome
    finally:
        selection.close(failed=failed)


def _why_whole(selection: Selection, into: Path) -> str:
    """Why ``into`` must be read whole ("" when its index describes it)."""
    if not into.exists():
        return "it does not exist yet"
    own = selection.kept(str(into))
    if own is None:
        return "no index of it (or one of another mode) beside it"
    size = into.stat().st_size
    if size != own[0] or head_digest(into, size) != own[2]:
        return "it is not the file its index describes (rewritten or replaced)"
    return ""


def _lines(selection: Selection, own_file: int, outcome: Outcome):
    """The new merged file's lines, in order: the merged file's own copied, the others checked as
    validate checks them and written as merge writes them. Each written line's place is noted
    for the index."""
    import pyarrow as pa

    lines = Lines(selection.paths)
    assert outcome.invalid is not None
    places: list[tuple[int, int, int]] = []
    offset = 0

    def note() -> None:
        if places:
            table = pa.table(
                [pa.array(column, kind) for column, kind in zip(zip(*places), (pa.int64(), pa.int64(), pa.int32()))],
                names=["n", "off", "len"],
            )
            selection.insert("written", table)
            places.clear()

    def chosen() -> Iterator[tuple]:
        # A batch of rows at a time, each query read to its end: the places are noted on the same
        # connection, which may not run another statement while a result is still being fetched.
        total = selection.execute("SELECT count(*) FROM out_rows")[0][0]
        for start in range(1, total + 1, _WRITTEN_BATCH):
            yield from selection.execute(
                "SELECT file, off, len, line, n FROM out_rows WHERE n >= ? AND n < ? ORDER BY n",
                [start, start + _WRITTEN_BATCH],
            )
            note()

    try:
        for file, off, length, number, n in chosen():
            if file == own_file:
                raw = lines.raw(file, off, length)
            else:
                item = lines.item(file, off, length)
                found = check_record(Record(selection.paths[file], number, item, off, length))
                if found:
                    outcome.invalid.extend(found)
                    continue
                raw = (json.dumps(field_ordered(item), ensure_ascii=False) + "\n").encode("utf-8")
            yield raw
            places.append((n, offset, len(raw)))
            offset += len(raw)
            outcome.written += 1
    finally:
        lines.close()


def _remember(selection: Selection, into: Path, own_file: int) -> None:
    """The index now describes the new merged file: its lines' key rows at their new places."""
    selection.replace_keys(
        "SELECT o.* EXCLUDE (first_seen, n) "
        f"REPLACE ({own_file} AS file, w.off AS off, w.len AS len, w.n AS line, w.n AS seq) "
        "FROM out_rows AS o JOIN written AS w USING (n)"
    )
    size = into.stat().st_size
    lines = selection.execute("SELECT count(*) FROM written")[0][0]
    selection.reread(str(into))
    selection.reached(str(into), size, lines, [])
