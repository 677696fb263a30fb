"""``spazi event cohost-requests|cohost-confirm|cohost-decline``: answering other spaces that
name this one as a co-host of their events (registered with the other ``event`` commands in
node/cli/content_cmds.py; ARCHITECTURE.md §Joint events)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from node.cli.output import echo, emit_json, table

if TYPE_CHECKING:
    from node.runtime import Node


def cmd_cohost_requests(args: argparse.Namespace, node: Node) -> int:
    """The pending requests; with --all, also those confirmed, declined or withdrawn."""
    from node.services import cohosts

    with node.db.read() as session:
        found = cohosts.invitations(
            session,
            node,
            state=None if args.all else cohosts.PENDING,
            include_ended=args.all,
        )
    rows = [item.view() for item in found]
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        row["space"] = row["space"] or row["origin"]
    columns = ["origin", "event", "start", "title", "space"]
    table(rows, [*columns, "state"] if args.all else columns)
    if not args.all and rows:
        echo("Answer with: spazi event cohost-confirm ORIGIN EVENT (or cohost-decline)")
    return 0


def cmd_cohost_confirm(args: argparse.Namespace, node: Node) -> int:
    """Confirm co-hosting: publishes ``cohost.confirm``."""
    from node.services import cohosts

    with node.db.write() as session:
        row = cohosts.confirm(session, node, args.origin, args.event_id)
        title = row.body["title"]
    echo("confirmed: {} is co-hosted by this space", title)
    return 0


def cmd_cohost_decline(args: argparse.Namespace, node: Node) -> int:
    """Decline a request (kept here), or withdraw a confirmation (published)."""
    from node.services import cohosts

    with node.db.write() as session:
        state = cohosts.decline(session, node, args.origin, args.event_id, args.reason)
    if state == cohosts.WITHDRAWN:
        echo("withdrawn: event {} is no longer co-hosted by this space", args.event_id)
    else:
        echo("declined: event {} stays off this space's pages", args.event_id)
    return 0


def register_cohost_commands(
    command: Callable[..., argparse.ArgumentParser],
    parent: argparse._SubParsersAction,  # type: ignore[type-arg]
) -> None:
    """Add the ``cohost-*`` commands under ``spazi event`` with the ``command`` helper of
    node/cli/content_cmds.py."""
    p = command(
        parent, "cohost-requests", cmd_cohost_requests, "events other spaces ask us to co-host"
    )
    p.add_argument("--all", action="store_true", help="also confirmed, declined and withdrawn")
    p.add_argument("--json", action="store_true")
    for name, func, help_text in (
        ("cohost-confirm", cmd_cohost_confirm, "co-host another space's event (published)"),
        (
            "cohost-decline",
            cmd_cohost_decline,
            "decline co-hosting an event; withdraws if confirmed",
        ),
    ):
        p = command(parent, name, func, help_text)
        p.set_defaults(publishes=True)
        p.add_argument("origin", metavar="ORIGIN", help="the event's space: node id, URL or name")
        p.add_argument("event_id", metavar="EVENT_ID")
        if name == "cohost-decline":
            p.add_argument("--reason", help="published with a withdrawal")
