"""Which lines a dataset tool keeps, and in which order, decided without holding the lines.

``merge``, ``export`` and ``stats`` keep the latest revision of each article: "revision, then
download time", the first line read of two equal ones. Holding every article to decide that made
their memory grow with the dataset (8.5 GB at a million lines). Here a first pass reads each line
once and keeps only a key row of it (where it is, the article, its revision, its download time and
its publication instant, about 100 bytes) in DuckDB, an embedded engine made for sorting and
grouping more rows than fit in memory: it spills to a temporary directory beyond its memory limit.
A second pass then reads only the chosen lines again, by their offset, in the order asked for.

Why DuckDB and not an external sort written here or SQLite: its GROUP BY and ORDER BY spill to disk
on their own, it ingests Arrow batches without a row-by-row insert, and it was measured
(benchmarks/datasets.py): the key rows of a million lines are grouped and sorted in about a second
of CPU. The lines themselves stay with Python's reader, which says what is wrong with a line as
``validate`` does and writes what it always wrote, byte for byte.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from newscrawl.article.dates import AMSTERDAM, published_moment
from newscrawl.article.files import head_digest
from newscrawl.tools.dataset import (
    Lean,
    Problem,
    Problems,
    Record,
    UnplacedDates,
    check_record,
    field_ordered,
    parse_line,
)
from newscrawl.tools.present import as_dict

#: DuckDB's memory limit: the key rows beyond it go to a temporary directory
MEMORY_LIMIT = os.environ.get("NEWSCRAWL_SORT_MEMORY", "512MB")
#: the layout of an index (stats --index): an index of another is made again
INDEX_FORMAT = 2  # 2: a problem says how many it stands for
#: the merged order: by datePublished, then site, articleId and revision (then the order first read)
OUTPUT_ORDER = "pub, site_s, id_s, rev, first_seen"
#: lines turned into key rows, and handed to DuckDB, at once: up to this many, and up to this many
#: bytes of lines (a lean item's raw fields keep its line in memory until then)
BATCH, BATCH_BYTES = 20_000, 16 << 20

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ENCODE = msgspec.json.Encoder()

_COLUMNS = (
    ("file", "INTEGER"),
    ("off", "BIGINT"),
    ("len", "INTEGER"),
    ("line", "BIGINT"),
    ("seq", "BIGINT"),  # the order lines were read in: the first of two equal ones wins, as before
    ("site_s", "BLOB"),  # str(site), str(articleId): the merged order's, and with odd the article
    ("id_s", "BLOB"),
    ("odd", "BLOB"),  # a site or articleId that is not text: the pair exactly (else NULL)
    ("rev", "DOUBLE"),
    ("downloaded", "BLOB"),
    ("pub_s", "VARCHAR"),  # str(datePublished) when it is there and not empty (else NULL)
    ("pub_str", "BOOLEAN"),  # whether datePublished is text
    ("pub", "BIGINT"),  # datePublished as microseconds since 1970 (a bare day: its start at +01:00)
)

# datePublished as dates.published_key places it, by DuckDB for the two forms the crawler writes
# (an instant with its offset, a bare day at +01:00); NULL for any other, which _instant then places
# (tests/test_dataset_scale.py holds the two to agreeing).
_PUB_SQL = r"""CASE
    WHEN pub_s IS NULL OR NOT pub_str THEN {year_one_day}
    WHEN regexp_full_match(pub_s, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}[+-][0-9]{{2}}:[0-9]{{2}}')
        THEN epoch_us(try_strptime(pub_s, '%Y-%m-%dT%H:%M:%S%z'))
    WHEN regexp_full_match(pub_s, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')
        THEN epoch_us(try_strptime(pub_s || 'T00:00:00+01:00', '%Y-%m-%dT%H:%M:%S%z'))
END"""
_UNSET = msgspec.UNSET


def _text(value: Any) -> bytes:
    """``str(value)`` as bytes that sort as Python sorts the text (code point order)."""
    return (value if type(value) is str else str(value)).encode("utf-8", "surrogatepass")


def _exact(site: Any, article_id: Any) -> bytes:
    """An article's identity as bytes equal only for equal values (a site or id of any JSON type)."""
    try:
        return _ENCODE.encode((site, article_id))
    except (msgspec.EncodeError, UnicodeEncodeError, TypeError):
        return repr((site, article_id)).encode("utf-8", "surrogatepass")


def _revision(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _instant(value: Any) -> int:
    """datePublished as dates.published_key places it, in microseconds since 1970."""
    moment = published_moment(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return (moment - _EPOCH) // _MICROSECOND


def _value(value: Any, default: Any = None) -> Any:
    return default if value is _UNSET else value


def _strings(values: list) -> Any:
    """A VARCHAR column of ``str(value)`` (None: NULL). A text Arrow cannot hold (with a lone
    surrogate) is no date: it is held with U+FFFD in its place, no date either."""
    import pyarrow as pa

    try:
        return pa.array(values, pa.string())
    except (pa.ArrowException, UnicodeEncodeError, TypeError):
        return pa.array(
            [None if value is None else str(value).encode("utf-8", "replace").decode("utf-8") for value in values],
            pa.string(),
        )


def text_column(values: list) -> Any:
    """A BLOB column of ``str(value)`` for each value, as Arrow: at once when all are text."""
    import pyarrow as pa

    try:
        return pa.array(values, pa.string()).view(pa.binary())  # the same bytes, read as BLOB
    except (pa.ArrowException, UnicodeEncodeError, TypeError):  # not all text, or a lone surrogate
        return pa.array([_text(value) for value in values], pa.binary())


class Selection:
    """The key rows of the lines read (with ``extra`` columns of the caller's), and the chosen
    lines out of them. The lines come as lean records (dataset.read_records(lean=True)) and are
    turned into columns a batch at a time."""

    def __init__(
        self,
        extra: tuple[tuple[str, str], ...] = (),
        columns: Callable[[list[Lean]], list] | None = None,
        index: Path | None = None,
        purpose: str = "",
    ):
        """``index``: a DuckDB file kept between runs (stats --index, merge --into); ``purpose``
        tells indexes of one layout apart (merge's of latest revisions from one of all)."""
        import duckdb

        self._folder = tempfile.TemporaryDirectory(prefix="newscrawl-sort-")
        self._db = duckdb.connect(
            str(index) if index is not None else ":memory:",
            config={
                "memory_limit": MEMORY_LIMIT,
                "temp_directory": self._folder.name,
                "threads": 1,
                "preserve_insertion_order": False,
            },
        )
        self._columns = _COLUMNS + extra
        self._pub = _PUB_SQL.format(year_one_day=_instant(None))
        self._unplaced = True
        self._extra_columns = columns
        self._pending: list[Record] = []
        self.paths: list[str] = []
        self._index: dict[str, int] = {}
        self._run: list[int] = []  # the files of this run, in the order given
        self._clusters = self._without_copies = False  # take_clusters
        self._closed = False
        self._prepare(
            json.dumps([INDEX_FORMAT, [list(column) for column in self._columns], *([purpose] if purpose else [])])
        )
        self._kept = index is not None
        # An index changes whole or not at all, in one transaction at the end of the run (close).
        # Until then its tables are only read: the run's key rows go to a temporary table, and
        # what it says of its files waits here. DuckDB holds every append made inside an open
        # transaction in memory it does not limit (about 100 MB a million rows); appends outside
        # one, and a single INSERT … SELECT inside, stay within its limit.
        self._new = "staged" if self._kept else "keys"
        self._forgotten = False  # forget(): the index's rows are replaced whole
        self._reread: set[int] = set()  # files read again whole: their kept rows are replaced
        self._described: list[tuple[str, int, int, int, str, list[Problem]]] = []  # reached()
        self._replacing: str | None = None  # replace_keys()
        if self._kept:
            self._db.execute("CREATE TEMP TABLE staged AS SELECT * FROM keys LIMIT 0")

    def _prepare(self, layout: str) -> None:
        """The tables: new, kept from an index of this layout, or made again for another layout."""
        tables = {row[0] for row in self._db.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "meta" in tables and self._db.execute("SELECT value FROM meta WHERE name = 'layout'").fetchall() != [
            (layout,)
        ]:
            for table in ("keys", "files", "problems", "meta"):
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
            tables = set()
        if "keys" not in tables:
            self._db.execute(f"CREATE TABLE keys ({', '.join(f'{name} {kind}' for name, kind in self._columns)})")
            self._db.execute(
                "CREATE TABLE files (path VARCHAR PRIMARY KEY, file INTEGER, position BIGINT, line BIGINT, "
                "digest VARCHAR)"
            )
            self._db.execute(
                "CREATE TABLE problems (file INTEGER, line BIGINT, message VARCHAR, fatal BOOLEAN, count BIGINT)"
            )
            self._db.execute("CREATE TABLE meta (name VARCHAR PRIMARY KEY, value VARCHAR)")
            self._db.execute("INSERT INTO meta VALUES ('layout', ?)", [layout])
        for path, file in self._db.execute("SELECT path, file FROM files ORDER BY file").fetchall():
            self._index[path] = file
            self.paths += [""] * (file + 1 - len(self.paths))
            self.paths[file] = path
        self._seq = int(self._db.execute("SELECT coalesce(max(seq) + 1, 0) FROM keys").fetchall()[0][0])

    # --- an index: where each file was read to -------------------------------------------------------
    def start(self, path: str) -> tuple[int, int, list[Problem]]:
        """Where to read ``path`` from in this run, (offset, line number), and what was said of the
        part read before: the whole file (0, 0) unless an index read it before and it has only grown."""
        file = self._file(path)
        if self._forgotten:
            return 0, 0, []
        rows = self._db.execute("SELECT position, line, digest FROM files WHERE file = ?", [file]).fetchall()
        if rows and rows[0][0] > 0:
            position, line, digest = rows[0]
            try:
                grown = Path(path).stat().st_size >= position and head_digest(Path(path), position) == digest
            except OSError:
                grown = False
            said = self._db.execute(
                "SELECT line, message, fatal, count FROM problems WHERE file = ? ORDER BY rowid", [file]
            ).fetchall()
            # (a problem of the whole file, an empty one say, may not hold once it grows: read again)
            if grown and all(row[0] is not None for row in said):
                return position, line, [Problem(path, *row) for row in said]
        self.reread(path)
        return 0, 0, []

    def reached(self, path: str, position: int, line: int, said: list[Problem]) -> None:
        """``path`` is read up to ``position`` (the end of its last whole line); ``said``: what its
        new part gave to say (the index changes at the end of the run, in one transaction)."""
        file = self._file(path)
        digest = head_digest(Path(path), position) if position else ""
        self._described.append((path, file, position, line, digest, said))

    def reread(self, path: str) -> None:
        """What the index said of ``path`` (its key rows, its problems) is replaced at the end of the run."""
        self._reread.add(self._file(path))

    def kept(self, path: str) -> tuple[int, int, str] | None:
        """(position, line number, head digest) the index holds of ``path``, or None."""
        if self._forgotten:
            return None
        rows = self._db.execute("SELECT position, line, digest FROM files WHERE path = ?", [path]).fetchall()
        return rows[0] if rows else None

    def forget(self) -> None:
        """An index made again from nothing: every file is read whole."""
        self._forgotten = True
        self._reread.clear()
        self._described.clear()
        self._db.execute(f"DELETE FROM {self._new}")
        self._index.clear()
        self.paths.clear()
        self._seq = 0

    def file(self, path: str) -> int:
        """The number of ``path`` among the key rows' files, taken into this run (after the ones
        already taken: the first read wins ties)."""
        return self._file(path)

    def execute(self, sql: str, parameters: list | None = None) -> list[tuple]:
        """A statement on the key rows' database (its tables: keys, files, problems); its rows."""
        return self._db.execute(sql, parameters or []).fetchall()

    def insert(self, table: str, rows: Any) -> None:
        """The rows of an Arrow table into ``table``."""
        self._db.register("inserted", rows)
        try:
            self._db.execute(f"INSERT INTO {table} SELECT * FROM inserted")
        finally:
            self._db.unregister("inserted")

    def _file(self, path: str) -> int:
        index = self._index.get(path)
        if index is None:
            index = self._index[path] = len(self.paths)
            self.paths.append(path)
        if index not in self._run:
            self._run.append(index)
        return index

    def _flush(self) -> None:
        records = self._pending[:]
        self._pending.clear()  # in place: select() appends to this list
        if not records:
            return
        import pyarrow as pa

        items: list[Lean] = [record.item for record in records]
        metadata = [m if type(m := item.metadata) is dict else as_dict(_value(m)) for item in items]
        sites = [_value(item.site) for item in items]
        ids = [_value(item.articleId) for item in items]
        revisions = [m.get("revision", 0) for m in metadata]
        try:
            revision_column = pa.array(revisions, pa.float64())
            if any(type(value) is not int for value in revisions):
                raise TypeError  # a bool, or a float Arrow would read otherwise: one at a time
        except (pa.ArrowException, TypeError, OverflowError):
            revision_column = pa.array([_revision(value) for value in revisions], pa.float64())
        first = self._seq
        self._seq += len(records)
        file = self._file(records[0].path)
        columns = [
            pa.array(
                [file] * len(records)
                if records[-1].path == records[0].path
                else [self._file(record.path) for record in records],
                pa.int32(),
            ),
            pa.array([record.offset for record in records], pa.int64()),
            pa.array([record.size for record in records], pa.int32()),
            pa.array([record.line for record in records], pa.int64()),
            pa.array(range(first, self._seq), pa.int64()),
            text_column(sites),
            text_column(ids),
            pa.array(
                [
                    None if type(site) is str and type(article_id) is str else _exact(site, article_id)
                    for site, article_id in zip(sites, ids)
                ],
                pa.binary(),
            ),
            revision_column,
            text_column([m.get("dateDownloaded", "") for m in metadata]),
            _strings([None if (value := item.datePublished) is _UNSET or not value else value for item in items]),
            pa.array([type(item.datePublished) is str for item in items], pa.bool_()),
            pa.nulls(len(records), pa.int64()),  # placed by DuckDB once the batch is in (_PUB_SQL)
        ]
        if self._extra_columns is not None:
            columns += self._extra_columns(items)
        batch = pa.table(columns, names=[name for name, _ in self._columns])
        self._db.register("batch", batch)
        self._db.execute(f"INSERT INTO {self._new} SELECT * REPLACE ({self._pub} AS pub) FROM batch")
        self._db.unregister("batch")
        self._unplaced = True

    def _place(self) -> None:
        """The publication instants DuckDB left to Python: any form but the crawler's two."""
        if not self._unplaced:
            return
        self._unplaced = False
        import pyarrow as pa

        rows = self._db.execute(f"SELECT seq, pub_s FROM {self._new} WHERE pub IS NULL").fetchall()
        if rows:
            placed = pa.table(
                [
                    pa.array([seq for seq, _ in rows], pa.int64()),
                    pa.array([_instant(dp) for _, dp in rows], pa.int64()),
                ],
                names=["seq", "pub"],
            )
            self._db.register("placed", placed)
            self._db.execute(f"UPDATE {self._new} SET pub = placed.pub FROM placed WHERE {self._new}.seq = placed.seq")
            self._db.unregister("placed")

    # --- a clusters file (newscrawl clusters): its members beside the key rows --------------------------
    def take_clusters(self, members: Iterable[tuple[tuple[Any, Any], str, bool]], without_copies: bool) -> None:
        """The members of a clusters file (clusters.cluster_ids: (site, articleId), clusterId,
        whether it is its cluster's first), as a table DuckDB holds within its memory limit (a
        clusters file of years is not held in Python). A member said twice is what it was said
        last. ``without_copies``: the later members of clusters are left out of every question
        (stats --originals: each story counted at its first publication)."""
        import pyarrow as pa

        self._db.execute(
            "CREATE TEMP TABLE said_members (site_s BLOB, id_s BLOB, odd BLOB, cluster VARCHAR, first BOOLEAN, n BIGINT)"
        )
        said, members = 0, iter(members)
        while batch := list(itertools.islice(members, BATCH)):
            sites, ids = [key[0] for key, _, _ in batch], [key[1] for key, _, _ in batch]
            table = pa.table(
                [
                    text_column(sites),
                    text_column(ids),
                    pa.array(
                        [b"" if type(s) is str and type(i) is str else _exact(s, i) for s, i in zip(sites, ids)],
                        pa.binary(),
                    ),
                    pa.array([cluster for _, cluster, _ in batch], pa.string()),
                    pa.array([first for _, _, first in batch], pa.bool_()),
                    pa.array(range(said, said + len(batch)), pa.int64()),
                ],
                names=["site_s", "id_s", "odd", "cluster", "first", "n"],
            )
            said += len(batch)
            self.insert("said_members", table)
        self._db.execute(
            "CREATE TEMP TABLE members AS SELECT site_s, id_s, odd, arg_max(cluster, n) AS cluster, "
            "arg_max(first, n) AS first FROM said_members GROUP BY site_s, id_s, odd"
        )
        self._db.execute("DROP TABLE said_members")
        self._clusters, self._without_copies = True, without_copies

    def _view(self) -> None:
        """``run``: the rows of this run's files, ``seq`` their order as this run reads them (the
        files in the order given, each line by its place in the file); with ``without_copies``,
        not the lines of the clusters' later members."""
        import pyarrow as pa

        order = pa.table(
            [pa.array(self._run, pa.int32()), pa.array(range(len(self._run)), pa.int64())], names=["file", "rank"]
        )
        self._db.register("run_order", order)
        self._db.execute("CREATE OR REPLACE TEMP TABLE run_files AS SELECT * FROM run_order")
        self._db.unregister("run_order")
        copies = (
            " WHERE NOT EXISTS (SELECT 1 FROM members WHERE NOT members.first AND members.site_s = keys.site_s "
            "AND members.id_s = keys.id_s AND members.odd = coalesce(keys.odd, ''::BLOB))"
            if self._without_copies
            else ""
        )
        self._db.execute(
            "CREATE OR REPLACE TEMP VIEW run AS SELECT keys.* REPLACE ((run_files.rank << 40) + keys.off AS seq) "
            f"FROM {self._keys()} JOIN run_files USING (file)" + copies
        )

    def chosen(self, all_revisions: bool | None) -> str:
        """SQL of the chosen rows (every column, and ``first_seen``: the first line read of the
        article, or of the revision): the latest revision of each article, or each revision's
        latest copy (``all_revisions``), or every row (None)."""
        self._flush()
        self._place()
        self._view()
        if all_revisions is None:
            return "SELECT *, seq AS first_seen FROM run"
        group = "site_s, id_s, odd, rev" if all_revisions else "site_s, id_s, odd"
        # The latest revision, then the latest download, then the first read: a row's sequence
        # number, found per article on a few columns and joined back (faster than carrying them all).
        return f"""
            SELECT run.*, best.first_seen FROM run JOIN (
                SELECT arg_max(seq, (rev, downloaded, -seq)) AS seq, min(seq) AS first_seen
                FROM run GROUP BY {group}
            ) AS best USING (seq)"""

    def in_output_order(self, all_revisions: bool = False) -> Iterator[tuple]:
        """(file, offset, length, line number) of each chosen line, ordered as a merged dataset is:
        by datePublished, then site, articleId and revision (then the order first read); with a
        clusters file taken, then the line's clusterId (None: the article is in no cluster)."""
        chosen = self.chosen(all_revisions)
        if not self._clusters:
            query = f"SELECT file, off, len, line FROM ({chosen}) ORDER BY {OUTPUT_ORDER}"
        else:
            query = f"""SELECT file, off, len, line, cluster FROM (
                            SELECT c.*, members.cluster FROM ({chosen}) AS c LEFT JOIN members
                            ON members.site_s = c.site_s AND members.id_s = c.id_s AND members.odd = coalesce(c.odd, ''::BLOB)
                        ) ORDER BY {OUTPUT_ORDER}"""
        yield from self.rows(query)

    def keep(self, query: str, name: str) -> None:
        """The rows of ``query`` as a table ``name``, for several questions to ask of them."""
        self._db.execute(f"CREATE TEMP TABLE {name} AS {query}")

    def rows(self, query: str) -> Iterator[tuple]:
        result = self._db.execute(query)
        while True:
            rows = result.fetchmany(10_000)
            if not rows:
                return
            yield from rows

    def _keys(self) -> str:
        """The key rows, kept and new, as a table expression named ``keys``."""
        if self._new == "keys":
            return "keys"
        if self._forgotten:
            return "staged AS keys"
        replaced = f" WHERE file NOT IN ({', '.join(map(str, sorted(self._reread)))})" if self._reread else ""
        return f"(SELECT * FROM keys{replaced} UNION ALL SELECT * FROM staged) AS keys"

    def replace_keys(self, query: str) -> None:
        """At the end of the run, the index's key rows are those of ``query`` (the columns of
        ``keys``; it may read this run's temporary tables), not the kept and new ones."""
        self._replacing = query

    def _commit(self) -> None:
        """The run's changes to the index, in one transaction."""
        db = self._db
        db.execute("BEGIN TRANSACTION")
        try:
            if self._forgotten:
                for table in ("keys", "files", "problems"):
                    db.execute(f"DELETE FROM {table}")
            for file in sorted(self._reread):
                db.execute("DELETE FROM keys WHERE file = ?", [file])
                db.execute("DELETE FROM problems WHERE file = ?", [file])
            if self._replacing is not None:
                db.execute("DROP TABLE keys")
                db.execute(f"CREATE TABLE keys AS {self._replacing}")
            else:
                db.execute("INSERT INTO keys SELECT * FROM staged")
            for path, file, position, line, digest, said in self._described:
                db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", [path, file, position, line, digest])
                if said:
                    db.executemany(
                        "INSERT INTO problems VALUES (?, ?, ?, ?, ?)",
                        [(file, p.line, p.message, p.fatal, p.count) for p in said],
                    )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self, failed: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._kept and not failed:
                self._commit()
        finally:
            self._db.close()
            self._folder.cleanup()

    def __enter__(self) -> Selection:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(failed=kind is not None)


class Lines:
    """Chosen lines read again by offset; a line that is not what the first pass read (the file
    was rewritten meanwhile) stops the tool rather than write another article in its place."""

    def __init__(self, paths: list[str]):
        self._paths = paths
        self._open: dict[int, Any] = {}

    def item(self, file: int, offset: int, length: int) -> dict:
        raw = self.raw(file, offset, length)
        item = parse_line(raw)
        if not isinstance(item, dict):
            raise ChangedWhileRead(self._paths[file])
        return item

    def raw(self, file: int, offset: int, length: int) -> bytes:
        """The line's bytes, newline included (as its length was when first read)."""
        stream = self._open.get(file)
        if stream is None:
            stream = self._open[file] = Path(self._paths[file]).open("rb")
        if stream.tell() != offset:
            stream.seek(offset)
        raw = stream.readline()
        if len(raw) != length:
            raise ChangedWhileRead(self._paths[file])
        return raw

    def close(self) -> None:
        for stream in self._open.values():
            stream.close()


class ChangedWhileRead(RuntimeError):
    def __init__(self, path: str):
        super().__init__(f"{path}: changed while it was read (a line is no longer where it was); run again")
        self.path = path


def select(
    records: Iterable[Record],
    extra: tuple[tuple[str, str], ...] = (),
    columns: Callable[[list[Lean]], list] | None = None,
    selection: Selection | None = None,
) -> Selection:
    """The first pass: a key row of every (lean) record, with the ``extra`` columns ``columns``
    makes of a batch of them (into ``selection`` when given: an index, or one holding a clusters file)."""
    selection = selection or Selection(extra, columns)
    # The pass makes millions of short-lived objects and no reference cycles: the cyclic garbage
    # collector, run every few hundred allocations, would take a fifth of its time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        pending, flush, size = selection._pending, selection._flush, 0
        for record in records:
            pending.append(record)
            size += record.size
            if len(pending) >= BATCH or size >= BATCH_BYTES:
                flush()
                pending, size = selection._pending, 0
    except BaseException:
        selection.close(failed=True)
        raise
    finally:
        if collecting:
            gc.enable()
    return selection


def merged(
    selection: Selection,
    all_revisions: bool = False,
    problems: Problems | None = None,
    check: Callable[[Record], list[Problem]] | None = check_record,
    ordered: bool = True,
    convert: Callable[..., Any] | None = None,
) -> Iterator[Any]:
    """The second pass: one dataset from many runs, the latest revision of each article (or every
    revision), ordered by datePublished, then site, articleId and revision, fields in schema order.
    With ``problems``, each chosen line is checked (by ``check``: as ``newscrawl validate`` checks
    it, unless another is given) and its problems added there, and it is left out: merge never
    writes a line validate rejects (the callers write nothing when ``problems`` holds anything).
    ``ordered``: fields in schema order (what a JSONL output needs). ``convert`` makes what is
    handed on of each item (an export's row; with a clusters file taken, of the item and its
    clusterId); dates it cannot place are the line's problems."""
    lines = Lines(selection.paths)
    # As in the first pass (select): the lines make no reference cycles, and an export holds a row
    # group of their values, which the cyclic collector would walk again and again (a fifth of a
    # Parquet export's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for file, offset, size, number, *cluster in selection.in_output_order(all_revisions):
            item = lines.item(file, offset, size)
            if problems is not None and check is not None:
                found = check(Record(selection.paths[file], number, item, offset, size))
                if found:  # said, and not handed on: what is written is then discarded
                    problems.extend(found)
                    continue
            if convert is not None:
                try:
                    yield convert(item, *cluster)
                except UnplacedDates as unplaced:
                    if problems is None:
                        raise
                    problems.extend(Problem(selection.paths[file], number, said) for said in unplaced.said)
                continue
            yield field_ordered(item) if ordered else item
    finally:
        lines.close()
        if collecting:
            gc.enable()
