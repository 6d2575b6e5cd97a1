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

from newscrawl.state.base import Baseline, FetchRecord, SeenArticle

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    url TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (site, article_id)
);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles (content_hash);
CREATE TABLE IF NOT EXISTS fetches (
    article_key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    lastmod_hint TEXT,
    fetched_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS baselines (
    site TEXT PRIMARY KEY,
    metrics TEXT NOT NULL,
    runs INTEGER NOT NULL,
    updated TEXT NOT NULL
);
"""


BATCH_WRITES = 500
BATCH_SECONDS = 1.0


class SqliteStore:
    def __init__(self, path: str | Path, expire_days: float = 0, now: datetime | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
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
        return articles, fetches

    def get(self, site: str, article_id: str) -> SeenArticle | None:
        row = self.db.execute(
            "SELECT site, article_id, content_hash, revision FROM articles WHERE site = ? AND article_id = ?",
            (site, article_id),
        ).fetchone()
        return SeenArticle(*row) if row else None

    def find_by_hash(self, content_hash: str) -> SeenArticle | None:
        row = self.db.execute(
            "SELECT site, article_id, content_hash, revision FROM articles WHERE content_hash = ? LIMIT 1",
            (content_hash,),
        ).fetchone()
        return SeenArticle(*row) if row else None

    def record(self, site: str, article_id: str, content_hash: str, revision: int, url: str, when: str) -> None:
        self._write(
            """INSERT INTO articles (site, article_id, content_hash, revision, url, first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (site, article_id) DO UPDATE SET
                   content_hash = excluded.content_hash, revision = excluded.revision,
                   url = excluded.url, last_seen = excluded.last_seen""",
            (site, article_id, content_hash, revision, url, when, when),
        )

    def get_fetch(self, article_key: str) -> FetchRecord | None:
        row = self.db.execute(
            "SELECT etag, last_modified, lastmod_hint FROM fetches WHERE article_key = ?", (article_key,)
        ).fetchone()
        return FetchRecord(*row) if row else None

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
