"""Modules imported only when first used, for the CLI's start-up time.

``spazi --help`` and ``spazi --version`` register every command, so each command module is
imported; if those modules imported SQLAlchemy, Flask and the services at the top, every
invocation would pay for all of them (most of a second). A command module names its heavy
modules with :func:`lazy_module` instead, under ``if not TYPE_CHECKING`` so that mypy still
sees the real modules: the import happens at the first attribute read, inside the command.
Services that validate input do the same with ``node.schemas`` (marshmallow takes a tenth of a
second to import), so a command that only lists never loads it.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, executed on first attribute access (stdlib ``LazyLoader``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:  # as a normal import would: ``import a.b`` makes ``a.b`` an attribute of ``a``
        setattr(sys.modules[parent], child, module)
    return module
