"""``spazi booking add|list|cancel``: guest bookings from the terminal (README §Twinning).

Each command calls the use cases the API and the pages call (node/bookings/service.py); output
goes through node/cli/output.py, which escapes text that came from peers.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from node.cli.output import CliError, echo, emit_json, table

if TYPE_CHECKING:
    from node.runtime import Node


def cmd_booking_add(args: argparse.Namespace, node: Node) -> int:
    """Book for a guest who presents their pass at the desk or on the phone."""
    from node.bookings import service

    wanted = service.parse_request(args.resource, args.day, args.start, args.end)
    with node.db.write() as session:
        row, secret = service.book(session, node, args.token, wanted)
        view = service.views(session, node, [row])[0]
    echo(
        "booked {} ({}) on {}, {}, for {} of {}",
        view.resource_name,
        view.kind_label,
        view.day.isoformat(),
        view.when,
        view.name,
        view.home_name or view.home_id,
    )
    echo("booking {}; the guest's link (shown once): {}/bookings/{}", row.id, node.url, secret)
    return 0


def _first(text: str | None, node: Node) -> date:
    from node.clock import local_today
    from node.twinning import desk

    if text:
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise CliError(f"--day: give a date as YYYY-MM-DD, not {text!r}", 2) from exc
    with node.db.read() as session:
        return local_today(desk.host_timezone(session, node), node.now_ms())


def cmd_booking_list(args: argparse.Namespace, node: Node) -> int:
    """Bookings of a day or a week, per day and resource."""
    from node.bookings import service

    first = _first(args.day, node)
    with node.db.read() as session:
        views = service.between(session, node, first, 7 if args.week else 1, args.cancelled)
    if args.json:
        emit_json({"bookings": [v.as_dict() for v in views]})
        return 0
    rows: list[dict[str, Any]] = [
        {"id": v.id, "day": v.day.isoformat(), "resource": v.resource_name, "when": v.when,
         "guest": v.name, "from": v.home_name or v.home_id,
         "state": "cancelled" if v.cancelled else "booked"}
        for v in views
    ]  # fmt: skip
    if not rows:
        echo("no bookings {}", "that week" if args.week else f"on {first.isoformat()}")
        return 0
    table(rows, ["id", "day", "resource", "when", "guest", "from", "state"])
    return 0


def cmd_booking_cancel(args: argparse.Namespace, node: Node) -> int:
    """Cancel a booking as the host; before its day the guest day is given back."""
    from node.bookings import service

    with node.db.write() as session:
        row = service.get(session, args.id)
        released = service.cancel(session, node, row, by="host")
    echo(
        "cancelled booking {}{}; the guest's space is told",
        args.id,
        " and gave the guest day back" if released else "",
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``booking`` command."""
    bp = sub.add_parser("booking", help="guest bookings of desks and rooms").add_subparsers(
        dest="sub", required=True
    )

    def command(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        parser = bp.add_parser(name, help=help_text)
        parser.set_defaults(func=func, needs_node=True, publishes=False)
        return parser

    p = command("add", cmd_booking_add, "book a desk or a room for a guest with their pass")
    p.add_argument("token", help="the guest pass (its text)")
    p.add_argument("--resource", required=True, help="the resource id (spazi resource list)")
    p.add_argument("--day", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--from", dest="start", metavar="HH:MM", help="a room's start")
    p.add_argument("--to", dest="end", metavar="HH:MM", help="a room's end")
    p = command("list", cmd_booking_list, "bookings of a day (default today) or a week")
    p.set_defaults(reads_only=True)
    p.add_argument("--day", metavar="YYYY-MM-DD")
    p.add_argument("--week", action="store_true", help="seven days from --day")
    p.add_argument("--cancelled", action="store_true", help="show cancelled ones too")
    p.add_argument("--json", action="store_true")
    p = command("cancel", cmd_booking_cancel, "cancel a booking as the host")
    p.add_argument("id", type=int)
