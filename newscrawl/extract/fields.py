"""Declared fields: each item field once, its candidates and its cleanup side by side.

A parser method decorated with :func:`field` is the field: it yields its candidates in order of
precedence, ``(source, value)``, and its declaration says how a value is cleaned (the loader's
input and output processors), how the candidates are taken (the first that gives a value; a
list; a date), which other fields it reads (``inputs``: their choices are its arguments, so
nothing is passed through the parser's attributes) and whether runs count it (coverage,
baselines). A site parser overrides a field by defining a method of the same name; it declares
a field of its own with the decorator.

The parser reads the fields in the schema's order (:meth:`newscrawl.extract.base.ArticleParser.parse`
is a loop over :func:`declared_fields`); the item class, the loader's processors and the coverage
lists of runs and datasets are made from these declarations, never written again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from newscrawl.article.schema import field_order

Take = Literal["first", "list", "date"]


@dataclass(frozen=True)
class FieldSpec:
    name: str  # the item field (a property of the schema)
    method: str  # the parser method that yields its candidates
    inputs: tuple[str, ...] = ()  # fields read before it; their Chosen are the method's arguments
    # "first": the first candidate that gives a value; "list": the first that gives a non-empty
    # list; "date": the method returns a ChosenDate (the field and its …Raw twin).
    take: Take = "first"
    cleanup: Callable[..., Any] | None = None  # the loader's input processor (default: text normalised)
    output: Callable[..., Any] | None = None  # the loader's output processor (default: the first value)
    structured: bool = False  # a candidate may be an object (dict), not only text
    required: str | None = None  # why a page without this field is not an article
    recorded: bool = True  # metadata.sources names the candidate that gave it
    coverage: bool = True  # counted in stats and manifests (fieldCoverage)
    baseline: bool = True  # kept in the site's baseline: a field the site always had, gone in one run


@dataclass(frozen=True)
class Chosen:
    """What a field became: the winning candidate's source and raw value, and the loaded value."""

    source: str | None = None
    raw: Any = None
    value: Any = None


NOTHING = Chosen()


class NotAnArticle(Exception):
    """Raised by a field method: the page is not an article, and why."""


Method = TypeVar("Method", bound=Callable[..., Any])


def field(name: str, **options: Any) -> Callable[[Method], Method]:
    """Declare the decorated parser method as the field ``name`` (options: see FieldSpec)."""

    def declare(method: Method) -> Method:
        method.__field__ = FieldSpec(name, method.__name__, **options)  # type: ignore[attr-defined]
        return method

    return declare


def declared_fields(cls: type) -> tuple[FieldSpec, ...]:
    """The fields ``cls`` declares (its own and inherited; a redeclaration replaces), in schema
    order; every input is declared and comes before the field that reads it."""
    found: dict[str, FieldSpec] = {}
    for klass in reversed(cls.__mro__):
        for value in vars(klass).values():
            spec = getattr(value, "__field__", None)
            if isinstance(spec, FieldSpec):
                found[spec.name] = spec
    order = field_order()
    unknown = sorted(set(found) - set(order))
    if unknown:
        raise TypeError(f"{cls.__name__} declares fields the schema does not have: {', '.join(unknown)}")
    specs = tuple(sorted(found.values(), key=lambda spec: order.index(spec.name)))
    seen: set[str] = set()
    for spec in specs:
        late = [name for name in spec.inputs if name not in seen]
        if late:
            raise TypeError(f"{cls.__name__}.{spec.method}: inputs {', '.join(late)} are not declared before it")
        seen.add(spec.name)
    return specs


def processors(specs: tuple[FieldSpec, ...]) -> dict[str, Callable[..., Any]]:
    """The loader's ``<field>_in`` / ``<field>_out`` attributes for the declared cleanups."""
    found: dict[str, Callable[..., Any]] = {}
    for spec in specs:
        if spec.cleanup is not None:
            found[f"{spec.name}_in"] = spec.cleanup
        if spec.output is not None:
            found[f"{spec.name}_out"] = spec.output
    return found
