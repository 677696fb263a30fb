"""Writing published state: projectors and the page they write through.

The node's published-state tables are a cache of the fold in ``federation.state``
(ARCHITECTURE.md §Invariants). Each entry type has exactly one :class:`Projector`, registered by
the feature that owns the type (``node.features``): it applies an entry to the tables the way
the type's fold applies it to ``federation.state.NetworkState``, and ``drop`` forgets everything
an origin published there (blocking). A property test holds the tables read back through
``node.published`` equal to the fold.

Projectors write through a :class:`Page`, which makes a synced page of a thousand entries cost a
few queries rather than a thousand: the rows the page names are loaded at once, and new rows are
inserted in bulk when the page is finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from federation.entries import Entry, body_json
from node.bulk import insert_rows

_PRELOAD_CHUNK = 500  # ids per IN (...) query: well under every database's parameter limit


@dataclass(frozen=True)
class Projector:
    """How one entry type is written to the node's tables, and how an origin is forgotten."""

    entry_type: str
    apply: Callable[[Page, Entry], None]
    drop: Callable[[Session, str], None]
    # A model keyed by (origin, id) whose rows the entries name by ``body["id"]``: loaded for
    # the whole page at once before any entry is applied.
    keyed_rows: Any = None


@dataclass(frozen=True)
class Watcher:
    """A feature's own rows kept beside the published state, derived from entry types another
    feature projects (ARCHITECTURE.md §Registries and features): ``apply`` sees the entries of
    every stored page after the projectors, in the same transaction; ``drop`` forgets an
    origin's rows when the origin is forgotten."""

    name: str
    apply: Callable[[Session, Sequence[Entry]], None]
    drop: Callable[[Session, str], None]


class Page:
    """The writes of one page of entries, inside the caller's transaction."""

    def __init__(self, session: Session, entries: Sequence[Entry], keyed: Mapping[str, Any]):
        self.session = session
        # (model, primary key) -> a loaded row, the values of a row this page creates (a dict,
        # inserted in bulk by finish), or None for "no such row yet".
        self._cache: dict[tuple[Any, Any], Any] = {}
        self._inserts: dict[Any, list[dict[str, Any]]] = {}
        self._preload(entries, keyed)

    def _preload(self, entries: Sequence[Entry], keyed: Mapping[str, Any]) -> None:
        wanted: dict[tuple[Any, str], set[str]] = {}
        for entry in entries:
            model = keyed.get(entry.type)
            if model is not None:
                wanted.setdefault((model, entry.origin), set()).add(entry.body["id"])
        for (model, origin), ids in wanted.items():
            ordered = sorted(ids)
            for key in ordered:
                self._cache[(model, (origin, key))] = None
            for start in range(0, len(ordered), _PRELOAD_CHUNK):
                chunk = ordered[start : start + _PRELOAD_CHUNK]
                query = select(model).where(model.origin == origin, model.id.in_(chunk))
                for row in self.session.scalars(query):
                    self._cache[(model, (origin, row.id))] = row

    def row(self, model: Any, pk: Any) -> Any:
        """The row ``pk`` of ``model`` (a loaded row, a dict of values still to insert, or
        None): from the page, else by primary key."""
        if (model, pk) in self._cache:
            return self._cache[(model, pk)]
        return self.session.get(model, pk)

    @staticmethod
    def assign(row: Any, **values: Any) -> None:
        """Set columns on a loaded row or on the values of a row still to be inserted."""
        if isinstance(row, dict):
            row.update(values)
        else:
            for name, value in values.items():
                setattr(row, name, value)

    def put(self, model: Any, entry: Entry, values: dict[str, Any]) -> None:
        """Replace the row ``(entry.origin, body id)`` of ``model``, or queue a new one.

        A new row joins the page's bulk insert with its body as the canonical JSON text cut
        from the entry (no second encoding); a loaded row is updated through the ORM.
        """
        pk = (entry.origin, entry.body["id"])
        row = self.row(model, pk)
        if isinstance(row, dict):  # queued by an earlier entry of this page: replace its values
            row.update(values, body=body_json(entry))
        elif row is None:
            row = {"origin": entry.origin, "id": entry.body["id"], **values}
            row["body"] = body_json(entry)
            self._inserts.setdefault(model, []).append(row)
            self._cache[(model, pk)] = row
        else:
            self.assign(row, **values, body=entry.body)

    def upsert(self, model: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
        """Create or update the row ``key`` of ``model`` through the ORM."""
        pk = tuple(key.values()) if len(key) > 1 else next(iter(key.values()))
        row = self.row(model, pk)
        if row is None:
            row = model(**key, **values)
            self.session.add(row)
            self._cache[(model, pk)] = row
        else:
            self.assign(row, **values)

    def finish(self) -> None:
        """Flush the page's ORM changes, then insert its new rows in bulk."""
        # One flush for the page: lookups in between autoflush (or hit the cache), so later
        # entries of the page still see the rows earlier ones added.
        self.session.flush()
        for model, rows in self._inserts.items():
            table: Table = model.__table__
            insert_rows(self.session, table, rows, json_text={"body"})


def project(
    session: Session,
    entries: Iterable[Entry],
    projectors: Mapping[str, Projector],
    watchers: Iterable[Watcher] = (),
) -> None:
    """Apply verified entries, in order, to the published-state tables, then show them to the
    watchers."""
    entries = list(entries)
    keyed = {name: p.keyed_rows for name, p in projectors.items() if p.keyed_rows is not None}
    page = Page(session, entries, keyed)
    for entry in entries:
        projectors[entry.type].apply(page, entry)
    page.finish()
    for watcher in watchers:
        watcher.apply(session, entries)


def drop_origin(
    session: Session,
    origin: str,
    projectors: Iterable[Projector],
    watchers: Iterable[Watcher] = (),
) -> None:
    """Forget everything ``origin`` published (each table once, however many types share it)."""
    seen: set[Callable[[Session, str], None]] = set()
    for projector in projectors:
        if projector.drop not in seen:
            seen.add(projector.drop)
            projector.drop(session, origin)
    for watcher in watchers:
        watcher.drop(session, origin)
