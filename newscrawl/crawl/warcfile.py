"""Any WARC file, record by record, whatever is wrong with some of its records.

A ``.warc.gz`` holds one gzip member per record (the WARC standard's recommendation, and what
Common Crawl, CC-NEWS, warcio and Heritrix write); a ``.warc`` holds the records one after the
other. The records are framed here, not by a WARC library: fastwarc and warcio both end a file at
its first broken record (fastwarc raises "Invalid WARC header", warcio stops quietly), and neither
says when a record's Content-Length disagrees with its gzip member. Framed by its member, a broken
record is one :class:`Entry` with a ``problem`` and the records after it are read on; fastwarc
then parses the records that are kept (:func:`parse_response`).

Memory is bounded per record: a member is inflated in chunks and only a kept record's bytes are
held, up to ``max_block``; a bigger one (a 2 GB record) is counted ``too_large`` and passed over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, cast

from fastwarc.warc import WarcRecord

# zlib-ng inflates 2.4 times as fast as zlib, with zlib's interface (benchmarks/backfill.py).
from zlib_ng import zlib_ng as _zlib

# Its stub declares the exception class as an instance.
_ZlibError = cast(type[Exception], _zlib.error)

CHUNK = 1 << 16
#: the file is read in blocks of READ bytes and given to the inflater FEED bytes at a time (a member
#: ends inside a slice: what follows it is copied out by zlib, so the slice stays small); one call
#: gives at most OUT_LIMIT bytes, which bounds the memory of a huge member
READ = 1 << 20
FEED = 1 << 15
OUT_LIMIT = 1 << 22
GZIP_MAGIC = b"\x1f\x8b\x08"
#: the record types of WARC 1.0 and 1.1; any other is counted ``unknown_type``
STANDARD_TYPES = frozenset(
    {"warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion", "continuation"}
)
#: the longest WARC header block read before a record is called ``not_warc``
MAX_HEADER = 1 << 16

#: problems a record can have: what each means, for reports
PROBLEMS = {
    "truncated_gzip": "the file ends inside this record's gzip member (a cut download or a crashed writer)",
    "bad_gzip": "not gzip data where a record's member should be, or a corrupt member",
    "not_warc": "no WARC/1.x header where a record should start",
    "wrong_content_length": "Content-Length disagrees with the record's bytes",
    "truncated_record": "the file ends inside this record",
    "unknown_type": "a WARC-Type that WARC 1.0 and 1.1 do not define",
    "not_http": "a response record whose block is not an HTTP response",
    "too_large": "a record larger than the largest page read (DOWNLOAD_MAXSIZE)",
}


@dataclass(slots=True)
class Entry:
    """One record of a file (or the bytes where one should have been)."""

    offset: int  # where the record (its gzip member) starts in the file
    length: int  # its bytes in the file: the next entry starts at offset + length
    headers: dict[str, str]  # the WARC headers, names lower-cased ({} when there were none to read)
    data: bytes | None = None  # the whole record (headers and block), when kept and whole
    problem: str | None = None  # a key of PROBLEMS
    detail: str = ""

    @property
    def warc_type(self) -> str:
        return self.headers.get("warc-type", "")

    @property
    def url(self) -> str:
        return self.headers.get("warc-target-uri", "").strip("<>")


Keep = Callable[[dict[str, str]], bool]


def warc_headers(head: bytes) -> dict[str, str] | None:
    """The WARC headers of a record's header block (without its blank line), names lower-cased;
    None when the block does not start with a WARC version line."""
    lines = head.split(b"\r\n") if b"\r\n" in head else head.split(b"\n")
    if not lines or not lines[0].startswith(b"WARC/1."):
        return None
    headers: dict[str, str] = {}
    last = ""
    for raw in lines[1:]:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("iso-8859-1")
        if line[:1] in (" ", "\t") and last:
            headers[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if colon:
            last = name.strip().lower()
            headers[last] = value.strip()
    return headers


def _content_length(headers: dict[str, str]) -> int | None:
    try:
        value = int(headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def read_entries(stream: IO[bytes], start: int, keep: Keep, max_block: int) -> Iterator[Entry]:
    """Every record of the file from byte ``start`` (a record's start), in file order."""
    stream.seek(start)
    magic = stream.read(2)
    stream.seek(start)
    if magic == b"\x1f\x8b":
        yield from _gzip_entries(stream, start, keep, max_block)
    elif magic:
        yield from _plain_entries(stream, start, keep, max_block)


def _find(stream: IO[bytes], needle: bytes, start: int) -> int | None:
    """The first position at or after ``start`` where ``needle`` occurs, or None."""
    stream.seek(start)
    carry = b""
    position = start
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return None
        window = carry + chunk
        index = window.find(needle)
        if index >= 0:
            return position - len(carry) + index
        carry = window[-(len(needle) - 1) :]
        position += len(chunk)


class _Buffer:
    """A file read forward in large blocks, fed to the inflater a slice at a time: a member is
    neither read twice nor copied whole, whatever its size."""

    def __init__(self, stream: IO[bytes], position: int):
        self.stream = stream
        self.seek(position)

    def seek(self, position: int) -> None:
        self.stream.seek(position)
        self.base, self.data, self.index = position, b"", 0

    @property
    def position(self) -> int:
        return self.base + self.index

    def peek(self, size: int) -> memoryview:
        """Up to ``size`` bytes at the position (fewer only at the end of the file)."""
        if self.index + size > len(self.data):
            more = self.stream.read(max(READ, size))
            if more:
                self.base += self.index
                self.data, self.index = self.data[self.index :] + more, 0
        return memoryview(self.data)[self.index : self.index + size]

    def advance(self, count: int) -> None:
        self.index += count


def _gzip_entries(stream: IO[bytes], start: int, keep: Keep, max_block: int) -> Iterator[Entry]:
    buffer = _Buffer(stream, start)
    while True:
        position = buffer.position
        head = bytes(buffer.peek(3))
        if not head:
            return
        if head != GZIP_MAGIC:
            following = _find(stream, GZIP_MAGIC, position + 1)
            end = following if following is not None else stream.seek(0, 2)
            yield Entry(position, end - position, {}, problem="bad_gzip", detail=f"{end - position} bytes skipped")
            if following is None:
                return
            buffer.seek(following)
            continue
        entry = _gzip_member(buffer, keep, max_block)
        if entry.problem in ("bad_gzip", "not_warc"):
            # Read on from the next member: the bytes up to it are this entry's.
            following = _find(stream, GZIP_MAGIC, position + 1)
            entry.length = (following if following is not None else stream.seek(0, 2)) - position
            yield entry
            if following is None:
                return
            buffer.seek(following)
            continue
        yield entry
        if entry.problem == "truncated_gzip":
            return


def _gzip_member(buffer: _Buffer, keep: Keep, max_block: int) -> Entry:
    """The record in the gzip member at the buffer's position: inflated a slice at a time, its
    bytes held only when kept; the buffer is left at the member's end."""
    offset = buffer.position
    inflater = _zlib.decompressobj(31)
    inflated = 0  # bytes the inflater gave back
    head = bytearray()  # the start of the record, until its headers are read
    headers: dict[str, str] | None = None
    header_end = -1
    held: bytearray | None = None  # a kept record's bytes
    limit = 0
    while not inflater.eof:
        chunk = buffer.peek(FEED)
        if not chunk:
            return Entry(
                offset,
                buffer.position - offset,
                headers or {},
                problem="truncated_gzip",
                detail=f"the file ends {buffer.position - offset} bytes into the member, inside the record",
            )
        try:
            piece = inflater.decompress(chunk, OUT_LIMIT)
        except _ZlibError as exc:
            return Entry(offset, 1, headers or {}, problem="bad_gzip", detail=str(exc))
        # What the inflater took: at a member's end the rest is in unused_data (and, with a length
        # limit, in unconsumed_tail as well); before it, what it left is in unconsumed_tail.
        left = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
        buffer.advance(len(chunk) - len(left))
        inflated += len(piece)
        if headers is None:
            head += piece
            header_end = head.find(b"\r\n\r\n")
            if header_end < 0:
                if len(head) > MAX_HEADER:
                    return Entry(offset, 1, {}, problem="not_warc", detail="no WARC header block")
                continue
            found = warc_headers(bytes(head[:header_end]))
            if found is None:
                return Entry(offset, 1, {}, problem="not_warc", detail="a gzip member without a WARC record")
            headers = found
            length = _content_length(headers)
            if keep(headers) and length is not None and length <= max_block:
                held, limit = head, header_end + 4 + length + 4
            head = bytearray()
        elif held is not None and len(held) < limit:
            held += piece[: limit - len(held)]
    entry = Entry(offset, buffer.position - offset, headers or {})
    if headers is None:
        entry.problem, entry.detail = "not_warc", "a gzip member without a WARC header block"
        return entry
    declared = _content_length(headers)
    record_size = inflated - header_end - 4  # the block and its closing blank line
    if declared is None:
        entry.problem, entry.detail = "wrong_content_length", f"Content-Length {headers.get('content-length')!r}"
    elif record_size < declared:
        entry.problem = "wrong_content_length"
        entry.detail = f"Content-Length {declared}, but the member holds {record_size} bytes of block"
    elif record_size > declared + 4:
        entry.problem = "wrong_content_length"
        entry.detail = (
            f"Content-Length {declared}, but the member holds {record_size} bytes after the headers "
            "(a wrong Content-Length, or several records in one gzip member)"
        )
    elif held is not None:
        entry.data = bytes(held[: header_end + 4 + declared])
    return _typed(entry, declared, max_block, keep)


def _typed(entry: Entry, declared: int | None, max_block: int, keep: Keep) -> Entry:
    """The problems of a whole record's headers, once its bytes add up."""
    if entry.problem is None and entry.warc_type not in STANDARD_TYPES:
        entry.problem, entry.detail, entry.data = "unknown_type", f"WARC-Type {entry.warc_type!r}", None
    if entry.problem is None and declared is not None and declared > max_block and keep(entry.headers):
        entry.problem, entry.detail = "too_large", f"Content-Length {declared} > {max_block}"
    return entry


def _plain_entries(stream: IO[bytes], start: int, keep: Keep, max_block: int) -> Iterator[Entry]:
    position = start
    size = stream.seek(0, 2)
    while position < size:
        stream.seek(position)
        head = stream.read(MAX_HEADER)
        header_end = head.find(b"\r\n\r\n")
        headers = warc_headers(head[:header_end]) if header_end > 0 else None
        if headers is None:
            following = _find(stream, b"\nWARC/1.", position + 1)
            end = following + 1 if following is not None else size
            yield Entry(position, end - position, {}, problem="not_warc", detail=f"{end - position} bytes skipped")
            position = end
            continue
        declared = _content_length(headers)
        block_start = position + header_end + 4
        if declared is None:
            following = _find(stream, b"\nWARC/1.", block_start)
            end = following + 1 if following is not None else size
            yield Entry(position, end - position, headers, problem="wrong_content_length", detail="no Content-Length")
            position = end
            continue
        end = block_start + declared + 4
        if end > size:
            yield Entry(
                position, size - position, headers, problem="truncated_record", detail=f"{end - size} bytes missing"
            )
            return
        stream.seek(block_start + declared)
        if stream.read(4) != b"\r\n\r\n":
            following = _find(stream, b"\nWARC/1.", block_start)
            resync = following + 1 if following is not None else size
            yield Entry(
                position,
                resync - position,
                headers,
                problem="wrong_content_length",
                detail=f"Content-Length {declared} does not end the record",
            )
            position = resync
            continue
        entry = Entry(position, end - position, headers)
        if keep(headers) and declared <= max_block:
            stream.seek(position)
            entry.data = stream.read(header_end + 4 + declared)
        yield _typed(entry, declared, max_block, keep)
        position = end


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def parse_response(data: bytes) -> HttpResponse | None:
    """The HTTP response a response record holds (fastwarc parses it); None when it holds none."""
    try:
        record = WarcRecord.from_bytes(data)
        if not record.is_http:
            return None
        record.parse_http()
        status = record.http_headers.status_code
        if not status:
            return None
        headers = [(str(name), str(value)) for name, value in record.http_headers.items()]
        body = record.reader.read()
    except (OSError, ValueError):
        return None
    if any(name.lower() == "transfer-encoding" and "chunked" in value.lower() for name, value in headers):
        # Stored as sent: the chunks are undone here, and the header dropped so nothing undoes them again.
        body = dechunked(body)
        headers = [(name, value) for name, value in headers if name.lower() != "transfer-encoding"]
    return HttpResponse(int(status), headers, body)


def dechunked(body: bytes) -> bytes:
    """A chunked body's data; the body as it is when it is not chunked after all (some archives
    keep the header of a body they stored de-chunked)."""
    parts: list[bytes] = []
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            return body
        try:
            size = int(body[position:line_end].split(b";", 1)[0].strip(), 16)
        except ValueError:
            return body
        if size == 0:
            return b"".join(parts)
        start = line_end + 2
        if start + size > len(body):
            return body
        parts.append(body[start : start + size])
        position = start + size + 2
