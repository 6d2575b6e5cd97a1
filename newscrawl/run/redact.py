"""Text the project copies out of a log (a crashed job's last error lines) goes to manifests,
``runs.jsonl``, the runs page, e-mail and webhooks: secrets are taken out of it first, and what a
chat service would act on (mentions, links) is made inert before it is posted.

Redaction is by shape, so it also catches what no setting names: credentials in URLs, the value of
an ``Authorization`` header, ``password=…``/``token: …`` pairs, secret-looking query parameters and
well-known token formats. Every pattern is linear (no nested repetition): a log line is untrusted.
"""

from __future__ import annotations

import re
from typing import Any

from newscrawl.article.text import map_strings

MASK = "[redacted]"

_PATTERNS = [
    # scheme://user:password@host → scheme://[redacted]@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,20}://)[^\s/@'\"<>]{1,256}@"), rf"\1{MASK}@"),
    # Authorization: Bearer abc / 'Authorization': [b'Basic abc'] / authorization=…
    (
        re.compile(r"(?i)\b((?:proxy-)?authorization['\"]?\s{0,3}[:=]\s{0,3}\[?b?['\"]?)[^\r\n'\"\],]{1,512}"),
        rf"\1{MASK}",
    ),
    # password=…, "token": "…", api_key: …, secret=…, dsn=…
    (
        re.compile(
            r"(?i)\b((?:[a-z0-9_]{0,40}(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|dsn|webhook[_-]?url))"
            r"['\"]?\s{0,3}[:=]\s{0,3}['\"]?)[^\s'\"&,;]{1,1024}"
        ),
        rf"\1{MASK}",
    ),
    # Bearer/Basic credentials written without a header name
    (re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    # Slack/Discord webhook paths and tokens, GitHub and AWS keys, JWTs
    (
        re.compile(r"(?i)(hooks\.slack\.com/services|discord(?:app)?\.com/api/webhooks)/[^\s'\"<>]{1,256}"),
        rf"\1/{MASK}",
    ),
    (re.compile(r"\b(?:xox[abprs]-|gh[pousr]_|glpat-)[A-Za-z0-9-_]{8,}"), MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MASK),
]


def redact(text: str) -> str:
    """``text`` with every secret-shaped part replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_CHAT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def inert_for_chat(value: Any) -> Any:
    """A JSON value whose strings no chat service acts on: ``<!channel>``, ``<@U123>`` and
    ``<https://…|click>`` are escaped as Slack asks (&, <, >), and ``@everyone``/``@here``
    (Discord, Mattermost) are broken by a zero-width space."""
    return map_strings(value, _inert)


_MENTION = re.compile(r"@(everyone|here|channel|all)\b")


def _inert(text: str) -> str:
    return _MENTION.sub("@\u200b\\1", text.translate(_CHAT))
