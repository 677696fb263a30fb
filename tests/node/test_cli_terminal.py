"""Text from other nodes never drives the admin's terminal.

A hostile peer names its space, its city, its events and tags with terminal escape sequences
(an OSC 52 clipboard write, a screen clear, an 8-bit CSI, a bidi override). After a real sync in
an in-process network, every ``spazi`` command that prints peer data runs through
``node.cli.main.main``: no raw ESC, BEL, CSI or bidi control may reach stdout or stderr, while
the visible text and a visible escape of each control still do.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from federation.keys import NodeKey
from node.models import Event, Peer, Space
from node.network import joining
from tests.cli_network import in_network, run_cli
from tests.network import Network, network
from tests.support import FakeClock

# An OSC 52 clipboard write ended by BEL, a screen clear (CSI 2J), an 8-bit CSI (U+009B), a
# right-to-left override and DEL: each would act on the terminal if printed raw.
EVIL = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x9b31m\u202eEvil\x7f"
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\u202e", "\x7f", "\u2066")
# What a peer can still publish: the protocol refuses controls in entry text (protocol.md
# §Entry types, *text*), but not the bidi overrides that reorder what a terminal shows.
PUBLISHABLE = "\u202eEvil\u2066"


def _assert_clean(text: str, *visible: str) -> None:
    for char in FORBIDDEN:
        assert char not in text, f"raw {char!r} reached the terminal: {text!r}"
    for word in visible:
        assert word in text, f"{word!r} missing from {text!r}"


def _run(capsys: pytest.CaptureFixture[str], net: Network, *argv: str) -> tuple[int, str]:
    code, out, err = run_cli(capsys, net, "a", *argv)
    return code, out + err


@pytest.fixture
def hostile(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    """``a`` is the admin's node; ``b`` (to join), ``c`` and ``d`` (asking to peer) and ``e`` (to
    ask) are hostile: their names, city, event title and tag carry escape sequences."""
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b", title=f"Bin{PUBLISHABLE}ario", city=f"Mil{PUBLISHABLE}ano")
        net.add("c", title=f"Cub{PUBLISHABLE}icle")
        net.add("d", title=f"Dar{PUBLISHABLE}sena")
        net.add("e", title=f"Esc{PUBLISHABLE}ape")
        event = {
            "title": f"Work{PUBLISHABLE}shop",
            "start": "2026-12-10T10:00",
            "end": "2026-12-10T13:00",
            "tags": [f"tag{PUBLISHABLE}"],
        }
        response = net["b"].client.post("/api/v1/events", json=event, headers=net["b"].auth())
        assert response.status_code == 201, response.get_json()
        for asking in ("c", "d"):
            joining.request(net[asking].node, joining.discover(net[asking].node, "http://a.test"))

        in_network(net, monkeypatch)
        yield net


def test_every_command_printing_peer_data_shows_controls_escaped(
    hostile: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    net = hostile
    code = joining.create_invite(net["b"].node, timedelta(days=1))
    status, text = _run(capsys, net, "peer", "join", code)
    assert status == 0, text
    _assert_clean(text, "Bin", "ario", "\\u202e", "\\u2066")

    status, text = _run(capsys, net, "peer", "add", "http://e.test", "--yes")
    assert status == 0, text
    _assert_clean(text, "Esc", "ape at http://e.test", "peering request sent; Esc")

    status, text = _run(capsys, net, "peer", "requests")
    assert status == 0
    _assert_clean(text, "Cub", "icle", "Dar", "sena", "\\u202eEvil\\u2066")
    status, text = _run(capsys, net, "peer", "approve", net["c"].id)
    _assert_clean(text, "approved Cub", "icle")
    status, text = _run(capsys, net, "peer", "reject", net["d"].id)
    _assert_clean(text, "rejected Dar", "sena")

    net.settle()
    # An error string a peer caused, as stored from an earlier round, and names and titles with
    # controls as an older version stored them: the terminal must be safe from stored data too.
    with net["a"].node.db.write() as session:
        row = session.get(Peer, net["b"].id)
        assert row is not None
        row.last_error = f"bad-page: {EVIL} from peer"
        row.name = f"Bin{EVIL}ario"
        space = session.get(Space, net["b"].id)
        assert space is not None
        space.name, space.city = f"Bin{EVIL}ario", f"Mil{EVIL}ano"
        event = session.scalars(select(Event).where(Event.origin == net["b"].id)).one()
        event.body = {**event.body, "title": f"Work{EVIL}shop"}

    status, text = _run(capsys, net, "peer", "list")
    assert status == 0
    _assert_clean(text, "Bin", "Cub", "from peer", "\\x1b]52", "\\x07", "\\x9b", "\\x7f")
    for argv in (("peer", "list", "--json"), ("network", "spaces", "--json")):
        status, text = _run(capsys, net, *argv)
        assert status == 0
        _assert_clean(text)
        values = [str(value) for row in json.loads(text) for value in row.values()]
        assert any(EVIL in value for value in values)  # JSON still decodes to the exact value

    status, text = _run(capsys, net, "network", "spaces")
    _assert_clean(text, "Bin", "Mil", "ano", "\\u202e", "\\x1b[2J")
    status, text = _run(capsys, net, "network", "events")
    _assert_clean(text, "Work", "shop", "Bin", "Mil")
    status, text = _run(capsys, net, "network", "events", "--json")
    _assert_clean(text)
    assert json.loads(text)[0]["title"] == f"Work{EVIL}shop"

    status, text = _run(capsys, net, "sync")
    _assert_clean(text)


def test_block_reasons_from_an_imported_csv_are_escaped(
    hostile: Network, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    stranger = NodeKey.generate().did
    csv_file = tmp_path / "blocks.csv"
    reason = EVIL.replace("\x07", "")  # the CSV reader keeps every character but line ends
    csv_file.write_text(f'node_id,reason,created\n{stranger},"spam {reason}",\n', "utf-8")
    status, text = _run(capsys, hostile, "peer", "blocklist", "import", str(csv_file))
    assert status == 0
    status, text = _run(capsys, hostile, "peer", "blocklist", "export", "-")
    assert status == 0
    _assert_clean(text, stranger, "spam ", "\\x1b[2J")


def test_error_lines_escape_what_they_quote(
    hostile: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    status, text = _run(capsys, hostile, "peer", "unblock", f"did:key:{EVIL}")
    assert status == 1
    assert text.count("\n") == 1
    _assert_clean(text, "spazi: error: ", "is not blocked")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain café ✓", "plain café ✓"),
        ("a\tb\nc\rd", "a\\x09b\\x0ac\\x0dd"),
        ("\x00\x1b\x7f\x80\x9f", "\\x00\\x1b\\x7f\\x80\\x9f"),
        ("\u202a\u202b\u202c\u202d\u202e", "\\u202a\\u202b\\u202c\\u202d\\u202e"),
        ("\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"),
        ("\u200e\u200f\u061c\u2028\u2029", "\\u200e\\u200f\\u061c\\u2028\\u2029"),
        # Zero-width and blank characters: "Bin\u200bario" would pass for "Binario".
        ("Bin\u200bario\ufeff\u2060\u200d\u3164", "Bin\\u200bario\\ufeff\\u2060\\u200d\\u3164"),
        ("\ud800", "\\ud800"),
        (None, ""),
        (42, "42"),
    ],
)
def test_clean_shows_each_control_as_an_escape(raw: object, shown: str) -> None:
    from node.cli.output import clean

    assert clean(raw) == shown


CLI_DIR = Path(__file__).resolve().parents[2] / "node" / "cli"


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


@pytest.mark.parametrize(
    "path", sorted(p for p in CLI_DIR.glob("*.py") if p.name != "output.py"), ids=lambda p: p.name
)
def test_commands_print_only_through_the_output_helpers(path: Path) -> None:
    """A command cannot forget the sanitiser: no ``print`` or stream ``write`` outside
    ``node/cli/output.py``, and the template of ``echo`` is a literal, so everything
    interpolated into a line is one of its cleaned values."""
    tree = ast.parse(path.read_text("utf-8"))
    for call in _calls(tree):
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        where = f"{path.name}:{call.lineno}"
        assert name != "print", f"{where}: print through node.cli.output (echo, table…)"
        if name in {"write", "writelines"} and isinstance(func, ast.Attribute):
            stream = ast.unparse(func.value)
            assert not stream.endswith(("stdout", "stderr")), f"{where}: write through echo"
        if name == "echo":
            first = call.args[0] if call.args else None
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{where}: echo's template must be a literal; pass the values as arguments"
            )


def test_feed_show_escapes_controls_on_a_terminal_and_stays_exact_in_a_pipe(
    tmp_path: Path, clock: FakeClock
) -> None:
    import os
    import pty
    import subprocess
    import sys

    from node.services.events import add_event
    from tests.support import make_node

    space = make_node(tmp_path, clock=clock)
    title = "Invoice\u202efdp.exe Bin\u200bario"  # imported calendars and the API take these
    with space.node.db.write() as session:
        add_event(
            session,
            space.node,
            {"title": title, "start": "2026-12-10T10:00", "end": "2026-12-10T11:00"},
        )
    space.close()
    argv = [sys.executable, "-m", "node.cli", "--data-dir", str(space.data_dir), "feed", "show"]
    piped = subprocess.run(argv, capture_output=True, check=True).stdout.decode()
    assert title in piped  # byte for byte what is stored, for tools that verify it

    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(argv, stdout=terminal, stderr=subprocess.PIPE, timeout=60)
        assert done.returncode == 0, done.stderr
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    text = shown.decode()
    assert "\u202e" not in text and "\u200b" not in text
    assert "Invoice\\u202efdp.exe Bin\\u200bario" in text
    assert text.count("\n") == piped.count("\n")  # one entry a line, as in the pipe
