"""``spazi admin``: admin users for the web pages and tokens for the API."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from node.cli.output import CliError, echo, table
from node.runtime import Node
from node.services import admin_auth


def _password(args: argparse.Namespace) -> str:
    # SPAZI_ADMIN_PASSWORD lets scripts and tests create users without a terminal; a password
    # is never accepted on the command line, where `ps` and shell history would show it.
    env = os.environ.get("SPAZI_ADMIN_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise CliError("no terminal to ask the password on: set SPAZI_ADMIN_PASSWORD", 2)
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CliError("the two passwords differ; nothing was created")
    return first


def cmd_create_user(args: argparse.Namespace, node: Node) -> int:
    password = _password(args)
    with node.db.write() as session:
        user = admin_auth.create_user(session, args.email, password)
        echo("created admin user {}", user.email)
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
    p.set_defaults(func=cmd_create_user, needs_node=True)
    tp = ap.add_parser("token", help="admin API tokens").add_subparsers(
        dest="token_command", required=True
    )
    p = tp.add_parser("create", help="create a token (printed once)")
    p.add_argument("--name", default="cli", help="what the token is for")
    p.set_defaults(func=cmd_token_create, needs_node=True)
    p = tp.add_parser("list", help="list tokens")
    p.set_defaults(func=cmd_token_list, needs_node=True)
    p = tp.add_parser("revoke", help="revoke a token")
    p.add_argument("token_id", type=int)
    p.set_defaults(func=cmd_token_revoke, needs_node=True)
