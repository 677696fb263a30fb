"""``spazi hub init|add|list|remove|run|worker``: many spaces served by one process group.

A hub's commands never open a space as its admin: they list, add and remove data dirs, serve
them and run their jobs (ARCHITECTURE.md §Hosting many spaces).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.cli.output import CliError, Progress, echo, emit_json, table
from node.lazy import lazy_module
from node.settings import check_setting

if TYPE_CHECKING:
    from node import bootstrap, pgschema
    from node.hub import dispatch, spaces
else:  # imported when a command runs (node/lazy.py)
    bootstrap = lazy_module("node.bootstrap")
    pgschema = lazy_module("node.pgschema")
    dispatch = lazy_module("node.hub.dispatch")
    spaces = lazy_module("node.hub.spaces")


def _hub_dir(args: argparse.Namespace) -> Path:
    chosen = args.hub or os.environ.get("SPAZI_HUB_DIR", "")
    if not chosen:
        raise CliError("no hub: pass --hub DIR or set SPAZI_HUB_DIR", 2)
    return Path(chosen).expanduser()


def _refused(exc: Exception) -> CliError:
    return CliError(str(exc))


def cmd_hub_init(args: argparse.Namespace) -> int:
    """Create an empty hub directory with its ``hub.toml``."""
    hub_dir = Path(args.dir).expanduser()
    try:
        path = spaces.init_hub(hub_dir)
    except spaces.HubError as exc:
        raise _refused(exc) from None
    echo("Created hub in {} ({})", hub_dir, path.name)
    echo("Next:")
    echo(
        "  spazi hub add --hub {} --init NAME --url https://NAME.hub.example --timezone ZONE",
        hub_dir,
    )
    echo("  spazi hub run --hub {}   and   spazi hub worker --hub {}", hub_dir, hub_dir)
    return 0


def cmd_hub_add(args: argparse.Namespace) -> int:
    """Serve an existing data dir, or make a new space in the hub's ``spaces/`` and serve it."""
    hub_dir = _hub_dir(args)
    try:
        if args.init is None:
            if not args.dir:
                raise CliError("give the space's data dir, or --init NAME --url URL", 2)
            if args.url:
                raise CliError("--url is for --init; an existing space keeps its own url", 2)
            if args.postgres:
                raise CliError("--postgres is for --init; an existing space keeps its database", 2)
            space = spaces.add_space(hub_dir, Path(args.dir))
        else:
            if args.dir:
                raise CliError("give either a data dir or --init NAME, not both", 2)
            if not args.url:
                raise CliError("--init needs --url, e.g. https://cube.hub.example", 2)
            space = _init_space(hub_dir, args)
    except spaces.HubError as exc:
        raise _refused(exc) from None
    echo("Hosting {} from {}", space.host, space.data_dir)
    echo("  its admins are its own: spazi --data-dir {} admin create-user EMAIL", space.data_dir)
    return 0


def _init_space(hub_dir: Path, args: argparse.Namespace) -> spaces.Hosted:
    """``spazi init`` into ``HUB/spaces/<host>``, then add it; every check comes first."""
    spaces.read_entries(hub_dir)  # a hub at all
    host = spaces.host_of(args.url)
    spaces.check_host_free(hub_dir, host)
    data_dir = hub_dir / spaces.SPACES_DIR / host
    if data_dir.exists():
        raise CliError(f"{data_dir} exists already: add it with `spazi hub add {data_dir}`")
    profile = {
        option: getattr(args, option)
        for option in ("city", "district", "country", "address", "description")
        if getattr(args, option)
    }
    settings = {}
    created = False
    if args.postgres:
        # Its own schema of the shared database (node/pgschema.py), named after its host.
        schema = pgschema.schema_for_host(host)
        _check_schema_free(hub_dir, args.postgres, schema)
        try:
            url = pgschema.in_schema(args.postgres, schema)
            created = pgschema.create_schema(url)
        except (ValueError, FileExistsError) as exc:
            raise CliError(str(exc)) from None
        settings["database_url"] = url
    try:
        bootstrap.init_node(
            data_dir,
            args.init,
            args.url,
            timezone=args.timezone,
            profile=profile,
            settings=settings,
        )
    except BaseException:
        _remove_empty(data_dir)  # init_node removes its files; the directory it made stays
        if created:  # only a schema this run made, and the tables it put there
            pgschema.drop_schema(settings["database_url"])
        raise
    return spaces.add_space(hub_dir, data_dir)


def _check_schema_free(hub_dir: Path, postgres: str, schema: str) -> None:
    """Refuse a schema name a hosted space of the same database already uses: two host names
    can fold to one schema name (``a-b.x`` and ``a.b.x``)."""
    from node.settings import load_settings

    for space in spaces.hosted_spaces(hub_dir):
        url = str(load_settings(space.data_dir, environ={}).get("database_url") or "")
        if pgschema.schema_of(url) == schema and _same_database(url, postgres):
            raise CliError(
                f"schema {schema} is already {space.host}'s: give this space another host name"
            )


def _same_database(a: str, b: str) -> bool:
    from sqlalchemy.engine import make_url

    first, second = make_url(a), make_url(b)
    return (first.host, first.port, first.database) == (second.host, second.port, second.database)


def _remove_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not there, or not empty: left as it is
        directory.rmdir()


def _describe_node(space: spaces.Hosted) -> dict[str, Any]:
    """One row of ``hub list``: the space's name and node id from its own database."""
    from node.published import space as profile
    from node.runtime import open_node

    row: dict[str, Any] = {"host": space.host, "data_dir": str(space.data_dir)}
    try:
        node = open_node(str(space.data_dir), environ={})
    except Exception as exc:  # a broken space is listed as such, the others still are
        row.update(name=f"(cannot open: {type(exc).__name__})", node_id="")
        return row
    try:
        with node.db.read() as session:
            found = profile(session, node.node_id)
        row.update(name=found.name if found else "", node_id=node.node_id)
    finally:
        node.close()
    return row


def cmd_hub_list(args: argparse.Namespace) -> int:
    hub_dir = _hub_dir(args)
    try:
        hosted = spaces.hosted_spaces(hub_dir)
    except spaces.HubError as exc:
        raise _refused(exc) from None
    rows = [_describe_node(space) for space in hosted]
    if args.json:
        emit_json(rows)
    else:
        table(rows, ["host", "name", "node_id", "data_dir"])
    return 0


def cmd_hub_remove(args: argparse.Namespace) -> int:
    hub_dir = _hub_dir(args)
    try:
        space = spaces.remove_space(hub_dir, args.host)
    except spaces.HubError as exc:
        raise _refused(exc) from None
    echo("No longer serving {}; its data dir is kept at {}", space.host, space.data_dir)
    echo("  (serve it alone with: spazi --data-dir {} run)", space.data_dir)
    return 0


def cmd_hub_run(args: argparse.Namespace) -> int:
    """Serve every hosted space with the development server (deploy/ shows gunicorn)."""
    from werkzeug.serving import run_simple

    hub_dir = _hub_dir(args)
    host = check_setting("host", args.host, "--host")
    port = check_setting("port", args.port, "--port")
    try:
        hub = dispatch.HubApp(hub_dir)
    except spaces.HubError as exc:
        raise _refused(exc) from None
    if args.preload:
        progress = Progress("opening spaces", len(hub.spaces))
        for served in sorted(hub.spaces):
            try:
                hub.app_for(served)
            except Exception as exc:
                raise CliError(f"{served} cannot be served: {exc}") from None
            progress.advance(1, served)
        progress.finish(f"{len(hub.spaces)} open")
    echo("Serving {} spaces on http://{}:{} (Ctrl-C stops)", len(hub.spaces), host, port, err=True)
    # Logging as a space's create_app sets it, before the server starts: otherwise werkzeug
    # gives itself a handler of its own at the first line it logs, and once a space's app has
    # configured the root logger every request is logged twice (a third of a millisecond each,
    # measured by tests/bench/bench_hub.py).
    logging.basicConfig(level=check_setting("log_level", "INFO", "the hub's log level").upper())
    # threaded: a slow request of one space must not stall the others; no reloader.
    run_simple(host, port, hub, threaded=True, use_reloader=False)
    return 0


def cmd_hub_worker(args: argparse.Namespace) -> int:
    from node.hub.worker import run_hub_worker

    hub_dir = _hub_dir(args)
    try:
        spaces.read_entries(hub_dir)
    except spaces.HubError as exc:
        raise _refused(exc) from None

    def ready(worker: Any) -> None:
        echo("hub worker running the jobs of {} spaces (Ctrl-C stops)", len(worker.nodes), err=True)

    run_hub_worker(hub_dir, ready)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    hp = sub.add_parser("hub", help="serve many spaces from one process group")
    hub_sub = hp.add_subparsers(dest="hub_command", required=True, metavar="COMMAND")

    def command(name: str, func: Any, text: str) -> argparse.ArgumentParser:
        p = hub_sub.add_parser(name, help=text)
        p.set_defaults(func=func, needs_node=False)
        if name != "init":
            p.add_argument("--hub", help="the hub's directory (default: $SPAZI_HUB_DIR)")
        return p

    p = command("init", cmd_hub_init, "create an empty hub in DIR")
    p.add_argument("dir", help="the hub's directory")

    p = command("add", cmd_hub_add, "serve a data dir, or --init a new space in the hub")
    p.add_argument("dir", nargs="?", help="an existing data dir (from spazi init)")
    p.add_argument("--init", metavar="NAME", help="create a new space with this name")
    p.add_argument("--url", help="with --init: its public URL, e.g. https://cube.hub.example")
    p.add_argument("--timezone", default="UTC", help="with --init: IANA zone (default UTC)")
    for option in ("city", "district", "country", "address", "description"):
        p.add_argument(f"--{option}", help=f"with --init: the space's {option}")
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="with --init: keep the space in its own schema of this PostgreSQL database "
        "(postgresql+psycopg://user@host/db), named after its host",
    )

    p = command("list", cmd_hub_list, "the hosted spaces: host, name, node id, data dir")
    p.add_argument("--json", action="store_true")

    p = command("remove", cmd_hub_remove, "stop serving the space at HOST (its data dir stays)")
    p.add_argument("host", help="the space's host name, e.g. cube.hub.example")

    p = command("run", cmd_hub_run, "serve every hosted space over HTTP, by host name")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8080, help="port to listen on")
    p.add_argument(
        "--preload", action="store_true", help="open every space before serving (fails early)"
    )

    command("worker", cmd_hub_worker, "run the scheduled jobs of every hosted space")
