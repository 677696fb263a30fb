"""A registry of named records: each registered once, then frozen before use."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class Registry:
    """Named records, each registered once, then frozen before use.

    A second record under one name is a programming error (two owners for one kind), caught
    at start-up rather than resolved by whichever registered last.
    """

    def __init__(self, what: str) -> None:
        self._what = what
        self._items: dict[str, Any] = {}
        self._frozen = False

    def register(self, name: str, item: Any) -> None:
        """Add ``item`` under ``name``; raises on a duplicate or after :meth:`freeze`."""
        if self._frozen:
            raise RuntimeError(f"the {self._what} registry is frozen; register at start-up")
        if name in self._items:
            raise ValueError(f"{self._what} {name!r} is registered twice")
        self._items[name] = item

    def items(self) -> Mapping[str, Any]:
        """A read-only view of what is registered so far."""
        return MappingProxyType(self._items)

    def freeze(self) -> Mapping[str, Any]:
        """Stop registration; the read-only mapping of what was registered."""
        self._frozen = True
        return MappingProxyType(self._items)
