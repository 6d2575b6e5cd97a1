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
    # The revisit schedule (newscrawl/crawl/revisits.py): when the article was published, when it is
    # next due, and since when it answers as withdrawn (404/410, or a redirect to a section page).
    published: str | None = None
    due: str | None = None
    gone: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SeenArticle:
    site: str
    article_id: str
    content_hash: str
    revision: int
    date_modified: str | None = None  # the emitted revision's dateModified: an edit that kept it is silent


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
    def record(
        self,
        site: str,
        article_id: str,
        content_hash: str,
        revision: int,
        url: str,
        when: str,
        date_modified: str | None = None,
    ) -> None: ...
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

    def set_revisit(self, article_key: str, published: str | None, due: str | None) -> None:
        """When the article was published and when it is next due for a revisit (None: never again)."""

    def due_revisits(self, site: str, now: str, limit: int) -> list[tuple[str, FetchRecord]]:
        """The site's articles due for a revisit at ``now``, most overdue first, at most ``limit``."""

    def knows_site(self, site: str) -> bool:
        """Whether any article of ``site`` was captured (within the state's window)."""

    def set_gone(self, article_key: str, when: str | None) -> None:
        """Since when the article answers as withdrawn (None: it is back)."""

    # --- the coverage ledger (newscrawl coverage) ---
    def record_listed(self, article_key: str, url: str, published: str | None, when: str) -> None:
        """A discovery page listed the article (first and last time seen listed, its publication hint)."""

    def record_outcome(self, article_key: str, outcome: str, when: str) -> None:
        """How a listed article's latest request ended (the URL ledger's outcome)."""

    def recent_publications(self, site: str, limit: int) -> list[str]:
        """The publication hints of the site's ``limit`` most recently listed articles (ISO, newest listed first)."""

    def add_daily(self, site: str, day: str, counts: dict[str, int]) -> None:
        """Add a run's requests, full downloads, 304s and revisits to the site's day (Amsterdam)."""

    def claim(self, site: str, article_id: str, content_hash: str) -> str | None:
        """Claim an article for emission: None, or why not ('unchanged', 'duplicate', 'same_content:<site:id>')."""

    def release(self, site: str, article_id: str, content_hash: str) -> None:
        """The claimed item was not emitted after all (dropped or rejected)."""

    # --- what the datasets hold (newscrawl/crawl/pipelines/dedup.py) ---
    def feed_mark(self, path: str) -> tuple[int, str] | None:
        """How much of a dataset file the state answers for: (bytes, digest of its first bytes),
        as the last run that closed cleanly left it; None when no run did."""

    def set_feed_mark(self, path: str, offset: int, head: str, tally: str | None = None) -> None:
        """Every line of the file up to ``offset`` is recorded (a run closed cleanly); ``tally``:
        its lines and digest up to there (article.files.Tally.as_text), for the next manifest."""

    def feed_tally(self, path: str) -> str | None:
        """The tally saved with the file's mark (None when none was)."""

    def get_baseline(self, site: str) -> Baseline | None: ...
    def record_baseline(self, site: str, baseline: Baseline, when: str) -> None: ...
    def __len__(self) -> int: ...
    def close(self) -> None: ...
