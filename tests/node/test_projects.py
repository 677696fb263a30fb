"""Calls for collaboration between in-process spaces (ARCHITECTURE.md §Calls for collaboration):
a call posted at one space is listed across the network, answered by a member of a space that
is not its peer (the answer goes through the member's home node and the durable outbox), read
and replied to on the admin page, and the reply is mailed to the member by their own space.
Bad input is refused with its reason and changes nothing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from node.errors import NodeError
from node.models import OutboxMessage
from node.network.outbox import drain
from node.projects import answers, service
from node.projects.models import ReceivedAnswer, ReceivedReply, SentAnswer
from node.twinning.member_links import member_link
from tests.cli_network import in_network, run_cli
from tests.mail_server import Inbox, smtp_settings
from tests.network import Network, network, signed_inbox_post
from tests.node.test_admin_pages import EMAIL, csrf_token, logged_in_admin
from tests.node.twin_support import add_member
from tests.support import FakeClock

ATOM = "{http://www.w3.org/2005/Atom}"
MARKUP = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture
def net(
    tmp_path: Path, clock: FakeClock, smtp: tuple[Inbox, int], database_url: str | None
) -> Iterator[Network]:
    """Warehouse (w, Fano; on each database backend) — Hub (h) — Combo (c, Firenze): w and c
    are not peers, and learn each other's feeds and addresses through h."""
    _, port = smtp
    with network(tmp_path, clock, **smtp_settings(port)) as net:
        net.add(
            "w", database_url=database_url, title="Warehouse", city="Fano", timezone="Europe/Rome"
        )
        net.add("h", title="Hub")
        net.add("c", title="Combo", city="Firenze", timezone="Europe/Rome")
        net.peer("w", "h")
        net.peer("h", "c")
        net.settle()
        yield net


def post_call(net: Network, name: str = "w", **fields: Any) -> dict[str, Any]:
    data = {
        "id": "grafica",
        "title": "Graphic designer for a festival",
        "description": "Posters and a programme.\nPaid.",
        "skills": ["Graphic design", "print"],
        "city": "Fano",
        "remote": True,
        "deadline": "2026-12-15",
        **fields,
    }
    node = net[name].node
    with node.db.write() as session:
        return service.add_project(session, node, data)


def member_secret(net: Network, name: str, member_id: int) -> str:
    node = net[name].node
    with node.db.write() as session:
        return member_link(session, node, member_id).rsplit("/", 1)[1]


def answer_from_page(net: Network, secret: str, origin: str, call: str, text: str) -> Any:
    return net["c"].client.post(f"/m/{secret}/projects/{origin}/{call}", data={"message": text})


def _received(net: Network, name: str = "w") -> list[tuple[str, str, str]]:
    with net[name].node.db.read() as session:
        rows = session.scalars(select(ReceivedAnswer).order_by(ReceivedAnswer.id))
        return [(r.project_id, r.name, r.message) for r in rows]


def test_a_call_is_answered_from_a_space_that_is_not_a_peer_and_the_reply_is_mailed(
    net: Network, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    w, c = net["w"], net["c"]
    logged_in_admin(w)  # an admin of Warehouse, told of new answers by mail
    post_call(net)
    net.settle()
    listed = c.client.get("/network/projects?skill=graphic+design")
    assert listed.status_code == 200
    assert "Graphic designer for a festival" in listed.get_data(as_text=True)

    ada = add_member(net, "c", "Ada Lovelace", "ada@combo.test")
    secret = member_secret(net, "c", ada)
    page = c.client.get(f"/m/{secret}/projects")
    assert page.status_code == 200 and "Graphic designer for a festival" in page.get_data(True)
    assert page.headers["Cache-Control"] == "private, no-store"
    sent = answer_from_page(net, secret, w.id, "grafica", "I design posters.\nPortfolio soon.")
    assert sent.status_code == 302
    with c.node.db.read() as session:
        queued = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "project.answer")
        ).all()
    assert [(q.peer_id, q.url) for q in queued] == [(w.id, "http://w.test")]
    assert "ada@combo.test" not in str(queued[0].message)  # the address stays at home
    net.deliver()
    assert _received(net) == [("grafica", "Ada Lovelace", "I design posters.\nPortfolio soon.")]
    (notice,) = inbox.wait_for(1)
    assert notice["To"] == EMAIL and "Ada Lovelace (Combo)" in str(notice["Subject"])

    admin_page = w.client.get("/admin/projects")
    html = admin_page.get_data(as_text=True)
    assert "Ada Lovelace" in html and "of Combo" in html and "I design posters." in html
    with w.node.db.read() as session:
        (received,) = answers.answers(session, "grafica")
    token = csrf_token(w.client, "/admin/projects")
    replied = w.client.post(
        f"/admin/projects/answers/{received.id}/reply",
        data={"message": "Come by on Thursday?", "csrf_token": token},
    )
    assert replied.status_code == 302
    net.deliver()
    mails = inbox.wait_for(2)
    reply = mails[1]
    assert reply["To"] == "ada@combo.test" and "Warehouse replied" in str(reply["Subject"])
    text = str(reply.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "Come by on Thursday?" in text and "I design posters." in text
    shown = c.client.get(f"/m/{secret}/projects").get_data(as_text=True)
    assert "Reply: Come by on Thursday?" in shown
    # A reply delivered twice is kept and mailed once.
    with w.node.db.read() as session:
        (message,) = [
            m.message
            for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "project.reply")
            )
        ]
    with c.node.db.write() as session:
        again = answers.receive_reply(session, c.node, w.id, dict(message))
    assert again == {"state": "known"}
    with c.node.db.read() as session:
        assert len(session.scalars(select(ReceivedReply)).all()) == 1


def test_an_answer_waits_in_the_outbox_while_the_posting_space_cannot_take_it(
    net: Network,
) -> None:
    post_call(net)
    net.settle()
    ada = add_member(net, "c")
    secret = member_secret(net, "c", ada)
    routes = net["c"].node.local_routes  # shared by the nodes of the network: replaced
    net["c"].node.local_routes = {u: a for u, a in routes.items() if u != "http://w.test"}
    try:
        assert answer_from_page(net, secret, net["w"].id, "grafica", "Hello").status_code == 302
        report = drain(net["c"].node)
        assert report.sent == 0 and report.failed == 1
    finally:
        net["c"].node.local_routes = routes
    page = net["c"].client.get(f"/m/{secret}/projects").get_data(as_text=True)
    assert "on its way: Warehouse has not been reached yet" in page
    net.clock.advance(3600)
    net.deliver()
    assert [r[2] for r in _received(net)] == ["Hello"]
    page = net["c"].client.get(f"/m/{secret}/projects").get_data(as_text=True)
    assert "delivered" in page and "not been reached" not in page


def test_a_call_with_a_past_deadline_is_refused_and_nothing_is_published(net: Network) -> None:
    w = net["w"]
    before = w.counts()
    with pytest.raises(NodeError) as refused:
        post_call(net, deadline="2026-11-17")  # the day before the test clock's today
    assert refused.value.reason == "deadline-passed" and "has passed" in refused.value.detail
    assert w.counts() == before
    # The same through the API and the admin form: a clear refusal, nothing stored.
    response = w.client.post(
        "/api/v1/projects",
        json={"title": "Late", "deadline": "2020-01-01"},
        headers=w.auth(),
    )
    assert response.status_code == 422
    assert response.get_json()["type"] == "urn:spazi:problem:deadline-passed"
    logged_in_admin(w)
    before = w.counts()
    form = w.client.post(
        "/admin/projects",
        data={"title": "Late", "deadline": "2020-01-01",
              "csrf_token": csrf_token(w.client, "/admin/projects")},
    )  # fmt: skip
    assert form.status_code == 422 and "has passed" in form.get_data(as_text=True)
    assert w.counts() == before


def test_markup_in_a_title_is_text_on_every_page_and_in_the_feed(net: Network) -> None:
    post_call(net, title=MARKUP, description=MARKUP, skills=[MARKUP[:50]])
    net.settle()
    for path in ("/network/projects", f"/network/projects/{net['w'].id}/grafica"):
        html = net["c"].client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<b>bold</b>" not in html, path
        assert "&lt;script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html, path
    feed = net["c"].client.get("/network/projects.atom")
    assert feed.status_code == 200
    root = ET.fromstring(feed.data)
    (entry,) = root.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == MARKUP  # text, escaped by the serializer
    assert b"<script>" not in feed.data


def _answer_message(net: Network, sender: str, **members: Any) -> dict[str, Any]:
    return {
        "type": "project.answer",
        "from": net[sender].id,
        "to": net["w"].id,
        "project": "grafica",
        "answer": "1",
        "home": net[sender].id,
        "member": "m-1",
        "name": "Mallory",
        "message": "Let me in",
        **members,
    }


@pytest.mark.parametrize(
    ("sender", "change", "status", "reason"),
    [
        # Signed by Hub, claiming to come from Combo: not signed by the member's home node.
        ("h", {"from": "c"}, 403, "sender-mismatch"),
        # Hub speaks for a member of Combo.
        ("h", {"home": "c"}, 403, "not-members-home"),
        ("c", {"project": "nothing-here"}, 404, "unknown-project"),
        ("c", {"name": "<b>x</b>\u001b[2J"}, 422, "bad-message"),
    ],
)
def test_forged_or_bad_answers_are_refused_and_change_nothing(
    net: Network, sender: str, change: dict[str, str], status: int, reason: str
) -> None:
    post_call(net)
    net.settle()
    message = _answer_message(net, sender)
    for key, value in change.items():
        message[key] = net[value].id if value in net.nodes else value
    before = net["w"].counts()
    response = signed_inbox_post(net, sender, "w", message)
    assert response.status_code == status
    assert response.get_json()["type"] == f"urn:spazi:problem:{reason}"
    after = net["w"].counts()
    after.pop("seen_signatures"), before.pop("seen_signatures")
    assert after == before


def test_an_answer_to_a_closed_call_is_refused_at_both_ends(net: Network) -> None:
    w, c = net["w"], net["c"]
    post_call(net)
    net.settle()
    ada = add_member(net, "c")
    secret = member_secret(net, "c", ada)
    with w.node.db.write() as session:
        service.close_project(session, w.node, "grafica", {"reason": "Found someone"})
    net.settle()
    # The member's page no longer offers it, and posting anyway is refused at home.
    assert "Graphic designer" not in c.client.get(f"/m/{secret}/projects").get_data(True)
    before = c.counts()
    refused = answer_from_page(net, secret, w.id, "grafica", "Too late?")
    assert refused.status_code == 409 and "closed" in refused.get_data(as_text=True)
    assert c.counts() == before
    # A message sent before the close arrived (or by a node that did not sync it) is refused.
    before = w.counts()
    response = signed_inbox_post(net, "c", "w", _answer_message(net, "c"))
    assert response.status_code == 409
    assert response.get_json()["type"] == "urn:spazi:problem:project-closed"
    after = w.counts()
    after.pop("seen_signatures"), before.pop("seen_signatures")
    assert after == before
    # The closed call still has its page, marked closed; the admin cannot close it twice.
    page = c.client.get(f"/network/projects/{w.id}/grafica").get_data(as_text=True)
    assert "Closed" in page and "Found someone" in page
    with pytest.raises(NodeError) as again, w.node.db.write() as session:
        service.close_project(session, w.node, "grafica")
    assert again.value.reason == "project-closed"


def test_an_answer_after_the_deadline_is_refused(net: Network, clock: FakeClock) -> None:
    post_call(net, deadline="2026-11-19")
    net.settle()
    ada = add_member(net, "c")
    secret = member_secret(net, "c", ada)
    clock.advance(3 * 86400)  # past the 19th in Rome
    before = net["c"].counts()
    refused = answer_from_page(net, secret, net["w"].id, "grafica", "Hello")
    assert refused.status_code == 409
    assert net["c"].counts() == before
    assert "Graphic designer" not in net["c"].client.get("/network/projects").get_data(True)


def test_a_reply_must_answer_an_answer_sent_to_that_space(net: Network) -> None:
    post_call(net)
    net.settle()
    ada = add_member(net, "c")
    secret = member_secret(net, "c", ada)
    answer_from_page(net, secret, net["w"].id, "grafica", "Hello")
    with net["c"].node.db.read() as session:
        (sent,) = session.scalars(select(SentAnswer)).all()
    reply = {
        "type": "project.reply",
        "to": net["c"].id,
        "project": "grafica",
        "answer": str(sent.id),
        "reply": "1",
        "message": "Hi",
    }
    before = net["c"].counts()
    # Hub never got that answer: it cannot reply to it.
    response = signed_inbox_post(net, "h", "c", {**reply, "from": net["h"].id})
    assert response.get_json()["type"] == "urn:spazi:problem:unknown-answer"
    response = signed_inbox_post(net, "w", "c", {**reply, "from": net["w"].id, "answer": "99999"})
    assert response.get_json()["type"] == "urn:spazi:problem:unknown-answer"
    after = net["c"].counts()
    after.pop("seen_signatures"), before.pop("seen_signatures")
    assert after == before


def _titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', html)]


def test_filters_by_skill_city_and_deadline_survive_pagination(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    from node import paging

    monkeypatch.setattr(paging, "PAGE_SIZE", 3)
    for number in range(8):
        post_call(
            net,
            id=f"call-{number}",
            title=f"Call {number}",
            skills=["print"] if number % 2 == 0 else ["code"],
            city="Fano",
            deadline=f"2026-12-{10 + number:02d}",
        )
    post_call(net, "c", id="elsewhere", title="Call in Firenze", skills=["print"], city="Firenze")
    net.settle()
    client = net["w"].client
    seen: list[str] = []
    path = "/network/projects?skill=PRINT&city=fano&until=2026-12-16"
    while path:
        html = client.get(path).get_data(as_text=True)
        seen += _titles(html)
        found = re.search(r'<a rel="next" href="([^"]+)"', html)
        path = unescape(found.group(1)) if found else ""
        if path:
            assert "skill=PRINT" in path and "city=fano" in path and "until=2026-12-16" in path
    assert seen == ["Call 0", "Call 2", "Call 4", "Call 6"]
    # A cursor that is not one is refused, listing nothing.
    bad = client.get("/network/projects?after=bm9wZQ")
    assert bad.status_code == 400 and not _titles(bad.get_data(as_text=True))
    assert client.get("/network/projects?until=someday").status_code == 400
    # The feed takes the same filters.
    feed = ET.fromstring(client.get("/network/projects.atom?skill=code").data)
    titles = sorted(str(e.findtext(f"{ATOM}title")) for e in feed.findall(f"{ATOM}entry"))
    assert titles == ["Call 1", "Call 3", "Call 5", "Call 7"]
    api = client.get("/api/v1/projects?city=Firenze").get_json()
    assert [p["id"] for p in api["projects"]] == ["elsewhere"]


def test_the_admin_changes_a_call_and_a_bad_change_keeps_the_old_one(net: Network) -> None:
    w = net["w"]
    post_call(net)
    logged_in_admin(w)
    form = w.client.get("/admin/projects/grafica/edit").get_data(as_text=True)
    assert 'value="Graphic design, print"' in form and 'value="2026-12-15"' in form
    before = w.counts()
    token = csrf_token(w.client, "/admin/projects/grafica/edit")
    refused = w.client.post(
        "/admin/projects/grafica/edit",
        data={"title": "Changed", "deadline": "2026-01-01", "csrf_token": token},
    )
    assert refused.status_code == 422 and "has passed" in refused.get_data(as_text=True)
    assert w.counts() == before
    saved = w.client.post(
        "/admin/projects/grafica/edit",
        data={"title": "Printer wanted", "deadline": "2026-12-31", "skills": "print",
              "csrf_token": token},
    )  # fmt: skip
    assert saved.status_code == 302
    with w.node.db.read() as session:
        row = service.get_project(session, w.id, "grafica")
    # Emptied fields are cleared; the unticked box means on-site only.
    assert row.body == {
        "id": "grafica",
        "title": "Printer wanted",
        "deadline": "2026-12-31",
        "skills": ["print"],
        "remote": False,
    }


def test_spazi_project_answers_shows_times_in_minutes_with_utc_named(
    net: Network, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_network(net, monkeypatch)
    w = net["w"]
    post_call(net)
    net.settle()
    with w.node.db.write() as session:
        answers.receive_answer(session, w.node, net["c"].id, _answer_message(net, "c"))
    code, out, err = run_cli(capsys, net, "w", "project", "answers", "grafica")
    assert code == 0, err
    (heading,) = [line for line in out.splitlines() if line.startswith("answer ")]
    assert re.search(r", \d{4}-\d\d-\d\d \d\d:\d\d UTC$", heading), heading


def test_a_kept_answer_delivered_again_after_the_call_closed_is_known(net: Network) -> None:
    """The poster kept the answer but its reply was lost: the sender's retry must end there,
    even though the call has closed since (else the outbox would retry it for ever)."""
    w = net["w"]
    post_call(net)
    net.settle()
    message = _answer_message(net, "c")
    with w.node.db.write() as session:
        assert answers.receive_answer(session, w.node, net["c"].id, message)["state"] == "received"
    with w.node.db.write() as session:
        service.close_project(session, w.node, "grafica")
    with w.node.db.write() as session:
        assert answers.receive_answer(session, w.node, net["c"].id, message) == {"state": "known"}
    with pytest.raises(NodeError) as refused, w.node.db.write() as session:
        answers.receive_answer(session, w.node, net["c"].id, {**message, "answer": "2"})
    assert refused.value.reason == "project-closed"


def test_an_answer_to_a_call_that_closed_before_delivery_is_given_up(net: Network) -> None:
    from node.projects.jobs import give_up_job

    w, c = net["w"], net["c"]
    post_call(net)
    net.settle()
    ada = add_member(net, "c")
    secret = member_secret(net, "c", ada)
    routes = c.node.local_routes  # shared by the nodes of the network: replaced, not edited
    c.node.local_routes = {u: a for u, a in routes.items() if u != "http://w.test"}
    # Combo cannot reach Warehouse; Hub still can
    try:
        assert answer_from_page(net, secret, w.id, "grafica", "Hello").status_code == 302
        give_up_job(c.node)  # the call is open: the answer keeps waiting
        assert "on its way" in c.client.get(f"/m/{secret}/projects").get_data(as_text=True)
        with w.node.db.write() as session:
            service.close_project(session, w.node, "grafica")
        net.settle()  # Combo learns of the closing through Hub
        give_up_job(c.node)
    finally:
        c.node.local_routes = routes
    with c.node.db.read() as session:
        (row,) = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "project.answer")
        ).all()
    assert row.done and "given up" in str(row.last_error)
    net.deliver()
    assert _received(net) == []
    page = c.client.get(f"/m/{secret}/projects").get_data(as_text=True)
    assert "not delivered: the call closed before your answer reached it" in page


def test_the_api_posts_changes_closes_and_replies(net: Network) -> None:
    w = net["w"]
    assert (
        w.client.post("/api/v1/projects", json={"title": "x", "deadline": "2027-01-01"}).status_code
        == 401
    )
    made = w.client.post(
        "/api/v1/projects",
        json={"id": "api-call", "title": "Translators", "deadline": "2027-01-01",
              "skills": ["italian"]},
        headers=w.auth(),
    )  # fmt: skip
    assert made.status_code == 201 and made.get_json()["open"] is True
    assert made.headers["Location"].endswith(f"/network/projects/{w.id}/api-call")
    changed = w.client.patch(
        "/api/v1/projects/api-call", json={"skills": None, "city": "Fano"}, headers=w.auth()
    )
    assert changed.status_code == 200
    assert changed.get_json()["city"] == "Fano" and "skills" not in changed.get_json()
    net.settle()
    with w.node.db.write() as session:
        answers.receive_answer(
            session, w.node, net["c"].id, _answer_message(net, "c", project="api-call")
        )
    listed = w.client.get("/api/v1/project-answers?project=api-call", headers=w.auth())
    (answer,) = listed.get_json()["answers"]
    assert answer["name"] == "Mallory" and answer["home_name"] == "Combo"
    bad = w.client.post(
        f"/api/v1/project-answers/{answer['id']}/reply", json={"message": ""}, headers=w.auth()
    )
    assert bad.status_code == 422
    sent = w.client.post(
        f"/api/v1/project-answers/{answer['id']}/reply", json={"message": "Yes"}, headers=w.auth()
    )
    assert sent.status_code == 201 and sent.get_json()["message"] == "Yes"
    closed = w.client.post("/api/v1/projects/api-call/close", json={}, headers=w.auth())
    assert closed.status_code == 200 and closed.get_json()["closed"] is True
    again = w.client.post("/api/v1/projects/api-call/close", json={}, headers=w.auth())
    assert again.status_code == 409
    assert again.get_json()["type"] == "urn:spazi:problem:project-closed"


def _answered_from_combo(net: Network, name: str, email: str) -> SentAnswer:
    """A new member of Combo answers Warehouse's call from their page; their kept answer."""
    member = add_member(net, "c", name, email)
    secret = member_secret(net, "c", member)
    assert answer_from_page(net, secret, net["w"].id, "grafica", "Count me in").status_code == 302
    net.settle()
    with net["c"].node.db.read() as session:
        return session.scalars(select(SentAnswer)).one()


def _reply_message(net: Network, sent: SentAnswer, reply: str, text: str) -> dict[str, Any]:
    """Warehouse's ``project.reply`` to Combo about ``sent``."""
    return {
        "type": "project.reply",
        "from": net["w"].id,
        "to": net["c"].id,
        "project": "grafica",
        "answer": str(sent.id),
        "reply": reply,
        "message": text,
    }


@contextmanager
def _italian_spaces_with_a_call(tmp_path: Path, clock: FakeClock, port: int) -> Iterator[Network]:
    """Warehouse (Fano) and Combo (Firenze), peers, both in Italian with mail to ``port``;
    Warehouse's call posted and synced."""
    with network(tmp_path, clock, language="it", **smtp_settings(port)) as net:
        net.add("w", title="Warehouse", city="Fano", timezone="Europe/Rome")
        net.add("c", title="Combo", city="Firenze", timezone="Europe/Rome")
        net.peer("w", "c")
        logged_in_admin(net["w"])
        post_call(net)
        net.settle()
        yield net


def test_pages_and_mails_in_italian(
    tmp_path: Path, clock: FakeClock, smtp: tuple[Inbox, int]
) -> None:
    """The calls' pages follow the language switch; the mails are in the space's language
    (other nodes ask for none)."""
    inbox, port = smtp
    with _italian_spaces_with_a_call(tmp_path, clock, port) as net:
        listed = net["c"].client.get("/network/projects?lang=it").get_data(as_text=True)
        assert "Chiamate a collaborare" in listed and "Risposte fino al" in listed
        assert "dic 2026" in listed  # the deadline written in Italian
        english = net["c"].client.get("/network/projects?lang=en").get_data(as_text=True)
        assert "Calls for collaboration" in english and "Chiamate" not in english
        ada = add_member(net, "c", "Ada Lovelace", "ada@combo.test")
        secret = member_secret(net, "c", ada)
        page = net["c"].client.get(f"/m/{secret}/projects?lang=it").get_data(as_text=True)
        assert "Rispondi alla chiamata" in page
        answer_from_page(net, secret, net["w"].id, "grafica", "Ciao")
        net.deliver()
        (notice,) = inbox.wait_for(1)
        assert str(notice["Subject"]).startswith("Nuova risposta a “Graphic designer")


def test_mails_from_other_nodes_messages_are_in_the_spaces_language_whatever_they_ask(
    tmp_path: Path, clock: FakeClock, smtp: tuple[Inbox, int]
) -> None:
    """An answer and a reply arrive as inbox messages: the mails they cause go to this space's
    admins and members, so they are written in the space's language even when the sending node
    names another in Accept-Language."""
    inbox, port = smtp
    with _italian_spaces_with_a_call(tmp_path, clock, port) as net:
        english = {"Accept-Language": "en"}
        answer = {**_answer_message(net, "c"), "home": net["c"].id}
        assert signed_inbox_post(net, "c", "w", answer, english).status_code == 202
        (notice,) = inbox.wait_for(1)
        assert str(notice["Subject"]).startswith("Nuova risposta a “Graphic designer")
        sent = _answered_from_combo(net, "Ada Lovelace", "ada@combo.test")
        reply = _reply_message(net, sent, "r1", "Benvenuta")
        assert signed_inbox_post(net, "w", "c", reply, english).status_code == 202
        mails = inbox.wait_for(3)  # the answer's notice at w, Ada's answer's, the reply to Ada
        to_ada = [m for m in mails if "ada@combo.test" in str(m["To"])]
        assert len(to_ada) == 1 and "ha risposto" in str(to_ada[0]["Subject"])


def test_the_admin_sees_how_many_people_in_the_network_list_each_skill_sought(
    net: Network,
) -> None:
    """The skills directory beside a call on the admin page: people of any space whose
    published skills contain a sought skill (case and accents ignored), linked to the search;
    a withdrawn profile no longer counts."""
    from node.people import service as people

    profile = {"name": "Giulia", "bio": "", "skills": ["Graphic Design", "ceràmica"]}
    for name, who in (("c", "Giulia"), ("h", "Marco")):
        node = net[name].node
        member_id = add_member(net, name, who, f"{who.lower()}@example.org")
        with node.db.write() as session:
            people.publish_profile(
                session, node, member_id, {**profile, "name": who}, consent=True,
                consent_by="member",
            )  # fmt: skip
    post_call(net, skills=["graphic design", "ceramica", "print"])
    net.settle()
    client = logged_in_admin(net["w"])
    page = unescape(client.get("/admin/projects").get_data(as_text=True))
    assert "2 people list graphic design" in page
    assert "2 people list ceramica" in page
    assert "0 people list print" in page
    assert "/network/people?skill=ceramica" in page
    with net["h"].node.db.write() as session:
        marco = session.scalars(select(people.MemberProfile)).one().member_id
        people.withdraw_profile(session, net["h"].node, marco)
    net.settle()
    page = unescape(client.get("/admin/projects").get_data(as_text=True))
    assert "1 person lists ceramica" in page


def test_a_space_may_send_only_so_many_answers_and_replies(net: Network, smtp: Any) -> None:
    """Each answer mails the posting space's admins and each reply mails a member, under ids
    the sender chooses: beyond its share a sender is refused (429, nothing kept, no mail)."""
    inbox, _ = smtp
    post_call(net)
    net.settle()
    for n in range(answers.MAX_ANSWERS_PER_HOME_PER_CALL):
        reply = signed_inbox_post(net, "h", "w", _answer_message(net, "h", answer=f"a{n}"))
        assert reply.status_code == 202, reply.get_json()
    before = net["w"].counts()
    mails = len(inbox.messages)
    over = signed_inbox_post(net, "h", "w", _answer_message(net, "h", answer="one-more"))
    assert over.status_code == 429
    assert over.get_json()["type"] == "urn:spazi:problem:too-many-answers"
    assert over.headers["Retry-After"]
    after = net["w"].counts()
    after.pop("seen_signatures"), before.pop("seen_signatures")
    assert after == before and len(inbox.messages) == mails
    # The same answer delivered again is still known, not refused.
    again = signed_inbox_post(net, "h", "w", _answer_message(net, "h", answer="a0"))
    assert again.status_code in (200, 202) and again.get_json()["state"] == "known"


def test_a_posting_space_may_send_only_so_many_replies_to_one_answer(net: Network) -> None:
    post_call(net)
    net.settle()
    sent = _answered_from_combo(net, "Bea", "bea@example.org")
    for n in range(answers.MAX_REPLIES_PER_ANSWER + 1):
        message = _reply_message(net, sent, f"r{n}", "Hello again")
        response = signed_inbox_post(net, "w", "c", message)
        if n < answers.MAX_REPLIES_PER_ANSWER:
            assert response.status_code == 202, response.get_json()
    assert response.status_code == 429
    assert response.get_json()["type"] == "urn:spazi:problem:too-many-replies"
    with net["c"].node.db.read() as session:
        kept = session.scalars(select(ReceivedReply)).all()
    assert len(kept) == answers.MAX_REPLIES_PER_ANSWER


def test_a_peers_answer_cannot_disguise_the_mail_it_causes(
    net: Network, smtp: tuple[Inbox, int]
) -> None:
    """A name with a bidi override or a zero-width space, a message that imitates the mail's
    own closing lines: the subject shows the name without them, the body without the override,
    and the message is quoted."""
    inbox, _ = smtp
    logged_in_admin(net["w"])
    post_call(net)
    net.settle()
    fake_footer = "Let me in\n\n--\nReply from the admin pages: http://evil.test/admin"
    message = _answer_message(net, "c", name="Mal\u202elory\u200b", message=fake_footer)
    assert signed_inbox_post(net, "c", "w", message).status_code == 202
    (notice,) = inbox.wait_for(1)
    subject = str(notice["Subject"])
    assert "Mallory (" in subject and "\u202e" not in subject and "\u200b" not in subject
    text = str(notice.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    text = text.replace("\r\n", "\n")
    assert "> Let me in\n>\n> --\n> Reply from the admin pages: http://evil.test/admin\n" in text
    assert "\u202e" not in text  # it would reverse the rest of the sentence around the name
