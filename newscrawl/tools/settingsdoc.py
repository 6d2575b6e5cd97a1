"""The settings reference: a table per section of newscrawl/settings.py, generated from its comments.

``newscrawl settings-doc > docs/settings.md``; a test fails when the committed reference and the
settings module differ, or when a setting the project reads is declared nowhere.
"""

from __future__ import annotations

import ast
import re
from importlib import resources

from scrapy.settings import default_settings

_SECTION = re.compile(r"^# -+ (.+?) -*$")
_SCRAPY = frozenset(name for name in dir(default_settings) if name.isupper())


def _source() -> str:
    return resources.files("newscrawl").joinpath("settings.py").read_text("utf-8")


def declared() -> list[tuple[str, str, str, str]]:
    """(section, name, default as written, meaning) of every setting, in file order. A project
    setting without comments of its own shares the comment of the group it is written in (no
    blank line between them); a Scrapy setting without one is marked as Scrapy's."""
    text = _source()
    lines = text.splitlines()
    found: list[tuple[str, str, str, str]] = []
    section, previous_end, previous_meaning = "", -2, ""
    for node in ast.parse(text).body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Name) or not target.id.isupper():
            continue
        first = node.lineno - 1
        comments: list[str] = []
        row = first - 1
        while row >= 0 and lines[row].startswith("#"):
            header = _SECTION.match(lines[row])
            if header:
                section = header.group(1)
                break
            comments.insert(0, lines[row].lstrip("# ").rstrip())
            row -= 1
        for above in range(row, -1, -1):  # the section a setting is in: the last header above it
            header = _SECTION.match(lines[above])
            if header:
                section = header.group(1)
                break
        inline = lines[node.end_lineno - 1].partition("  # ")[2] if node.end_lineno else ""
        meaning = " ".join(comments + ([inline] if inline else []))
        if not meaning and target.id in _SCRAPY:
            meaning = "Scrapy's own setting, as the project sets it."
        elif not meaning and first - 1 == previous_end:
            meaning = previous_meaning  # one of a group under one comment
        value = ast.get_source_segment(text, node.value) if node.value is not None else ""
        found.append((section, target.id, " ".join((value or "").split()), meaning))
        previous_end, previous_meaning = (node.end_lineno or node.lineno) - 1, meaning
    return found


def render() -> str:
    out = [
        "# Settings",
        "",
        "Generated from `newscrawl/settings.py` by `newscrawl settings-doc` (do not edit by hand). Every",
        "setting is overridden per run with `-s NAME=value`, per site in its `Site.settings`, per Scrapyd",
        "job with `newscrawl schedule --setting [SPIDER:]NAME=VALUE`. Secrets are never settings (README, Alerts).",
    ]
    section = None
    for where, name, value, meaning in declared():
        if where != section:
            section = where
            out += ["", f"## {where or 'Project'}", "", "| setting | default | meaning |", "|---|---|---|"]
        shown = value if len(value) <= 60 else value[:57] + "…"
        cell = lambda text: text.replace("|", "\\|")  # noqa: E731
        out.append(f"| `{name}` | `{cell(shown)}` | {cell(meaning)} |")
    return "\n".join(out) + "\n"
