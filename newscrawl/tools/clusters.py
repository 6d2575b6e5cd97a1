"""The same story across sites and days: near-identical articles grouped, in bounded memory.

Each article (site and articleId: all its revisions are one article) is reduced to a MinHash
sketch of its five-word shingles (newscrawl/article/shingles.py), made from the first revision
the datasets hold. Articles are then taken in order of publication. An article joins the cluster
whose first published member it resembles most, if that resemblance (the sketches' estimate of
the Jaccard similarity of their shingles) is at least ``SIMILARITY``, and if that member was
published at most ``WINDOW_DAYS`` before or after it; otherwise it founds a cluster of its own.
Comparing with the first member, not with any member, keeps a chain of small edits from joining
two different stories. Candidates come from locality-sensitive hashing (rensa's RMinHashLSH) over
the first members of the window only, so memory follows the number of stories a fortnight holds,
never the history.

Everything lives in a SQLite state beside the output (``<output>.db``): each article's sketch,
cluster and similarity, and how far each dataset file was read. A later run reads only the lines
added since (a file is read from the byte where the last run stopped) and clusters only the
articles it has not seen: their windows are loaded from the state, the rest of the history is
never read again. A later revision of a known article only updates its member entry (revisions,
the agencies of its latest line, a withdrawal): it stays in its cluster.

Why rensa, not datasketch (benchmarks/minhash_libraries.py, 20,000 articles, these parameters, one
core): sketches in 21 µs an article against 425 µs, LSH insert and query in 10 µs against 309 µs,
a third of the index memory, the same copies found and the same estimates. At a million articles
that is the difference between seconds and minutes of hashing. Its sketches carry their algorithm
version, and a state written by another version is refused and rebuilt, never mixed.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rensa import RMinHash, RMinHashLSH

from newscrawl.article.dates import AMSTERDAM, instant
from newscrawl.article.files import atomic_output, head_digest
from newscrawl.article.shingles import SHINGLE_WORDS, article_text, shingles
from newscrawl.tools.dataset import Problem, Problems, Record, _record
from newscrawl.tools.present import as_dict

#: the least estimated Jaccard similarity of shingles to a cluster's first member that joins it: a
#: verbatim copy is 1.0; a desk's light edit of agency copy (its own headline, a sentence
#: reworded, a paragraph cut or added) 0.4 to 0.7; a story rewritten on the same event shares
#: its quotes only (below 0.1); two stories of one day and topic share nothing
SIMILARITY = 0.3
#: how far apart in publication two members of one cluster may be: agency copy runs within hours,
#: a re-run within days
WINDOW_DAYS = 7
NUM_PERM = 128  # permutations of a sketch: an estimate within about 0.04 of the true similarity
BANDS = 64  # LSH bands of 2 rows: a pair at 0.3 is a candidate with probability above 0.99
SEED = 1
STATE_VERSION = "1"
COMMIT_EVERY = 5_000
MAX_PATCHED = 100_000  # clusters changed in one run beyond which the clusters file is written whole

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, offset INTEGER NOT NULL, line INTEGER NOT NULL,
    head TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL, article_id TEXT NOT NULL, url TEXT, published TEXT, instant REAL NOT NULL,
    first_revision INTEGER NOT NULL, latest_revision INTEGER NOT NULL, latest_download TEXT NOT NULL,
    agencies TEXT NOT NULL, withdrawn TEXT, sketch BLOB,
    cluster INTEGER, similarity REAL, is_first INTEGER NOT NULL DEFAULT 0,
    UNIQUE (site, article_id));
CREATE INDEX IF NOT EXISTS pending ON articles (instant) WHERE cluster IS NULL;
CREATE INDEX IF NOT EXISTS firsts ON articles (instant) WHERE is_first = 1;
CREATE INDEX IF NOT EXISTS members ON articles (cluster);
"""


def settings_fingerprint() -> dict[str, str]:
    """What a state's sketches and clusters were made with: another value means start again."""
    return {
        "state": STATE_VERSION,
        "similarity": str(SIMILARITY),
        "window_days": str(WINDOW_DAYS),
        "num_perm": str(NUM_PERM),
        "bands": str(BANDS),
        "seed": str(SEED),
        "shingle_words": str(SHINGLE_WORDS),
        "rensa": str(RMinHash.ALGORITHM_VERSION),
    }


@dataclass
class Report:
    lines: int = 0  # lines read in this run
    new_articles: int = 0
    revisions: int = 0  # lines of articles already known
    without_text: int = 0  # new articles whose first line has no text (a withdrawal line)
    joined: int = 0  # new articles that joined a cluster
    founded: int = 0  # new articles that founded one
    clusters: int = 0  # clusters of two or more members, after the run
    clustered: int = 0  # articles in them
    articles: int = 0  # articles in the state, after the run
    rebuilt: str | None = None  # why the state was started again
    problems: Problems = field(default_factory=Problems)


def sketch_of(text: str) -> RMinHash | None:
    tokens = shingles(text)
    if not tokens:
        return None
    minhash = RMinHash(NUM_PERM, SEED)
    minhash.update(list(tokens))
    return minhash


def load_sketch(state: bytes) -> RMinHash:
    minhash = RMinHash(NUM_PERM, SEED)
    minhash.__setstate__(state)  # rensa's own versioned format; never pickle
    return minhash


def _instant(item: dict) -> float:
    """When the article was published (a bare day: its start in Amsterdam); a line without a date
    (a withdrawal line) sorts by its download."""
    metadata = as_dict(item.get("metadata"))
    for value in (item.get("datePublished"), metadata.get("dateDownloaded"), metadata.get("withdrawn")):
        when = instant(value, AMSTERDAM)
        if when is not None:
            return when.timestamp()
    return 0.0


def _revision(item: dict) -> int:
    value = as_dict(item.get("metadata")).get("revision")
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


class ClusterState:
    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        # The clusters this run changed (their lines are written again), or None: the whole file is.
        self.dirty: set[int] | None = None

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def fingerprint_problem(self) -> str | None:
        stored = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if not stored:
            return None
        wanted = settings_fingerprint()
        changed = [f"{key} {stored.get(key)} → {value}" for key, value in wanted.items() if stored.get(key) != value]
        return "made with other settings (" + ", ".join(changed) + ")" if changed else None

    def reset(self) -> None:
        self.db.executescript("DELETE FROM files; DELETE FROM articles; DELETE FROM meta;")
        self.db.commit()

    def counter(self, name: str) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (f"count:{name}",)).fetchone()
        return int(row[0]) if row else 0

    def count(self, name: str, by: int) -> None:
        """The state's totals kept as it changes: a run never counts the whole history again."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"count:{name}", str(self.counter(name) + by)))

    def changed(self, cluster: int | None) -> None:
        if self.dirty is not None and cluster is not None:
            self.dirty.add(cluster)
            if len(self.dirty) > MAX_PATCHED:
                self.dirty = None  # so much changed that writing the whole file is cheaper

    def output_mark(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'output'").fetchone()
        return row[0] if row else None

    def save_output_mark(self, mark: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('output', ?)", (mark,))

    def save_fingerprint(self) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", settings_fingerprint().items())

    def file_position(self, path: Path) -> tuple[int, int] | str:
        """Where to read ``path`` from (byte, line number), or why the state no longer fits it."""
        row = self.db.execute("SELECT offset, line, head FROM files WHERE path = ?", (str(path),)).fetchone()
        if row is None:
            return 0, 0
        offset, line, head = row
        size = path.stat().st_size
        if size < offset or head_digest(path, offset) != head:
            return f"{path} was rewritten since the last run"
        return offset, line

    # --- reading new lines ----------------------------------------------------------
    def ingest(self, path: Path, position: tuple[int, int], report: Report) -> None:
        """Read ``path`` from ``position`` (byte, line number: its file_position)."""
        offset, number = position
        name = str(path)
        with path.open("rb") as stream:
            stream.seek(offset)
            for raw in stream:
                if not raw.endswith(b"\n"):
                    break  # a line still being written: the next run reads it whole
                offset += len(raw)
                number += 1
                if not raw.strip():
                    continue
                record = _record(name, number, raw, report.problems)
                if record is not None:
                    self.add(record, report)
                report.lines += 1
                if report.lines % COMMIT_EVERY == 0:
                    self._remember(path, offset, number)
                    self.db.commit()
        self._remember(path, offset, number)
        self.db.commit()

    def _remember(self, path: Path, offset: int, line: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (str(path), offset, line, head_digest(path, offset))
        )

    def add(self, record: Record, report: Report) -> None:
        item = record.item
        site, article_id = item.get("site"), item.get("articleId")
        if not isinstance(site, str) or not isinstance(article_id, str):
            report.problems.append(Problem(record.path, record.line, "not an article line (no site or articleId)"))
            return
        metadata = as_dict(item.get("metadata"))
        revision, download = _revision(item), str(metadata.get("dateDownloaded") or "")
        agencies = json.dumps([a for a in item.get("agencies") or [] if isinstance(a, str)])
        withdrawn = metadata.get("withdrawn") if isinstance(metadata.get("withdrawn"), str) else None
        row = self.db.execute(
            "SELECT id, first_revision, latest_revision, latest_download, cluster FROM articles"
            " WHERE site = ? AND article_id = ?",
            (site, article_id),
        ).fetchone()
        text = article_text(item) if not withdrawn else ""
        if row is None:
            minhash = sketch_of(text) if text.strip() else None
            report.new_articles += 1
            report.without_text += minhash is None
            self.count("articles", 1)
            self.db.execute(
                "INSERT INTO articles (site, article_id, url, published, instant, first_revision, latest_revision,"
                " latest_download, agencies, withdrawn, sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    site,
                    article_id,
                    item.get("canonicalUrl") or item.get("url"),
                    item.get("datePublished"),
                    _instant(item),
                    revision,
                    revision,
                    download,
                    agencies,
                    withdrawn,
                    minhash.__getstate__() if minhash is not None else None,
                ),
            )
            return
        report.revisions += 1
        row_id, first, latest, latest_download, cluster = row
        self.changed(cluster)
        if (revision, download) >= (latest, latest_download):
            # The latest line says what the article is now: its credits, whether it is withdrawn.
            self.db.execute(
                "UPDATE articles SET latest_revision = ?, latest_download = ?, agencies = ?, withdrawn = ?,"
                " url = coalesce(?, url) WHERE id = ?",
                (revision, download, agencies, withdrawn, item.get("canonicalUrl"), row_id),
            )
        if revision < first and cluster is None and text.strip():
            # An earlier revision than the one seen (datasets given out of order): its text is the
            # article's first, as long as the article is not clustered yet.
            minhash = sketch_of(text)
            self.db.execute(
                "UPDATE articles SET first_revision = ?, sketch = ?, published = coalesce(?, published) WHERE id = ?",
                (revision, minhash.__getstate__() if minhash else None, item.get("datePublished"), row_id),
            )

    # --- clustering the new articles ---------------------------------------------------
    def assign(self, report: Report) -> None:
        """Each article not yet clustered, in order of publication, joins or founds a cluster."""
        window = WINDOW_DAYS * 86_400.0
        index = RMinHashLSH(threshold=SIMILARITY, num_perm=NUM_PERM, num_bands=BANDS)
        firsts: dict[int, tuple[float, RMinHash, int]] = {}  # id → (instant, sketch, cluster)
        order: list[tuple[float, int]] = []  # a heap of (instant, id) of what the index holds
        loaded_until: float | None = None
        writes = 0
        for row_id, when, state in self._pending():
            # Slide the window: first members up to WINDOW_DAYS after this article in, older ones out.
            if loaded_until is None or when + window > loaded_until:
                lower = when - window if loaded_until is None else loaded_until
                rows = self.db.execute(
                    "SELECT id, instant, sketch, cluster FROM articles WHERE is_first = 1 AND instant >= ?"
                    " AND instant <= ? ORDER BY instant",
                    (lower, when + window),
                ).fetchall()
                for first_id, first_when, first_state, first_cluster in rows:
                    if first_id not in firsts and first_state is not None:
                        self._index(index, firsts, order, first_id, first_when, load_sketch(first_state), first_cluster)
                loaded_until = when + window
            while order and order[0][0] < when - window:
                _, old = heapq.heappop(order)
                if old in firsts and firsts[old][0] < when - window:
                    index.remove(old)
                    del firsts[old]
            minhash = load_sketch(state) if state is not None else None
            best: tuple[float, int] | None = None
            if minhash is not None:
                for candidate in index.query(minhash):
                    candidate_when, candidate_sketch, _ = firsts[candidate]
                    if abs(candidate_when - when) > window:
                        continue
                    similarity = minhash.jaccard(candidate_sketch)
                    if similarity >= SIMILARITY and (best is None or similarity > best[0]):
                        best = (similarity, candidate)
            if best is None:
                report.founded += 1
                self.changed(row_id)  # a cluster of one: a line of its own with --singletons
                self.db.execute(
                    "UPDATE articles SET cluster = ?, similarity = 1.0, is_first = 1 WHERE id = ?", (row_id, row_id)
                )
                if minhash is not None:
                    self._index(index, firsts, order, row_id, when, minhash, row_id)
            else:
                report.joined += 1
                similarity, first_id = best
                first_when, first_sketch, cluster = firsts[first_id]
                self.changed(cluster)
                size = self.db.execute("SELECT count(*) FROM articles WHERE cluster = ?", (cluster,)).fetchone()[0]
                self.count("clusters", 1 if size == 1 else 0)
                self.count("clustered", 2 if size == 1 else 1)
                if when < first_when:
                    # Published before the cluster's first member (a backfill): it is the first now,
                    # and every member's similarity is to it.
                    self.db.execute("UPDATE articles SET is_first = 0 WHERE id = ?", (first_id,))
                    index.remove(first_id)
                    del firsts[first_id]
                    self.db.execute(
                        "UPDATE articles SET cluster = ?, similarity = 1.0, is_first = 1 WHERE id = ?",
                        (cluster, row_id),
                    )
                    self._index(index, firsts, order, row_id, when, minhash, cluster)
                    self._rescore(cluster, row_id, minhash)
                else:
                    self.db.execute(
                        "UPDATE articles SET cluster = ?, similarity = ? WHERE id = ?",
                        (cluster, round(similarity, 4), row_id),
                    )
            writes += 1
            if writes % COMMIT_EVERY == 0:
                self.db.commit()
        self.db.commit()

    def _pending(self) -> Iterator[tuple[int, float, bytes | None]]:
        """The articles not yet clustered, in order of publication, a batch at a time (each batch
        read whole before the updates that take its rows out of the pending index)."""
        while True:
            batch = self.db.execute(
                "SELECT id, instant, sketch FROM articles WHERE cluster IS NULL ORDER BY instant, id LIMIT ?",
                (COMMIT_EVERY,),
            ).fetchall()
            if not batch:
                return
            yield from batch

    @staticmethod
    def _index(index, firsts, order, row_id: int, when: float, minhash: RMinHash, cluster: int) -> None:
        index.insert(row_id, minhash)
        firsts[row_id] = (when, minhash, cluster)
        heapq.heappush(order, (when, row_id))

    def _rescore(self, cluster: int, first_id: int, first: RMinHash) -> None:
        members = self.db.execute(
            "SELECT id, sketch FROM articles WHERE cluster = ? AND id != ?", (cluster, first_id)
        ).fetchall()
        for member_id, state in members:
            similarity = first.jaccard(load_sketch(state)) if state is not None else 0.0
            self.db.execute("UPDATE articles SET similarity = ? WHERE id = ?", (round(similarity, 4), member_id))

    # --- the output ----------------------------------------------------------------------
    def clusters(self, singletons: bool = False, only: set[int] | None = None) -> Iterator[dict[str, Any]]:
        """The clusters (``only`` these), each with its members in order of publication, streamed
        from the state (SQLite sorts on disk: memory does not grow with the number of articles)."""
        having = "" if singletons else "HAVING count(*) > 1"
        chosen = ""
        if only is not None:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS chosen (id INTEGER PRIMARY KEY)")
            self.db.execute("DELETE FROM chosen")
            self.db.executemany("INSERT INTO chosen VALUES (?)", ((cluster,) for cluster in only))
            chosen = " WHERE cluster IN (SELECT id FROM chosen)"
        rows = self.db.execute(
            "SELECT f.site || ':' || f.article_id, a.site, a.article_id, a.url, a.published, a.similarity,"
            " a.agencies, a.withdrawn, a.latest_revision, a.is_first FROM articles a"
            f" JOIN (SELECT cluster FROM articles{chosen} GROUP BY cluster {having}) c ON a.cluster = c.cluster"
            " JOIN articles f ON f.id = a.cluster"
            " ORDER BY a.cluster, a.instant, a.id"
        )
        current: str | None = None
        members: list[dict[str, Any]] = []
        for cluster, site, article_id, url, published, similarity, agencies, withdrawn, revisions, is_first in rows:
            if cluster != current and members:
                yield _cluster(current or "", members)
                members = []
            current = cluster
            member: dict[str, Any] = {
                "site": site,
                "articleId": article_id,
                "url": url,
                "datePublished": published,
                "similarity": 1.0 if is_first else similarity,
                "agencies": json.loads(agencies),
                "creditsAgency": agencies != "[]",
                "revisions": revisions,
            }
            if withdrawn:
                member["withdrawn"] = withdrawn
            members.append(member)
        if members:
            yield _cluster(current or "", members)

    def counts(self, report: Report) -> None:
        report.articles, report.clusters, report.clustered = (
            self.counter("articles"),
            self.counter("clusters"),
            self.counter("clustered"),
        )


def _cluster(cluster_id: str, members: list[dict[str, Any]]) -> dict[str, Any]:
    first = members[0]
    return {
        "clusterId": cluster_id,
        "size": len(members),
        "sites": sorted({member["site"] for member in members}),
        "first": {key: first[key] for key in ("site", "articleId", "url", "datePublished")},
        "agencyCopy": any(member["creditsAgency"] for member in members),
        "members": members,
    }


def state_path(output: Path) -> Path:
    return output.with_name(output.name + ".db")


def update(datasets: list[Path], output: Path, singletons: bool = False, rebuild: bool = False) -> Report:
    """Bring the clusters of ``output`` up to date with ``datasets``: read what is new, cluster the
    articles not yet clustered, write the clusters file again (atomically, streamed)."""
    report = Report()
    datasets = [path.resolve() for path in datasets]  # one file, however it is named on the command line
    state = ClusterState(state_path(output))
    try:
        why = "asked (--rebuild)" if rebuild else state.fingerprint_problem()
        # Each file's position, checked once: a file rewritten since means everything again.
        checked = {path: state.file_position(path) for path in datasets} if why is None else {}
        why = why or next((position for position in checked.values() if isinstance(position, str)), None)
        positions = {path: p for path, p in checked.items() if isinstance(p, tuple)} if why is None else {}
        if why is not None:
            report.rebuilt = why
            state.reset()
        state.save_fingerprint()
        # The file the last run wrote, untouched since: only the clusters this run changes are
        # written again, the others copied as they are.
        if why is None and output.is_file() and state.output_mark() == _mark(output, singletons):
            state.dirty = set()
        for path in datasets:
            state.ingest(path, positions.get(path, (0, 0)), report)
        state.assign(report)
        state.counts(report)
        if state.dirty is None:
            _write(state.clusters(singletons), output)
        else:
            _patch(output, state, singletons)
        state.save_output_mark(_mark(output, singletons))
    finally:
        state.close()
    return report


def _mark(output: Path, singletons: bool) -> str:
    status = output.stat()
    return f"{status.st_size}:{status.st_mtime_ns}:{int(singletons)}"


def _cluster_id_of(line: bytes) -> str:
    """The clusterId of a line of the clusters file (its first key, as _cluster writes it)."""
    start = len(b'{"clusterId": ')
    return str(json.loads(line[start : line.index(b', "size": ', start)]))


def _patch(output: Path, state: ClusterState, singletons: bool) -> None:
    """The clusters file again: the lines of clusters this run did not change copied byte for
    byte, then the changed ones (so the file's tail is what changed last)."""
    dirty = state.dirty or set()
    names = set()
    for cluster_id in dirty:
        row = state.db.execute("SELECT site, article_id FROM articles WHERE id = ?", (cluster_id,)).fetchone()
        names.add(f"{row[0]}:{row[1]}")
    with atomic_output(output) as stream, output.open("rb") as old:
        for line in old:
            if _cluster_id_of(line) not in names:
                stream.write(line)
        for changed in state.clusters(singletons, only=dirty):
            stream.write((json.dumps(changed, ensure_ascii=False) + "\n").encode("utf-8"))


def _write(clusters: Iterator[dict[str, Any]], out: Path) -> None:
    with atomic_output(out) as stream:
        for cluster in clusters:
            stream.write((json.dumps(cluster, ensure_ascii=False) + "\n").encode("utf-8"))


def cluster_ids(clusters_file: Path) -> Iterator[tuple[tuple[str, str], str, bool]]:
    """((site, articleId), clusterId, is the cluster's first member) for each member of a clusters
    file, read line by line."""
    with clusters_file.open("r", encoding="utf-8") as stream:
        for line in stream:
            if not line.strip():
                continue
            cluster = json.loads(line)
            first = cluster["first"]
            for member in cluster["members"]:
                key = (member["site"], member["articleId"])
                yield key, cluster["clusterId"], key == (first["site"], first["articleId"])
