"""``spazi project add|list|update|close|answers|reply``: the space's calls for collaboration
and the answers they get, from the terminal (README §Calls for collaboration).

Each command calls the use cases the API and the pages call (node/projects/); output goes
through node/cli/output.py, which escapes text that came from other nodes' members.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from node.cli.output import CliError, echo, emit_json, table

if TYPE_CHECKING:
    from node.runtime import Node


def _data(args: argparse.Namespace) -> dict[str, Any]:
    """The options given, as :class:`node.projects.service.ProjectSchema` input."""
    from node import formats

    data: dict[str, Any] = {}
    for name in ("title", "description", "city", "deadline", "url"):
        value = getattr(args, name, None)
        if value is not None:
            data[name] = value
    if getattr(args, "id", None):
        data["id"] = args.id
    if args.skills is not None:
        data["skills"] = formats.parse_items(args.skills)
    if args.remote is not None:
        data["remote"] = args.remote
    return data


def cmd_project_add(args: argparse.Namespace, node: Node) -> int:
    """Post a call for collaboration."""
    from node.projects import service

    with node.db.write() as session:
        body = service.add_project(session, node, _data(args))
    echo("posted call {} (answers until {})", body["id"], body["deadline"])
    return 0


def cmd_project_update(args: argparse.Namespace, node: Node) -> int:
    """Change an open call."""
    from node.projects import service

    data = _data(args)
    if not data:
        raise CliError("nothing to change: give at least one option", 2)
    with node.db.write() as session:
        service.update_project(session, node, args.project_id, data)
    echo("updated call {}", args.project_id)
    return 0


def cmd_project_close(args: argparse.Namespace, node: Node) -> int:
    """Close a call: no more answers."""
    from node.projects import service

    data = {"reason": args.reason} if args.reason else {}
    with node.db.write() as session:
        service.close_project(session, node, args.project_id, data)
    echo("closed call {}", args.project_id)
    return 0


def cmd_project_list(args: argparse.Namespace, node: Node) -> int:
    """Our calls, soonest deadline first."""
    from node.projects import service

    with node.db.read() as session:
        rows = service.our_projects(session, node, include_closed=args.closed)
        views = [service.project_view(r, service.is_open(session, node, r)) for r in rows]
    if args.json:
        emit_json(views)
        return 0
    for view in views:
        view["skills"] = ", ".join(view.get("skills", []))
        view["state"] = "open" if view["open"] else "closed"
    table(views, ["id", "deadline", "title", "skills", "state"])
    return 0


def cmd_project_answers(args: argparse.Namespace, node: Node) -> int:
    """The answers to one call (or to all), newest first, with our replies."""
    from node.clock import utc_minute
    from node.projects import answers, service

    with node.db.read() as session:
        if args.project_id:
            service.get_project(session, node.node_id, args.project_id)
        found = answers.answers(session, args.project_id)
    if args.json:
        emit_json([answers.answer_json(a) for a in found])
        return 0
    if not found:
        echo("no answers yet")
        return 0
    for a in found:
        received = utc_minute(a.received)  # as `spazi pass list` shows times
        echo("answer {} to {}: {} ({}), {}", a.id, a.project_id, a.name, a.home_name, received)
        for line in a.message.splitlines():
            echo("  {}", line)
        for reply in a.replies:
            echo("  replied: {}", reply.replace("\n", " "))
    echo("reply with: spazi project reply ANSWER_ID --message …")
    return 0


def cmd_project_reply(args: argparse.Namespace, node: Node) -> int:
    """Reply to an answer; the member's space mails it to them."""
    from node.projects import answers

    with node.db.write() as session:
        answers.reply(session, node, args.answer_id, {"message": args.message})
    echo("reply to answer {} queued for the member's space", args.answer_id)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``project`` command."""
    pp = sub.add_parser("project", help="calls for collaboration and their answers")
    sp = pp.add_subparsers(dest="sub", required=True)

    def command(name: str, func: Any, help_text: str, publishes: bool) -> argparse.ArgumentParser:
        parser = sp.add_parser(name, help=help_text)
        parser.set_defaults(func=func, needs_node=True, publishes=publishes)
        return parser

    def fields(p: argparse.ArgumentParser, adding: bool) -> None:
        p.add_argument("--title", required=adding)
        p.add_argument("--description")
        p.add_argument("--skills", help="skills sought, separated by commas")
        p.add_argument("--city", help="where the work happens")
        p.add_argument("--remote", action=argparse.BooleanOptionalAction, default=None)
        p.add_argument(
            "--deadline",
            required=adding,
            metavar="YYYY-MM-DD",
            help="last day answers are taken (today or later)",
        )
        p.add_argument("--url", help="a page about the project")

    p = command("add", cmd_project_add, "post a call for collaboration", True)
    p.add_argument("--id", help="an id of your choice (default: from the title)")
    fields(p, adding=True)
    p = command("update", cmd_project_update, "change an open call", True)
    p.add_argument("project_id")
    fields(p, adding=False)
    p = command("close", cmd_project_close, "close a call (no more answers)", True)
    p.add_argument("project_id")
    p.add_argument("--reason")
    p = command("list", cmd_project_list, "the space's calls", False)
    p.set_defaults(reads_only=True)
    p.add_argument("--closed", action="store_true", help="closed ones too")
    p.add_argument("--json", action="store_true")
    p = command("answers", cmd_project_answers, "answers to a call (or to all)", False)
    p.add_argument("project_id", nargs="?")
    p.add_argument("--json", action="store_true")
    p = command("reply", cmd_project_reply, "reply to an answer", False)
    p.add_argument("answer_id", type=int)
    p.add_argument("--message", required=True)
