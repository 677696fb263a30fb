"""The ``spazi`` console script and the gunicorn config: what they do before the node runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _loaded_by(data_dir: Path, argv: list[str], heavy: tuple[str, ...]) -> str:
    """``EXIT <code> LOADED [...]``: the command's exit status in a fresh interpreter and which
    of the ``heavy`` modules it imported."""
    out = _run(
        "import sys\n"
        "from node.cli.main import main\n"
        f"code = main(['--data-dir', {str(data_dir)!r}, *{argv!r}])\n"
        f"print('EXIT', code, 'LOADED', sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    return out.splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "module", "func", "at_least"),
    [
        (["settings"], "setup_cmds", "cmd_settings", 10_000),
        (["peer", "list"], "network_cmds", "cmd_peer_list", 50_000),  # the node's code too
    ],
)
def test_the_console_script_freezes_the_start_up_heap_and_collects_during_the_command(
    tmp_path: Path, argv: list[str], module: str, func: str, at_least: int
) -> None:
    """The collector is off during start-up (imports, opening the node) and on again, with
    what start-up made frozen, when the command's work begins (node/cli/main.py)."""
    from tests.support import make_node

    node = make_node(tmp_path)
    node.close()
    # The command's function is swapped for a probe that reports the collector's state.
    out = _run(
        "import gc, sys\n"
        f"import node.cli.{module} as commands\n"
        "import node.cli.main\n"
        "cli = sys.modules['node.cli.main']  # node.cli.main the attribute is the function\n"
        "probe = lambda *args: print(gc.isenabled(), gc.get_freeze_count()) or 0\n"
        f"commands.{func} = probe\n"
        f"sys.argv = ['spazi', '--data-dir', {str(node.data_dir)!r}, *{argv!r}]\n"
        "try:\n"
        "    cli.entry()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "print(gc.isenabled())\n"
    )
    enabled, frozen, after = out.split()
    assert enabled == "True" and after == "True"
    assert int(frozen) > at_least  # every module start-up imported, not a handful of objects


def test_the_collector_is_on_again_when_a_command_fails_before_its_work(tmp_path: Path) -> None:
    out = _run(
        "import gc, sys\n"
        "import node.cli.main\n"
        "cli = sys.modules['node.cli.main']\n"
        f"sys.argv = ['spazi', '--data-dir', {str(tmp_path / 'none')!r}, 'peer', 'list']\n"
        "try:\n"
        "    cli.entry()\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, gc.isenabled())\n"
    )
    assert out == "1 True"  # not a node: the command stopped in start-up


def test_the_console_script_is_entry() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'spazi = "node.cli.main:entry"' in text


def test_gunicorn_workers_freeze_the_loaded_heap() -> None:
    out = _run(
        "import gc, runpy\n"
        "conf = runpy.run_path('deploy/gunicorn.conf.py')\n"
        "before = gc.get_freeze_count()\n"
        "conf['post_worker_init'](None)\n"
        "print(before, gc.get_freeze_count(), conf['worker_class'])\n"
    )
    before, after, worker_class = out.split()
    assert int(before) == 0 and int(after) > 1_000
    assert worker_class == "gthread"


def test_each_command_module_registers_the_commands_listed_for_it() -> None:
    import argparse
    import importlib

    from node.cli.main import COMMAND_MODULES

    for name, commands in COMMAND_MODULES.items():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(name).register(sub)
        assert tuple(sub.choices) == commands, name


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--data-dir", "d", "sync", "--peer", "x"], "sync"),
        (["--data-dir=d", "peer", "list"], "peer"),
        (["--data-d", "run", "sync"], "sync"),  # argparse's prefix of --data-dir
        (["--data", "d", "event", "list"], "event"),
        (["--version"], None),
        ([], None),
    ],
)
def test_command_word(argv: list[str], expected: str | None) -> None:
    from node.cli.main import command_word

    assert command_word(argv) == expected


def test_a_command_imports_only_its_own_module() -> None:
    # `spazi sync` (network_cmds) must not pay for the content commands' marshmallow schemas.
    out = _run(
        "import sys\n"
        "import node.cli.main\n"
        "cli = sys.modules['node.cli.main']\n"
        "cli.build_parser(cli.command_word(['--data-dir', 'x', 'sync']))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('node.cli.'))\n"
        "print(loaded, 'marshmallow' in sys.modules)\n"
    )
    modules = ["node.cli.main", "node.cli.network_cmds", "node.cli.output"]
    assert out == f"{modules} False"


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["event", "--help"]])
def test_help_and_version_load_none_of_the_nodes_heavy_libraries(argv: list[str]) -> None:
    # Every command module is registered for --help; each names its heavy modules lazily
    # (node/lazy.py), so listing the commands costs no database or web code.
    out = _run(
        "import sys\n"
        "from node.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('sqlalchemy', 'flask', 'marshmallow', 'cryptography', 'requests',\n"
        "         'node.models')\n"
        "print('LOADED', sorted(m for m in heavy if m in sys.modules))\n"
    )
    assert out.splitlines()[-1] == "LOADED []"


def test_an_unknown_command_lists_every_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "node.cli", "bogus"], capture_output=True, text=True, cwd=ROOT,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "invalid choice: 'bogus'" in done.stderr
    for command in ("init", "event", "sync", "admin"):
        assert f"'{command}'" in done.stderr
    assert "RuntimeWarning" not in done.stderr


@pytest.mark.parametrize("argv", [["event", "list"], ["member", "list"], ["peer", "list"]])
def test_a_list_loads_neither_the_web_nor_the_inbox_nor_marshmallow(
    tmp_path: Path, argv: list[str]
) -> None:
    """Lists are ``reads_only``: no registry check (which imports every feature's handlers, the
    HTTP client and Flask) and no validation library — the CLI start-up target of
    tests/bench/bench_cli_startup.py."""
    from tests.support import make_node

    node = make_node(tmp_path)
    node.close()
    heavy = ("flask", "marshmallow", "requests", "node.network.inbox", "node.web")
    assert _loaded_by(node.data_dir, argv, heavy) == "EXIT 0 LOADED []"


def test_only_lists_and_shows_skip_the_registry_check() -> None:
    """``reads_only`` skips the start-up check (node/cli/main.py): a command that writes must
    never carry it."""
    from node.cli.main import build_parser

    marked = []
    for action in build_parser()._subparsers._group_actions:  # type: ignore[union-attr]
        for name, parser in action.choices.items():
            stack = [([name], parser)]
            while stack:
                path, current = stack.pop()
                if current.get_default("reads_only"):
                    marked.append(" ".join(path))
                for sub in current._subparsers._group_actions if current._subparsers else ():
                    stack += [([*path, n], p) for n, p in sub.choices.items()]
    assert marked, "no command is marked reads_only"
    assert all(path.split()[-1] in ("list", "show") for path in marked), marked


def test_a_command_that_writes_checks_the_declarations_without_the_features_code(
    tmp_path: Path,
) -> None:
    """``spazi sync`` runs the start-up check on what the feature records declare
    (node/startup.py): no handler, projector, web or scheduler code is imported for it, nor
    what only a round that stores entries or signs a message needs — the idle-sync start-up of
    tests/bench/bench_sync_idle.py."""
    from tests.support import make_node

    node = make_node(tmp_path)
    node.close()
    heavy = ("flask", "marshmallow", "icalendar", "apscheduler", "node.network.inbox",
             "node.twinning.handlers", "node.bookings.handlers", "node.projects.handlers",
             "node.projectors", "node.web", "node.network.outbox", "node.services.cohosts",
             "federation.httpsig")  # fmt: skip
    # No peer to sync with: the command got past the start-up checks and stopped there.
    assert _loaded_by(node.data_dir, ["sync"], heavy) == "EXIT 1 LOADED []"
