"""Desks, rooms and offices of the space (``resource.put`` / ``resource.remove`` entries)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from node import published
from node.errors import Conflict, InvalidInput, NotFound
from node.messages import N_
from node.models import Resource
from node.runtime import Node
from node.schemas import PRICE_NEEDS_CURRENCY, ResourceSchema, priced_without_currency
from node.services.ids import new_id
from node.services.publishing import drop_none, publish
from node.services.validation import load

RESOURCE_PRICES = ("price_hour_minor", "price_day_minor")


def resource_view(row: Resource) -> dict[str, Any]:
    """The public JSON shape of a resource."""
    return {**row.body, "origin": row.origin, "removed": row.removed}


def list_resources(session: Session, origin: str, include_removed: bool = False) -> list[Resource]:
    """Resources of ``origin`` (see :func:`node.published.resources`)."""
    return published.resources(session, origin, include_removed)


def get_resource(session: Session, origin: str, resource_id: str) -> Resource:
    """The present resource ``resource_id`` of ``origin``, or :class:`NotFound`."""
    row = published.resource(session, origin, resource_id)
    if row is None or row.removed:
        raise NotFound(
            N_("no resource %(resource_id)r", resource_id=resource_id), reason="unknown-resource"
        )
    return row


def add_resource(session: Session, node: Node, data: Any) -> dict[str, Any]:
    """Validate and publish a new resource; returns its body (with the id given or chosen)."""
    body = drop_none(load(ResourceSchema(), data))
    body.setdefault("id", new_id(body["name"]))
    existing = published.resource(session, node.node_id, body["id"])
    if existing is not None and not existing.removed:
        raise Conflict(
            N_("resource %(id)r already exists", id=body["id"]), reason="resource-exists"
        )
    publish(session, node, "resource.put", body)
    return body


def update_resource(session: Session, node: Node, resource_id: str, changes: Any) -> dict[str, Any]:
    """Change fields of a resource (null clears an optional field) and publish it again."""
    row = get_resource(session, node.node_id, resource_id)
    data = load(ResourceSchema(), changes, partial=True)
    if "id" in data and data["id"] != resource_id:
        raise Conflict(N_("a resource's id cannot change"), reason="id-immutable")
    merged = {**row.body, **data}
    body = drop_none(merged)
    if priced_without_currency(body, RESOURCE_PRICES):
        raise InvalidInput(
            PRICE_NEEDS_CURRENCY,
            field="currency",
            errors={"currency": [PRICE_NEEDS_CURRENCY]},
        )
    publish(session, node, "resource.put", body)
    return body


def remove_resource(session: Session, node: Node, resource_id: str) -> None:
    get_resource(session, node.node_id, resource_id)
    publish(session, node, "resource.remove", {"id": resource_id})
