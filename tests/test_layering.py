"""Import rules: ``federation/`` stays pure (no web framework, no database, no node code, so it
can serve any implementation of protocol.md), and no module of ``node`` or ``federation`` is part
of an import cycle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

FEDERATION = Path(__file__).resolve().parent.parent / "federation"
FORBIDDEN = frozenset({"flask", "sqlalchemy", "node"})
_DYNAMIC_IMPORTERS = frozenset({"import_module", "__import__"})


def _imported_names(node: ast.AST) -> list[str]:
    """Absolute module names imported by one AST node (relative imports stay in the package)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [node.module] if node.level == 0 and node.module else []
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        # importlib.import_module("flask") / __import__("sqlalchemy"), with a literal name.
        if name in _DYNAMIC_IMPORTERS and node.args and isinstance(node.args[0], ast.Constant):
            return [str(node.args[0].value)]
    return []


def forbidden_imports(path: Path) -> list[str]:
    """``path:line: module`` for every import of a forbidden package in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path}:{node.lineno}: {name}"
        for node in ast.walk(tree)
        for name in _imported_names(node)
        if name.split(".")[0] in FORBIDDEN
    ]


def test_federation_has_no_web_or_database_imports() -> None:
    files = sorted(FEDERATION.rglob("*.py"))
    assert files, "federation/ has no Python files?"
    offenders = [line for path in files for line in forbidden_imports(path)]
    assert not offenders, "federation/ must not import flask, sqlalchemy or node:\n" + "\n".join(
        offenders
    )


def test_the_scanner_finds_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import flask\n"
        "import sqlalchemy.orm\n"
        "from node.models import Space\n"
        "from node import db\n"
        "import os, node\n"
        "def f():\n"
        "    from flask import g\n"
        "    import importlib\n"
        "    importlib.import_module('sqlalchemy')\n"
        "from . import node as sibling\n"  # relative: the package's own module, allowed
        "import nodes\n"  # another package that merely starts with "node"
        "from flask_like import x\n"
    )
    found = [line.rsplit(": ", 1)[1] for line in forbidden_imports(sample)]
    expected = ["flask", "sqlalchemy.orm", "node.models", "node", "node", "flask", "sqlalchemy"]
    assert sorted(found) == sorted(expected)
    assert all(line.startswith(f"{sample}:") for line in forbidden_imports(sample))


# --- No import cycles -------------------------------------------------------------------------
#
# A cycle between modules is a knot in the layering: neither side can be understood, tested or
# moved alone, and it works only as long as someone keeps a late import in the right place.
# Every import counts here, at module level, inside functions and under TYPE_CHECKING alike, so
# a late import cannot hide one.

ROOT = FEDERATION.parent
PACKAGES = ("node", "federation")

# Each entry is one strongly connected set of modules that is known and being removed.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def module_names(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of ``packages`` under ``root``."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """Dotted names one AST node imports, relative ones made absolute; ``from a import b``
    yields ``a.b`` so that importing a submodule from its package counts as the submodule."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    return [f"{source}.{alias.name}" for alias in node.names]


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """``module -> {imported module: first line}`` over the modules of ``packages``.

    An imported name resolves to the longest module prefix that exists, so ``from node.models
    import Peer`` is an edge to ``node.models`` and ``from node.network import peering`` one to
    ``node.network.peering``. Imports of anything outside ``packages`` are left out.
    """
    modules = module_names(root, packages)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: dict[str, int] = {}
        for node in ast.walk(tree):
            for name in _targets(node, module, path.name == "__init__.py"):
                target = resolve(name)
                if target is not None and target != module:
                    edges.setdefault(target, getattr(node, "lineno", 0))
        graph[module] = edges
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[frozenset[str]]:
    """The strongly connected sets of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, {}):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            members = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.add(member)
                if member == module:
                    break
            if len(members) > 1:
                found.append(frozenset(members))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def describe(graph: dict[str, dict[str, int]], cycle: frozenset[str], root: Path) -> str:
    """The imports that hold ``cycle`` together, one ``file:line: a -> b`` per line."""
    modules = module_names(root, PACKAGES)
    return "\n".join(
        f"  {modules[source].relative_to(root)}:{line}: {source} -> {target}"
        for source in sorted(cycle)
        for target, line in sorted(graph[source].items())
        if target in cycle
    )


def test_node_and_federation_have_no_import_cycles() -> None:
    graph = import_graph(ROOT, PACKAGES)
    assert "node.network.peering" in graph and "federation.bodies" in graph
    unexpected = [c for c in cycles(graph) if c not in KNOWN_CYCLES]
    assert not unexpected, "import cycles (function-level imports count too):\n" + "\n\n".join(
        describe(graph, c, ROOT) for c in unexpected
    )


def test_the_graph_sees_late_and_relative_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import c\n")
    (package / "a.py").write_text("from pkg.sub import c\nimport json\n")
    (package / "b.py").write_text("def f():\n    from pkg import a\n")
    (package / "sub" / "c.py").write_text("from ..b import f\nfrom pkg.a import thing\n")
    (package / "d.py").write_text("import pkg.a\n")
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg.sub.c": 1}
    assert graph["pkg.b"] == {"pkg.a": 2}
    assert graph["pkg.sub"] == {"pkg.sub.c": 1}
    assert graph["pkg.sub.c"] == {"pkg.b": 1, "pkg.a": 2}
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b", "pkg.sub.c"})]


def test_formats_is_plain_python() -> None:
    """node/formats.py serves the CLI, the forms and the API alike: of the node it may use only
    its error type and the message marker, and no web framework or database."""
    path = FEDERATION.parent / "node" / "formats.py"
    allowed = (": node.errors", ": node.messages")
    offenders = [line for line in forbidden_imports(path) if not line.endswith(allowed)]
    assert not offenders, offenders


def test_the_services_texts_need_no_web_framework() -> None:
    """The errors and their translatable texts are raised by use cases that run without Flask
    (the CLI, the inbox): ``node.messages`` imports nothing of the node, the web or a database,
    and ``node.errors`` only the marker (ARCHITECTURE.md §Translations)."""
    node_dir = FEDERATION.parent / "node"
    assert forbidden_imports(node_dir / "messages.py") == []
    errors = forbidden_imports(node_dir / "errors.py")
    assert [line.rsplit(": ", 1)[1] for line in errors] == ["node.messages"]


# --- One reader of published state ------------------------------------------------------------
#
# The published-state tables are a cache of federation.state's fold: projectors write them and
# node/published.py reads them (ARCHITECTURE.md §Invariants). A query elsewhere would be a second
# reading of what a feed means.

PUBLISHED_MODELS = (
    "Space|Resource|Event|AgreementPublication|AgreementTermination|Revocation|NodeAddress"
    "|CohostConfirmation|Project"
)
_DIRECT_READ = re.compile(rf"\b(?:select|get)\(\s*(?:{PUBLISHED_MODELS})\b")
_READERS = {"node/published.py", "node/projectors.py", "node/projection.py"}


def test_only_the_reader_and_the_projectors_query_published_state() -> None:
    offenders = []
    for path in sorted((ROOT / "node").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in _READERS or name.startswith("node/migrations/"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _DIRECT_READ.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert not offenders, "read published state through node.published:\n" + "\n".join(offenders)
