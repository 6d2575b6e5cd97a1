"""Patterns from a declaration, matched in time linear in the page: RE2, never Python's backtracking ``re``.

A declared site is data that people share. Its ``article_path`` is matched against every link of
every page and its selectors run on every article, so a plausible pattern such as
``([a-z0-9]+-?)+$`` and one hostile link would otherwise hold the reactor for hours (Python's
``re`` backtracks exponentially, in C, where no signal reaches it). RE2 (google-re2) guarantees
time linear in the input; a pattern it cannot run in that bound (a back-reference, a look-around)
is refused when the file is loaded.

XPath's own regular-expression functions (EXSLT ``re:test``, ``re:match``, ``re:replace``, which lxml
runs on Python's ``re``) are given RE2 implementations for the declared selectors; lxml's are off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import re2
from lxml import etree

EXSLT_REGEXP = "http://exslt.org/regular-expressions"
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is one line of the load error, not a C++ log on stderr


class UnboundedPattern(ValueError):
    """A pattern that cannot be matched in linear time (or is no pattern at all)."""


class PathMatch(Protocol):
    def group(self, name: str | int = ...) -> Any: ...


class PathPattern(Protocol):
    """What the registry needs of an article path pattern: ``re.Pattern`` and RE2's both are one."""

    @property
    def pattern(self) -> str: ...

    @property
    def groupindex(self) -> Any: ...

    def match(self, string: str) -> Any: ...


def compile_pattern(pattern: str, flags: str = "") -> Any:
    """``pattern`` compiled by RE2; UnboundedPattern says why RE2 refused it."""
    prefix = "(?i)" if "i" in flags else ""
    try:
        return re2.compile(prefix + pattern, options=_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        raise UnboundedPattern(f"{reason} (RE2 syntax: no back-references or look-arounds)") from None


def _text(value: Any) -> str:
    """An XPath argument as a string: a node-set gives its first node's text, as XPath's string() does."""
    if isinstance(value, list):
        if not value:
            return ""
        value = value[0]
    if isinstance(value, etree._Element):
        return str(value.xpath("string()"))
    return str(value)


def _test(_context: Any, value: Any, pattern: str, flags: str = "") -> bool:
    return compile_pattern(_text(pattern), _text(flags)).search(_text(value)) is not None


def _match(_context: Any, value: Any, pattern: str, flags: str = "") -> list[str]:
    flags = _text(flags)
    compiled = compile_pattern(_text(pattern), flags)
    text = _text(value)
    if "g" in flags:
        return [found.group(0) for found in compiled.finditer(text)]
    found = compiled.search(text)
    return [] if found is None else [found.group(0), *(group or "" for group in found.groups())]


def _replace(_context: Any, value: Any, pattern: str, flags: str, replacement: str) -> str:
    flags = _text(flags)
    count = 0 if "g" in flags else 1
    return str(
        compile_pattern(_text(pattern), flags).sub(_text(replacement).replace("\\", "\\\\"), _text(value), count)
    )


_FUNCTIONS = {(EXSLT_REGEXP, "test"): _test, (EXSLT_REGEXP, "match"): _match, (EXSLT_REGEXP, "replace"): _replace}
_NAMESPACES = {"re": EXSLT_REGEXP}


_REGEX_CALL = re2.compile(r"re:(?:test|match|replace)\s*\(", options=_OPTIONS)


def literal_patterns(expression: str) -> list[str]:
    """The string literals given as the pattern (second argument) of the expression's ``re:`` calls."""
    patterns = []
    for call in _REGEX_CALL.finditer(expression):
        depth, argument, start, i = 0, 0, call.end(), call.end()
        while i < len(expression) and depth >= 0:
            char = expression[i]
            if char in "'\"":
                end = expression.find(char, i + 1)
                if end < 0:
                    break
                if argument == 1 and depth == 0 and not expression[start:i].strip(" ,"):
                    patterns.append(expression[i + 1 : end])
                i = end
            elif char in "([":
                depth += 1
            elif char in ")]":
                depth -= 1
            elif char == "," and depth == 0:
                argument, start = argument + 1, i
            i += 1
    return patterns


def compile_xpath(expression: str) -> etree.XPath:
    """A declared XPath expression, its ``re:`` functions on RE2: a ValueError when it is not XPath,
    an UnboundedPattern when a pattern it gives is not RE2's (refused at load, not on the first page)."""
    for pattern in literal_patterns(expression):
        compile_pattern(pattern)
    try:
        compiled = etree.XPath(
            expression, namespaces=_NAMESPACES, extensions=_FUNCTIONS, regexp=False, smart_strings=False
        )
        compiled(etree.fromstring("<html><body><p>probe</p></body></html>"))
    except etree.XPathError as error:
        raise ValueError(str(error)) from None
    return compiled


def matched_nodes(compiled: etree.XPath, root: Any) -> Sequence[Any]:
    """What a compiled declared XPath selects on a page: elements or strings (a bare boolean or number is a string)."""
    found = compiled(root)
    return found if isinstance(found, list) else [str(found)]
