"""Twinning from the ``spazi`` command and the JSON API: the same steps as the pages, with
one-line errors and exit codes on the CLI and problem+json over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_network import in_network, run_cli
from tests.network import Network, network
from tests.node.twin_support import add_member
from tests.support import FakeClock


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.peer("a", "b")
        net.settle()
        in_network(net, monkeypatch)
        yield net


def test_the_whole_loop_from_the_terminal(
    net: Network, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_cli(
        capsys,
        net,
        "a",
        *("agreement", "propose", "The Cube", "--guest-days-per-member", "2"),
        *("--guest-days-total", "10", "--resources", "hot_desk,meeting_room"),
        *("--from", "2026-11-01", "--until", "2027-11-01", "--they-give-per-member", "1"),
    )
    assert code == 0, err
    assert "we give: 2/member, 10 total a month (hot desk, meeting room)" in out
    assert "they give: 1/member, 10 total a month (hot desk, meeting room)" in out
    agreement = re.search(r"proposed agreement ([0-9a-f]{12})", out).group(1)  # type: ignore[union-attr]
    net.deliver()
    code, out, _ = run_cli(capsys, net, "b", "agreement", "list")
    assert code == 0 and "awaiting our answer" in out and "WeCreate NYC" in out
    code, out, err = run_cli(capsys, net, "b", "agreement", "accept", agreement)
    assert code == 0, err
    net.settle()
    code, out, _ = run_cli(capsys, net, "a", "agreement", "show", agreement)
    assert "state: active" in out
    ada = add_member(net, "a")
    qr = tmp_path / "pass.svg"
    code, out, err = run_cli(
        capsys,
        net,
        "a",
        "pass",
        "issue",
        "--member",
        str(ada),
        "--partner",
        "The Cube",
        "--qr",
        str(qr),
    )
    assert code == 0, err
    token = next(line for line in out.splitlines() if line.count(".") == 2 and len(line) > 300)
    assert qr.read_text().startswith("<?xml") and "<svg" in qr.read_text()
    code, out, _ = run_cli(capsys, net, "b", "checkin", token, "--resource", "hot_desk")
    assert code == 0
    assert "ADMITTED: Ada Lovelace" in out and "home space: WeCreate NYC" in out
    assert "day 1 of 1 this month" in out
    net.clock.advance(86400)
    code, out, _ = run_cli(
        capsys, net, "a", "pass", "issue", "--member", str(ada), "--partner", "The Cube"
    )
    second = next(line for line in out.splitlines() if line.count(".") == 2 and len(line) > 300)
    code, out, _ = run_cli(capsys, net, "b", "checkin", second)
    assert code == 1 and "REFUSED: This member has used all their guest days" in out
    code, out, _ = run_cli(capsys, net, "a", "pass", "list", "--json")
    jtis = re.findall(r'"jti": "([^"]+)"', out)
    assert len(jtis) == 1  # the first one expired
    code, out, _ = run_cli(capsys, net, "a", "pass", "list")
    assert code == 0 and "The Cube" in out and "did:key" not in out, out  # the partner's name
    code, out, err = run_cli(capsys, net, "a", "pass", "revoke", jtis[0])
    assert code == 0, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("agreement", "accept", "abcdef"), "no agreement abcdef"),
        (
            (
                "agreement",
                "propose",
                "Nowhere",
                "--guest-days-per-member",
                "1",
                "--guest-days-total",
                "1",
                "--from",
                "2026-12-01",
                "--until",
                "2027-01-01",
            ),
            "Nowhere",
        ),
        (("pass", "issue", "--member", "99", "--partner", "The Cube"), "no member 99"),
        (
            ("pass", "issue", "--member", "1", "--partner", "The Cube", "--qr", "x.gif"),
            ".svg or .png",
        ),
        (("pass", "revoke", "nope"), "no pass"),
    ],
)
def test_errors_are_one_line(
    net: Network, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, _out, err = run_cli(capsys, net, "a", *argv)
    assert code != 0 and message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_checkin_of_garbage_exits_1_with_the_reason(
    net: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, net, "b", "checkin", "\x1b]52;c;aGk=\x07not-a-pass")
    assert code == 1 and "This is not a readable Spazi guest pass." in out
    assert "\x1b" not in out


def test_the_api_runs_the_same_loop(net: Network) -> None:
    a, b = net["a"], net["b"]
    proposed = a.client.post(
        "/api/v1/agreements",
        json={
            "partner": b.id,
            "we_give": {"days_per_member_month": 2, "days_total_month": 10},
            "valid_from": "2026-11-01",
            "valid_until": "2027-11-01",
        },
        headers=a.auth(),
    )
    assert proposed.status_code == 201, proposed.get_json()
    agreement = proposed.get_json()["id"]
    assert (
        a.client.get(proposed.headers["Location"], headers=a.auth()).get_json()["state"]
        == "proposed"
    )
    net.deliver()
    listed = b.client.get("/api/v1/agreements", headers=b.auth()).get_json()["agreements"]
    assert [x["state"] for x in listed] == ["awaiting"]
    assert (
        b.client.post(f"/api/v1/agreements/{agreement}/accept", headers=b.auth()).status_code == 200
    )
    net.settle()
    ada = add_member(net, "a")
    issued = a.client.post(
        "/api/v1/passes", json={"member_id": ada, "partner": "The Cube"}, headers=a.auth()
    )
    assert issued.status_code == 201
    checked = b.client.post(
        "/api/v1/checkins", json={"token": issued.get_json()["token"]}, headers=b.auth()
    ).get_json()
    assert checked["admitted"] is True and checked["member_days_used"] == 1
    today = b.client.get("/api/v1/checkins", headers=b.auth()).get_json()["checkins"]
    assert [c["name"] for c in today] == ["Ada Lovelace"]
    revoked = a.client.post(f"/api/v1/passes/{issued.get_json()['jti']}/revoke", headers=a.auth())
    assert revoked.status_code == 204
    spec = a.client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/agreements", "/api/v1/passes", "/api/v1/checkins"} <= set(spec["paths"])


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        (
            "/api/v1/agreements",
            {
                "partner": "x",
                "we_give": {"days_per_member_month": 0, "days_total_month": 1},
                "valid_from": "2026-12-01",
                "valid_until": "2027-01-01",
            },
            422,
            "we_give",
        ),
        ("/api/v1/agreements", {"partner": "x", "valid_from": "2026-12-01"}, 422, "we_give"),
        ("/api/v1/passes", {"member_id": "1", "partner": "x"}, 422, "member_id"),
        ("/api/v1/checkins", {"token": "x", "resource": "sauna"}, 422, "resource"),
    ],
)
def test_the_api_refuses_bad_input_with_problem_json(
    net: Network, path: str, body: dict, status: int, field: str
) -> None:
    response = net["a"].client.post(path, json=body, headers=net["a"].auth())
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_the_api_needs_the_admin_token(net: Network) -> None:
    for method, path in (
        ("get", "/api/v1/agreements"),
        ("post", "/api/v1/checkins"),
        ("get", "/api/v1/passes"),
    ):
        assert getattr(net["a"].client, method)(path, json={}).status_code == 401
