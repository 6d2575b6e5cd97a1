"""The embedded state store (SQLite): what was emitted before, across runs.

One row per (site, articleId) with the hash of the last emitted text and its
revision number. WAL mode lets several crawls of one project share the file.

Writes are batched: one transaction per BATCH_WRITES writes or BATCH_SECONDS, committed at
close (a commit per item was a WAL append per item). A process killed outright loses at most
that batch: those articles are emitted once more by the next run, never lost.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scrapy.crawler import Crawler

from newscrawl.article.clock import crawl_clock
from newscrawl.state import state_db, state_window_days
from newscrawl.state.base import Baseline, FetchRecord, SeenArticle

_FETCH_COLUMNS = "etag, last_modified, lastmod_hint, published, due, gone, url"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    url TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    date_modified TEXT,
    PRIMARY KEY (site, article_id)
);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles (content_hash);
-- Expiry deletes what is older than the window: by index, not a scan of every article ever seen.
CREATE INDEX IF NOT EXISTS articles_by_last_seen ON articles (last_seen);
CREATE TABLE IF NOT EXISTS fetches (
    article_key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    lastmod_hint TEXT,
    fetched_at TEXT NOT NULL,
    published TEXT,
    due TEXT,
    gone TEXT
);
CREATE INDEX IF NOT EXISTS fetches_by_due ON fetches (due) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS fetches_by_time ON fetches (fetched_at);
CREATE TABLE IF NOT EXISTS listed (
    article_key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    published TEXT,
    first_listed TEXT NOT NULL,
    last_listed TEXT NOT NULL,
    outcome TEXT,
    outcome_at TEXT
);
CREATE INDEX IF NOT EXISTS listed_by_time ON listed (last_listed);
CREATE TABLE IF NOT EXISTS daily (
    site TEXT NOT NULL,
    day TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    fetched INTEGER NOT NULL DEFAULT 0,
    not_modified INTEGER NOT NULL DEFAULT 0,
    revisits INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day)
);
CREATE TABLE IF NOT EXISTS feed_marks (
    path TEXT PRIMARY KEY,
    offset INTEGER NOT NULL,
    head TEXT NOT NULL,
    tally TEXT
);
CREATE TABLE IF NOT EXISTS baselines (
    site TEXT PRIMARY KEY,
    metrics TEXT NOT NULL,
    runs INTEGER NOT NULL,
    updated TEXT NOT NULL
);
"""

# Columns added to a table after its first version: (table → columns), all TEXT, NULL in old rows.
_ADDED_COLUMNS = {"articles": ("date_modified",), "fetches": ("published", "due", "gone"), "feed_marks": ("tally",)}

BATCH_WRITES = 500
BATCH_SECONDS = 1.0


class SqliteStore:
    def __init__(self, path: str | Path, expire_days: float = 0, now: datetime | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._add_columns()
        self.db.executescript(_SCHEMA)
        if expire_days:
            # Measured from the crawl's clock (CRAWL_NOW), so a simulated week expires as a real one would.
            self.expire((now or datetime.now(UTC)) - timedelta(days=expire_days))
        # Items let through but not yet written, this run: (site, id) → hash and hash → "site:id".
        # Scrapy runs pipelines concurrently, so a copy can arrive before the original is recorded.
        self.claimed_keys: dict[tuple[str, str], str] = {}
        self.claimed_hashes: dict[str, str] = {}
        self._batch_writes = 0
        self._batch_started = 0.0

    def _add_columns(self) -> None:
        """A state written by an earlier version gains the columns added since (its rows keep NULL there)."""
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if not present:
                continue  # a new state: the schema creates the table whole
            for column in columns:
                if column not in present:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    def _write(self, sql: str, params: tuple) -> None:
        """A write inside the open batch; the batch is committed when it is full or old enough."""
        if not self.db.in_transaction:
            self.db.execute("BEGIN")
            self._batch_writes, self._batch_started = 0, time.monotonic()
        self.db.execute(sql, params)
        self._batch_writes += 1
        if self._batch_writes >= BATCH_WRITES or time.monotonic() - self._batch_started >= BATCH_SECONDS:
            self.commit()

    def commit(self) -> None:
        if self.db.in_transaction:
            self.db.execute("COMMIT")

    def expire(self, before: datetime) -> tuple[int, int]:
        """Forget articles whose last new text, and validators whose last fetch, is older than ``before``."""
        cutoff = before.astimezone(UTC).isoformat(timespec="seconds")
        articles = self.db.execute("DELETE FROM articles WHERE last_seen < ?", (cutoff,)).rowcount
        fetches = self.db.execute("DELETE FROM fetches WHERE fetched_at < ?", (cutoff,)).rowcount
        self.db.execute("DELETE FROM listed WHERE last_listed < ?", (cutoff,))
        return articles, fetches

    def get(self, site: str, article_id: str) -> SeenArticle | None:
        row = self.db.execute(
            "SELECT site, article_id, content_hash, revision, date_modified FROM articles WHERE site = ? AND article_id = ?",
            (site, article_id),
        ).fetchone()
        return SeenArticle(*row) if row else None

    def find_by_hash(self, content_hash: str) -> SeenArticle | None:
        row = self.db.execute(
            "SELECT site, article_id, content_hash, revision, date_modified FROM articles WHERE content_hash = ? LIMIT 1",
            (content_hash,),
        ).fetchone()
        return SeenArticle(*row) if row else None

    def record(
        self,
        site: str,
        article_id: str,
        content_hash: str,
        revision: int,
        url: str,
        when: str,
        date_modified: str | None = None,
    ) -> None:
        self._write(
            """INSERT INTO articles (site, article_id, content_hash, revision, url, first_seen, last_seen, date_modified)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (site, article_id) DO UPDATE SET
                   content_hash = excluded.content_hash, revision = excluded.revision,
                   url = excluded.url, last_seen = excluded.last_seen, date_modified = excluded.date_modified""",
            (site, article_id, content_hash, revision, url, when, when, date_modified),
        )

    def get_fetch(self, article_key: str) -> FetchRecord | None:
        row = self.db.execute(f"SELECT {_FETCH_COLUMNS} FROM fetches WHERE article_key = ?", (article_key,)).fetchone()
        return FetchRecord(*row) if row else None

    def set_revisit(self, article_key: str, published: str | None, due: str | None) -> None:
        self._write(
            "UPDATE fetches SET published = COALESCE(?, published), due = ? WHERE article_key = ?",
            (published, due, article_key),
        )

    def due_revisits(self, site: str, now: str, limit: int) -> list[tuple[str, FetchRecord]]:
        # Keys are "<site>:<id>": the range of the site's keys, read through the index on due.
        rows = self.db.execute(
            f"""SELECT article_key, {_FETCH_COLUMNS} FROM fetches
                WHERE due IS NOT NULL AND due <= ? AND article_key >= ? AND article_key < ?
                ORDER BY due LIMIT ?""",
            (now, f"{site}:", f"{site};", limit),
        ).fetchall()
        return [(row[0], FetchRecord(*row[1:])) for row in rows]

    def knows_site(self, site: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM fetches WHERE article_key >= ? AND article_key < ? LIMIT 1", (f"{site}:", f"{site};")
        ).fetchone()
        return row is not None

    def set_gone(self, article_key: str, when: str | None) -> None:
        self._write("UPDATE fetches SET gone = ? WHERE article_key = ?", (when, article_key))

    def record_fetch(
        self,
        article_key: str,
        url: str,
        etag: str | None,
        last_modified: str | None,
        lastmod_hint: str | None,
        when: str,
    ) -> None:
        self._write(
            """INSERT INTO fetches (article_key, url, etag, last_modified, lastmod_hint, fetched_at) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (article_key) DO UPDATE SET url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
                   lastmod_hint = COALESCE(excluded.lastmod_hint, fetches.lastmod_hint), fetched_at = excluded.fetched_at""",
            (article_key, url, etag, last_modified, lastmod_hint, when),
        )

    def record_listed(self, article_key: str, url: str, published: str | None, when: str) -> None:
        self._write(
            """INSERT INTO listed (article_key, url, published, first_listed, last_listed) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (article_key) DO UPDATE SET last_listed = excluded.last_listed,
                   published = COALESCE(listed.published, excluded.published)""",
            (article_key, url, published, when, when),
        )

    def record_outcome(self, article_key: str, outcome: str, when: str) -> None:
        self._write("UPDATE listed SET outcome = ?, outcome_at = ? WHERE article_key = ?", (outcome, when, article_key))

    def recent_publications(self, site: str, limit: int) -> list[str]:
        rows = self.db.execute(
            """SELECT published FROM listed WHERE article_key >= ? AND article_key < ? AND published IS NOT NULL
               ORDER BY first_listed DESC LIMIT ?""",
            (f"{site}:", f"{site};", limit),
        )
        return [row[0] for row in rows]

    def add_daily(self, site: str, day: str, counts: dict[str, int]) -> None:
        self._write(
            """INSERT INTO daily (site, day, requests, fetched, not_modified, revisits) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (site, day) DO UPDATE SET requests = daily.requests + excluded.requests,
                   fetched = daily.fetched + excluded.fetched, not_modified = daily.not_modified + excluded.not_modified,
                   revisits = daily.revisits + excluded.revisits""",
            (site, day, *(int(counts.get(name, 0)) for name in ("requests", "fetched", "not_modified", "revisits"))),
        )

    def claim(self, site: str, article_id: str, content_hash: str) -> str | None:
        """Claim an article for emission: None, or why not ('unchanged', 'duplicate', 'same_content:<site:id>')."""
        claimed = self.claimed_keys.get((site, article_id))
        if claimed is not None:
            return "unchanged" if claimed == content_hash else "duplicate"
        holder = self.claimed_hashes.get(content_hash)
        if holder is not None and holder != f"{site}:{article_id}":
            return f"same_content:{holder}"
        self.claimed_keys[(site, article_id)] = content_hash
        self.claimed_hashes[content_hash] = f"{site}:{article_id}"
        return None

    def release(self, site: str, article_id: str, content_hash: str) -> None:
        """The claimed item was not emitted after all (dropped or rejected)."""
        if self.claimed_keys.get((site, article_id)) == content_hash:
            del self.claimed_keys[(site, article_id)]
        if self.claimed_hashes.get(content_hash) == f"{site}:{article_id}":
            del self.claimed_hashes[content_hash]

    def feed_mark(self, path: str) -> tuple[int, str] | None:
        row = self.db.execute("SELECT offset, head FROM feed_marks WHERE path = ?", (path,)).fetchone()
        return (row[0], row[1]) if row else None

    def set_feed_mark(self, path: str, offset: int, head: str, tally: str | None = None) -> None:
        self._write(
            "INSERT OR REPLACE INTO feed_marks (path, offset, head, tally) VALUES (?, ?, ?, ?)",
            (path, offset, head, tally),
        )

    def feed_tally(self, path: str) -> str | None:
        row = self.db.execute("SELECT tally FROM feed_marks WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def get_baseline(self, site: str) -> Baseline | None:
        row = self.db.execute("SELECT metrics, runs FROM baselines WHERE site = ?", (site,)).fetchone()
        return Baseline(json.loads(row[0]), row[1]) if row else None

    def record_baseline(self, site: str, baseline: Baseline, when: str) -> None:
        self.db.execute(
            """INSERT INTO baselines (site, metrics, runs, updated) VALUES (?, ?, ?, ?)
               ON CONFLICT (site) DO UPDATE SET metrics = excluded.metrics, runs = excluded.runs, updated = excluded.updated""",
            (site, json.dumps(baseline.metrics), baseline.runs, when),
        )

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def close(self) -> None:
        self.commit()
        self.db.close()


def embedded_store(crawler: Crawler) -> SqliteStore:
    """The crawl's own store (the default STATE_STORE_FACTORY): SQLite at STATE_DB."""
    settings = crawler.settings
    return SqliteStore(state_db(settings), state_window_days(settings), crawl_clock(crawler).now())
