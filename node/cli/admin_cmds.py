"""``spazi admin``: admin users for the web pages and tokens for the API."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from node.cli.output import CliError, echo, table
from node.lazy import lazy_module
from node.roles import ROLES

if TYPE_CHECKING:
    from node.runtime import Node
    from node.services import admin_auth
else:  # imported when a command runs (node/lazy.py)
    admin_auth = lazy_module("node.services.admin_auth")


def _password(args: argparse.Namespace, nothing: str = "nothing was created") -> str:
    # SPAZI_ADMIN_PASSWORD lets scripts and tests create users without a terminal; a password
    # is never accepted on the command line, where `ps` and shell history would show it.
    env = os.environ.get("SPAZI_ADMIN_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask the password on: set SPAZI_ADMIN_PASSWORD", 2)
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CliError(f"the two passwords differ; {nothing}: run the command again")
    return first


def cmd_create_user(args: argparse.Namespace, node: Node) -> int:
    if args.invite:
        return _invite_user(args, node)
    password = _password(args)
    with node.db.write() as session:
        user = admin_auth.create_user(session, args.email, password, args.role)
        if user.role == "desk":
            echo("created front-desk user {}: they can open /admin/desk only", user.email)
        else:
            echo("created admin user {}", user.email)
    return 0


def _invite_user(args: argparse.Namespace, node: Node) -> int:
    """Create the user and mail them a link to choose their own password."""
    from node import mail
    from node.services import admin_invites

    with node.db.write() as session:  # refused without mail: the user is not kept
        user = admin_auth.create_user(
            session, args.email, admin_auth.temporary_password(), args.role
        )
        _link, subject, body = admin_invites.compose_invite(session, node, user)
        email = user.email
    try:  # now, not on the mail thread: this process ends right after
        mail.send(node, mail.build(node, [email], subject, body))
    except mail.FAILURES as exc:
        raise CliError(
            f"{email} was added but the mail could not be sent ({exc}); set a password with "
            f"`spazi admin password {email}` or invite them again from the admin web"
        ) from exc
    echo(
        "invited {}: a link to choose their password is mailed (it works once, for {} days)",
        email,
        admin_auth.INVITE_TTL.days,
    )
    return 0


def _sessions(count: int) -> str:
    return f"{count} session" + ("" if count == 1 else "s")


def cmd_password(args: argparse.Namespace, node: Node) -> int:
    """Set an admin's password (asked twice, or SPAZI_ADMIN_PASSWORD); their sessions end."""
    with node.db.read() as session:
        admin_auth.find_user(session, args.email)  # an unknown email is refused before asking
    password = _password(args, "nothing was changed")
    with node.db.write() as session:
        user = admin_auth.find_user(session, args.email)
        ended = admin_auth.set_password(session, user, password)
        email = user.email
    echo("changed the password of {}; ended {}", email, _sessions(ended))
    return 0


def cmd_logout_everywhere(args: argparse.Namespace, node: Node) -> int:
    """End every web session of an admin (a lost laptop, a shared computer)."""
    with node.db.write() as session:
        user = admin_auth.find_user(session, args.email)
        ended = admin_auth.end_sessions(session, user.id)
        email = user.email
    echo("ended {} of {}", _sessions(ended), email)
    return 0


def cmd_remove(args: argparse.Namespace, node: Node) -> int:
    """Remove an admin user; their sessions end with them."""
    with node.db.write() as session:
        ended = admin_auth.remove_user(session, args.email)
    echo("removed admin user {}; ended {}", args.email.strip().lower(), _sessions(ended))
    return 0


def cmd_token_create(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        row, secret = admin_auth.create_token(session, args.name)
        echo("token {} ({}) created; it is shown only once:", row.id, row.name, err=True)
    echo("{}", secret)
    return 0


def cmd_token_list(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "created": t.created.strftime("%Y-%m-%d %H:%M"),
                "last_used": t.last_used.strftime("%Y-%m-%d %H:%M") if t.last_used else "never",
                "state": "revoked" if t.revoked else "active",
            }
            for t in admin_auth.list_tokens(session)
        ]
    table(rows, ["id", "name", "created", "last_used", "state"])
    return 0


def cmd_token_revoke(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        admin_auth.revoke_token(session, args.token_id)
    echo("revoked token {}", args.token_id)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ap = sub.add_parser("admin", help="admin users and API tokens").add_subparsers(
        dest="sub", required=True
    )
    p = ap.add_parser("create-user", help="create a web admin (asks for the password)")
    p.add_argument("email")
    p.add_argument(
        "--role",
        choices=ROLES,
        default="admin",
        help="desk: a front-desk login that opens the desk page only",
    )
    p.add_argument(
        "--invite",
        action="store_true",
        help="mail them a link to choose their own password (needs the smtp_* settings)",
    )
    p.set_defaults(func=cmd_create_user, needs_node=True)
    p = ap.add_parser(
        "password", help="set an admin's password (asks twice) and end their sessions"
    )
    p.add_argument("email")
    p.set_defaults(func=cmd_password, needs_node=True)
    p = ap.add_parser("logout-everywhere", help="end every web session of an admin")
    p.add_argument("email")
    p.set_defaults(func=cmd_logout_everywhere, needs_node=True)
    p = ap.add_parser("remove", help="remove an admin user and end their sessions")
    p.add_argument("email")
    p.set_defaults(func=cmd_remove, needs_node=True)
    tp = ap.add_parser("token", help="admin API tokens").add_subparsers(
        dest="token_command", required=True
    )
    p = tp.add_parser("create", help="create a token (printed once)")
    p.add_argument("--name", default="cli", help="what the token is for")
    p.set_defaults(func=cmd_token_create, needs_node=True)
    p = tp.add_parser("list", help="list tokens")
    p.set_defaults(reads_only=True)
    p.set_defaults(func=cmd_token_list, needs_node=True)
    p = tp.add_parser("revoke", help="revoke a token")
    p.add_argument("token_id", type=int)
    p.set_defaults(func=cmd_token_revoke, needs_node=True)
