"""The inbox handler registry: one handler or refusal per message type, checked at start-up."""

from __future__ import annotations

from typing import Any

import pytest

from federation.messages import MESSAGE_TYPES, MessageType, MessageTypes
from node.bookings.handlers import register_handlers as register_bookings
from node.network.handlers import InboxHandlers, MissingHandlers, check_handlers, missing_handlers
from node.network.inbox import default_handlers
from node.network.inbox_handlers import HANDLERS, register_core_handlers
from node.projects.handlers import register_handlers as register_projects
from node.twinning.handlers import register_handlers as register_twinning

TWINNING = {"agreement.propose", "agreement.accept", "agreement.reject", "visit.report"}
BOOKINGS = {"booking.notice"}
PROJECTS = {"project.answer", "project.reply"}


def _answer(session: Any, node: Any, message: Any) -> dict[str, Any]:
    return {}


def test_the_default_registry_covers_every_type_and_is_frozen() -> None:
    registry = default_handlers()
    assert registry.frozen
    assert missing_handlers(registry) == []
    assert registry.handled() == {kind for kind, _, _ in HANDLERS} | TWINNING | BOOKINGS | PROJECTS
    assert set(registry.refused()) == set()  # every specified type is handled
    assert registry.handled() | set(registry.refused()) == MESSAGE_TYPES.names()
    assert default_handlers() is registry  # built once
    with pytest.raises(RuntimeError, match="frozen"):
        registry.register("heads.changed", _answer)


def test_check_handlers_names_a_type_with_neither_handler_nor_refusal() -> None:
    registry = InboxHandlers()
    register_core_handlers(registry)
    register_twinning(registry)
    register_bookings(registry)
    register_projects(registry)
    check_handlers(registry)  # complete: no error
    partial = InboxHandlers()
    partial.register("heads.changed", _answer)
    partial.refuse("visit.report", "not here")
    with pytest.raises(MissingHandlers) as missing:
        check_handlers(partial)
    assert missing.value.kinds == sorted(MESSAGE_TYPES.names() - {"heads.changed", "visit.report"})


def test_a_new_message_type_without_a_handler_is_caught() -> None:
    types = MessageTypes([*MESSAGE_TYPES, MessageType("x.new")])
    registry = InboxHandlers(types)
    register_core_handlers(registry)
    register_twinning(registry)
    register_bookings(registry)
    register_projects(registry)
    assert missing_handlers(registry) == ["x.new"]


def test_each_type_gets_one_handler_or_one_refusal() -> None:
    registry = InboxHandlers()
    registry.register("heads.changed", _answer)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("heads.changed", _answer)
    with pytest.raises(ValueError, match="registered twice"):
        registry.refuse("heads.changed", "no")
    registry.refuse("visit.report", "not yet")
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("visit.report", _answer)  # a handler replaces the refusal, explicitly
    with pytest.raises(ValueError, match="not an inbox message type"):
        registry.register("heads.gone", _answer)
    assert registry.handler_for("visit.report") is None
    handler = registry.handler_for("heads.changed")
    assert handler is not None and handler.handle is _answer and handler.prepare is None
