"""Entry point of the ``spazi`` command: parsing, opening the node, one-line errors."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from federation.errors import ProtocolError
from node import __version__
from node.cli.output import CliError, echo
from node.errors import NodeError
from node.features import cli_commands
from node.settings import SettingsError

if TYPE_CHECKING:  # the node's code is imported only by the commands that open one
    from node.runtime import Node

# The modules that register the commands, in the order `spazi --help` lists them, each with the
# commands it registers, as the feature records declare them (tests/node/test_entry_points.py
# checks each module registers what its record says). Running one command imports only its own
# module: the others pull in marshmallow, Flask and the rest, a large part of every command's
# start-up.
COMMAND_MODULES: dict[str, tuple[str, ...]] = cli_commands()


def command_word(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (after :func:`hoist_data_dir`), or None if there is none."""
    index = 0
    while index < len(argv):
        arg = argv[index]
        # argparse also takes an unambiguous prefix such as --data or --data-d.
        if len(arg) > 3 and "--data-dir".startswith(arg):
            index += 2
        elif arg.startswith("-"):
            index += 1
        else:
            return arg
    return None


def command_modules(command: str | None = None) -> list[ModuleType]:
    """The modules to register: the one that owns ``command``, or all of them (for help, and
    for a word that is no command, so argparse can list the choices)."""
    names = [name for name, commands in COMMAND_MODULES.items() if command in commands]
    return [importlib.import_module(name) for name in names or COMMAND_MODULES]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``spazi`` parser; with ``command``, only that command's module is registered."""
    parser = argparse.ArgumentParser(
        prog="spazi",
        description="Run and manage a Spazi coworking-space node.",
        epilog="Every command takes --data-dir or the SPAZI_DATA_DIR variable.",
    )
    parser.add_argument("--data-dir", help="the node's data dir (default: $SPAZI_DATA_DIR)")
    parser.add_argument("--version", action="version", version=f"spazi {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in command_modules(command):
        module.register(sub)
    return parser


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import DatabaseError

    from federation.errors import KeyFileError
    from node.db import unavailable
    from node.migrate import current_revision, head_revision
    from node.runtime import open_node
    from node.settings import load_settings

    if not getattr(args, "reads_only", False):
        _check_registries(full=getattr(args, "full_check", False))
    settings = load_settings(args.data_dir)
    if not settings["data_dir"]:
        raise CliError("no data dir: pass --data-dir DIR or set SPAZI_DATA_DIR", 2)
    data_dir = Path(settings["data_dir"])
    if data_dir.exists() and not data_dir.is_dir():
        raise CliError(f"{data_dir} is not a directory: pass the node's data dir (from spazi init)")
    try:
        node = open_node(args.data_dir)
        revision = current_revision(node.db.engine)
    except KeyFileError as exc:
        if exc.reason == "key-missing":
            raise CliError(f"{settings['data_dir']} is not a node: run `spazi init` first") from exc
        raise
    except DatabaseError as exc:
        if unavailable(exc) is not None:
            raise
        url = str(settings["database_url"])
        where = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else "the database"
        raise CliError(
            f"{where} is not a usable database ({exc.orig}): restore it from a backup "
            "(deploy/README.md)"
        ) from exc
    if revision != head_revision():
        node.close()
        raise CliError(f"database is at revision {revision or 'none'}: run `spazi db upgrade`")
    from node.keystore import finish_pending_rotation

    finish_pending_rotation(node)
    return node


def _check_registries(full: bool = False) -> None:
    """Stop before touching the database when the features do not cover protocol v1 (an entry
    type without a projector, a message type without a handler: ARCHITECTURE.md §Registries and
    features). The check reads the entry and message types each feature's record declares, not
    its code: building the registries imported every feature's handlers and projectors (Flask,
    marshmallow, the calendar library), most of a command's start-up. The full check, run by
    ``create_app``, ``spazi worker`` and tests/node/test_features.py, finds a declaration that
    differs from what the code registers; ``full`` runs it here too (``spazi worker``, which
    runs for days and starts once). A command that only reads (``reads_only``: lists and shows)
    stores no entry and answers no message, so it skips even this."""
    from node.startup import declared_problems, registry_problems

    missing = registry_problems() if full else declared_problems()
    if missing:
        raise CliError("this build's features do not cover protocol v1: " + "; ".join(missing))


OWN_FEED_CHECK_TIMEOUT = 3.0  # seconds per peer: a person is waiting at the terminal


def _check_own_feed(node: Node) -> None:
    """Before a command publishes, ask the active peers for their head of our feed, as
    ``create_app`` does at start-up, so a node restored from a backup refuses to re-sign a seq
    its peers hold even when it was never served (protocol.md §Feeds). Unreachable peers are
    no evidence and do not stop the command."""
    from node.network.recovery import check_peers
    from node.network.transport import peer_client

    timeout = min(OWN_FEED_CHECK_TIMEOUT, node.settings["outbound_timeout"])
    client = peer_client(node, timeout=timeout)
    try:
        check_peers(node, client)
    finally:
        client.close()


def hoist_data_dir(argv: Sequence[str]) -> list[str]:
    """Accept ``--data-dir`` anywhere (``spazi run --data-dir X`` as well as before the command)."""
    rest, hoisted = list(argv), []
    index = 0
    while index < len(rest):
        arg = rest[index]
        if arg == "--":
            break
        if arg == "--data-dir" and index + 1 < len(rest):
            hoisted += rest[index : index + 2]
            del rest[index : index + 2]
            continue
        if arg.startswith("--data-dir="):
            hoisted.append(arg)
            del rest[index]
            continue
        index += 1
    return hoisted + rest


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors are one line on stderr and a non-zero exit status."""
    arguments = hoist_data_dir(sys.argv[1:] if argv is None else argv)
    command = command_word(arguments)
    if command is None and "--version" in arguments:  # no command module needed at all
        echo("spazi {}", __version__)
        return 0
    args = build_parser(command).parse_args(arguments)
    try:
        if getattr(args, "needs_node", False):
            node = _open(args)
            try:
                if getattr(args, "publishes", False):
                    _check_own_feed(node)
                _start_work()
                return int(args.func(args, node))
            finally:
                node.close()
        _start_work()
        return int(args.func(args))
    except CliError as exc:
        echo("spazi: error: {}", exc, err=True)
        return exc.code
    except NodeError as exc:
        echo("spazi: error: {}", exc.detail, err=True)
        return 1
    except (ProtocolError, SettingsError) as exc:
        echo("spazi: error: {}", exc, err=True)
        return 1
    except KeyboardInterrupt:
        echo("spazi: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader of our output has gone (`spazi … | head`): whatever the command did is
        # done, only the rest of its output is lost, so nothing is claimed about it.
        _drop_stdout()
        return 1
    except Exception as exc:
        message = _known_failure(exc)
        if message is None:
            raise
        echo("spazi: error: {}", message, err=True)
        return 1


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit does not fail a second time (the
    Python documentation's advice for SIGPIPE in command-line tools)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (captured output)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _known_failure(exc: Exception) -> str | None:
    """One line for a failure of the machine rather than of the command: a busy or full
    database, a file that cannot be read or written; None for anything else (a bug)."""
    if type(exc).__module__.startswith("sqlalchemy"):
        from node.db import unavailable

        why = unavailable(exc)
        if why is not None:
            return f"{why}; nothing was changed: try again in a moment"
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):  # a database that is not there, or not ours
            said = str(exc.orig or exc).strip().splitlines() or ["no reason given"]
            return f"the database cannot be used ({said[0]}): check database_url"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}; nothing was changed"
    return None


# Set by entry() while the collector waits for the command's start-up to end (_start_work).
_COLLECTOR_HELD = False


def _start_work() -> None:
    """Called as the command's own work begins. Under :func:`entry`, everything imported and
    opened by now lives as long as the process: it is moved out of the collector's generations
    (so no full collection walks it again; during a long sync, that walking was several percent
    of the time) and the collector is turned back on."""
    global _COLLECTOR_HELD
    if _COLLECTOR_HELD:
        _COLLECTOR_HELD = False
        # Not collected first: with the collector off since the start, a collection would walk
        # every object (about 35 ms) to free a few hundred, which stay frozen instead.
        gc.freeze()
        gc.enable()


def entry() -> None:
    """The ``spazi`` command: :func:`main` as a process of its own."""
    global _COLLECTOR_HELD
    # The start-up (imports, opening the node) makes objects that live as long as the process;
    # a collection every 700 of them walked them again and again, about 10 % of the start-up of
    # `spazi sync` or `spazi peer list`, and frozen only once it ends, the last collection at
    # exit skips them too (tests/bench/README.md). Not done in main(): tests call main()
    # in-process.
    gc.disable()
    _COLLECTOR_HELD = True
    try:
        code = main()
    finally:
        _start_work()  # a command that failed before its work, or --help, left it held
    try:
        sys.stdout.flush()  # output still buffered meets a closed pipe here, not at exit
    except BrokenPipeError:
        _drop_stdout()
        code = code or 1
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover - `python -m node.cli` is the clean way
    entry()
