"""The crawl's "now": the real time, or the instant the setting CRAWL_NOW names, moving on with
the real seconds since the crawl began.

Every time decision a crawl makes reads this clock, not the machine's: when a page was fetched
(``metadata.dateDownloaded``, the reference for "gisteren" and the date sanity bounds), when the
state recorded an article or a fetch (and so when it expires), when a baseline was taken and a
manifest finished. A test runs a week of a living site in minutes by giving each hourly crawl
its simulated hour.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary


class BadInstant(ValueError):
    """A CRAWL_NOW that is not an ISO 8601 instant with its offset."""


class Clock:
    def __init__(self, start: datetime | None = None):
        if start is not None and start.tzinfo is None:
            raise BadInstant("an instant needs its offset (Z or +02:00)")
        self.start = start
        self._began = time.monotonic()

    @classmethod
    def from_setting(cls, value: object) -> Clock:
        """The clock CRAWL_NOW asks for: empty → the real time; else its ISO 8601 instant."""
        if value in (None, ""):
            return cls()
        if isinstance(value, datetime):
            return cls(value)
        try:
            start = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadInstant(f"CRAWL_NOW {value!r} is not an ISO 8601 instant (2025-04-01T10:00:00+02:00)") from None
        if start.tzinfo is None:
            raise BadInstant(f"CRAWL_NOW {value!r} needs its offset (Z or +02:00): an instant, not a wall-clock time")
        return cls(start)

    @property
    def simulated(self) -> bool:
        return self.start is not None

    def now(self) -> datetime:
        """Now, in UTC."""
        if self.start is None:
            return datetime.now(UTC)
        return (self.start + timedelta(seconds=time.monotonic() - self._began)).astimezone(UTC)

    def iso(self) -> str:
        """Now as the state and manifests write it (ISO 8601, UTC, to the second)."""
        return self.now().isoformat(timespec="seconds")


_CLOCKS: WeakKeyDictionary[Any, Clock] = WeakKeyDictionary()


def clock_from_settings(settings: Any) -> Clock:
    """A clock made from CRAWL_NOW (BadInstant for one that is no instant): where it is read."""
    return Clock.from_setting(settings.get("CRAWL_NOW"))


def crawl_clock(crawler: Any) -> Clock:
    """The crawl's clock, made once from its CRAWL_NOW setting: every component of one crawl
    (spider, pipelines, state, monitor, manifest) reads the same one."""
    clock = _CLOCKS.get(crawler)
    if clock is None:
        clock = _CLOCKS[crawler] = clock_from_settings(crawler.settings)
    return clock
