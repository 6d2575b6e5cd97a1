"""Shared test helpers: fixture sites are read from tests/fixtures/<site>/site.json (never from ../shared)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import Request
from scrapy.responsetypes import responsetypes

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).parent.parent


def manifest(site: str) -> dict:
    return json.loads((FIXTURES / site / "site.json").read_text("utf-8"))


def fixture_response(site: str, url: str, **meta):
    """The response the site fixture serves for ``url``, as the replay middleware would build it."""
    data = manifest(site)
    entry = next(r for r in data["records"] if r["url"] == url)
    date = datetime.fromisoformat(entry.get("date", data["date"]).replace("Z", "+00:00"))
    body = (FIXTURES / site / entry["file"]).read_bytes() if entry.get("file") else b""
    headers = {"Date": date.strftime("%a, %d %b %Y %H:%M:%S GMT"), **entry.get("headers", {})}
    request = Request(url, meta={"archived_at": date, **meta})
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=entry.get("status", 200), headers=headers, body=body, request=request)


@pytest.fixture
def nu_response():
    return lambda url, **meta: fixture_response("nu", url, **meta)
