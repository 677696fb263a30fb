"""Settings: all documented, read from spazi.toml then SPAZI_* variables, bad values refused."""

from __future__ import annotations

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
        ("verify_threads = -1\n", {}, "verify_threads must be 0"),
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
