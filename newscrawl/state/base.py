"""What the state stores keep, and the interface every store (SQLite, Redis) offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class FetchRecord:
    """What the last successful fetch of an article left us: HTTP validators and the discovery lastmod."""

    etag: str | None
    last_modified: str | None
    lastmod_hint: str | None


@dataclass(frozen=True)
class SeenArticle:
    site: str
    article_id: str
    content_hash: str
    revision: int


@dataclass
class Baseline:
    """What healthy runs of a site looked like: field coverage, fallback share, links per listing
    page (averaged over the healthy runs so far), to tell a bad run from a site that is like that."""

    metrics: dict[str, float]
    runs: int


class Store(Protocol):
    """The dedup/revision and HTTP-validator state of every run, and this run's emission claims."""

    def get(self, site: str, article_id: str) -> SeenArticle | None: ...
    def find_by_hash(self, content_hash: str) -> SeenArticle | None: ...
    def record(self, site: str, article_id: str, content_hash: str, revision: int, url: str, when: str) -> None: ...
    def get_fetch(self, article_key: str) -> FetchRecord | None: ...
    def record_fetch(
        self,
        article_key: str,
        url: str,
        etag: str | None,
        last_modified: str | None,
        lastmod_hint: str | None,
        when: str,
    ) -> None: ...

    def claim(self, site: str, article_id: str, content_hash: str) -> str | None:
        """Claim an article for emission: None, or why not ('unchanged', 'duplicate', 'same_content:<site:id>')."""

    def release(self, site: str, article_id: str, content_hash: str) -> None:
        """The claimed item was not emitted after all (dropped or rejected)."""

    def get_baseline(self, site: str) -> Baseline | None: ...
    def record_baseline(self, site: str, baseline: Baseline, when: str) -> None: ...
    def __len__(self) -> int: ...
    def close(self) -> None: ...
