"""Running the real ``spazi`` command in-process against a node of an in-process network.

``node.cli.main.main`` opens the node from its data dir as a separate ``Node``; ``in_network``
gives that node the network's fake clock and its routes to the other nodes (the same
``FlaskAdapter``s the network uses), so commands that call peers or check expiry behave as they
would in a deployment, with no sockets and no real time.
"""

from __future__ import annotations

from typing import Any

import pytest

from node import runtime
from node.cli import main
from node.runtime import Node
from tests.network import Network


def in_network(net: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every node ``spazi`` opens part of ``net`` (until the test ends)."""
    real_open = runtime.open_node

    def open_in_network(*args: Any, **kwargs: Any) -> Node:
        opened = real_open(*args, **{**kwargs, "clock": net.clock})
        opened.local_routes = net.adapters
        return opened

    monkeypatch.setattr(runtime, "open_node", open_in_network)


def run_cli(
    capsys: pytest.CaptureFixture[str], net: Network, name: str, *argv: str
) -> tuple[int, str, str]:
    """``spazi --data-dir <node name's dir> ARGV``: exit status, stdout and stderr."""
    code = main(["--data-dir", str(net[name].data_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err
