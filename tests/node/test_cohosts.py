"""Joint events (protocol.md §cohost.confirm, §Published state; ARCHITECTURE.md §Joint events).

An in-process network: ``a`` publishes an event naming ``b`` as a co-host; ``c`` peers with
``b`` and sees both. The event shows on b's pages, calendar and feed, and as co-hosted by b on
c's network page, only once b confirms, and no longer once b withdraws or a drops b. The
co-host (``b``) runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from federation.entries import build_entry
from federation.keys import NodeKey
from node import published
from node.feedstore import head, store_verified
from node.network.blocking import block
from node.services import cohosts
from node.services.admin_auth import create_user
from node.services.network import event_rows
from node.web.calendar import event_uid
from tests.cli_network import in_network, run_cli
from tests.network import Network, network
from tests.support import FakeClock, SpaceNode

EVENT = "joint-breakfast"
TITLE = "Joint breakfast"


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock, database_url: str | None) -> Iterator[Network]:
    """a ⇄ b ⇄ c; b (the co-host) on the database under test."""
    with network(tmp_path, clock) as net:
        net.add("a", title="Alpha Hub")
        net.add("b", title="Beta Desk", database_url=database_url)
        net.add("c", title="Gamma Loft")
        net.peer("a", "b")
        net.peer("b", "c")
        net.settle()
        yield net


def add_event(net: Network, who: str, cohosts_: list[str], **fields: Any) -> None:
    body = {
        "id": EVENT,
        "title": TITLE,
        "start": "2026-12-10T09:00",
        "end": "2026-12-10T11:00",
        "cohosts": cohosts_,
        **fields,
    }
    answer = net[who].client.post("/api/v1/events", json=body, headers=net[who].auth())
    assert answer.status_code == 201, answer.get_json()


def patch_event(net: Network, who: str, **fields: Any) -> None:
    answer = net[who].client.patch(f"/api/v1/events/{EVENT}", json=fields, headers=net[who].auth())
    assert answer.status_code == 200, answer.get_json()


def text(space: SpaceNode, path: str) -> str:
    response = space.client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def ics_uids(space: SpaceNode) -> set[str]:
    cal = Calendar.from_ical(space.client.get("/events.ics").data)
    return {str(item["uid"]) for item in cal.walk("VEVENT")}


def shows_joint_event(net: Network, who: str) -> dict[str, bool]:
    """Where ``who``'s own surfaces show a's event."""
    uid = event_uid(net["a"].id, EVENT)
    return {
        "home": TITLE in text(net[who], "/"),
        "events": TITLE in text(net[who], "/events"),
        "ics": uid in ics_uids(net[who]),
        "atom": TITLE in text(net[who], "/feed.atom"),
    }


NOWHERE = {"home": False, "events": False, "ics": False, "atom": False}
EVERYWHERE = {"home": True, "events": True, "ics": True, "atom": True}


def cohosted_by_b_on_c(net: Network) -> bool:
    """Whether c's network events page names b as a co-host of a's event."""
    page = text(net["c"], "/network/events")
    line = next(li for li in re.split(r"<li[ >]", page)[1:] if TITLE in li)
    return "with Beta Desk" in line


def confirm(net: Network, who: str = "b") -> None:
    with net[who].node.db.write() as session:
        cohosts.confirm(session, net[who].node, net["a"].id, EVENT)


def test_a_joint_event_shows_on_the_co_hosts_pages_only_while_confirmed(net: Network) -> None:
    add_event(net, "a", [net["b"].id])
    net.settle()
    assert shows_joint_event(net, "b") == NOWHERE
    assert not cohosted_by_b_on_c(net)
    assert "(awaiting confirmation)" in text(net["a"], f"/events/{EVENT}")
    with net["b"].node.db.read() as session:
        (request,) = cohosts.invitations(session, net["b"].node, state=cohosts.PENDING)
    assert (request.origin, request.event_id, request.state) == (net["a"].id, EVENT, "pending")
    assert request.space == "Alpha Hub" and request.page_url == f"http://a.test/events/{EVENT}"

    confirm(net)
    net.settle()
    assert shows_joint_event(net, "b") == EVERYWHERE
    assert cohosted_by_b_on_c(net)
    page = text(net["a"], f"/events/{EVENT}")
    assert "Beta Desk" in page and "(awaiting confirmation)" not in page
    home = text(net["b"], "/")
    assert f'href="http://a.test/events/{EVENT}"' in home and "Hosted with Alpha Hub" in home
    assert "Alpha Hub" in text(net["b"], "/feed.atom")  # the entry names its author
    cal = Calendar.from_ical(net["b"].client.get("/events.ics").data)
    (item,) = [e for e in cal.walk("VEVENT") if str(e["uid"]) == event_uid(net["a"].id, EVENT)]
    assert str(item["url"]) == f"http://a.test/events/{EVENT}"
    assert "Alpha Hub" in str(item["location"])  # it takes place at the author's space
    with net["b"].node.db.read() as session:
        pending = cohosts.invitations(session, net["b"].node, state=cohosts.PENDING)
        assert pending == []  # answered

    with net["b"].node.db.write() as session:
        cohosts.withdraw(session, net["b"].node, "Alpha Hub", EVENT, "Our room is taken.")
    net.settle()
    assert shows_joint_event(net, "b") == NOWHERE
    assert not cohosted_by_b_on_c(net)
    assert "(awaiting confirmation)" in text(net["a"], f"/events/{EVENT}")
    with net["c"].node.db.read() as session:
        word = published.cohosting(session, net["b"].id, net["a"].id, EVENT)
    assert word is not None and word.withdrawn and word.reason == "Our room is taken."


def test_the_author_dropping_the_co_host_ends_it_and_naming_it_again_restores_it(
    net: Network,
) -> None:
    add_event(net, "a", [net["b"].id])
    net.settle()
    confirm(net)
    net.settle()
    assert shows_joint_event(net, "b") == EVERYWHERE
    patch_event(net, "a", cohosts=[])
    net.settle()
    assert shows_joint_event(net, "b") == NOWHERE
    assert not cohosted_by_b_on_c(net)
    with net["b"].node.db.read() as session:
        (item,) = cohosts.invitations(session, net["b"].node, state="confirmed")
    assert not item.named  # our confirmation stands, the event no longer names us
    patch_event(net, "a", cohosts=[net["b"].id])  # b's confirmation still stands
    net.settle()
    assert shows_joint_event(net, "b") == EVERYWHERE
    assert cohosted_by_b_on_c(net)


def test_a_cancelled_joint_event_shows_cancelled_on_the_co_hosts_calendar(net: Network) -> None:
    add_event(net, "a", [net["b"].id])
    net.settle()
    confirm(net)
    answer = net["a"].client.post(
        f"/api/v1/events/{EVENT}/cancel", json={"reason": "Rain"}, headers=net["a"].auth()
    )
    assert answer.status_code == 204
    net.settle()
    cal = Calendar.from_ical(net["b"].client.get("/events.ics").data)
    (item,) = [e for e in cal.walk("VEVENT") if str(e["uid"]) == event_uid(net["a"].id, EVENT)]
    assert str(item["status"]) == "CANCELLED"


def test_declining_is_local_and_declining_a_confirmation_withdraws_it(net: Network) -> None:
    add_event(net, "a", [net["b"].id])
    net.settle()
    b = net["b"]
    before = b.counts()["head"]
    with b.node.db.write() as session:
        assert cohosts.decline(session, b.node, net["a"].id, EVENT) == cohosts.DECLINED
    assert b.counts()["head"] == before  # nothing published
    with b.node.db.read() as session:
        assert cohosts.invitations(session, b.node, state=cohosts.PENDING) == []
        (item,) = cohosts.invitations(session, b.node, state="declined")
    assert item.event_id == EVENT
    confirm(net)  # an admin may change their mind
    net.settle()
    assert shows_joint_event(net, "b") == EVERYWHERE
    with b.node.db.write() as session:
        state = cohosts.decline(session, b.node, net["a"].id, EVENT, "Changed plans")
    assert state == cohosts.WITHDRAWN
    net.settle()
    assert shows_joint_event(net, "b") == NOWHERE
    with b.node.db.read() as session:
        (item,) = cohosts.invitations(session, b.node, state="withdrawn")
    assert item.reason == "Changed plans"


def test_an_unconfirmed_co_host_is_named_nowhere_but_on_the_authors_pages(net: Network) -> None:
    add_event(net, "a", [net["b"].id, net["c"].id])
    net.settle()
    confirm(net, "c")
    net.settle()
    page = text(net["a"], f"/events/{EVENT}")
    row = re.search(r"<dt>With</dt><dd>(.*?)</dd>", page, re.S)
    assert row is not None
    items = re.findall(r"<li>(.*?)</li>", row.group(1), re.S)
    assert [unescape(i) for i in items] == [
        'Beta Desk <span class="muted">(awaiting confirmation)</span>',
        "Gamma Loft",
    ]
    items = re.split(r"<li[ >]", text(net["b"], "/network/events"))[1:]
    line = next(li for li in items if TITLE in li)
    assert "with Gamma Loft" in line and "Beta Desk" not in line
    with net["b"].node.db.read() as session:
        (view,) = [v for v in event_rows(session, net["b"].node) if v["id"] == EVENT]
    assert view["cohosts"] == [net["c"].id]
    assert shows_joint_event(net, "c") == EVERYWHERE and shows_joint_event(net, "b") == NOWHERE


HOSTILE = "<script>alert(1)</script>, \u202eEvil; \\ end"


def test_peer_text_is_escaped_on_the_co_hosts_pages_calendar_feed_and_terminal(
    net: Network, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_event(net, "a", [net["b"].id], title=HOSTILE)
    net.settle()
    in_network(net, monkeypatch)
    code, out, _ = run_cli(capsys, net, "b", "event", "cohost-requests")
    assert code == 0 and "\u202e" not in out and "\\u202eEvil" in out and EVENT in out
    code, out, _ = run_cli(capsys, net, "b", "event", "cohost-requests", "--json")
    assert code == 0 and json.loads(out)[0]["title"] == HOSTILE
    code, out, _ = run_cli(capsys, net, "b", "event", "cohost-confirm", net["a"].id, EVENT)
    assert code == 0, out
    assert "\u202e" not in out and "confirmed: " in out
    net.settle()
    for path in ("/", "/events", "/network/events"):
        page = text(net["b"], path)
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    atom = text(net["b"], "/feed.atom")
    assert "<script>" not in atom and "&lt;script&gt;alert(1)&lt;/script&gt;" in atom
    raw_ics = net["b"].client.get("/events.ics").get_data(as_text=True)
    assert "SUMMARY:<script>alert(1)</script>\\, \u202eEvil\\; \\\\ end" in raw_ics
    with net["b"].node.db.write() as session:
        create_user(session, "boss@beta.example", "correct horse battery staple")
    admin = _login(net["b"])
    page = admin.get("/admin/cohosts").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def _login(space: SpaceNode) -> Any:
    from tests.node.test_admin_pages import login

    assert login(space, "boss@beta.example", "correct horse battery staple").status_code == 302
    return space.client


def test_the_admin_page_confirms_declines_and_withdraws(net: Network) -> None:
    from tests.node.test_admin_pages import csrf_token

    add_event(net, "a", [net["b"].id])
    net.settle()
    b = net["b"]
    with b.node.db.write() as session:
        create_user(session, "boss@beta.example", "correct horse battery staple")
    b.app.config["WTF_CSRF_ENABLED"] = True
    client = _login(b)
    dashboard = client.get("/admin").get_data(as_text=True)
    assert "1 space asks you to co-host" in dashboard and "/admin/cohosts" in dashboard
    page = client.get("/admin/cohosts").get_data(as_text=True)
    assert TITLE in page and "No requests waiting" not in page
    confirm_path = f"/admin/cohosts/{net['a'].id}/{EVENT}/confirm"
    assert confirm_path in page
    before = b.counts()
    assert client.post(confirm_path).status_code == 400  # no CSRF token: refused
    assert b.counts() == before
    token = csrf_token(client, "/admin/cohosts")
    answer = client.post(confirm_path, data={"csrf_token": token}, follow_redirects=True)
    assert answer.status_code == 200
    assert "Confirmed: “Joint breakfast”" in unescape(answer.get_data(as_text=True))
    net.settle()
    assert shows_joint_event(net, "b") == EVERYWHERE
    again = client.post(confirm_path, data={"csrf_token": token})
    assert again.status_code == 409 and "already confirmed" in again.get_data(as_text=True)
    withdraw_path = f"/admin/cohosts/{net['a'].id}/{EVENT}/withdraw"
    answer = client.post(withdraw_path, data={"csrf_token": token}, follow_redirects=True)
    assert "Withdrawn" in answer.get_data(as_text=True)
    net.settle()
    assert shows_joint_event(net, "b") == NOWHERE
    unknown = client.post(
        f"/admin/cohosts/{net['a'].id}/no-such-event/confirm", data={"csrf_token": token}
    )
    assert unknown.status_code == 404


def test_the_api_lists_and_answers_requests(net: Network) -> None:
    add_event(net, "a", [net["b"].id])
    net.settle()
    b = net["b"]
    assert b.client.get("/api/v1/cohosts").status_code == 401
    listed = b.client.get("/api/v1/cohosts", headers=b.auth()).get_json()
    assert [(c["origin"], c["event"], c["state"]) for c in listed["cohosts"]] == [
        (net["a"].id, EVENT, "pending")
    ]
    bad = b.client.get("/api/v1/cohosts?state=maybe", headers=b.auth())
    assert bad.status_code == 422
    before = b.counts()
    for body, status in (
        ({"origin": net["a"].id}, 422),
        ({"origin": net["a"].id, "event": EVENT, "extra": 1}, 422),
        ({"origin": net["a"].id, "event": "nope"}, 404),
        ({"origin": "Nowhere Space", "event": EVENT}, 404),
        ({"origin": net["b"].id, "event": EVENT}, 422),
    ):
        answer = b.client.post("/api/v1/cohosts/confirm", json=body, headers=b.auth())
        assert answer.status_code == status, (body, answer.get_json())
    assert b.client.post("/api/v1/cohosts/withdraw", json={"origin": net["a"].id,
                         "event": EVENT}, headers=b.auth()).status_code == 409  # fmt: skip
    assert b.counts() == before
    answer = b.client.post(
        "/api/v1/cohosts/confirm", json={"origin": "Alpha Hub", "event": EVENT}, headers=b.auth()
    )
    assert answer.status_code == 200 and answer.get_json()["state"] == "confirmed"
    answer = b.client.post(
        "/api/v1/cohosts/decline",
        json={"origin": net["a"].id, "event": EVENT, "reason": "No room"},
        headers=b.auth(),
    )
    assert answer.get_json()["state"] == "withdrawn" and answer.get_json()["reason"] == "No room"
    listed = b.client.get("/api/v1/cohosts?state=all", headers=b.auth()).get_json()["cohosts"]
    assert [c["state"] for c in listed] == ["withdrawn"]


def test_cli_refuses_bad_input_in_one_line_and_changes_nothing(
    net: Network, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_event(net, "a", [net["c"].id])  # names c, not b
    net.settle()
    answer = net["b"].client.post(
        "/api/v1/events",
        json={"id": "ours", "title": "Ours", "start": "2026-12-11T09:00",
              "end": "2026-12-11T10:00"},
        headers=net["b"].auth(),
    )  # fmt: skip
    assert answer.status_code == 201
    in_network(net, monkeypatch)
    before = net["b"].counts()
    a = net["a"].id
    cases = [
        (("cohost-confirm", a, "no-such-event"), "no event 'no-such-event'"),
        (("cohost-confirm", a, EVENT), "does not name this space as a co-host"),
        (("cohost-decline", a, EVENT), "does not name this space as a co-host"),
        (("cohost-confirm", net["b"].id, "ours"), "does not co-host its own events"),
        (("cohost-confirm", "Nowhere Space", EVENT), "no known space is 'Nowhere Space'"),
        (("cohost-decline", a, EVENT, "--reason", "x" * 501), "reason: at most 500"),
        (("cohost-confirm", "did:key:nonsense", EVENT), "no event"),
    ]
    for argv, message in cases:
        code, out, err = run_cli(capsys, net, "b", "event", *argv)
        assert code != 0, argv
        assert out == "" and err.count("\n") == 1 and err.startswith("spazi: error: "), err
        assert message in err, (argv, err)
    assert net["b"].counts() == before
    code, out, _ = run_cli(capsys, net, "b", "event", "cohost-requests")
    assert code == 0 and out == "(none)\n"


def test_a_blocked_origins_confirmations_are_forgotten(space: SpaceNode) -> None:
    """The projector keeps a co-host's word and ``drop`` forgets it with its origin."""
    author, cohost = NodeKey.generate(), NodeKey.generate()
    event = {
        "id": "ev",
        "title": "Together",
        "start": "2027-03-01T09:00",
        "end": "2027-03-01T10:00",
        "timezone": "Europe/Rome",
        "cohosts": [cohost.did],
    }
    ts = space.node.now_ms()
    put = build_entry(author, author.did, 1, None, ts, "event.put", event)
    word = {"origin": author.did, "event": "ev"}
    yes = build_entry(cohost, cohost.did, 1, None, ts, "cohost.confirm", word)
    no = build_entry(cohost, cohost.did, 2, yes.hash, ts + 1, "cohost.withdraw", word)
    with space.node.db.write() as session:
        store_verified(session, author.did, [put], None)
        store_verified(session, cohost.did, [yes], None)
    with space.node.db.read() as session:
        row = published.event(session, author.did, "ev")
        assert row is not None
        assert published.confirmed_cohosts(session, [row]) == {(author.did, "ev"): [cohost.did]}
        assert [e.id for e in published.events_naming(session, cohost.did)] == ["ev"]
    with space.node.db.write() as session:
        store_verified(session, cohost.did, [no], None)
    with space.node.db.read() as session:
        assert published.confirmed_cohosts(session, [row]) == {(author.did, "ev"): []}
        stored = published.cohosting(session, cohost.did, author.did, "ev")
        assert stored is not None and stored.withdrawn and stored.seq == 2
    with space.node.db.write() as session:
        block(session, space.node, cohost.did, "spam")
    with space.node.db.read() as session:
        assert published.cohosting(session, cohost.did, author.did, "ev") is None
        assert head(session, author.did).seq == 1
