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


#: who reads a setting that no module of the project reads by name (its owner library)
_LIBRARIES = (("PLAYWRIGHT_", "scrapy-playwright"), ("SPIDERMON_", "Spidermon"), ("REDIS_PARAMS", "scrapy-redis"))
#: a literal read of a setting by name: its get…() or [] on the settings, with the name in quotes
_READ = re.compile(r"""settings(?:\.get\w*\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")
#: reads the pattern cannot see (the name passed on to the reader), each checked by a test: the
#: module names the setting
INDIRECT_READS = {
    "LISTING_MAX_PAGES": "crawl/spiders/base.py",  # next_page_wanted(…, "LISTING_MAX_PAGES")
    "API_MAX_PAGES": "crawl/spiders/base.py",  # next_page_wanted(…, "API_MAX_PAGES")
    "ALERT_SMTP_PASSWORD_FILE": "run/alerts.py",  # secret(settings, "ALERT_SMTP_PASSWORD"): <name>_FILE
    "ALERT_WEBHOOK_URL_FILE": "run/alerts.py",  # secret(settings, "ALERT_WEBHOOK_URL"): <name>_FILE
}


def _modules() -> dict[str, str]:
    """The project's modules by path under newscrawl/ (``run/health.py``), with their source."""
    root = resources.files("newscrawl")
    found: dict[str, str] = {}

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir() and child.name != "__pycache__":
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".py") and f"{prefix}{child.name}" != "settings.py":
                found[f"{prefix}{child.name}"] = child.read_text("utf-8")

    walk(root, "")
    return found


def readers() -> dict[str, list[str]]:
    """Each setting the project reads → the modules that read it (one, as a rule: tested)."""
    found: dict[str, set[str]] = {}
    for path, text in _modules().items():
        for match in _READ.finditer(text):
            found.setdefault(match.group(1), set()).add(path)
    for name, path in INDIRECT_READS.items():
        found.setdefault(name, set()).add(path)
    return {name: sorted(paths) for name, paths in found.items()}


def read_by(name: str, found: dict[str, list[str]]) -> str:
    """Who reads the setting, for the reference: the project's module, else Scrapy or the library."""
    mine = ", ".join(f"`{path}`" for path in found.get(name, []))
    library = next((who for prefix, who in _LIBRARIES if name.startswith(prefix)), None)
    if name in _SCRAPY:
        return f"Scrapy; {mine}" if mine else "Scrapy"
    if library:
        return f"{library}; {mine}" if mine else library
    return mine


def sections() -> dict[str, str]:
    """Each section's introduction: the comment lines right under its header, ended by a blank line."""
    lines = _source().splitlines()
    found: dict[str, str] = {}
    for number, line in enumerate(lines):
        header = _SECTION.match(line)
        if not header:
            continue
        intro: list[str] = []
        for following in lines[number + 1 :]:
            if not following.startswith("#"):
                if not following.strip() and intro:
                    found[header.group(1)] = " ".join(intro)
                break
            intro.append(following.lstrip("# ").rstrip())
    return found


def declared() -> list[tuple[str, str, str, str]]:
    """(section, name, default as written, meaning) of every setting, in file order. A setting's
    meaning is its own comment (the lines right above it, or at the end of its line); a Scrapy
    setting without one is marked as Scrapy's."""
    text = _source()
    lines = text.splitlines()
    found: list[tuple[str, str, str, str]] = []
    section = ""
    for node in ast.parse(text).body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Name) or not target.id.isupper():
            continue
        first = node.lineno - 1
        comments: list[str] = []
        row = first - 1
        while row >= 0 and lines[row].startswith("#") and not _SECTION.match(lines[row]):
            comments.insert(0, lines[row].lstrip("# ").rstrip())
            row -= 1
        for above in range(first, -1, -1):  # the section a setting is in: the last header above it
            header = _SECTION.match(lines[above])
            if header:
                section = header.group(1)
                break
        inline = lines[node.end_lineno - 1].partition("  # ")[2] if node.end_lineno else ""
        meaning = " ".join(comments + ([inline] if inline else []))
        if not meaning and target.id in _SCRAPY:
            meaning = "Scrapy's own setting, as the project sets it."
        value = ast.get_source_segment(text, node.value) if node.value is not None else ""
        found.append((section, target.id, " ".join((value or "").split()), meaning))
    return found


def render() -> str:
    out = [
        "# Settings",
        "",
        "Generated from `newscrawl/settings.py` by `newscrawl settings-doc` (do not edit by hand). Every",
        "setting is overridden per run with `-s NAME=value`, per site in its `Site.settings`, per Scrapyd",
        "job with `newscrawl schedule --setting [SPIDER:]NAME=VALUE`. Secrets are never settings (README, Alerts).",
        '"Read by" names the one module of `newscrawl/` that reads the setting (or Scrapy, or the library',
        "it configures).",
    ]
    section = None
    intros = sections()
    found = readers()
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731
    for where, name, value, meaning in declared():
        if where != section:
            section = where
            out += ["", f"## {where or 'Project'}", ""]
            if intros.get(where):
                out += [intros[where], ""]
            out += ["| setting | default | read by | meaning |", "|---|---|---|---|"]
        shown = value if len(value) <= 60 else value[:57] + "…"
        out.append(f"| `{name}` | `{cell(shown)}` | {cell(read_by(name, found))} | {cell(meaning)} |")
    return "\n".join(out) + "\n"
