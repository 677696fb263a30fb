"""Hosting many spaces in one process group (``spazi hub``; ARCHITECTURE.md §Hosting many spaces).

A hub is a directory holding ``hub.toml``, the list of the data dirs it serves. Each hosted space
is an ordinary data dir with its own key, settings, database, members and admins; requests reach
it by the host name of its ``url`` setting (``node.hub.dispatch``), and one worker process runs
the scheduled jobs of them all (``node.hub.worker``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from node.hub.dispatch import HubApp


def create_hub_app(hub_dir: str | None = None) -> HubApp:
    """The hub's WSGI app (``gunicorn 'node.hub:create_hub_app()'`` with ``SPAZI_HUB_DIR``)."""
    from node.hub.dispatch import create_hub_app as create

    return create(hub_dir)
