"""`scrapy crawl`, which alone writes the default feed (DEFAULT_FEED) when no -o/-O or FEEDS is given.

`scrapy parse`, `scrapy check` and `scrapy shell` run the same spiders and add-ons: without this
they would write an empty dataset and overwrite the manifest of the last real crawl. Only this
command switches on the run's checks and alerts (Spidermon): a parse of one page is not a run.

Before the crawl starts it takes a lock on each local dataset file and on the spider's SQLite
state (a second crawl of the same spider onto them refuses at once, with one line), and refuses
``-O`` over a non-empty dataset that an incremental state has already seen (the new file would
hold only what changed since). After the crawl it exits non-zero when the dataset or its
manifest could not be written.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
import sys
from contextlib import closing
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.settings import Settings

from newscrawl.article.clock import BadInstant, clock_from_settings
from newscrawl.cluster.redis import REDIS_PASSWORD_ENV, redis_url
from newscrawl.crawl.archive import WarcArchive, replay_source
from newscrawl.crawl.feeds import feeds_or_default, local_path, with_spider_name
from newscrawl.crawl.revisits import revisit_hours
from newscrawl.crawl.spiders.arguments import BadArgument, SpiderArgs
from newscrawl.run.alerts import SECRETS, plaintext_login
from newscrawl.run.health import RENAMED_SETTINGS
from newscrawl.state import state_db

#: stats that mean the dataset or its manifest on disk is not what the run reports
WRITE_FAILURES = ("feed/write_failed", "manifest/write_failed")


class Refused(Exception):
    """The crawl must not start: one line says why."""


def _lock(path: Path, what: str, spider: str) -> IO[bytes]:
    """An exclusive lock on ``path`` (created if missing), held until the process ends."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("ab")
    except OSError as exc:
        raise Refused(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise Refused(f"another crawl of {spider} is writing {what} {path}; wait for it to finish") from None
    return handle


def check_dataset_path(path: Path) -> None:
    """The dataset must be a regular file of its own, or new: a planted symlink or hard link would
    make the crawl write into (or -O empty) another file; a FIFO or device would hang or swallow it."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise Refused(f"cannot use the dataset {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise Refused(
            f"the dataset {path} is a symbolic link (to {os.readlink(path)}): give the real file or a new path"
        )
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"the dataset {path} is not a regular file (a directory, FIFO or device)")
    if info.st_nlink > 1:
        raise Refused(f"the dataset {path} has {info.st_nlink} names (hard links): writing it would change the others")


def check_state(path: Path) -> None:
    """A state file that exists must be a writable SQLite database; else one line, not a traceback mid-crawl."""
    if not path.exists():
        return
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise Refused(f"the state {path} is read-only: the crawl could not record what it emits")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise Refused(
            f"the state {path} is not a readable SQLite database ({exc}); move it away to start a new state"
        ) from None


class Command(ScrapyCrawl):
    @property
    def project_settings(self) -> Settings:
        """The settings Scrapy gave the command (set before any option is read)."""
        assert self.settings is not None
        return self.settings

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        self.project_settings.set("WRITE_DEFAULT_FEED", True, priority="cmdline")
        # A crawl is a run: its health is checked and a failure alerted (unless -s turned it off).
        self.project_settings.set("SPIDERMON_ENABLED", True, priority="project")  # -s (cmdline) still wins

    def run(self, args: list[str], opts) -> None:
        if len(args) != 1:
            raise UsageError
        try:
            self.locks = self.preflight(args[0], dict(getattr(opts, "spargs", {}) or {}))
        except Refused as refusal:
            print(f"newscrawl: refused: {refusal}", file=sys.stderr)
            self.exitcode = 2
            return
        super().run(args, opts)
        crawler = getattr(self, "crawler", None)
        if (
            crawler is not None
            and crawler.stats is not None
            and any(crawler.stats.get_value(name) for name in WRITE_FAILURES)
        ):
            self.exitcode = 1

    def _create_crawler(self, spidercls):
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def preflight(self, spider: str, spider_args: dict[str, str] | None = None) -> list[IO[bytes]]:
        """Refuse what must not start (a wrong spider argument, secrets given as settings, a second
        crawl, a bad state or archive); returns the locks the crawl holds."""
        try:
            SpiderArgs.parse(spider_args or {})
        except BadArgument as exc:
            raise Refused(str(exc)) from None
        settings = self.project_settings
        for name, variable in SECRETS.items():
            if settings.get(name):
                # Caught before Scrapy logs its settings: the value appears nowhere.
                raise Refused(
                    f"{name} is a secret and is not taken as a setting (settings are logged and listed by Scrapyd): "
                    f"set {variable} in the environment, or {name}_FILE to a file that holds it"
                )
        shared = redis_url(settings)
        if shared and "@" in shared:
            try:
                has_password = urlsplit(str(shared)).password is not None
            except ValueError:
                has_password = True
            if has_password:
                raise Refused(
                    "REDIS_URL carries a password, and settings are logged and listed by Scrapyd: give the URL "
                    f"without it and the password in {REDIS_PASSWORD_ENV} (or {REDIS_PASSWORD_ENV}_FILE, a file)"
                )
        try:
            clock_from_settings(settings)
        except BadInstant as exc:
            raise Refused(str(exc)) from None
        try:
            revisit_hours(settings)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        refusal = plaintext_login(settings)
        if refusal:
            raise Refused(refusal)
        for old, new in RENAMED_SETTINGS.items():
            if settings.get(old) is not None:
                raise Refused(f"{old} is now called {new} (the run's health settings share the HEALTH_ prefix)")
        written = feeds_or_default(settings)
        locks: list[IO[bytes]] = []
        state = None if shared else state_db(settings)
        if state:
            check_state(Path(state))
            # One lock per spider: nu and wnl share the project's state and may run side by side.
            locks.append(_lock(Path(f"{state}.{spider}.lock"), "the state", spider))
        for uri, options in written.items():
            path = local_path(with_spider_name(str(uri or ""), spider)) if uri else None
            if path is None or "%(" in str(path):
                continue  # a remote storage, or one file per run
            if (
                options.get("overwrite")
                and state
                and Path(state).exists()
                and path.exists()
                and path.stat().st_size
                and not settings.getbool("OVERWRITE_DATASET")
            ):
                raise Refused(
                    f"-O would replace {path} with only the articles new since the last run (the state {state} "
                    "knows the rest); append with -o, or set -s OVERWRITE_DATASET=1 to replace it anyway"
                )
            check_dataset_path(path)
            locks.append(_lock(path, "the dataset", spider))
        replayed = replay_source(settings)
        if replayed:
            try:
                WarcArchive.open(replayed)
            except (OSError, ValueError) as exc:
                raise Refused(str(exc)) from None
        return locks
