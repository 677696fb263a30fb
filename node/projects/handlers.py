"""The calls feature's inbox handlers: ``project.answer`` (posting side) and ``project.reply``
(home side) (protocol.md §Inbox, "Answers to calls"; node/projects/answers.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from node.network.handlers import InboxHandlers, Message
from node.projects import answers
from node.runtime import Node


def project_answer(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """A member of the sender answers one of our calls."""
    return answers.receive_answer(session, node, message["from"], message)


def project_reply(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """A posting space replies to one of our members' answers."""
    return answers.receive_reply(session, node, message["from"], message)


def register_handlers(registry: InboxHandlers) -> None:
    """Register the answers and replies."""
    registry.register("project.answer", project_answer)
    registry.register("project.reply", project_reply)
