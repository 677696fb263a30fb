"""``spazi backup FILE`` and ``spazi restore FILE`` (deploy/README.md §Backups)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from node.cli.output import CliError, echo

if TYPE_CHECKING:
    from node.runtime import Node


def _say(text: str) -> None:
    echo("{}", text, err=True)


def cmd_backup(args: argparse.Namespace, node: Node) -> int:
    from node.backup.archive import create_backup

    target = Path(args.file)
    if target.exists():
        raise CliError(f"{target} exists: give a new file name")
    manifest = create_backup(node, target, _say)
    echo(
        "backed up {} (schema {}, {}) to {}",
        manifest.node_id,
        manifest.schema,
        manifest.database,
        target,
    )
    echo("Keep it safe: it holds the node's private key.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from node.backup.archive import restore_backup
    from node.settings import load_settings

    data_dir = args.data_dir or load_settings(None).get("data_dir")
    if not data_dir:
        raise CliError("no data dir: pass --data-dir DIR or set SPAZI_DATA_DIR", 2)
    archive = Path(args.file)
    if not archive.is_file():
        raise CliError(f"{archive}: no such file")
    manifest = restore_backup(archive, Path(data_dir), _say, args.force, args.database_url)
    echo("restored {} from its backup of {}", manifest.node_id, manifest.created)
    echo(
        "Before serving, run: spazi --data-dir {} db upgrade && spazi --data-dir {} feed recover",
        data_dir,
        data_dir,
    )
    echo("(feed recover pulls back from the peers what the node published after the backup)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``backup`` and ``restore`` commands."""
    p = sub.add_parser("backup", help="one archive with the key, settings and a database copy")
    p.add_argument("file", help="the archive to write (tar.gz, mode 0600)")
    p.set_defaults(func=cmd_backup, needs_node=True)
    p = sub.add_parser("restore", help="put a backup archive back into the data dir")
    p.add_argument("file")
    p.add_argument("--force", action="store_true", help="replace another node in the data dir")
    p.add_argument("--database-url", help="the empty PostgreSQL database to restore into")
    p.set_defaults(func=cmd_restore, needs_node=False)
