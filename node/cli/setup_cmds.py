"""``spazi init``, ``run``, ``settings`` and ``db``: creating and serving a node."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from federation.errors import ProtocolError
from node.cli.output import CliError, Progress, echo, table
from node.lazy import lazy_module
from node.settings import SETTINGS, check_setting, load_settings, markdown_table

if TYPE_CHECKING:
    from federation import keys
    from node import bootstrap, migrate
    from node import db as node_db
    from node.runtime import Node
else:  # imported when a command runs (node/lazy.py)
    keys = lazy_module("federation.keys")
    bootstrap = lazy_module("node.bootstrap")
    node_db = lazy_module("node.db")
    migrate = lazy_module("node.migrate")


def cmd_init(args: argparse.Namespace) -> int:
    """Create a data dir: settings, key (0600), migrated database and the first profile entry."""
    target = args.dir or args.data_dir
    if not target:
        raise CliError("give the data dir: spazi init DATA_DIR --name … --url …", 2)
    if not args.url.startswith(("http://", "https://")):
        raise CliError("--url must start with http:// or https:// (the node's public address)", 2)
    data_dir = Path(target).expanduser()
    if data_dir.exists() and not data_dir.is_dir():
        raise CliError(f"{data_dir} is not a directory: give a new path for the node's data dir")
    # Checked before anything is written, so a bad option leaves no half-made data dir.
    settings: dict[str, object] = {
        "host": check_setting("host", args.host, "--host"),
        "port": check_setting("port", args.port, "--port"),
        "language": check_setting("language", args.language, "--language"),
    }
    if args.database_url:
        settings["database_url"] = args.database_url
    profile = {
        option: getattr(args, option)
        for option in ("city", "district", "country", "address", "description")
        if getattr(args, option)
    }
    try:
        node_id = bootstrap.init_node(
            data_dir,
            args.name,
            args.url,
            timezone=args.timezone,
            profile=profile,
            settings=settings,
        )
    except bootstrap.AlreadyInitialised as exc:
        raise CliError(str(exc)) from exc
    echo("Created node {} in {}", repr(args.name), data_dir)
    echo("  node id:     {}", node_id)
    echo("  fingerprint: {}", keys.fingerprint(node_id))
    echo("  url:         {}", args.url.rstrip("/"))
    echo("Next:")
    echo("  spazi --data-dir {} resource add --kind hot_desk --name Desk --capacity 10", data_dir)
    echo("  spazi --data-dir {} run", data_dir)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the node with the development server (deploy/ shows gunicorn for production)."""
    from node.app import create_app

    # Checked before the app (and its scheduler) starts.
    host = check_setting("host", args.host, "--host") if args.host else None
    port = check_setting("port", args.port, "--port") if args.port is not None else None
    overrides: dict[str, object] = {"data_dir": args.data_dir} if args.data_dir else {}
    if getattr(args, "url_override", None):
        overrides["url"] = args.url_override
    configured = load_settings(args.data_dir)
    host = host or configured["host"]
    port = port if port is not None else configured["port"]
    # A busy port would otherwise be found by Werkzeug only after the scheduler has started.
    if not address_free(str(host), int(port)):
        raise CliError(
            f"port {port} on {host} is in use: stop what uses it, or give another --port"
        )
    app = create_app(overrides)
    settings = app.config["SPAZI"]
    echo(
        "Serving {} on http://{}:{} (Ctrl-C stops)", settings["url"] or "node", host, port, err=True
    )
    # threaded: a slow peer must not stall the front desk; no reloader: jobs must run once.
    app.run(host=host, port=port, threaded=True, use_reloader=False)
    return 0


def address_free(host: str, port: int) -> bool:
    """Whether the server can listen on ``host``:``port`` now: the same address family and
    socket address Werkzeug's server will bind (``werkzeug.serving``: IPv4 for a host name,
    even where the name resolves to ``::1`` first), reusing TIME_WAIT as it does."""
    import errno
    import socket

    from werkzeug.serving import get_sockaddr, select_address_family

    family = select_address_family(host, port)
    try:
        address = get_sockaddr(host, port, family)
    except OSError:
        return True  # a name that does not resolve: the server's own error says so
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:  # anything but a busy port (a privileged one…) the server reports
            return exc.errno != errno.EADDRINUSE
    return True


def cmd_settings(args: argparse.Namespace) -> int:
    if args.markdown:
        for line in markdown_table().splitlines():  # our own text, one cleaned line at a time
            echo("{}", line)
        return 0
    values = load_settings(args.data_dir)
    rows = []
    for setting in SETTINGS:
        value = values[setting.name]
        shown = "(set)" if setting.secret and value else value
        rows.append(
            {"name": setting.name, "value": shown, "env": setting.env, "help": setting.help}
        )
    if args.json:
        from node.cli.output import emit_json

        emit_json(rows)
    else:
        table(rows, ["name", "value", "env", "help"])
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings(args.data_dir)
    if not settings["database_url"]:
        raise CliError("no data dir: pass --data-dir or set SPAZI_DATA_DIR", 2)
    db = node_db.Database(settings["database_url"])
    try:
        before = migrate.current_revision(db.engine)
        migrate.upgrade(db.engine)
        after = migrate.current_revision(db.engine)
    finally:
        db.dispose()
    echo("database: {} -> {} (newest: {})", before or "empty", after, migrate.head_revision())
    return 0


def cmd_db_status(args: argparse.Namespace) -> int:
    """The database's schema revision against this build's; exit 1 when it cannot be reached
    or is not current (the compose file's worker health check, deploy/compose.yaml)."""
    settings = load_settings(args.data_dir)
    if not settings["database_url"]:
        raise CliError("no data dir: pass --data-dir or set SPAZI_DATA_DIR", 2)
    db = node_db.Database(settings["database_url"])
    try:
        revision = migrate.current_revision(db.engine)
    finally:
        db.dispose()
    newest = migrate.head_revision()
    if revision != newest:
        raise CliError(
            f"database at {revision or 'no schema'}, newest {newest}: run spazi db upgrade"
        )
    echo("database: {} (newest)", revision)
    return 0


def cmd_db_copy(args: argparse.Namespace, node: Node) -> int:
    """Copy the node's database to ``--to`` (checked by row counts and the feed re-verified
    there), then point the data dir's ``spazi.toml`` at it unless ``--no-switch``."""
    from node.dbcopy import CopyStep, copy_database
    from node.feedverify import verify_own_feed
    from node.settings import write_setting

    bars: dict[str, Progress] = {}

    def on_step(step: CopyStep) -> None:
        bar = bars.setdefault(step.table, Progress(f"copying {step.table}", step.total))
        bar.advance(step.done - bar.done, "rows")

    report = copy_database(node.db, args.to, on_step)
    echo("copied {} rows in {} tables", report.total, len(report.rows), err=True)
    target = node_db.Database(args.to)
    try:
        progress = Progress("verifying the feed on the target")
        checked = verify_own_feed(
            target,
            node.node_id,
            node.now_ms(),
            node.verify_threads,
            lambda count, _seq: progress.advance(count, "entries"),
        )
        progress.finish(f"ok, {checked} entries verify")
    except ProtocolError as exc:
        raise CliError(
            f"the copied feed fails verification ({exc}); the node still uses its old database"
        ) from exc
    finally:
        target.dispose()
    if args.no_switch:
        echo("The node still uses its old database; set database_url to use the copy.")
        return 0
    if not node.settings.get("data_dir"):
        raise CliError("copied, but there is no data dir to record database_url in: set it")
    path = write_setting(node.settings["data_dir"], "database_url", args.to)
    echo("{} now says database_url = the copy; the old database is left as it was.", path)
    if "SPAZI_DATABASE_URL" in os.environ:
        echo("SPAZI_DATABASE_URL is set and overrides it: change it to the copy too.")
    echo("Start the node again (spazi run, or systemctl start spazi spazi-worker).")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="create a new node in DATA_DIR")
    p.add_argument("dir", nargs="?", help="the data dir to create (or --data-dir)")
    p.add_argument("--name", required=True, help="the space's name")
    p.add_argument("--url", required=True, help="public base URL, e.g. https://thecube.example")
    p.add_argument("--city")
    p.add_argument("--district", help="the part of the city, e.g. Centro storico")
    p.add_argument("--country", help="ISO 3166 two-letter code, e.g. IT")
    p.add_argument("--timezone", default="UTC", help="IANA zone, e.g. Europe/Rome (default UTC)")
    p.add_argument("--address")
    p.add_argument("--description")
    p.add_argument("--host", default="127.0.0.1", help="address `spazi run` listens on")
    p.add_argument("--port", type=int, default=8080, help="port `spazi run` listens on")
    p.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data dir)")
    p.add_argument(
        "--language",
        default="en",
        help="the pages' language when a visitor's browser asks for neither: en or it (default en)",
    )
    p.set_defaults(func=cmd_init, needs_node=False)

    p = sub.add_parser("run", help="serve the node over HTTP")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_run, needs_node=False)

    p = sub.add_parser("settings", help="list the settings with their current values")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--markdown", action="store_true", help="print the README's settings table (no values)"
    )
    p.set_defaults(func=cmd_settings, needs_node=False)

    p = sub.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    q = dbsub.add_parser("upgrade", help="apply pending migrations")
    q.set_defaults(func=cmd_db_upgrade, needs_node=False)
    q = dbsub.add_parser("status", help="the schema revision; exit 1 if unreachable or not current")
    q.set_defaults(func=cmd_db_status, needs_node=False)
    q = dbsub.add_parser(
        "copy",
        help="copy the database to another one (SQLite to PostgreSQL); stop the node first",
    )
    q.add_argument(
        "--to", required=True, help="an empty database, e.g. postgresql+psycopg://spazi@/spazi"
    )
    q.add_argument(
        "--no-switch", action="store_true", help="leave spazi.toml pointing at the old database"
    )
    q.set_defaults(func=cmd_db_copy, needs_node=True)
