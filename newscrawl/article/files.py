"""Files the project reads that someone else may have put there (a sites file, a manifest, a run
log, a dead worker's dataset): read only when they are regular files, of a bounded size, line by
line with a bound on each line. A FIFO blocks its reader, /dev/zero never ends, and a file of one
endless line would be read whole into memory."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from rehashes import PySha256


class NotRegularFile(ValueError):
    """A path that is not a regular file, or larger than such a file is."""


def open_regular(path: Path, max_bytes: int | None = None, what: str = "such a file") -> IO[bytes]:
    """``path`` opened for reading if it is a regular file (of at most ``max_bytes``, ``what`` naming
    it in the refusal); NotRegularFile says what it is instead, before anything blocks."""
    info = os.stat(path)  # through a symlink: what would be read
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile("not a regular file (a FIFO, device or directory)")
    if max_bytes is not None and info.st_size > max_bytes:
        raise NotRegularFile(f"{info.st_size} bytes, more than {what} holds ({max_bytes})")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the stat
        os.close(fd)
        raise NotRegularFile("not a regular file (a FIFO, device or directory)")
    return os.fdopen(fd, "rb")


def bounded_lines(
    stream: IO[bytes], max_bytes: int, skipped: Counter[str], too_long: str = "too_long"
) -> Iterator[bytes]:
    """The stream's lines (the last may lack its newline); a line longer than ``max_bytes`` is
    passed over unread, in chunks, and counted in ``skipped`` as ``too_long``."""
    while raw := stream.readline(max_bytes):
        if len(raw) == max_bytes and not raw.endswith(b"\n"):
            del raw
            while (rest := stream.readline(min(max_bytes, 1 << 20))) and not rest.endswith(b"\n"):
                pass
            skipped[too_long] += 1
            continue
        yield raw


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(out: Path, refused: Sized | None = None) -> Iterator[BinaryIO]:
    """A file written whole or not at all: a reader never sees it half-written (a temporary file
    beside it, renamed over it once complete; removed if anything fails, or if ``refused`` holds
    anything once the writing is done: problems found on the way)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    try:
        # mkstemp makes the file 0600; the output gets the mode any new file gets (export's, the crawl's).
        os.fchmod(descriptor, 0o666 & ~current_umask())
        with os.fdopen(descriptor, "wb") as stream:
            yield stream
        if refused:
            Path(temporary).unlink()
            return
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def head_digest(path: Path, size: int) -> str:
    """A digest of a file's first bytes (up to 64 KiB, and no further than ``size``): the same file,
    grown, has the same; a file rewritten or replaced since has another."""
    with path.open("rb") as stream:
        return hashlib.sha256(stream.read(min(size, 65_536))).hexdigest()


@dataclass(frozen=True)
class Tally:
    """A file's first ``size`` bytes: how many lines they hold and their SHA-256, with the digest's
    state to go on from there. A dataset that grows for years is described at each close by
    reading what was added, not the years before (hashlib's state cannot be saved; rehashes'
    SHA-256, RustCrypto's, can)."""

    size: int
    lines: int
    state: bytes

    @property
    def sha256(self) -> str:
        return str(PySha256.deserialize(self.state).finalize())

    def as_text(self) -> str:
        return json.dumps([self.size, self.lines, self.state.hex()])

    @classmethod
    def from_text(cls, text: object) -> Tally | None:
        """A tally saved by :meth:`as_text`, or None for anything else (an older state, a mark
        another program wrote): the file is then read whole, as without one."""
        try:
            size, lines, state = json.loads(text)  # type: ignore[arg-type]
            found = cls(size, lines, bytes.fromhex(state))
            PySha256.deserialize(found.state)
        except (TypeError, ValueError):
            return None
        whole = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (size, lines))
        return found if whole else None


def tally(path: Path, since: Tally | None = None, fd: int | None = None) -> Tally:
    """The tally of the file at ``path`` (or of the open file ``fd``) to its end, going on from
    ``since``: the caller knows its bytes are still the file's first (a mark's head digest)."""
    hasher = PySha256.deserialize(since.state) if since else PySha256()
    size, lines = (since.size, since.lines) if since else (0, 0)
    # An exporter's descriptor is write-only: /proc opens the same file (inode) again for reading.
    with path.open("rb") if fd is None else open(f"/proc/self/fd/{fd}", "rb") as stream:
        stream.seek(size)
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            hasher.update(chunk)
            lines += chunk.count(b"\n")
            size += len(chunk)
    return Tally(size, lines, bytes(hasher.serialize()))
