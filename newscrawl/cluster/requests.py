"""The shared frontier holds data, never code: requests queued in Redis as JSON.

This module is the frontier's serializer (SCHEDULER_SERIALIZER: ``dumps`` and ``loads``, the hook
scrapy-redis offers) and its queue (DataQueue). scrapy-redis pickles queued requests by default, so whoever can write to the cluster's Redis runs
code on every worker that pops one. Here a request is a JSON object: its URL, method, headers and
body, the callback and errback by name (a ``parse…`` method of the spider, or ``on_error``), and its
meta in plain JSON plus the project's own types, each tagged and rebuilt field by field
(``RequestInfo``, ``Hints``, a datetime, bytes, the browser's wait steps by name). Anything else (a
pickle, an unknown tag, a callback that is not a parse method, another request class, a huge entry)
is refused: logged with its reason, counted as ``cluster/refused_requests``, and the next entry taken.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import fields
from datetime import datetime
from typing import Any

from scrapy import Request
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue

from newscrawl.crawl.render import render_meta
from newscrawl.extract.requestinfo import Hints, RequestInfo

logger = logging.getLogger(__name__)

#: an encoded request larger than this is no request of ours (a URL, a few headers, a small meta)
MAX_ENCODED_BYTES = 256 * 1024
_KEYS = {
    "url",
    "callback",
    "errback",
    "headers",
    "method",
    "body",
    "cookies",
    "meta",
    "encoding",
    "priority",
    "dont_filter",
    "flags",
    "cb_kwargs",
}
_METHODS = {"GET", "HEAD", "POST"}
_ERRBACKS = {"on_error"}
_TYPES: dict[str, type] = {"info": RequestInfo, "hints": Hints}


class NotData(ValueError):
    """A queued entry that is not a request in the data-only form (or a request that cannot take it)."""


def _render_steps(methods: Any) -> str:
    """The browser's wait steps by name: only the project's own two sequences travel."""
    for name, scroll in (("scroll", True), ("plain", False)):
        known = render_meta(scroll)["playwright_page_methods"]
        if len(methods) == len(known) and all(
            (a.method, a.args, a.kwargs) == (b.method, b.args, b.kwargs) for a, b in zip(methods, known)
        ):
            return name
    raise NotData("playwright_page_methods other than the project's render steps")


def _to_data(value: Any, key: str = "") -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (list, tuple)):
        if key == "playwright_page_methods":
            return {"$render": _render_steps(value)}
        return [_to_data(item) for item in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    for tag, kind in _TYPES.items():
        if type(value) is kind:
            return {f"${tag}": {f.name: _to_data(getattr(value, f.name)) for f in fields(kind)}}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _to_data(v, k) for k, v in value.items()}
        return {"$dict": [[_to_data(k), _to_data(v, k if isinstance(k, str) else "")] for k, v in value.items()]}
    raise NotData(f"{type(value).__name__} in {key or 'the request'} is not data")


def _from_data(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_from_data(item) for item in value]
    if not isinstance(value, dict):
        raise NotData(f"unexpected {type(value).__name__}")
    tags = [k for k in value if k.startswith("$")]
    if not tags:
        return {k: _from_data(v) for k, v in value.items()}
    if len(value) != 1:
        raise NotData(f"a tagged value with other keys ({', '.join(sorted(value))[:80]})")
    tag, inner = tags[0][1:], value[tags[0]]
    try:
        if tag == "bytes":
            return base64.b64decode(inner, validate=True)
        if tag == "datetime":
            return datetime.fromisoformat(inner)
        if tag == "render":
            if inner not in ("scroll", "plain"):
                raise NotData(f"unknown render steps {inner!r}")
            return render_meta(inner == "scroll")["playwright_page_methods"]
        if tag == "dict":
            return {_hashable(_from_data(k)): _from_data(v) for k, v in inner}
        if tag in _TYPES:
            kind = _TYPES[tag]
            names = {f.name for f in fields(kind)}
            if not isinstance(inner, dict) or not set(inner) <= names:
                raise NotData(f"{kind.__name__} with unknown fields")
            return kind(**{k: _from_data(v) for k, v in inner.items()})
    except (TypeError, ValueError) as error:
        raise NotData(f"a bad {tag} value ({error})") from None
    raise NotData(f"unknown tag ${tag}")


def _hashable(key: Any) -> Any:
    if isinstance(key, (str, bytes, int)):
        return key
    raise NotData("a dict key that is not a string, bytes or number")


def dumps(obj: dict[str, Any]) -> bytes:
    """A request's dict (``Request.to_dict``) as JSON: scrapy-redis' serializer hook
    (SCHEDULER_SERIALIZER), so every queue of the frontier holds data. NotData when the request
    carries something that is not data."""
    if "_class" in obj:
        raise NotData(f"a request of class {obj['_class']} (only scrapy.Request is queued)")
    return json.dumps({k: _to_data(v, k) for k, v in obj.items()}, separators=(",", ":")).encode("utf-8")


def loads(encoded: bytes | str) -> dict[str, Any]:
    """A request's dict from its JSON form, checked field by field: NotData says why it is refused.
    The callback and errback are names (``parse…``, ``on_error``) that the spider resolves."""
    if len(encoded) > MAX_ENCODED_BYTES:
        raise NotData(f"{len(encoded)} bytes, more than a request holds")
    try:
        raw = json.loads(encoded)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise NotData("not JSON (a pickle, or another client's entry)") from None
    if not isinstance(raw, dict) or not set(raw) <= _KEYS or "url" not in raw:
        raise NotData("not a request object")
    request = {k: _from_data(v) for k, v in raw.items()}
    url = request["url"]
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise NotData("a URL that is not http(s)")
    if request.get("method", "GET") not in _METHODS:
        raise NotData("an unexpected method")
    for name in ("callback", "errback"):
        wanted = request.get(name)
        allowed = wanted in _ERRBACKS if name == "errback" else isinstance(wanted, str) and wanted.startswith("parse")
        if wanted is not None and not allowed:
            raise NotData(f"{name} {str(wanted)[:60]!r} is not one of the spider's parse methods")
    for name in ("meta", "cb_kwargs", "headers"):
        if not isinstance(request.get(name) or {}, dict):
            raise NotData(f"{name} that is not an object")
    return request


def encode(request: Request, spider: Any) -> bytes:
    """The request as queued (what scrapy-redis' queue writes through ``dumps``)."""
    return dumps(request.to_dict(spider=spider))


def decode(encoded: bytes | str, spider: Any) -> Request:
    """A queued request, its callbacks resolved on ``spider`` (a name it lacks is refused too)."""
    request = loads(encoded)
    try:
        return request_from_dict(request, spider=spider)
    except (TypeError, ValueError) as error:  # Scrapy's "method not found" is a ValueError
        raise NotData(f"not a request ({error})") from None


class DataQueue(PriorityQueue):
    """scrapy-redis' priority queue over this module's serializer: an entry that is not a data-only
    request is refused and skipped, and the next one taken."""

    def _decode_request(self, encoded_request: bytes) -> Request:
        return decode(encoded_request, self.spider)

    def push(self, request: Request) -> None:
        try:
            super().push(request)
        except NotData as error:
            self._refused(f"not queued: {request.url}: {error}")

    def pop(self, timeout: int = 0) -> Request | None:
        # scrapy-redis pops one entry and decodes it; a refused one is already gone: take the next.
        while True:
            pipe = self.server.pipeline()
            pipe.multi()
            pipe.zrange(self.key, 0, 0).zremrangebyrank(self.key, 0, 0)
            results, _ = pipe.execute()
            if not results:
                return None
            try:
                return self._decode_request(results[0])
            except NotData as error:
                self._refused(f"refused an entry of the shared frontier {self.key}: {error}")

    def _refused(self, message: str) -> None:
        logger.error(message)
        crawler = getattr(self.spider, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value("cluster/refused_requests")
