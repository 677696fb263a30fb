"""``spazi event import-ics URL [--follow]`` and ``spazi event calendars``: the calendar import
from the terminal (registered with the other ``event`` commands in node/cli/content_cmds.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from node.cli.output import CliError, echo, table
from node.errors import NodeError

if TYPE_CHECKING:
    from node.runtime import Node


def cmd_import_ics(args: argparse.Namespace, node: Node) -> int:
    """Subscribe to the calendar at URL and import its events now."""
    from node.calendar_import import sync

    with node.db.write() as session:
        row = sync.subscribe(session, node, args.url, args.follow)
        subscription_id = row.id
    echo("importing {} …", args.url, err=True)
    try:
        report = sync.sync(node, subscription_id)
    except NodeError as exc:
        if exc.reason != "calendar-unreachable":
            raise
        # The calendar is recorded already: say how to try again rather than to add it again.
        raise CliError(
            f"{exc.detail}; check the address, then try again with `spazi event calendars "
            f"--sync {subscription_id}` (or drop it with --remove {subscription_id})"
        ) from None
    echo("calendar {}: {}", subscription_id, report.summary())
    if args.follow:
        echo("It is imported again every hour; `spazi event calendars` shows how it went.")
    return 0


def cmd_calendars(args: argparse.Namespace, node: Node) -> int:
    """List the imported calendars, or sync or remove one."""
    from node.calendar_import import sync
    from node.formats import ago

    if args.sync is not None:
        report = sync.sync(node, args.sync, force=True)
        echo("calendar {}: {}", args.sync, report.summary())
        return 0
    if args.remove is not None:
        with node.db.write() as session:
            sync.remove(session, args.remove)
        echo("calendar {} removed; the events it brought stay", args.remove)
        return 0
    now = node.now()
    with node.db.read() as session:
        rows = [
            {
                "id": row.id,
                "url": row.url,
                "follow": "yes" if row.follow else "no",
                "checked": ago(row.last_checked, now),
                "error": row.last_error or "",
            }
            for row in sync.subscriptions(session)
        ]
    table(rows, ["id", "url", "follow", "checked", "error"])
    return 0


def register_event_commands(
    command: Callable[..., argparse.ArgumentParser],
    parent: argparse._SubParsersAction,  # type: ignore[type-arg]
) -> None:
    """Add ``import-ics`` and ``calendars`` under ``spazi event`` with the ``command`` helper of
    node/cli/content_cmds.py."""
    p = command(parent, "import-ics", cmd_import_ics, "import the events of an ICS calendar URL")
    p.add_argument("url", help="https://… or webcal://… (Google Calendar, Nextcloud, Meetup)")
    p.add_argument("--follow", action="store_true", help="import it again every hour")
    p.set_defaults(publishes=True)
    p = command(parent, "calendars", cmd_calendars, "the imported calendars")
    p.add_argument("--sync", type=int, metavar="ID", help="import this calendar again now")
    p.add_argument("--remove", type=int, metavar="ID", help="stop importing it (events stay)")
