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
