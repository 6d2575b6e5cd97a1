"""The seen/revision store: what was emitted before, across runs (SQLite, embedded).

One row per (site, articleId) with the hash of the last emitted text and its
revision number. WAL mode lets several crawls of one project share the file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

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
"""


@dataclass(frozen=True)
class SeenArticle:
    site: str
    article_id: str
    content_hash: str
    revision: int


class SeenStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

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
        self.db.execute(
            """INSERT INTO articles (site, article_id, content_hash, revision, url, first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (site, article_id) DO UPDATE SET
                   content_hash = excluded.content_hash, revision = excluded.revision,
                   url = excluded.url, last_seen = excluded.last_seen""",
            (site, article_id, content_hash, revision, url, when, when),
        )

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def close(self) -> None:
        self.db.close()
