"""``spazi demo``: a small federated network on this machine, in one command.

No configuration: the nodes live in a temporary directory (or ``--keep DIR``, reused on the
next run), each on its own loopback port from ``--port`` up, on SQLite.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from node.cli.output import CliError, echo, table
from node.demo.spaces import MAX_SPACES

if TYPE_CHECKING:
    from node.demo.network import DemoNetwork


def _progress(message: str) -> None:
    echo("… {}", message, err=True)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP reached the demo: it stops as on Ctrl-C. A ``BaseException``, as
    ``KeyboardInterrupt`` is, so that no ``except Exception`` in the code it interrupts (a
    request to a node that is starting) can swallow it."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated(signum)


def cmd_demo(args: argparse.Namespace) -> int:
    """Create (or reuse), start and connect the demo network; serve until Ctrl-C."""
    from node.demo.network import DemoError, DemoNetwork  # the node's code, only when it runs

    if not 3 <= args.nodes <= MAX_SPACES:
        raise CliError(f"--nodes: the demo network has 3 to {MAX_SPACES} spaces", 2)
    if not 1024 <= args.port <= 65535 - MAX_SPACES:
        raise CliError(f"--port: use a port from 1024 to {65535 - MAX_SPACES}", 2)
    keep = Path(args.keep).expanduser() if args.keep else None
    if keep is not None and keep.exists() and not keep.is_dir():
        raise CliError(f"--keep: {keep} is not a directory")
    base = keep or Path(tempfile.mkdtemp(prefix="spazi-demo-"))
    network = DemoNetwork(base, args.nodes, args.port, _progress)
    # Ctrl-C reaches the demo and its children alike; `kill` and a closed terminal reach only
    # the demo, which must still stop its nodes and remove its folder (keys, admin passwords).
    previous = {sig: signal.signal(sig, _terminated) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        network.prepare()
        network.start()
        network.connect()
        network.wait_converged()
        from node.demo.scenario import play

        tour = play(network, _progress)
        _print_summary(network, tour)
        if args.once:
            return 0
        echo("The demo runs until Ctrl-C.", err=True)
        while True:
            stopped = network.alive()
            if stopped is not None:
                raise CliError(f"{stopped.name} stopped; its log is {stopped.data_dir}/process.log")
            time.sleep(1)
    except DemoError as exc:
        raise CliError(str(exc)) from None
    except (KeyboardInterrupt, _Terminated):
        with contextlib.suppress(OSError):  # SIGHUP: the terminal is gone; clean up all the same
            echo("Stopping the demo network.", err=True)
        return 0
    finally:
        for sig in previous:  # a second signal must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        network.stop()
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
        elif network.record_path.exists():
            echo("The demo's data stays in {}; run the same command to reuse it.", keep, err=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _print_summary(network: DemoNetwork, tour: dict[str, str]) -> None:
    rows = [
        {
            "space": node.name,
            "home page": node.url + "/",
            "admin login": node.admin_email,
            "password": node.admin_password,
        }
        for node in network.nodes
    ]
    table(rows, ["space", "home page", "admin login", "password"])
    echo("")
    for label, url in tour.items():
        echo("{}: {}", label, url)
    echo("")
    # Each space is an ordinary data dir: every spazi command works on it while the demo runs.
    echo("The demo's data: {}", network.base)
    example = next((n for n in network.nodes if n.slug == "the-cube"), network.nodes[0])
    echo("Try, in another terminal:")
    echo("  spazi --data-dir {} peer list", example.data_dir)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo",
        help="start a small federated, twinned network of spaces on this machine (SQLite)",
    )
    p.add_argument(
        "--keep", metavar="DIR", help="keep the nodes' data in DIR; a second run reuses it"
    )
    p.add_argument(
        "--nodes",
        type=int,
        default=3,
        help=f"how many spaces (3 to {MAX_SPACES}; default 3)",
    )
    p.add_argument(
        "--port", type=int, default=8080, help="the first space's port; the others follow"
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="stop after setting up and printing the network (for scripts and tests)",
    )
    p.set_defaults(func=cmd_demo, needs_node=False)
