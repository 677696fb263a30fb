"""``spazi space photo add|list|remove`` and ``spazi event photo add|list|remove``: the same
service as the admin page (registered with the ``space`` and ``event`` commands in
node/cli/content_cmds.py; ARCHITECTURE.md §Photos)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from node.cli.output import CliError, echo, emit_json, table

if TYPE_CHECKING:
    from node.runtime import Node

PROFILE = ""  # node.photos.refs.PROFILE, without importing the storage to build the parser


def _item(args: argparse.Namespace) -> str:
    return str(getattr(args, "event_id", PROFILE) or PROFILE)


def _read(node: Node, path: str) -> bytes:
    """The file's bytes, refusing one over ``photo_upload_bytes`` before reading it."""
    from node.photos.images import check_upload_size

    file = Path(path)
    if not file.is_file():
        raise CliError(f"{path}: no such file (give the path of a JPEG, PNG or WebP image)")
    check_upload_size(file.stat().st_size, int(node.settings["photo_upload_bytes"]))
    return file.read_bytes()


def cmd_photo_add(args: argparse.Namespace, node: Node) -> int:
    """Make the photo's files and publish the record with it."""
    from node.photos import service

    item = _item(args)
    made = service.make(node, _read(node, args.file), args.alt or "")
    with node.db.write() as session:
        number = service.add(session, node, item, made)
    widths = ", ".join(str(f["width"]) for f in made.files)
    echo("added photo {} ({} pixels wide), published", number, widths)
    if not args.alt:
        echo("tip: describe it for people who cannot see it with --alt 'what it shows'")
    return 0


def cmd_photo_list(args: argparse.Namespace, node: Node) -> int:
    """The record's photos, numbered."""
    from node.photos import service

    with node.db.read() as session:
        rows = service.listing(session, node, _item(args))
    if args.json:
        emit_json(rows)
        return 0
    table(rows, ["number", "alt", "width", "height", "hash"])
    return 0


def cmd_photo_remove(args: argparse.Namespace, node: Node) -> int:
    """Publish the record without the photo."""
    from node.photos import service

    with node.db.write() as session:
        removed = service.remove(session, node, _item(args), args.photo)
    echo("removed the photo {}, published", removed["files"][-1]["hash"][:12])
    return 0


def register_photo_commands(
    command: Callable[..., argparse.ArgumentParser],
    parent: argparse._SubParsersAction,  # type: ignore[type-arg]
    event: bool,
) -> None:
    """Add ``photo add|list|remove`` under ``spazi space`` (or ``spazi event`` with ``event``)
    with the ``command`` helper of node/cli/content_cmds.py."""
    what = "an event" if event else "the space"
    photos = parent.add_parser("photo", help=f"photos of {what}").add_subparsers(
        dest="photo_sub", required=True
    )

    def with_event(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        if event:
            parser.add_argument("event_id", metavar="EVENT_ID")
        return parser

    p = with_event(command(photos, "add", cmd_photo_add, f"add a photo of {what} (published)"))
    p.set_defaults(publishes=True)
    p.add_argument("file", metavar="FILE", help="a JPEG, PNG or WebP image")
    p.add_argument("--alt", help="what the photo shows, for people who cannot see it")
    p = with_event(command(photos, "list", cmd_photo_list, f"list the photos of {what}"))
    p.add_argument("--json", action="store_true")
    p = with_event(command(photos, "remove", cmd_photo_remove, f"remove a photo of {what}"))
    p.set_defaults(publishes=True)
    p.add_argument("photo", metavar="PHOTO", help="its number or hash from 'photo list'")
