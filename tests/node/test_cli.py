"""The ``spazi`` CLI in-process: output, one-line errors, exit codes, no change on error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from node.cli import main
from node.runtime import open_node
from tests.support import SpaceNode, make_node


@pytest.fixture
def cli_node(tmp_path: Path) -> SpaceNode:
    test_node = make_node(tmp_path)
    yield test_node
    test_node.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_a_private_node_and_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    data = tmp_path / "cube"
    code, out, _ = run(
        capsys,
        "init",
        str(data),
        "--name",
        "TheCube",
        "--url",
        "https://thecube.example",
        "--city",
        "London",
        "--country",
        "GB",
        "--timezone",
        "Europe/London",
    )
    assert code == 0
    assert "did:key:z6Mk" in out and "fingerprint" in out
    assert (data / "node.key").stat().st_mode & 0o777 == 0o600
    assert (data / "spazi.toml").stat().st_mode & 0o777 == 0o600
    assert (data / "spazi.db").stat().st_mode & 0o777 == 0o600
    node = open_node(str(data))
    try:
        with node.db.read() as session:
            from node.services.space import get_profile

            assert get_profile(session, node.node_id)["city"] == "London"
    finally:
        node.close()
    key_before = (data / "node.key").read_bytes()
    code, _, err = run(capsys, "init", str(data), "--name", "Other", "--url", "https://o.example")
    assert code == 1
    assert err.count("\n") == 1 and "already holds a node" in err
    assert (data / "node.key").read_bytes() == key_before


def test_content_commands_publish_and_list(cli_node: SpaceNode, capsys) -> None:
    d = str(cli_node.data_dir)
    code, out, _ = run(
        capsys,
        "--data-dir",
        d,
        "resource",
        "add",
        "--kind",
        "meeting_room",
        "--name",
        "Sala",
        "--capacity",
        "8",
        "--price-hour",
        "12.50",
        "--currency",
        "EUR",
    )
    assert code == 0 and "added resource sala-" in out
    code, out, _ = run(capsys, "--data-dir", d, "resource", "list", "--json")
    [resource] = json.loads(out)
    assert resource["price_hour_minor"] == 1250 and resource["currency"] == "EUR"
    code, out, _ = run(
        capsys,
        "--data-dir",
        d,
        "event",
        "add",
        "--id",
        "meetup",
        "--title",
        "Meetup",
        "--start",
        "2026-12-03T18:00",
        "--end",
        "2026-12-03T20:00",
        "--tags",
        "tech,social",
    )
    assert code == 0
    code, out, _ = run(capsys, "--data-dir", d, "event", "cancel", "meetup", "--reason", "ill")
    assert code == 0
    code, out, _ = run(capsys, "--data-dir", d, "event", "list", "--json")
    assert json.loads(out)[0]["cancelled"] is True
    code, out, _ = run(
        capsys,
        "--data-dir",
        d,
        "space",
        "set",
        "--hours",
        "Mo-Fr 09:00-19:00; Sa 18:00-02:00",
        "--lat",
        "51.5072",
        "--lon",
        "-0.1276",
    )
    profile = json.loads(out)
    assert profile["opening_hours"][1] == {
        "days": ["Saturday"],
        "opens": "18:00",
        "closes": "02:00",
    }
    assert profile["latitude_e6"] == 51_507_200 and profile["longitude_e6"] == -127_600
    code, out, err = run(capsys, "--data-dir", d, "feed", "verify")
    assert code == 0 and "ok, 5 entries verify" in err
    code, out, _ = run(capsys, "--data-dir", d, "feed", "show", "--after", "4")
    assert [json.loads(line)["type"] for line in out.splitlines()] == ["space.profile"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["resource", "add", "--kind", "hot_desk", "--name", "D", "--capacity", "0"], "capacity"),
        (
            [
                "resource",
                "add",
                "--kind",
                "hot_desk",
                "--name",
                "D",
                "--capacity",
                "2",
                "--price-day",
                "3.333",
                "--currency",
                "EUR",
            ],
            "decimals",
        ),
        (
            [
                "resource",
                "add",
                "--kind",
                "hot_desk",
                "--name",
                "D",
                "--capacity",
                "2",
                "--price-day",
                "3",
            ],
            "currency",
        ),
        (["resource", "remove", "ghost"], "no resource"),
        (
            [
                "event",
                "add",
                "--title",
                "T",
                "--start",
                "2026-12-01T18:00",
                "--end",
                "2026-12-01T17:00",
            ],
            "end",
        ),
        (["event", "add", "--title", "T", "--start", "soon", "--end", "2026-12-01T17:00"], "start"),
        (["event", "cancel", "ghost"], "no event"),
        (["space", "set", "--timezone", "Mars/Base"], "time zone"),
        (["space", "set", "--hours", "Someday 09:00-10:00"], "unknown day"),
        (["space", "set"], "nothing to change"),
        (["member", "add", "--name", "A", "--email", "nope"], "email"),
        (["member", "remove", "42"], "no member"),
        (["member", "update", "42", "--plan", "x"], "no member"),
        (["member", "update", "1", "--email", "nope"], "email"),
        (["peer", "invites", "--withdraw", "42"], "no invite"),
        (["admin", "token", "revoke", "42"], "no token"),
    ],
)
def test_bad_input_is_one_line_nonzero_and_changes_nothing(
    cli_node: SpaceNode, capsys, argv: list[str], message: str
) -> None:
    before = cli_node.counts()
    code, out, err = run(capsys, "--data-dir", str(cli_node.data_dir), *argv)
    assert code != 0 and out == ""
    assert err.startswith("spazi: error: ") and err.count("\n") == 1
    assert message in err
    assert cli_node.counts() == before


def test_members_are_updated_and_searched(cli_node: SpaceNode, capsys) -> None:
    at = ["--data-dir", str(cli_node.data_dir)]
    for name, email in (("Ada Lovelace", "ada@example.org"), ("Bob_Noyce", "bob@example.org")):
        assert run(capsys, *at, "member", "add", "--name", name, "--email", email)[0] == 0
    code, out, _ = run(capsys, *at, "member", "update", "1", "--plan", "Fixed desk")
    assert code == 0 and "updated member 1" in out
    code, out, _ = run(capsys, *at, "member", "list", "--search", "LOVE")
    assert "Fixed desk" in out and "Bob" not in out
    code, out, _ = run(capsys, *at, "member", "list", "--search", "_")  # literal, no wildcard
    assert "Bob_Noyce" in out and "Ada" not in out
    code, _, err = run(capsys, *at, "member", "update", "2", "--email", "ada@example.org")
    assert code == 1 and "exists" in err


def test_invites_are_listed_and_withdrawn(cli_node: SpaceNode, capsys) -> None:
    at = ["--data-dir", str(cli_node.data_dir)]
    assert run(capsys, *at, "peer", "invite")[0] == 0
    code, out, _ = run(capsys, *at, "peer", "invites")
    assert code == 0 and out.splitlines()[1].split()[0] == "1" and " open" in out
    code, out, _ = run(capsys, *at, "peer", "invites", "--withdraw", "1")
    assert code == 0 and "withdrawn" in out
    assert " expired" in run(capsys, *at, "peer", "invites")[1]


def test_missing_data_dir_says_what_to_do(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "resource", "list")
    assert code == 2 and "--data-dir" in err
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "empty"), "resource", "list")
    assert code == 1 and "spazi init" in err


def test_unsafe_key_file_is_refused_with_the_fix(cli_node: SpaceNode, capsys) -> None:
    key = cli_node.data_dir / "node.key"
    os.chmod(key, 0o644)
    code, _, err = run(capsys, "--data-dir", str(cli_node.data_dir), "resource", "list")
    assert code == 1 and "chmod 600" in err


def test_admin_tokens_are_stored_hashed(cli_node: SpaceNode, capsys) -> None:
    code, out, _ = run(
        capsys, "--data-dir", str(cli_node.data_dir), "admin", "token", "create", "--name", "ci"
    )
    secret = out.strip()
    assert code == 0 and secret.startswith("spz_")
    db_bytes = (cli_node.data_dir / "spazi.db").read_bytes()
    wal = cli_node.data_dir / "spazi.db-wal"
    if wal.exists():
        db_bytes += wal.read_bytes()
    assert secret.encode() not in db_bytes
    ok = cli_node.client.get("/api/v1/members", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200
    code, out, _ = run(capsys, "--data-dir", str(cli_node.data_dir), "admin", "token", "list")
    assert "ci" in out and "active" in out


def test_admin_user_password_from_environment(cli_node: SpaceNode, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SPAZI_ADMIN_PASSWORD", "correct horse battery")
    code, out, _ = run(
        capsys, "--data-dir", str(cli_node.data_dir), "admin", "create-user", "ada@example.org"
    )
    assert code == 0 and "ada@example.org" in out
    from node.services.admin_auth import check_login

    with cli_node.node.db.read() as session:
        user = check_login(session, "ada@example.org", "correct horse battery")
        assert user.password_hash.startswith("scrypt:")
    monkeypatch.setenv("SPAZI_ADMIN_PASSWORD", "short")
    code, _, err = run(
        capsys, "--data-dir", str(cli_node.data_dir), "admin", "create-user", "bob@example.org"
    )
    assert code == 1 and "at least" in err


def test_settings_lists_every_setting_and_hides_secrets(cli_node: SpaceNode, capsys) -> None:
    from node.settings import SETTINGS

    code, out, _ = run(capsys, "--data-dir", str(cli_node.data_dir), "settings", "--json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    assert set(rows) == {s.name for s in SETTINGS}
    assert rows["secret_key"]["value"] == "(set)"
    assert rows["url"]["value"] == "http://a.test"


def test_data_dir_is_accepted_after_the_command(cli_node: SpaceNode, capsys) -> None:
    code, out, _ = run(capsys, "resource", "list", "--json", "--data-dir", str(cli_node.data_dir))
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, "space", "show", f"--data-dir={cli_node.data_dir}")
    assert code == 0 and json.loads(out)["name"] == "TheCube"


def test_prices_use_each_currencys_decimals(cli_node: SpaceNode, capsys) -> None:
    d = str(cli_node.data_dir)
    code, _, _ = run(
        capsys,
        "--data-dir",
        d,
        "resource",
        "add",
        "--id",
        "kw",
        "--kind",
        "office",
        "--name",
        "Office",
        "--capacity",
        "2",
        "--price-day",
        "12.125",
        "--currency",
        "KWD",
    )
    assert code == 0
    code, _, err = run(
        capsys,
        "--data-dir",
        d,
        "resource",
        "add",
        "--kind",
        "office",
        "--name",
        "O",
        "--capacity",
        "2",
        "--price-day",
        "1.5",
        "--currency",
        "JPY",
    )
    assert code == 2 and "no decimals for JPY" in err
    code, out, _ = run(capsys, "--data-dir", d, "resource", "list")
    assert "12.125 KWD" in out
    office = next(line for line in out.splitlines() if line.startswith("kw "))
    assert office.split() == ["kw", "office", "Office", "2", "12.125", "KWD"]  # no hour price


def test_a_closed_stdout_does_not_claim_nothing_was_changed(tmp_path: Path) -> None:
    data = tmp_path / "cube"
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cli", "init", str(data), "--name", "TheCube",
         "--url", "https://thecube.example"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader (`| head -1`) is gone before anything is written
    err = process.stderr.read()
    code = process.wait(timeout=60)
    assert (data / "spazi.toml").exists() and (data / "node.key").exists()
    assert "nothing was changed" not in err and err.count("\n") <= 1, err
    assert code != 0  # the output was cut short
