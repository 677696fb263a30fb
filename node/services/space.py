"""The space's profile: read and change it (each change is a signed ``space.profile`` entry)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from node import published
from node.errors import NotFound
from node.messages import N_
from node.runtime import Node
from node.schemas import ProfileSchema
from node.services.publishing import drop_none, publish
from node.services.validation import load


def get_profile(session: Session, origin: str) -> dict[str, Any]:
    """The current profile of ``origin`` (ours or a mirrored space)."""
    row = published.space(session, origin)
    if row is None:
        raise NotFound(N_("no space profile for %(origin)s", origin=origin), reason="unknown-space")
    return dict(row.profile)


def update_profile(session: Session, node: Node, changes: Any) -> dict[str, Any]:
    """Apply ``changes`` (fields set to null are removed) and publish the new profile."""
    data = load(ProfileSchema(), changes, partial=True)
    current = published.space(session, node.node_id)
    merged = dict(current.profile) if current is not None else {}
    for name, value in data.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = _jsonable(value)
    profile = drop_none(merged)
    publish(session, node, "space.profile", profile)
    return profile


def _jsonable(value: Any) -> Any:
    """Dates from nested schemas back to ISO strings (the feed holds only JSON types)."""
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
