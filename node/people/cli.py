"""``spazi member profile …`` and ``spazi network people``: members' network profiles from
the command line (node/people/service.py, as the pages and the API)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from node.cli.output import CliError, echo, emit_json, table
from node.lazy import lazy_module

if TYPE_CHECKING:
    from node.people import service
    from node.runtime import Node
    from node.services import members
else:  # imported when a command runs (node/lazy.py)
    service = lazy_module("node.people.service")
    members = lazy_module("node.services.members")

_FIELDS = ("name", "bio", "skills", "offers", "seeks", "languages")


def cmd_profile_publish(args: argparse.Namespace, node: Node) -> int:
    if not args.consent_date:
        raise CliError(
            "record the date the member consented: --consent-date YYYY-MM-DD (a profile is "
            "published only with the member's explicit consent)",
            2,
        )
    data: dict[str, Any] = {name: getattr(args, name) for name in _FIELDS}
    data["links"] = args.link or []
    with node.db.write() as session:
        current = service.own_profile(session, node, args.member_id)
        if current is not None:  # an edit: what is not given stays as it is
            for name in (*_FIELDS, "links"):
                if data.get(name) in (None, []) and name in current:
                    data[name] = current[name]
        profile_id = service.publish_profile(
            session,
            node,
            args.member_id,
            data,
            consent=True,
            consent_by="admin",
            consent_date=args.consent_date,
        )
    echo("published profile {} of member {} (consent of {})", profile_id, args.member_id,
         args.consent_date)  # fmt: skip
    return 0


def cmd_profile_withdraw(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        done = service.withdraw_profile(session, node, args.member_id)
    if done:
        echo("withdrew the profile of member {}; every node that mirrored it erases its text "
             "when it syncs", args.member_id)  # fmt: skip
    else:
        echo("member {} has no published profile; nothing changed", args.member_id)
    return 0


def cmd_profile_show(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        members.get_member(session, args.member_id)
        profile = service.own_profile(session, node, args.member_id)
    if profile is None:
        echo("member {} has no published profile (spazi member profile publish)", args.member_id)
        return 0
    emit_json(profile)
    return 0


def cmd_network_people(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        found, total = service.search(
            session, node, skill=args.skill, city=args.city, page=args.page
        )
    rows = [person.to_dict() for person in found]
    if args.json:
        emit_json({"people": rows, "total": total, "page": args.page})
        return 0
    for row in rows:
        row["skills"] = ", ".join(row["skills"])
    table(rows, ["name", "skills", "space", "city", "contact_url"])
    if total > args.page * service.PAGE_SIZE:
        echo("{} found; more with --page {}", total, args.page + 1)
    return 0


def register_member_profile(
    command: Callable[..., argparse.ArgumentParser],
    parent: argparse._SubParsersAction,  # type: ignore[type-arg]
) -> None:
    """Add ``profile publish|withdraw|show`` under ``spazi member``."""
    pp = parent.add_parser("profile", help="a member's network profile (with their consent)")
    sub = pp.add_subparsers(dest="profile_command", required=True)
    p = command(sub, "publish", cmd_profile_publish, "publish or edit a member's profile")
    p.set_defaults(publishes=True)
    p.add_argument("member_id", type=int)
    p.add_argument("--consent-date", help="when the member consented, YYYY-MM-DD (required)")
    p.add_argument("--name", help="display name (no e-mail address is ever published)")
    p.add_argument("--bio", help="a short bio, at most 1000 characters")
    p.add_argument("--skills", help="separated by commas, e.g. 'restauro mobili, doratura'")
    p.add_argument("--offers", help="what the member offers")
    p.add_argument("--seeks", help="what the member looks for")
    p.add_argument("--languages", help="separated by commas")
    p.add_argument("--link", action="append", help="'Title | https://…' (repeatable)")
    p = command(sub, "withdraw", cmd_profile_withdraw, "withdraw it (erased across the network)")
    p.set_defaults(publishes=True)
    p.add_argument("member_id", type=int)
    p = command(sub, "show", cmd_profile_show, "print the published profile as JSON")
    p.set_defaults(reads_only=True)
    p.add_argument("member_id", type=int)


def register_network_people(
    command: Callable[..., argparse.ArgumentParser],
    parent: argparse._SubParsersAction,  # type: ignore[type-arg]
) -> None:
    """Add ``people`` under ``spazi network``."""
    p = command(parent, "people", cmd_network_people, "member profiles across the network")
    p.add_argument("--skill", help="part of a skill; case and accents are ignored")
    p.add_argument("--city", help="the city of the member's space")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--json", action="store_true")
