"""The package's shape, checked: layers (lint-imports checks their order), no import cycle between
modules or packages, a short top level, no locator and no private Scrapy attribute."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "newscrawl"
LAYERS = ("tools", "cluster", "run", "crawl", "state", "sites", "extract", "article")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules a module imports at run time, anywhere in it (function-level imports
    count too; imports under ``if TYPE_CHECKING:`` do not: they are types, gone at run time)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text("utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target in known and target != name:
                found.add(target)
                break
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return result


def test_no_import_cycle_between_modules():
    assert cycles(graph()) == []


def test_no_import_cycle_between_packages():
    # A package "imports" another when one of its modules does (a package's own __init__ aside).
    edges: dict[str, set[str]] = {}
    for name, targets in graph().items():
        package = name.rpartition(".")[0] if not (PACKAGE.parent / name.replace(".", "/")).is_dir() else name
        for target in targets:
            target_package = (
                target if (PACKAGE.parent / target.replace(".", "/")).is_dir() else target.rpartition(".")[0]
            )
            if target_package != package and not package.startswith(target_package + "."):
                edges.setdefault(package, set()).add(target_package)
    assert cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_top_level_is_short_and_the_layers_are_packages():
    top_modules = [path.name for path in PACKAGE.glob("*.py")]
    assert len(top_modules) <= 12, top_modules
    assert all((PACKAGE / layer / "__init__.py").exists() for layer in LAYERS)


def test_the_layer_contract_names_every_layer_in_order():
    import tomllib

    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text("utf-8"))
    contract = config["tool"]["importlinter"]["contracts"][0]
    assert contract["type"] == "layers"
    assert contract["layers"] == [f"newscrawl.{layer}" for layer in LAYERS]


def test_no_locator_and_no_private_scrapy_attributes():
    private = {"_slot", "_cached_selector", "_create_spider", "_apply_settings", "_extensions", "_spider"}
    for name, path in modules().items():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                owner = node.value.id if isinstance(node.value, ast.Name) else ""
                assert node.attr not in private or owner in ("self", "cls"), f"{name}: .{node.attr}"
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").endswith("runtime"), f"{name} imports a locator"
    assert "newscrawl.runtime" not in modules()


def test_what_an_article_is_needs_no_scrapy():
    # newscrawl.article is the bottom layer: plain Python and the libraries of text and dates.
    for name, path in modules().items():
        if name.startswith("newscrawl.article"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.ImportFrom | ast.Import):
                    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                    assert not any(n == "scrapy" or n.startswith("scrapy.") for n in names), name


def readme_layout() -> dict[str, set[str]]:
    """The README's layout map: for each package it gives a line of its own (``newscrawl/extract``),
    the names on its lines: module files (``name.py``) and sub-packages (``name/``)."""
    text = (PACKAGE.parent / "README.md").read_text("utf-8")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    named: dict[str, set[str]] = {}
    stack: list[tuple[int, str]] = []  # (indent, package path) of the packages the line is inside
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent < 20:  # a line of its own (descriptions continue at column 22)
            while stack and stack[-1][0] >= indent:
                stack.pop()
            first = line.split()[0]
            if first.endswith("/") and (stack or first == "newscrawl/"):
                path = f"{stack[-1][1]}/{first.rstrip('/')}" if stack else "newscrawl"
                stack.append((indent, path))
                named[path] = set()
                line = line.replace(first, "", 1)
        if stack:
            named[stack[-1][1]].update(re.findall(r"(?<![\w/.*])(\w+\.py|\w+/)(?=[\s,;:)]|$)", line))
    return named


def test_the_readmes_layout_map_names_every_module_and_nothing_else():
    """The map cannot drift: every package and module of newscrawl/ is on it, on its package's
    lines (a site plug-in by its package name on sites/'s), and everything it names exists."""
    named = readme_layout()
    root = PACKAGE.parent
    plugins = {path.parent.name for path in (PACKAGE / "sites").glob("*/__init__.py")}
    packages = {
        str(path.parent.relative_to(root))
        for path in PACKAGE.rglob("__init__.py")
        if path.parent.parent != PACKAGE / "sites"
    }
    assert set(named) == packages, "README layout: the packages"
    for package, names in named.items():
        here = root / package
        modules = {path.name for path in here.glob("*.py") if path.name != "__init__.py"}
        subpackages = {f"{path.parent.name}/" for path in here.glob("*/__init__.py")}
        if package == "newscrawl/sites":
            subpackages = {f"{name}/" for name in plugins}
            # what each plug-in holds (__init__.py: the Site; parser.py, discovery.py)
            modules |= {path.name for name in plugins for path in (here / name).glob("*.py")}
        assert modules - {"__init__.py"} <= names, (
            f"README layout, {package}/: {sorted(modules - names)} not on the map"
        )
        assert {n for n in names if n.endswith(".py")} <= modules | {"__init__.py"}, (
            f"README layout, {package}/ names what it does not hold: {sorted(n for n in names if n.endswith('.py') and n not in modules)}"
        )
        assert {n for n in names if n.endswith("/")} <= subpackages, f"README layout, {package}/: {sorted(names)}"
