"""WARC record and replay: the backbone of offline crawls and tests.

* ``-s RECORD_WARC=out.warc.gz``: :class:`WarcRecorder` writes every response
  as the server sent it (status, headers, still-compressed body), redirects
  and errors included.
* ``-s REPLAY_WARC=path-or-glob``: :class:`WarcReplayMiddleware` answers every
  request from the archive(s) instead of the network. The real URLs are kept;
  redirects and error statuses replay as recorded and then pass through
  Scrapy's own middlewares. A URL missing from the archive is counted
  (``replay/missing``), logged, and never fetched.

Fixture sites are packed into WARCs by newscrawl/tools/fixtures.py
(``python -m newscrawl.tools.fixtures pack MANIFEST OUT``).
"""

from __future__ import annotations

import glob
import io
import logging
import os
import zlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawl.article.dates import format_utc
from newscrawl.crawl.tdm import FILE_META as TDMREP_FILE
from newscrawl.extract.requestinfo import attached_info

logger = logging.getLogger(__name__)

# The body is stored de-chunked; a Transfer-Encoding header would make readers de-chunk it again.
_HOP_BY_HOP = {b"transfer-encoding", b"connection", b"keep-alive"}


# A page rendered by the browser and the same URL fetched plainly are different responses.
RENDERED_HEADER = "Newscrawl-Rendered"


def _archive_key(url: str, rendered: bool = False) -> tuple[str, bool]:
    return canonicalize_url(url, keep_fragments=False), rendered


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def write_response_record(
    writer: WARCWriter,
    url: str,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    date: datetime,
    rendered: bool = False,
) -> None:
    http_headers = StatusAndHeaders(_status_line(status), headers, protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": format_utc(date)}
    if rendered:
        warc_headers[RENDERED_HEADER] = "true"
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )
    writer.write_record(record)


def largest_page(settings) -> int:
    """DOWNLOAD_MAXSIZE: the largest response the downloader takes, and so the largest archived one read."""
    return settings.getint("DOWNLOAD_MAXSIZE")


def replay_source(settings) -> str | None:
    """REPLAY_WARC: the archive file(s) a crawl is replayed from (a path or a glob); None: the network."""
    return settings.get("REPLAY_WARC") or None


class WarcRecorder:
    """Extension: every downloaded response goes into one gzipped WARC file."""

    def __init__(self, path: str, stats):
        self.path = Path(path)
        self.stats = stats
        self.file: IO[bytes] | None = None
        self.writer: WARCWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorder:
        path = crawler.settings.get("RECORD_WARC")
        if not path:
            raise NotConfigured
        if replay_source(crawler.settings):
            raise NotConfigured("RECORD_WARC is ignored while replaying")
        recorder = cls(path, crawler.stats)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Append: several runs may add to one archive; replay keeps the newest record of a URL.
        self.file = self.path.open("ab")
        self.writer = WARCWriter(self.file, gzip=True)
        logger.info("Recording responses to %s", self.path)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if self.writer is None:
            return
        headers = [
            (key.decode("latin-1"), value.decode("latin-1"))
            for key, values in response.headers.items()
            if key.lower() not in _HOP_BY_HOP
            for value in values
        ]
        rendered = bool(request.meta.get("playwright"))
        write_response_record(
            self.writer, response.url, response.status, headers, response.body, datetime.now(UTC), rendered
        )
        if self.file is not None:
            self.file.flush()
        self.stats.inc_value("record/responses")

    def spider_closed(self, spider: Spider) -> None:
        if self.file:
            self.file.close()


def _header_lines(head: bytes) -> list[str] | None:
    """Header lines decoded as warcio does (UTF-8, else ISO-8859-1), continuation lines joined."""
    lines: list[str] = []
    for raw in head.split(b"\n"):
        try:
            line = raw.decode("utf-8").rstrip()
        except UnicodeDecodeError:
            line = raw.decode("iso-8859-1").rstrip()
        if not line:
            return None  # an early blank line: not the canonical layout, warcio reads it
        if line.startswith((" ", "\t")) and lines:
            lines[-1] += line
        else:
            lines.append(line)
    return lines


def _fields(lines: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for line in lines:
        name, colon, value = line.partition(":")
        if colon:
            pairs.append((name.rstrip(" \t"), value.lstrip()))
    return pairs


def _response_dict(
    url: str, status: int, headers: list[tuple[str, str]], body: bytes, warc_date: str
) -> dict[str, Any]:
    return {
        "url": url,
        "status": status,
        "headers": headers,
        "body": body,
        "date": datetime.fromisoformat(warc_date.replace("Z", "+00:00")),
    }


def read_record_with_warcio(stream: IO[bytes]) -> dict[str, Any]:
    """{url, status, headers, body, date} of the response record at the stream's position, read by warcio."""
    record = next(iter(ArchiveIterator(stream)))
    http = record.http_headers
    return _response_dict(
        record.rec_headers.get_header("WARC-Target-URI"),
        int(http.get_statuscode()),
        http.headers,
        record.raw_stream.read(),
        record.rec_headers.get_header("WARC-Date"),
    )


def _read_response_record(raw: bytes) -> dict[str, Any] | None:
    """A response record read straight from its stored bytes: one gzip member inflated in one call,
    the headers split in place. Replay reads every page this way (warcio's line-by-line readers cost
    more than the rest of the replay); None for anything unusual, which warcio then reads."""
    try:
        if raw[:2] == b"\x1f\x8b":
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = inflater.decompress(raw)
            if not inflater.eof:
                return None
        else:
            data = raw
        warc_end = data.find(b"\r\n\r\n")
        warc_lines = _header_lines(data[:warc_end]) if warc_end > 0 else None
        if not warc_lines or not warc_lines[0].startswith("WARC/"):
            return None
        warc = {name.lower(): value for name, value in _fields(warc_lines[1:])}
        if warc.get("warc-type") != "response":
            return None
        block = data[warc_end + 4 : warc_end + 4 + int(warc["content-length"])]
        http_end = block.find(b"\r\n\r\n")
        http_lines = _header_lines(block[:http_end]) if http_end > 0 else None
        if not http_lines or not http_lines[0].upper().startswith("HTTP/"):
            return None
        return _response_dict(
            warc["warc-target-uri"],
            int(http_lines[0].split(" ", 2)[1]),
            _fields(http_lines[1:]),
            block[http_end + 4 :],
            warc["warc-date"],
        )
    except (KeyError, ValueError, IndexError, zlib.error):
        return None


def _last_member_whole(path: str, start: int, end: int) -> bool:
    """The last record of a gzipped WARC ends its gzip member (warcio reads a cut one as a short record)."""
    if not path.endswith(".gz") or end <= start:
        return True
    with open(path, "rb") as stream:
        stream.seek(start)
        inflater = zlib.decompressobj(31)
        try:
            inflater.decompress(stream.read(end - start))
        except zlib.error:
            return False
        return inflater.eof


class ArchiveError(ValueError):
    """An archive that cannot be replayed as it is (truncated, not a WARC): one line says why."""


class WarcArchive:
    """An index of URL → (file, offset) over one or more WARC files; the newest record of a URL wins."""

    def __init__(self, paths: list[str]):
        self.paths = paths
        # (url, rendered) → (file, offset, length of the record as stored)
        self.index: dict[tuple[str, bool], tuple[str, int, int]] = {}
        self._files: dict[str, IO[bytes]] = {}
        for path in paths:
            end = records = last_length = 0
            with open(path, "rb") as stream:
                iterator = ArchiveIterator(stream)
                try:
                    for record in iterator:
                        offset = iterator.get_record_offset()
                        iterator.read_to_end(record)
                        last_length = iterator.get_record_length()
                        end, records = offset + last_length, records + 1
                        if record.rec_type == "response":
                            url = record.rec_headers.get_header("WARC-Target-URI")
                            rendered = record.rec_headers.get_header(RENDERED_HEADER) == "true"
                            self.index[_archive_key(url, rendered)] = (path, offset, last_length)
                except (OSError, EOFError, ValueError, zlib.error) as exc:
                    raise ArchiveError(f"REPLAY_WARC: {path} is unreadable after {records} records ({exc})") from None
            size = os.path.getsize(path)
            if end < size or not _last_member_whole(path, end - last_length if records else 0, end):
                # warcio stops quietly at a record cut short: every page after it would be "missing".
                raise ArchiveError(
                    f"REPLAY_WARC: {path} is truncated: {records} whole records, then {size - end} bytes of a cut one"
                )

    @classmethod
    def open(cls, pattern: str) -> WarcArchive:
        """The archive of REPLAY_WARC's files; opened once per process (the crawl command checks it first)."""
        paths: list[str] = []
        for part in pattern.split(","):
            matches = sorted(glob.glob(part.strip()))
            if not matches:
                raise FileNotFoundError(f"REPLAY_WARC: no file matches {part.strip()!r}")
            paths.extend(matches)
        key = tuple((path, os.stat(path).st_mtime_ns, os.stat(path).st_size) for path in paths)
        if key not in _OPENED:
            _OPENED.clear()
            _OPENED[key] = cls(paths)
        return _OPENED[key]

    def __len__(self) -> int:
        return len(self.index)

    def get(self, url: str, rendered: bool = False) -> dict[str, Any] | None:
        """{url, status, headers, body, date} of the archived response, body as sent (maybe compressed)."""
        location = self.index.get(_archive_key(url, rendered))
        if location is None:
            return None
        path, offset, length = location
        stream = self._files.get(path)
        if stream is None:
            stream = self._files[path] = open(path, "rb")
        stream.seek(offset)
        fast = _read_response_record(stream.read(length))
        if fast is not None:
            return fast
        stream.seek(offset)
        return read_record_with_warcio(stream)

    def close(self) -> None:
        for stream in self._files.values():
            stream.close()
        self._files.clear()


_OPENED: dict[tuple, WarcArchive] = {}


class WarcReplayMiddleware:
    """Downloader middleware: answer every request from the archive; nothing reaches the network."""

    def __init__(self, archive: WarcArchive, stats, maxsize: int = 0, warnsize: int = 0):
        self.archive = archive
        self.stats = stats
        # The live downloader's size limits, applied to the archived body as it was sent.
        self.maxsize = maxsize
        self.warnsize = warnsize

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcReplayMiddleware:
        pattern = replay_source(crawler.settings)
        if not pattern:
            raise NotConfigured
        archive = WarcArchive.open(pattern)
        logger.info("Replaying %d archived responses from %s", len(archive), ", ".join(archive.paths))
        settings = crawler.settings
        middleware = cls(archive, crawler.stats, largest_page(settings), settings.getint("DOWNLOAD_WARNSIZE"))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request, spider: Spider | None = None) -> Response:
        rendered = bool(request.meta.get("playwright"))
        archived = self.archive.get(request.url, rendered)
        if archived is None and request.meta.get(TDMREP_FILE):
            # A site's tdmrep.json the archive lacks says nothing, as a live 404 does (newscrawl/crawl/tdm.py).
            raise IgnoreRequest(f"not in the replay archive: {request.url}")
        if archived is None:
            self.stats.inc_value("replay/missing")
            kind = "rendered " if rendered else ""
            logger.warning("Not in the replay archive (%sresponse), not fetched: %s", kind, request.url)
            raise IgnoreRequest(f"not in the replay archive: {kind}{request.url}")
        size = len(archived["body"])
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        if maxsize and size > maxsize:
            # What the live downloader does: the response is cancelled, the request fails as too large.
            self.stats.inc_value("replay/too_large")
            raise IgnoreRequest(
                f"archived response size ({size}) larger than download max size ({maxsize}): {request.url}"
            )
        warnsize = request.meta.get("download_warnsize", self.warnsize)
        if warnsize and size > warnsize:
            logger.warning(
                "Archived response size (%d) larger than download warn size (%d) in request %s", size, warnsize, request
            )
        self.stats.inc_value("replay/hit")
        if rendered:
            self.stats.inc_value("replay/hit/rendered")
        headers = grouped_headers(archived["headers"])
        if archived["status"] == 200 and _not_modified(request, headers):
            # Conditional request for an unchanged page: answer as a server with validators does.
            self.stats.inc_value("replay/not_modified")
            attached_info(request).archived_at = archived["date"]
            kept = {k: v for k, v in headers.items() if k.lower() in ("etag", "last-modified", "date")}
            return Response(url=request.url, status=304, headers=kept, body=b"", request=request, flags=["replay"])
        return archived_response(request, archived["status"], headers, archived["body"], archived["date"])

    def spider_closed(self, spider: Spider) -> None:
        self.archive.close()


def grouped_headers(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """A record's header lines as name → values, in their order."""
    grouped: dict[str, list[str]] = {}
    for key, value in headers:
        grouped.setdefault(key, []).append(value)
    return grouped


def archived_response(
    request: Request,
    status: int,
    grouped: dict[str, list[str]],
    body: bytes,
    date: datetime,
    flag: str = "replay",
    by_content_type: bool = False,
) -> Response:
    """The response an archive recorded for ``request`` (its headers grouped by name), as the
    downloader would have made it."""
    # Replay chooses from the URL and body: with str keys the recorded Content-Type is not consulted
    # (kept as it is, so that replays of existing archives give the same items). A backfill asks the
    # Content-Type first, as the live downloader does, and spares the body's sniffing.
    response_cls = responsetypes.from_args(
        headers=Headers(grouped) if by_content_type else grouped,  # type: ignore[arg-type]
        url=request.url,
        body=body,
    )
    # The parsers read the fetch time from the request: in replay it is the time the page was archived.
    attached_info(request).archived_at = date
    return response_cls(url=request.url, status=status, headers=grouped, body=body, request=request, flags=[flag])


def _not_modified(request: Request, headers: dict[str, list[str]]) -> bool:
    lowered = {k.lower(): v[-1] for k, v in headers.items()}
    if_none_match = request.headers.get(b"If-None-Match")
    if if_none_match and "etag" in lowered:
        return if_none_match.decode("latin-1") == lowered["etag"]
    if_modified_since = request.headers.get(b"If-Modified-Since")
    if if_modified_since and "last-modified" in lowered:
        try:
            return parsedate_to_datetime(lowered["last-modified"]) <= parsedate_to_datetime(
                if_modified_since.decode("latin-1")
            )
        except (TypeError, ValueError):
            return False
    return False
