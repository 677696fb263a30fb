"""The kinds of record that carry photos, each declared once: the space's profile, its events and
its desks and rooms (ARCHITECTURE.md §Photos). The service, the refs, the admin pages and the CLI
iterate over :data:`KINDS` rather than branching on entry types.

A record is keyed by ``(origin, item)`` in ``photo_refs``. The ``item`` of each kind cannot be
another's: the profile's is empty, an event's is its id, a resource's is ``resource:<id>`` (an
*id* never holds ``:``, protocol.md §Entry types, so no event id looks like it).

This module imports no storage at load time, so the CLI can build its parser from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from node.messages import N_

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from node.errors import NodeError


@dataclass(frozen=True)
class Current:
    """Our record as it is published now."""

    body: dict[str, Any]
    title: str  # the name pages and the CLI show for it
    closed: bool  # it can no longer change (a cancelled event, a removed resource)


@dataclass(frozen=True)
class RecordKind:
    """One kind of photographed record."""

    name: str  # "space", "event", "resource": the CLI command and the admin URL's part
    entry_type: str  # the entry that publishes the record with its photos
    ends: tuple[str, ...]  # entry types that end the record: its refs are dropped
    label: str  # "the space", "an event", "a desk or room" (CLI help)
    item: Callable[[str], str]  # the record's id (empty for the profile) -> its ``item``
    record_id: Callable[[str], str | None]  # an ``item`` -> the record's id, None if not ours
    read: Callable[[Session, str, str], Current | None]  # (session, origin, id)
    missing: Callable[[str], NodeError]  # the error for an id with no record
    closed: Callable[[str], NodeError]  # the error for a change to a closed record
    admin_path: str  # the admin pages' URL part: /admin/photos/<admin_path>/<id>; "" the space

    def item_of(self, body: Mapping[str, Any]) -> str:
        """The ``item`` of the record an entry body of :attr:`entry_type` (or :attr:`ends`)
        publishes."""
        return self.item(str(body.get("id", "")))


# -- the space's profile ----------------------------------------------------------------------

PROFILE = ""  # the ``item`` of a space's profile


def _read_profile(session: Session, origin: str, _record_id: str) -> Current | None:
    from node import published

    row = published.space(session, origin)
    if row is None:
        return None
    return Current(dict(row.profile), str(row.profile.get("name", "")), False)


def _no_profile(_record_id: str) -> NodeError:
    from node.errors import InvalidInput

    return InvalidInput(N_("the space has no profile yet"), reason="no-profile")


def _never_closed(record_id: str) -> NodeError:  # pragma: no cover - the profile never closes
    raise AssertionError(record_id)


SPACE = RecordKind(
    name="space",
    entry_type="space.profile",
    ends=(),
    label="the space",
    item=lambda _record_id: PROFILE,
    record_id=lambda item: "" if item == PROFILE else None,
    read=_read_profile,
    missing=_no_profile,
    closed=_never_closed,
    admin_path="",
)


# -- events -----------------------------------------------------------------------------------


def _read_event(session: Session, origin: str, event_id: str) -> Current | None:
    from node import published

    row = published.event(session, origin, event_id)
    if row is None:
        return None
    return Current(dict(row.body), str(row.body.get("title", "")), bool(row.cancelled))


def _unknown_event(event_id: str) -> NodeError:
    from node.errors import NotFound

    return NotFound(N_("no event %(event_id)r", event_id=event_id), reason="unknown-event")


def _cancelled(event_id: str) -> NodeError:
    from node.errors import Conflict

    # Publishing event.put again would bring the event back (protocol.md §Published state).
    return Conflict(
        N_("event %(event_id)r is cancelled: its photos can no longer change", event_id=event_id),
        reason="already-cancelled",
    )


EVENT = RecordKind(
    name="event",
    entry_type="event.put",
    ends=(),  # a cancelled event's page still shows its photos
    label="an event",
    item=lambda event_id: event_id,
    record_id=lambda item: item if item and ":" not in item else None,
    read=_read_event,
    missing=_unknown_event,
    closed=_cancelled,
    admin_path="events",
)


# -- desks and rooms --------------------------------------------------------------------------

_RESOURCE = "resource:"


def _read_resource(session: Session, origin: str, resource_id: str) -> Current | None:
    from node import published

    row = published.resource(session, origin, resource_id)
    if row is None:
        return None
    return Current(dict(row.body), str(row.body.get("name", "")), bool(row.removed))


def _unknown_resource(resource_id: str) -> NodeError:
    from node.errors import NotFound

    return NotFound(
        N_("no resource %(resource_id)r: see 'spazi resource list'", resource_id=resource_id),
        reason="unknown-resource",
    )


def _removed(resource_id: str) -> NodeError:
    from node.errors import Conflict

    # Publishing resource.put again would bring the resource back (protocol.md §Published state).
    return Conflict(
        N_(
            "resource %(resource_id)r is removed: its photos can no longer change",
            resource_id=resource_id,
        ),
        reason="resource-removed",
    )


RESOURCE = RecordKind(
    name="resource",
    entry_type="resource.put",
    ends=("resource.remove",),  # a removed desk is shown nowhere
    label="a desk or room",
    item=lambda resource_id: _RESOURCE + resource_id,
    record_id=lambda item: item[len(_RESOURCE) :] if item.startswith(_RESOURCE) else None,
    read=_read_resource,
    missing=_unknown_resource,
    closed=_removed,
    admin_path="resources",
)


KINDS: tuple[RecordKind, ...] = (SPACE, EVENT, RESOURCE)
BY_NAME = {kind.name: kind for kind in KINDS}
BY_ENTRY = {kind.entry_type: kind for kind in KINDS}
ENDED_BY = {entry_type: kind for kind in KINDS for entry_type in kind.ends}


def kind_of(item: str) -> tuple[RecordKind, str]:
    """The kind of the record ``item`` names, and the record's id."""
    for kind in KINDS:
        record_id = kind.record_id(item)
        if record_id is not None:
            return kind, record_id
    raise ValueError(f"no kind of photographed record has the item {item!r}")
