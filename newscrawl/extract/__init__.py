"""The extraction engine: what a page becomes, for every site. Its face is this module: the names a
site plug-in (a package under newscrawl/sites/) may use. Plug-ins import these and newscrawl.article,
nothing else (the import contracts in pyproject.toml hold them to it); the engine never imports a
plug-in (the registry finds them by name).

    from newscrawl.extract import ArticleParser, Candidate, Site, Source, Check
"""

from newscrawl.extract.base import ArticleParser, Candidate, generic_of
from newscrawl.extract.common import (
    ChosenDate,
    Link,
    SitemapRef,
    Skip,
    as_selectors,
    attribute_values,
    first_attribute,
    has_class,
    has_class_name,
    inside_test,
    jsonld_type_names,
    link_href,
    page_selector,
    tagged,
)
from newscrawl.extract.discovery import Discovery
from newscrawl.extract.fields import Chosen, field
from newscrawl.extract.generic import first_h1, split_credit
from newscrawl.extract.live import entries as live_entries
from newscrawl.extract.loader import strip_photo_prefix
from newscrawl.extract.registry import Check, Site, Source
from newscrawl.extract.skeleton import the_article

__all__ = [
    "ArticleParser",
    "Candidate",
    "Check",
    "Chosen",
    "ChosenDate",
    "Discovery",
    "Link",
    "Site",
    "SitemapRef",
    "Skip",
    "Source",
    "as_selectors",
    "attribute_values",
    "field",
    "first_attribute",
    "first_h1",
    "generic_of",
    "live_entries",
    "has_class",
    "has_class_name",
    "inside_test",
    "jsonld_type_names",
    "link_href",
    "page_selector",
    "split_credit",
    "strip_photo_prefix",
    "tagged",
    "the_article",
]
