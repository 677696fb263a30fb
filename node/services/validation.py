"""Turning marshmallow errors into the node's :class:`InvalidInput`, each message a
:class:`~node.messages.Message` a page can show in its language (ARCHITECTURE.md §Translations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from node.errors import InvalidInput
from node.messages import N_, Recogniser, joined

if TYPE_CHECKING:
    from marshmallow import Schema

# What marshmallow (and the protocol's text check, federation.schema.text_problem, which the
# schemas' Line fields run) write, as templates: their finished English text is matched back
# to one of these, so the catalogue translates it. A fixed text of the project's own schemas
# (``error=N_(…)``) needs no entry here: the catalogue holds it as it is.
# tests/node/test_translations.py checks this table against marshmallow's own messages.
LIBRARY_TEXTS = Recogniser(
    [
        N_("Missing data for required field."),
        N_("Field may not be null."),
        N_("Invalid value."),
        N_("Unknown field."),
        N_("Invalid input type."),
        N_("Invalid type."),
        N_("Not a valid string."),
        N_("Not a valid utf-8 string."),
        N_("Not a valid integer."),
        N_("Not a valid number."),
        N_("Number too large."),
        N_("Not a valid boolean."),
        N_("Not a valid date."),
        N_("Not a valid list."),
        N_("Not a valid mapping type."),
        N_("Not a valid email address."),
        N_("Not a valid URL."),
        N_("String does not match expected pattern."),
        N_("Length must be between %(min)s and %(max)s."),
        N_("Length must be %(equal)s."),
        N_("Longer than maximum length %(max)s."),
        N_("Shorter than minimum length %(min)s."),
        N_("Must be one of: %(choices)s."),
        N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
        N_("Must be greater than or equal to %(min)s."),
        N_("Must be less than or equal to %(max)s."),
        N_("must not contain the control character U+%(code)s"),
        N_("must be one line (no tab or line break, found U+%(code)s)"),
    ]
)


def text_problem(value: str, lines: bool = False) -> str | None:
    """:func:`federation.schema.text_problem` (why ``value`` is not *text*), as a
    :class:`~node.messages.Message`."""
    from federation.schema import text_problem as problem_of

    problem = problem_of(value, lines)
    return None if problem is None else LIBRARY_TEXTS(problem)


def load(schema: Schema, data: Any, partial: bool = False) -> dict[str, Any]:
    """Validate ``data`` with ``schema`` or raise :class:`InvalidInput` listing each field."""
    # Imported here: a command that only reads imports the services but validates nothing.
    from marshmallow import ValidationError

    if not isinstance(data, Mapping):
        raise InvalidInput(N_("expected a JSON object"))
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        messages = recognised(exc.normalized_messages())
        raise InvalidInput(describe(messages), errors=messages) from exc


def recognised(messages: Any) -> Any:
    """marshmallow's nested messages with every text a :class:`~node.messages.Message`."""
    if isinstance(messages, Mapping):
        return {key: recognised(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [recognised(value) for value in messages]
    return LIBRARY_TEXTS(messages) if isinstance(messages, str) else messages


def describe(messages: Any, prefix: str = "") -> str:
    """One line naming every invalid field: ``capacity: Not a valid integer.; …``."""
    parts: list[str] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            parts.append(describe(value, name))
    elif isinstance(messages, list):
        texts = [
            m if isinstance(m, str) else str(m)
            for m in messages
            if not isinstance(m, Mapping | list)
        ]
        nested = [describe(m, prefix) for m in messages if isinstance(m, Mapping | list)]
        if texts:
            text = joined(texts, " ")
            parts.append(
                N_("%(field)s: %(message)s", field=prefix, message=text) if prefix else text
            )
        parts.extend(nested)
    else:
        text = messages if isinstance(messages, str) else str(messages)
        parts.append(N_("%(field)s: %(message)s", field=prefix, message=text) if prefix else text)
    return joined(p for p in parts if p)
