"""Settings: all documented, read from spazi.toml then SPAZI_* variables, bad values refused."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from node.cli import main
from node.settings import SETTINGS, SettingsError, load_settings, markdown_table

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_rows() -> dict[str, list[str]]:
    """The README's settings table: ``{name: [variable, default, meaning]}``, cells as written."""
    text = README.read_text("utf-8")
    section = text[text.index("## Settings") :]
    section = section[: section.index("\n## ", 1)]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 4, line
        name = cells[0].strip("`")
        assert name not in rows, f"{name} is in the README table twice"
        rows[name] = cells[1:]
    return rows


def test_the_readme_table_is_the_settings_table_word_for_word() -> None:
    """node/settings.py is the one source of each setting's help; the README repeats it."""
    rows = readme_rows()
    declared = {s.name: s for s in SETTINGS}
    assert sorted(set(declared) - set(rows)) == [], "settings missing from the README"
    assert sorted(set(rows) - set(declared)) == [], "README rows for no setting"
    differences = {}
    for name, (variable, default, meaning) in rows.items():
        setting = declared[name]
        expected = [f"`{setting.env}`", setting.default_text, setting.help]
        if [variable, default, meaning] != expected:
            differences[name] = {"readme": [variable, default, meaning], "settings.py": expected}
    assert differences == {}
    # In the declared order, and as `spazi settings --markdown` prints it.
    assert list(rows) == list(declared)
    assert markdown_table() in README.read_text("utf-8")


def test_spazi_settings_markdown_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["settings", "--markdown"]) == 0
    assert capsys.readouterr().out == markdown_table() + "\n"


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "spazi.toml").write_text('port = 9000\nsync_interval = 30\ngossip = "peers"\n')
    values = load_settings(tmp_path, {"sync_interval": 5}, environ={"SPAZI_PORT": "9100"})
    assert values["port"] == 9100
    assert values["sync_interval"] == 5
    assert values["gossip"] == "peers"
    assert values["database_url"] == f"sqlite:///{tmp_path.resolve()}/spazi.db"


@pytest.mark.parametrize(
    ("toml", "environ", "message"),
    [
        ("colour = 1\n", {}, "unknown setting 'colour'"),
        ("port = 'x'\n", {}, "port must be a int"),
        ("", {"SPAZI_ALLOW_PRIVATE_PEERS": "perhaps"}, "allow_private_peers must be a bool"),
        ("", {"SPAZI_GOSSIP": "everyone"}, "gossip must be"),
        ("verify_threads = -1\n", {}, "verify_threads must be an integer from 0 to"),
        ("port = \n", {}, "not valid TOML"),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, toml: str, environ: dict, message: str) -> None:
    (tmp_path / "spazi.toml").write_text(toml)
    with pytest.raises(SettingsError, match=message):
        load_settings(tmp_path, environ=environ)


def test_verify_threads_zero_means_one_per_cpu(tmp_path: Path) -> None:
    from federation.sigbatch import auto_threads
    from tests.support import make_node

    automatic = make_node(tmp_path)
    fixed = make_node(tmp_path, settings={"verify_threads": 3})
    try:
        assert automatic.node.verify_threads == auto_threads()
        assert fixed.node.verify_threads == 3
    finally:
        automatic.close()
        fixed.close()


def test_gunicorn_loads_the_app_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gunicorn.util import import_app

    from node.bootstrap import init_node

    init_node(tmp_path / "n", "Loft", "http://loft.example")
    monkeypatch.setenv("SPAZI_DATA_DIR", str(tmp_path / "n"))
    monkeypatch.setenv("SPAZI_SCHEDULER", "false")
    app = import_app("node:create_app()")
    response = app.test_client().get("/api/v1/space")
    assert response.get_json()["name"] == "Loft"
    app.extensions["spazi"].close()


def test_a_node_without_a_session_secret_refuses_to_start(tmp_path: Path) -> None:
    from node import create_app
    from node.app import NotReady
    from node.bootstrap import init_node

    init_node(tmp_path / "n", "Loft", "http://loft.example")
    toml = tmp_path / "n" / "spazi.toml"
    toml.write_text(
        "\n".join(line for line in toml.read_text().splitlines() if "secret_key" not in line)
    )
    with pytest.raises(NotReady, match="secret_key"):
        create_app({"data_dir": str(tmp_path / "n"), "scheduler": False})


# -- ranges and choices (every setting has one, declared in the table) ---------------------------


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("port", "99999"),
        ("port", "0"),
        ("feed_page_max", "0"),
        ("feed_page_default", "0"),
        ("max_request_bytes", "-1"),
        ("sync_interval", "0"),
        ("outbound_timeout", "-5"),
        ("log_level", "LOUD"),
        ("url", "ftp://thecube.example"),
        ("database_url", "mysql://x@y/z"),
    ],
)
def test_out_of_range_values_are_refused_from_every_source(
    tmp_path: Path, name: str, bad: str
) -> None:
    """spazi.toml, SPAZI_* and overrides all go through the setting's declared constraint."""
    toml_value = bad if bad.lstrip("-").isdigit() else f'"{bad}"'
    (tmp_path / "spazi.toml").write_text(f"{name} = {toml_value}\n")
    with pytest.raises(SettingsError, match=rf"^setting {name} must be .*spazi\.toml"):
        load_settings(tmp_path, environ={})
    (tmp_path / "spazi.toml").write_text("")
    env = "SPAZI_" + name.upper()
    with pytest.raises(SettingsError, match=rf"^setting {name} must be .*{env}"):
        load_settings(tmp_path, environ={env: bad})
    with pytest.raises(SettingsError, match=rf"^setting {name} must be "):
        load_settings(tmp_path, {name: bad}, environ={})


def test_every_setting_declares_a_range_or_choices_and_refuses_values_outside(
    tmp_path: Path,
) -> None:
    from node.settings import Between, OneOf, Text

    for setting in SETTINGS:
        constraint = setting.constraint
        assert constraint is not None, f"{setting.name} has no range or choice list"
        assert constraint.allowed, setting.name
        outside: list[object]
        if isinstance(constraint, Between):
            outside = [constraint.low - 1, constraint.high + 1]
        elif isinstance(constraint, OneOf):
            outside = ["not-one-of-them"]
        else:
            assert isinstance(constraint, Text), setting.name
            outside = ["x" * (constraint.max_length + 1), "a\x00b"]
            if constraint.schemes:
                outside.append("gopher://thecube.example")
        if setting.name == "data_dir":
            continue  # the data dir is where spazi.toml is read from, not a value inside it
        for value in outside:
            with pytest.raises(SettingsError, match=f"setting {setting.name} must be"):
                load_settings(tmp_path, {setting.name: value}, environ={})
        # The default itself is inside.
        load_settings(tmp_path, {setting.name: setting.default}, environ={})


def test_log_level_is_a_choice_and_any_case_works(tmp_path: Path) -> None:
    assert load_settings(tmp_path, {"log_level": "debug"}, environ={})["log_level"] == "DEBUG"


def test_a_bad_setting_is_one_line_at_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from node.bootstrap import init_node

    init_node(tmp_path / "n", "Loft", "http://loft.example")
    with (tmp_path / "n" / "spazi.toml").open("a") as handle:
        handle.write('log_level = "LOUD"\n')
    assert main(["--data-dir", str(tmp_path / "n"), "settings"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "log_level must be one of" in err, err
    assert main(["--data-dir", str(tmp_path / "n"), "run", "--port", "99999"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "port must be an integer from 1 to 65535" in err, err


def test_spazi_run_refuses_an_out_of_range_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from node.bootstrap import init_node

    init_node(tmp_path / "n", "Loft", "http://loft.example")
    assert main(["--data-dir", str(tmp_path / "n"), "run", "--port", "99999"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("spazi: error: setting port must be an integer from 1 to 65535"), err
    assert main(["init", str(tmp_path / "m"), "--name", "M", "--url", "http://m.example",
                 "--port", "70000"]) == 1  # fmt: skip
    assert "port must be" in capsys.readouterr().err
    assert not (tmp_path / "m" / "spazi.toml").exists()


def test_spazi_run_on_a_busy_port_refuses_before_it_starts_anything(tmp_path: Path) -> None:
    from node.bootstrap import init_node

    init_node(tmp_path / "n", "Loft", "http://loft.example")
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "node.cli", "--data-dir", str(tmp_path / "n"), "run",
             "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert run.returncode != 0
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith("spazi: error: port ") and "in use" in run.stderr
    assert "--port" in run.stderr and "Serving" not in run.stderr


def test_a_busy_port_is_found_on_the_address_the_server_binds() -> None:
    # "localhost" is bound as IPv4 by the server whatever the name resolves to first.
    from node.cli.setup_cmds import address_free

    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not address_free("localhost", port)
        assert not address_free("127.0.0.1", port)
    assert address_free("127.0.0.1", port)
