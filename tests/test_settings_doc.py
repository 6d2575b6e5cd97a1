"""The settings reference (docs/settings.md) is generated from newscrawl/settings.py, and every
setting the project reads is declared there (or is Scrapy's, or a library's it configures)."""

import re

from conftest import PROJECT
from scrapy.settings import default_settings

import newscrawl.settings as project_settings
from newscrawl.tools.settingsdoc import declared, render

# Read by the project but declared by the libraries they belong to.
LIBRARY_SETTINGS = {
    "RELATIVE_BASE",  # dateparser's (a dateparser settings dict, not Scrapy's)
    "SCHEDULER_QUEUE_KEY",  # scrapy-redis
    "SCHEDULER_DUPEFILTER_KEY",  # scrapy-redis
}
_READ = re.compile(r"""settings(?:\.get\w*\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_the_committed_reference_is_the_generated_one():
    assert (PROJECT / "docs" / "settings.md").read_text() == render(), (
        "regenerate: newscrawl settings-doc > docs/settings.md"
    )


def test_every_setting_of_the_project_has_a_meaning():
    scrapy = {name for name in dir(default_settings) if name.isupper()}
    assert [name for _, name, _, meaning in declared() if not meaning and name not in scrapy] == []
    assert {name for _, name, _, _ in declared()} == {name for name in dir(project_settings) if name.isupper()}


def test_every_setting_the_code_reads_is_declared():
    known = {name for name in dir(project_settings) if name.isupper()}
    known |= {name for name in dir(default_settings) if name.isupper()} | LIBRARY_SETTINGS
    read = {
        (match.group(1), str(path.relative_to(PROJECT)))
        for path in (PROJECT / "newscrawl").rglob("*.py")
        for match in _READ.finditer(path.read_text("utf-8"))
    }
    assert sorted((name, where) for name, where in read if name not in known) == []
    assert len(read) > 50  # the pattern still finds the project's reads


def test_each_setting_has_its_own_meaning_and_one_reader():
    """No two settings share a text, and each is read in one module of the project (the others ask
    that module), or only by Scrapy or the library it configures."""
    from collections import Counter

    from newscrawl.tools.settingsdoc import INDIRECT_READS, read_by, readers

    rows = declared()
    shared = Counter(meaning for _, _, _, meaning in rows if meaning != "Scrapy's own setting, as the project sets it.")
    assert [text[:60] for text, n in shared.items() if n > 1] == []
    found = readers()
    assert {name: paths for name, paths in found.items() if len(paths) > 1} == {}
    project = {name for name in dir(project_settings) if name.isupper()}
    scrapy = {name for name in dir(default_settings) if name.isupper()}
    assert sorted(name for name in project - scrapy if not read_by(name, found)) == []
    for name, path in INDIRECT_READS.items():  # the reads the pattern cannot see are where they are said to be
        assert f'"{name.removesuffix("_FILE")}' in (PROJECT / "newscrawl" / path).read_text("utf-8"), name
    assert "| `HEALTH_MIN_COVERAGE` | " in render() and "| `run/health.py` |" in render()
