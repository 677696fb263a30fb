"""``federation/`` stays pure: no web framework, no database, no node code (DESIGN §1)."""

from __future__ import annotations

import ast
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


def test_formats_is_plain_python() -> None:
    """node/formats.py serves the CLI, the forms and the API alike: of the node it may use only
    its error type, and no web framework or database."""
    path = FEDERATION.parent / "node" / "formats.py"
    offenders = [line for line in forbidden_imports(path) if not line.endswith(": node.errors")]
    assert not offenders, offenders
