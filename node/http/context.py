"""Access to the running node from request handlers."""

from __future__ import annotations

from flask import current_app

from node.runtime import Node


def node() -> Node:
    """The :class:`Node` this app serves."""
    return current_app.extensions["spazi"]
