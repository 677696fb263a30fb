"""Turning marshmallow errors into the node's :class:`InvalidInput`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from node.errors import InvalidInput

if TYPE_CHECKING:
    from marshmallow import Schema


def load(schema: Schema, data: Any, partial: bool = False) -> dict[str, Any]:
    """Validate ``data`` with ``schema`` or raise :class:`InvalidInput` listing each field."""
    # Imported here: a command that only reads imports the services but validates nothing.
    from marshmallow import ValidationError

    if not isinstance(data, Mapping):
        raise InvalidInput("expected a JSON object")
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        raise InvalidInput(describe(messages), errors=messages) from exc


def describe(messages: Any, prefix: str = "") -> str:
    """One line naming every invalid field: ``capacity: Not a valid integer.; …``."""
    parts: list[str] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            parts.append(describe(value, name))
    elif isinstance(messages, list):
        text = " ".join(str(m) for m in messages if not isinstance(m, Mapping | list))
        nested = [describe(m, prefix) for m in messages if isinstance(m, Mapping | list)]
        if text:
            parts.append(f"{prefix}: {text}" if prefix else text)
        parts.extend(nested)
    else:
        parts.append(f"{prefix}: {messages}" if prefix else str(messages))
    return "; ".join(p for p in parts if p)
