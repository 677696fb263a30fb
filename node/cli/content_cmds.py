"""``spazi space|resource|event|member|feed``: managing what the space publishes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from federation.errors import ProtocolError
from node.calendar_import.cli import register_event_commands
from node.cli.cohost_cmds import register_cohost_commands
from node.cli.output import CliError, Progress, echo, emit_json, option, table, verbatim
from node.lazy import lazy_module
from node.people.cli import register_member_profile
from node.photos.cli import register_photo_commands
from node.photos.kinds import EVENT, RESOURCE, SPACE

if TYPE_CHECKING:
    from node import feedcheck, feedstore, feedverify, formats, published
    from node.runtime import Node
    from node.services import events, known_spaces, members, resources, space
else:  # imported when a command runs (node/lazy.py)
    feedcheck = lazy_module("node.feedcheck")
    feedstore = lazy_module("node.feedstore")
    feedverify = lazy_module("node.feedverify")
    formats = lazy_module("node.formats")
    published = lazy_module("node.published")
    events = lazy_module("node.services.events")
    known_spaces = lazy_module("node.services.known_spaces")
    members = lazy_module("node.services.members")
    resources = lazy_module("node.services.resources")
    space = lazy_module("node.services.space")


def _given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


# -- space -------------------------------------------------------------------------------------


def cmd_space_show(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        profile = space.get_profile(session, node.node_id)
    emit_json({**profile, "node_id": node.node_id})
    return 0


def profile_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``spazi space set`` as a change for ``space.update_profile``."""
    changes = _given(
        args, "name", "description", "address", "city", "district", "country", "timezone"
    )
    if args.lat is not None:
        changes["latitude_e6"] = option("--lat", formats.parse_latitude, args.lat)
    if args.lon is not None:
        changes["longitude_e6"] = option("--lon", formats.parse_longitude, args.lon)
    if args.hours is not None:
        changes["opening_hours"] = option("--hours", formats.parse_opening_hours, args.hours)
    if args.amenities is not None:
        changes["amenities"] = formats.parse_items(args.amenities)
    contact = _given(args, "email", "phone")
    if args.website:
        contact["url"] = args.website
    if contact:
        changes["contact"] = contact
    if args.link:
        changes["links"] = [option("--link", formats.parse_link, item) for item in args.link]
    for name in args.unset or []:
        changes[name.replace("-", "_")] = None
    return changes


def cmd_space_set(args: argparse.Namespace, node: Node) -> int:
    changes = profile_changes(args)
    if not changes:
        raise CliError(
            "nothing to change: give at least one option (see spazi space set --help)", 2
        )
    with node.db.write() as session:
        profile = space.update_profile(session, node, changes)
    emit_json(profile)
    return 0


# -- resources ---------------------------------------------------------------------------------


def _currency(args: argparse.Namespace) -> str | None:
    if args.currency is None:
        return None
    return option("--currency", formats.parse_currency, args.currency)


def resource_data(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``spazi resource add|update`` as input for the resources service."""
    data = _given(args, "id", "name", "description", "capacity")
    currency = _currency(args)
    if currency is not None:
        data["currency"] = currency
    if args.kind is not None:
        data["kind"] = option("--kind", formats.parse_resource_kind, args.kind)
    if args.price_hour is not None:
        data["price_hour_minor"] = option(
            "--price-hour", formats.parse_money, args.price_hour, currency
        )
    if args.price_day is not None:
        data["price_day_minor"] = option(
            "--price-day", formats.parse_money, args.price_day, currency
        )
    return data


def cmd_resource_add(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        body = resources.add_resource(session, node, resource_data(args))
    echo("added resource {}", body["id"])
    return 0


def cmd_resource_update(args: argparse.Namespace, node: Node) -> int:
    data = resource_data(args)
    data.pop("id", None)
    if not data:
        raise CliError("nothing to change: give at least one option", 2)
    with node.db.write() as session:
        resources.update_resource(session, node, args.resource_id, data)
    echo("updated resource {}", args.resource_id)
    return 0


def cmd_resource_remove(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        resources.remove_resource(session, node, args.resource_id)
    echo("removed resource {}", args.resource_id)
    return 0


def cmd_resource_list(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        rows = [resources.resource_view(r) for r in resources.list_resources(session, node.node_id)]
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        for column, field in (("hour", "price_hour_minor"), ("day", "price_day_minor")):
            amount = formats.money_text(row.get(field), row.get("currency"))
            # No such price: an empty cell, not a bare currency.
            row[column] = f"{amount} {row.get('currency') or ''}".strip() if amount else ""
    table(rows, ["id", "kind", "name", "capacity", "hour", "day"])
    return 0


# -- events ------------------------------------------------------------------------------------


def event_data(args: argparse.Namespace) -> dict[str, Any]:
    """The options of ``spazi event add``/``update`` as input for the event services."""
    data = _given(
        args,
        "id",
        "title",
        "description",
        "start",
        "end",
        "timezone",
        "capacity",
        "url",
    )
    currency = _currency(args)
    if currency is not None:
        data["currency"] = currency
    if args.tags is not None:
        data["tags"] = formats.parse_tags(args.tags)
    if args.cohost:
        # One space per --cohost: a name may hold commas or spaces.
        data["cohosts"] = [item.strip() for item in args.cohost if item.strip()]
    if args.price is not None:
        data["price_minor"] = option("--price", formats.parse_money, args.price, currency)
    return data


def cmd_event_add(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        body = events.add_event(
            session, node, known_spaces.with_cohost_ids(session, node, event_data(args))
        )
    echo("added event {}", body["id"])
    return 0


def cmd_event_update(args: argparse.Namespace, node: Node) -> int:
    data = event_data(args)
    data.pop("id", None)
    if not data:
        raise CliError("nothing to change: give at least one option", 2)
    with node.db.write() as session:
        events.update_event(
            session, node, args.event_id, known_spaces.with_cohost_ids(session, node, data)
        )
    echo("updated event {}", args.event_id)
    return 0


def cmd_event_cancel(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        events.cancel_event(session, node, args.event_id, _given(args, "reason"))
    echo("cancelled event {}", args.event_id)
    return 0


def cmd_event_list(args: argparse.Namespace, node: Node) -> int:
    given = {"from": args.date_from, "to": args.date_to, "tag": args.tag}
    # Nothing given, nothing to validate: the schema (and marshmallow) stays unloaded.
    filters = events.parse_query(given) if any(given.values()) else {}
    with node.db.read() as session:
        found = published.query_events(session, node.node_id, **filters)
        rows = [events.event_view(e) for e in found]
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        row["status"] = "CANCELLED" if row["cancelled"] else ""
    table(rows, ["id", "start", "end", "timezone", "title", "status"])
    return 0


# -- members -----------------------------------------------------------------------------------


def cmd_member_add(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        member = members.add_member(session, _given(args, "name", "email", "plan"))
        echo("added member {}", member.id)
    return 0


def cmd_member_update(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        members.update_member(session, args.member_id, _given(args, "name", "email", "plan"))
    echo("updated member {}", args.member_id)
    return 0


def cmd_member_list(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        rows = [members.member_view(m) for m in members.list_members(session, args.search)]
    if args.json:
        emit_json(rows)
    else:
        table(rows, ["id", "name", "email", "plan", "suspended"])
    return 0


def cmd_member_remove(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        members.remove_member(session, node, args.member_id)
    echo("removed member {}", args.member_id)
    return 0


def cmd_member_suspend(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        members.suspend_member(session, node, args.member_id)
    echo("suspended member {}: their guest passes are revoked", args.member_id)
    return 0


def cmd_member_unsuspend(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        members.unsuspend_member(session, args.member_id)
    echo("member {} may get guest passes again", args.member_id)
    return 0


def cmd_member_link(args: argparse.Namespace, node: Node) -> int:
    # The pass page belongs to the twinning feature (node/twinning/member_links.py).
    from node import mail, texts
    from node.twinning.member_links import member_link

    if args.send and not mail.configured(node):
        raise CliError("no mail server is set up (smtp_host): run without --send and give the "
                       "member the link yourself")  # fmt: skip
    with node.db.write() as session:
        path = member_link(session, node, args.member_id, rotate=args.rotate)
        member = members.get_member(session, args.member_id)
        name, email = member.name, member.email
    link = f"{node.url or ''}{path}"
    if args.send:
        _ = texts.for_recipient(node.settings)
        body = (
            _("Hello %(name)s,", name=name)
            + "\n\n"
            + _("this is your personal page with your guest passes for our partner spaces:")
            + f"\n{link}\n\n"
            + _("Keep it to yourself: whoever holds the link sees your passes.")
            + "\n"
        )
        try:
            mail.send(node, mail.build(node, [email], _("Your guest passes"), body))
        except mail.FAILURES as exc:
            raise CliError(f"the mail could not be sent ({exc}); the link is {link}") from exc
        echo("sent the personal link to {}", email)
        return 0
    echo("{}", link)
    echo("Send it to the member only: whoever holds the link sees their passes.")
    return 0


# -- feed --------------------------------------------------------------------------------------


def cmd_feed_show(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        raws = feedstore.page_raw(session, node.node_id, args.after, args.limit)
    for raw in raws:
        # Exact canonical bytes, so the lines can be verified again (ARCHITECTURE.md §Layers:
        # strict canonical JSON); this is our own feed, and JSON escapes every C0 control.
        verbatim(raw.decode("utf-8") + "\n")
    return 0


def cmd_feed_verify(args: argparse.Namespace, node: Node) -> int:
    """Re-verify our whole feed from seq 1, page by page, as a peer would."""
    progress = Progress("verifying feed")
    head = {"seq": 0}

    def on_page(count: int, seq: int) -> None:
        head["seq"] = seq
        progress.advance(count, f"entries (seq {seq})")

    try:
        checked = feedverify.verify_own_feed(
            node.db, node.node_id, node.now_ms(), node.verify_threads, on_page
        )
    except ProtocolError as exc:
        progress.finish("FAILED")
        raise CliError(f"the feed fails verification after seq {head['seq']}: {exc}") from exc
    progress.finish(f"ok, {checked} entries verify")
    # The entries we hold may verify while peers hold more, or a proof that we forked
    # (node.feedcheck): then the feed is not fine, whatever this database says.
    with node.db.read() as session:
        own = feedcheck.alerts(session, node.node_id)
    if own:
        raise CliError(own[0])
    return 0


def cmd_feed_recover(args: argparse.Namespace, node: Node) -> int:
    """Pull the entries of our own feed that peers hold beyond our head (a restored backup),
    verified with our own keys, then check again (protocol.md §Feeds, "Writing")."""
    from node.network.recovery import recover

    bar: dict[str, Progress] = {}

    def on_peer(peer: Any) -> None:
        echo("asking {} ({})", peer.name or peer.id, peer.url, err=True)

    def on_page(step: Any) -> None:
        progress = bar.setdefault("feed", Progress("recovering own feed", step.target))
        progress.done = step.seq
        progress.advance(0, f"(seq {step.seq}, +{step.stored})")

    report = recover(node, progress=on_page, on_peer=on_peer)
    if "feed" in bar:
        bar["feed"].finish(f"{report.stored} entries recovered")
    for peer_id, why in report.failed.items():
        echo("{}: {}", peer_id, why, err=True)
    if report.still_behind is not None:
        missing = report.still_behind
        raise CliError(
            f"our feed is still at seq {missing.ours} but {missing.peer_id} proved it holds up "
            f"to seq {missing.theirs}; make sure that peer is reachable (spazi peer list) and "
            "run `spazi feed recover` again"
        )
    with node.db.read() as session:
        own = feedcheck.alerts(session, node.node_id)
    if own:
        raise CliError(own[0])
    if report.stored:
        echo(
            "recovered {} entries; the feed is at seq {}, writing resumes",
            report.stored,
            report.head,
        )
    else:
        echo("nothing to recover: no reachable peer holds more than seq {}", report.head)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    def command(
        parent: argparse._SubParsersAction, name: str, func: Any, help_text: str
    ) -> argparse.ArgumentParser:  # type: ignore[type-arg]
        parser = parent.add_parser(name, help=help_text)
        parser.set_defaults(func=func, needs_node=True)
        return parser

    sp = sub.add_parser("space", help="show or change the space profile").add_subparsers(
        dest="sub", required=True
    )
    p = command(sp, "show", cmd_space_show, "print the profile as JSON")
    p.set_defaults(reads_only=True)
    p = command(sp, "set", cmd_space_set, "change profile fields")
    p.set_defaults(publishes=True)
    for opt in ("name", "description", "address", "city", "timezone", "email", "phone", "website"):
        p.add_argument(f"--{opt}")
    p.add_argument("--district", help="the part of the city, e.g. Centro storico")
    p.add_argument("--country", help="ISO 3166 two-letter code")
    p.add_argument("--lat", help="latitude in degrees, e.g. 45.4642")
    p.add_argument("--lon", help="longitude in degrees, e.g. 9.19")
    p.add_argument("--hours", help=f"opening hours. {formats.HOURS_HELP}")
    p.add_argument("--amenities", help="comma-separated, e.g. wifi,coffee,printer")
    p.add_argument("--link", action="append", help="'Title | https://…' (repeatable)")
    p.add_argument("--unset", action="append", help="remove a field, e.g. --unset address")
    register_photo_commands(command, sp, SPACE)  # photo add|list|remove (node/photos/)

    rp = sub.add_parser("resource", help="desks, rooms and offices").add_subparsers(
        dest="sub", required=True
    )
    for name, func in (("add", cmd_resource_add), ("update", cmd_resource_update)):
        p = command(rp, name, func, f"{name} a resource")
        p.set_defaults(publishes=True)
        if name == "update":
            p.add_argument("resource_id")
        else:
            p.add_argument("--id", help="id (default: from the name)")
        p.add_argument("--kind", required=name == "add", help=", ".join(formats.RESOURCE_KINDS))
        p.add_argument("--name", required=name == "add")
        p.add_argument("--capacity", type=int, required=name == "add")
        p.add_argument("--description")
        p.add_argument("--price-hour", help="e.g. 8.50 (with --currency)")
        p.add_argument("--price-day", help="e.g. 25 (with --currency)")
        p.add_argument("--currency", help="ISO 4217, e.g. EUR")
    p = command(rp, "list", cmd_resource_list, "list resources")
    p.set_defaults(reads_only=True)
    p.add_argument("--json", action="store_true")
    p = command(rp, "remove", cmd_resource_remove, "remove a resource")
    p.set_defaults(publishes=True)
    p.add_argument("resource_id")
    register_photo_commands(command, rp, RESOURCE)  # photo add|list|remove (node/photos/)

    ep = sub.add_parser("event", help="events of the space").add_subparsers(
        dest="sub", required=True
    )
    for name, func in (("add", cmd_event_add), ("update", cmd_event_update)):
        p = command(ep, name, func, f"{name} an event")
        p.set_defaults(publishes=True)
        if name == "update":
            p.add_argument("event_id")
        else:
            p.add_argument("--id", help="id (default: from the title)")
        p.add_argument("--title", required=name == "add")
        p.add_argument("--start", required=name == "add", help="local time, e.g. 2026-12-01T18:00")
        p.add_argument("--end", required=name == "add", help="local time, e.g. 2026-12-01T20:00")
        p.add_argument("--timezone", help="IANA zone (default: the space's)")
        p.add_argument("--description")
        p.add_argument("--capacity", type=int)
        p.add_argument("--tags", help="separated by commas or spaces")
        p.add_argument("--price", help="e.g. 5 (with --currency)")
        p.add_argument("--currency", help="ISO 4217, e.g. EUR")
        p.add_argument(
            "--cohost",
            action="append",
            help="a co-hosting space: name, URL or node id (repeatable)",
        )
        p.add_argument("--url")
    p = command(ep, "list", cmd_event_list, "list events")
    p.set_defaults(reads_only=True)
    p.add_argument("--from", dest="date_from", help="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="YYYY-MM-DD")
    p.add_argument("--tag")
    p.add_argument("--json", action="store_true")
    p = command(ep, "cancel", cmd_event_cancel, "cancel an event")
    p.set_defaults(publishes=True)
    p.add_argument("event_id")
    p.add_argument("--reason")
    register_event_commands(command, ep)  # import-ics, calendars (node/calendar_import/)
    register_cohost_commands(command, ep)  # cohost-requests, -confirm, -decline
    register_photo_commands(command, ep, EVENT)  # photo add|list|remove (node/photos/)

    mp = sub.add_parser("member", help="the space's members (private)").add_subparsers(
        dest="sub", required=True
    )
    p = command(mp, "add", cmd_member_add, "add a member")
    p.add_argument("--name", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--plan")
    p = command(mp, "update", cmd_member_update, "change a member's name, email or plan")
    p.add_argument("member_id", type=int)
    p.add_argument("--name")
    p.add_argument("--email")
    p.add_argument("--plan")
    p = command(mp, "list", cmd_member_list, "list members")
    p.set_defaults(reads_only=True)
    p.add_argument("--search", help="only those whose name or email contains this")
    p.add_argument("--json", action="store_true")
    p = command(mp, "remove", cmd_member_remove, "remove a member (revokes their passes)")
    p.set_defaults(publishes=True)
    p.add_argument("member_id", type=int)
    p = command(mp, "suspend", cmd_member_suspend, "suspend a member (revokes their passes)")
    p.set_defaults(publishes=True)
    p.add_argument("member_id", type=int)
    p = command(mp, "unsuspend", cmd_member_unsuspend, "lift a member's suspension")
    p.add_argument("member_id", type=int)
    p = command(mp, "link", cmd_member_link, "the member's secret link to their pass page")
    p.add_argument("member_id", type=int)
    p.add_argument(
        "--rotate", action="store_true", help="make a new link; the old one stops working"
    )
    p.add_argument("--send", action="store_true", help="mail it to the member (smtp_* settings)")
    register_member_profile(command, mp)  # profile publish|withdraw|show (node/people/)

    fp = sub.add_parser("feed", help="this node's signed feed").add_subparsers(
        dest="sub", required=True
    )
    p = command(fp, "show", cmd_feed_show, "print entries as JSON lines")
    p.set_defaults(reads_only=True)
    p.add_argument("--after", type=int, default=0)
    p.add_argument("--limit", type=int, default=1000)
    command(fp, "verify", cmd_feed_verify, "re-verify the whole feed")
    command(fp, "recover", cmd_feed_recover, "pull back own entries peers hold (after a restore)")
