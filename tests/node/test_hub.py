"""``spazi hub``: several spaces behind one WSGI app, routed by the host of each space's url;
``hub.toml`` changed only by good input; one worker running every hosted space's jobs."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.test import Client, TestResponse

from node.bootstrap import init_node
from node.cli import main
from node.hub import dispatch, spaces
from node.hub.dispatch import HubApp
from node.hub.worker import start_background
from node.models import OutboxMessage
from node.runtime import open_node
from node.services.admin_auth import create_user
from node.services.space import update_profile
from tests.network import Network
from tests.support import FakeClock

EMAIL, PASSWORD = "admin@example.org", "the same passphrase at both"
NAMES = {"cube.hub.test": "Cube", "loft.hub.test": "Loft", "dock.hub.test": "Dock"}


def make_hub(base: Path, names: dict[str, str] = NAMES) -> tuple[Path, dict[str, str]]:
    """A hub with a space per host (made as ``spazi hub add --init`` does); host → node id."""
    hub_dir = base / "hub"
    spaces.init_hub(hub_dir)
    ids = {}
    for host, name in names.items():
        data_dir = hub_dir / "spaces" / host
        ids[host] = init_node(data_dir, name, f"https://{host}", timezone="Europe/Rome")
        spaces.add_space(hub_dir, data_dir)
    return hub_dir, ids


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[HubApp, dict[str, str]]]:
    hub_dir, ids = make_hub(tmp_path)
    app = HubApp(hub_dir)
    yield app, ids
    app.close()


def get(client: Client, host: str, path: str, **kwargs: object) -> TestResponse:
    return client.get(path, base_url=f"https://{host}", **kwargs)  # type: ignore[arg-type]


def test_each_host_is_served_by_its_own_space(hub: tuple[HubApp, dict[str, str]]) -> None:
    app, ids = hub
    client = Client(app)
    for host, name in NAMES.items():
        profile = get(client, host, "/api/v1/space").json
        assert profile is not None
        assert (profile["name"], profile["node_id"]) == (name, ids[host])
        heads = get(client, host, "/federation/v1/heads").json
        assert heads is not None and list(heads["heads"]) == [ids[host]]
        page = get(client, host, "/").get_data(as_text=True)
        assert name in page and not any(n in page for n in NAMES.values() if n != name)
        descriptor = get(client, host, "/.well-known/spazi").json
        assert descriptor is not None and descriptor["id"] == ids[host]
        assert f"https://{host}" in str(descriptor)
    # The host as browsers and proxies may write it: upper case, a port, a final dot.
    assert get(client, "LOFT.Hub.Test:443", "/api/v1/space").json["name"] == "Loft"  # type: ignore[index]
    assert app.loaded() == sorted(NAMES)


def test_an_unknown_host_is_a_problem_naming_no_hosted_space(
    hub: tuple[HubApp, dict[str, str]],
) -> None:
    app, ids = hub
    client = Client(app)
    for host in ("other.test", "hub.test", "cube.hub.test.evil.test", "127.0.0.1:8080", ""):
        response = client.get("/api/v1/space", headers={"Host": host})
        assert response.status_code == 404, host
        assert response.content_type == "application/problem+json"
        doc = response.json
        assert doc is not None and doc["type"] == "urn:spazi:problem:not-found"
        text = response.get_data(as_text=True)
        assert not any(h in text or n in text for h, n in NAMES.items())
        assert not any(i in text for i in ids.values())
    assert app.loaded() == []  # no space's app was even made


def test_a_session_cookie_of_one_space_logs_in_at_no_other(
    hub: tuple[HubApp, dict[str, str]],
) -> None:
    app, _ = hub
    for host in ("cube.hub.test", "loft.hub.test"):
        node = open_node(str(app.spaces[host].data_dir), environ={})
        with node.db.write() as session:  # the same admin e-mail and password at both
            create_user(session, EMAIL, PASSWORD)
        node.close()
    cube = Client(app)
    form = get(cube, "cube.hub.test", "/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    done = cube.post(
        "/admin/login",
        base_url="https://cube.hub.test",
        headers={"Referer": "https://cube.hub.test/admin/login"},
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert done.status_code == 302
    assert get(cube, "cube.hub.test", "/admin").status_code == 200
    cookie = cube.get_cookie("session", domain="cube.hub.test")
    assert cookie is not None

    # The cookie is host-only; a copy sent to the other host anyway does not log in there.
    thief = Client(app)
    thief.set_cookie("session", cookie.value, domain="loft.hub.test")
    assert get(thief, "loft.hub.test", "/admin").status_code == 302
    # Nor does cube's CSRF token pass loft's check with that cookie.
    posted = thief.post(
        "/admin/login",
        base_url="https://loft.hub.test",
        headers={"Referer": "https://loft.hub.test/admin/login"},
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert posted.status_code == 400
    assert get(thief, "loft.hub.test", "/admin").status_code == 302


def test_a_hosted_space_shows_no_process_wide_counters(hub: tuple[HubApp, dict[str, str]]) -> None:
    app, ids = hub
    client = Client(app)
    get(client, "cube.hub.test", "/api/v1/space")
    text = get(client, "loft.hub.test", "/metrics").get_data(as_text=True)
    assert "spazi_origin_entries" in text and ids["loft.hub.test"] in text
    assert "spazi_http_requests" not in text and ids["cube.hub.test"] not in text


def test_added_and_removed_spaces_take_effect_without_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "REFRESH_S", 0.0)
    hub_dir, _ = make_hub(tmp_path, {"cube.hub.test": "Cube"})
    app = HubApp(hub_dir)
    client = Client(app)
    try:
        assert get(client, "yard.hub.test", "/api/v1/space").status_code == 404
        init_node(tmp_path / "yard", "Yard", "https://yard.hub.test")
        assert main(["hub", "add", "--hub", str(hub_dir), str(tmp_path / "yard")]) == 0
        assert get(client, "yard.hub.test", "/api/v1/space").json["name"] == "Yard"  # type: ignore[index]
        assert main(["hub", "remove", "--hub", str(hub_dir), "cube.hub.test"]) == 0
        assert get(client, "cube.hub.test", "/api/v1/space").status_code == 404
        assert (hub_dir / "spaces" / "cube.hub.test" / "spazi.toml").exists()  # data kept
    finally:
        app.close()


# -- the command line ---------------------------------------------------------------------------


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_hub_init_add_list_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub_dir = str(tmp_path / "hub")
    assert run(["hub", "init", hub_dir], capsys)[0] == 0
    code, out, _ = run(
        ["hub", "add", "--hub", hub_dir, "--init", "The Cube", "--url", "https://Cube.Hub.Test/",
         "--timezone", "Europe/Rome", "--city", "Bologna"],
        capsys,
    )  # fmt: skip
    assert code == 0 and "Hosting cube.hub.test" in out
    init_node(tmp_path / "loft", "Loft", "https://loft.hub.test")
    assert run(["hub", "add", "--hub", hub_dir, str(tmp_path / "loft")], capsys)[0] == 0

    code, out, _ = run(["hub", "list", "--hub", hub_dir], capsys)
    assert code == 0
    rows = out.splitlines()[1:]
    assert [row.split()[0] for row in rows] == ["cube.hub.test", "loft.hub.test"]
    assert "The Cube" in rows[0] and "did:key:" in rows[0]
    assert str(tmp_path / "loft") in rows[1]

    code, out, _ = run(["hub", "remove", "--hub", hub_dir, "CUBE.hub.test"], capsys)
    assert code == 0 and str(tmp_path / "hub" / "spaces" / "cube.hub.test") in out
    assert (tmp_path / "hub" / "spaces" / "cube.hub.test" / "node.key").exists()
    code, out, _ = run(["hub", "list", "--hub", hub_dir], capsys)
    assert "cube.hub.test" not in out and "loft.hub.test" in out


def _state(base: Path) -> dict[str, bytes]:
    """Every file under ``base`` and its bytes (databases left out: SQLite touches them)."""
    return {
        str(p.relative_to(base)): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and ".db" not in p.name and p.name != ".hub.lock"
    }


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["add", "{tmp}"], "is not a node's data dir"),
        (["add", "{tmp}/missing"], "is not a directory"),
        (["add", "{tmp}/twin"], "host cube.hub.test is already served by"),
        (["add", "{hub}/spaces/cube.hub.test"], "is hosted already"),
        (["add", "--init", "Dup", "--url", "https://CUBE.hub.test:8443"], "already served by"),
        (["add", "--init", "Bad", "--url", "ftp://x.hub.test"], "not an http(s) URL"),
        (["add", "--init", "Bad", "--url", "https://x.hub.test", "--timezone", "Mars/Base"],
         "timezone"),
        (["add", "--init", "NoUrl"], "--init needs --url"),
        (["add"], "give the space's data dir"),
        (["add", "{tmp}/twin", "--postgres", "postgresql://h/db"], "--postgres is for --init"),
        (["add", "--init", "Pg", "--url", "https://pg.hub.test", "--postgres", "sqlite:///x.db"],
         "needs a PostgreSQL URL"),
        (["remove", "nowhere.hub.test"], "no space is hosted at nowhere.hub.test"),
        (["list", "--hub", "{tmp}/nohub"], "is not a hub"),
        (["init", "{hub}"], "already holds a hub"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    hub_dir, _ = make_hub(tmp_path, {"cube.hub.test": "Cube"})
    init_node(tmp_path / "twin", "Twin", "https://cube.hub.test")
    capsys.readouterr()
    before = _state(tmp_path)
    words = [a.format(tmp=tmp_path, hub=hub_dir) for a in argv]
    if argv[0] != "init" and "--hub" not in argv:
        words[1:1] = ["--hub", str(hub_dir)]
    code, out, err = run(["hub", *words], capsys)
    assert code != 0
    assert err.startswith("spazi: error: ") and says in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert out == ""
    assert _state(tmp_path) == before
    assert spaces.read_entries(hub_dir) == ["spaces/cube.hub.test"]


def test_a_hand_edited_hub_toml_naming_one_host_twice_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_dir, _ = make_hub(tmp_path, {"cube.hub.test": "Cube"})
    init_node(tmp_path / "twin", "Twin", "https://cube.hub.test")
    (hub_dir / "hub.toml").write_text(f'spaces = ["spaces/cube.hub.test", "{tmp_path}/twin"]\n')
    code, _, err = run(["hub", "list", "--hub", str(hub_dir)], capsys)
    assert code == 1 and "both have host cube.hub.test" in err
    with pytest.raises(spaces.HubError, match="both have host"):
        HubApp(hub_dir)


# -- the worker ---------------------------------------------------------------------------------


def _waiting(data_dir: Path) -> int:
    node = open_node(str(data_dir), environ={})
    try:
        with node.db.read() as session:
            query = select(func.count()).where(OutboxMessage.done.is_(False))
            return int(session.scalar(query.select_from(OutboxMessage)) or 0)
    finally:
        node.close()


def test_one_worker_runs_the_jobs_of_every_hosted_space(tmp_path: Path) -> None:
    clock = FakeClock(time.time())  # the scheduler ticks on real time
    net = Network(tmp_path / "net", clock)
    try:
        for name in "abc":
            net.add(name)
        net.peer("a", "b")
        net.peer("a", "c")
        net.settle()
        hub_dir = tmp_path / "hub"
        spaces.init_hub(hub_dir)
        for name in "bc":
            spaces.add_space(hub_dir, net[name].data_dir)
            with net[name].node.db.write() as session:  # a push hint for a, in b's outbox
                update_profile(session, net[name].node, {"description": f"news from {name}"})
        assert _waiting(net["b"].data_dir) and _waiting(net["c"].data_dir)
        heads_before = dict(net["a"].client.get("/federation/v1/heads").json["heads"])  # type: ignore[index]

        def route(node: object) -> None:
            node.local_routes = net.adapters  # type: ignore[attr-defined]
            node.clock = clock  # type: ignore[attr-defined]

        worker, scheduler = start_background(hub_dir, route)
        try:
            ids = sorted(job.id for job in scheduler.get_jobs())
            per_space = {i.split("/")[1] for i in ids}
            assert ids == sorted(f"{h}/{j}" for h in ("b.test", "c.test") for j in per_space)
            deadline = time.monotonic() + 30
            while _waiting(net["b"].data_dir) or _waiting(net["c"].data_dir):
                assert time.monotonic() < deadline, "the hub worker did not drain the outboxes"
                time.sleep(0.2)
        finally:
            scheduler.shutdown(wait=True)
            worker.close()
        # The hints reached a, which pulled both spaces' new entries on its own sync.
        net.sync_round(force=True)
        heads = net["a"].client.get("/federation/v1/heads").json["heads"]  # type: ignore[index]
        for name in "bc":
            origin = net[name].node.node_id
            assert heads[origin]["seq"] == heads_before[origin]["seq"] + 1
    finally:
        net.close()
