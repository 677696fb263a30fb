"""The people pages, API and CLI on one node: the member's profile form with its consent box,
the admin's consent record, search, the contact form that mails the member through a real SMTP
server, and the answer link that reveals the sender only when the member chooses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from node.cli import main as spazi
from node.models import DetachedBody, FeedEntry
from node.people.models import ContactMessage, MemberProfile
from node.services.members import add_member
from node.twinning.member_links import member_link
from tests.mail_server import Inbox, smtp_settings
from tests.node.test_admin_pages import csrf_token, logged_in_admin
from tests.support import FakeClock, SpaceNode, make_node

FORM = {
    "name": "Giulia Bianchi",
    "bio": "Restauro mobili antichi.",
    "skills": "Restauro mobili, doratura",
    "offers": "",
    "seeks": "",
    "languages": "italiano",
    "links": "",
}


@pytest.fixture
def prato(tmp_path: Path, smtp: tuple[Inbox, int], database_url: str | None) -> Any:
    node = make_node(
        tmp_path,
        database_url=database_url,
        name="Prato Hub",
        url="http://prato.test",
        clock=FakeClock(),
        settings=smtp_settings(smtp[1]),
        profile={"city": "Prato"},
    )
    try:
        yield node
    finally:
        node.close()


def _member_page(space: SpaceNode, email: str = "giulia@example.org") -> tuple[int, str]:
    with space.node.db.write() as session:
        member = add_member(session, {"name": "Giulia Bianchi", "email": email})
        path = member_link(session, space.node, member.id)
    return member.id, path + "/profile"


def _feed_size(space: SpaceNode) -> int:
    with space.node.db.read() as session:
        return len(session.scalars(select(FeedEntry.seq)).all())


def test_member_publishes_with_consent_and_withdraws(prato: SpaceNode) -> None:
    member_id, path = _member_page(prato)
    page = prato.client.get(path)
    assert page.status_code == 200 and 'name="consent"' in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    before = _feed_size(prato)

    refused = prato.client.post(path, data={**FORM, "action": "publish"})  # no consent ticked
    assert refused.status_code == 422 and "consent" in refused.get_data(as_text=True)
    markup = prato.client.post(
        path, data={**FORM, "name": "<script>x</script>", "consent": "yes", "action": "publish"}
    )
    assert markup.status_code == 422 and "must not contain &lt; or &gt;" in markup.get_data(
        as_text=True
    )
    too_long = prato.client.post(
        path, data={**FORM, "bio": "x" * 1001, "consent": "yes", "action": "publish"}
    )
    assert too_long.status_code == 422 and "at most 1000" in too_long.get_data(as_text=True)
    assert _feed_size(prato) == before  # refusals change nothing

    done = prato.client.post(path, data={**FORM, "consent": "yes", "action": "publish"})
    assert done.status_code == 200 and "published" in done.get_data(as_text=True)
    assert _feed_size(prato) == before + 1
    with prato.node.db.read() as session:
        consent = session.get(MemberProfile, member_id)
        assert consent is not None and consent.consent_by == "member"

    search = prato.client.get("/network/people?skill=restauro&city=Prato").get_data(as_text=True)
    assert "Giulia Bianchi" in search and "giulia@example.org" not in search
    api = prato.client.get("/api/v1/people?skill=RESTAURO").get_json()
    assert api["total"] == 1 and api["people"][0]["skills"] == ["Restauro mobili", "doratura"]
    assert api["people"][0]["contact_url"].startswith("http://prato.test/people/p-")

    gone = prato.client.post(path, data={"action": "withdraw"})
    assert gone.status_code == 200 and "withdrawn" in gone.get_data(as_text=True)
    assert prato.client.get("/api/v1/people").get_json()["total"] == 0
    with prato.node.db.read() as session:
        assert session.scalars(select(DetachedBody)).all() == []


def test_contact_form_mails_the_member_and_reveals_the_sender_on_answer(
    prato: SpaceNode, smtp: tuple[Inbox, int]
) -> None:
    inbox, _port = smtp
    _member_id, path = _member_page(prato)
    prato.client.post(path, data={**FORM, "consent": "yes", "action": "publish"})
    contact = prato.client.get("/api/v1/people").get_json()["people"][0]["contact_url"]
    contact_path = contact.removeprefix("http://prato.test")
    prato.app.config["WTF_CSRF_ENABLED"] = True

    no_token = prato.client.post(
        contact_path, data={"email": "arch@example.org", "message": "Buongiorno"}
    )
    assert no_token.status_code == 400  # CSRF
    token = csrf_token(prato.client, contact_path)
    bad = prato.client.post(
        contact_path, data={"email": "not an address", "message": "Hi", "csrf_token": token}
    )
    assert bad.status_code == 422 and "e-mail address" in bad.get_data(as_text=True)
    sent = prato.client.post(
        contact_path,
        data={
            "email": "arch@example.org",
            "message": "Buongiorno, restaurate anche <tavoli>?",
            "csrf_token": token,
        },
    )
    assert sent.status_code == 200 and "on its way" in sent.get_data(as_text=True)
    (mail,) = inbox.wait_for(1)
    assert mail["To"] == "giulia@example.org"
    text = mail.get_content()
    assert "restaurate anche <tavoli>?" in text and "arch@example.org" not in text
    answer = re.search(r"http://prato\.test(/people/answer/\S+)", text)
    assert answer is not None
    shown = prato.client.get(answer.group(1)).get_data(as_text=True)
    assert "&lt;tavoli&gt;" in shown and "arch@example.org" not in shown
    revealed = prato.client.post(answer.group(1)).get_data(as_text=True)
    assert "mailto:arch@example.org" in revealed
    with prato.node.db.read() as session:
        (row,) = session.scalars(select(ContactMessage)).all()
        assert row.revealed is not None


def test_messages_to_withdrawn_and_unknown_profiles_are_refused(prato: SpaceNode) -> None:
    _member_id, path = _member_page(prato)
    prato.client.post(path, data={**FORM, "consent": "yes", "action": "publish"})
    contact = prato.client.get("/api/v1/people").get_json()["people"][0]["contact_url"]
    contact_path = contact.removeprefix("http://prato.test")
    prato.client.post(path, data={"action": "withdraw"})
    gone = prato.client.post(contact_path, data={"email": "a@example.org", "message": "Ciao"})
    assert gone.status_code == 410 and "withdrawn" in gone.get_data(as_text=True)
    unknown = prato.client.get("/people/p-nobody/contact")
    assert unknown.status_code == 404
    api = prato.client.post(contact_path, headers={"Accept": "application/problem+json"})
    assert api.status_code == 410
    with prato.node.db.read() as session:
        assert session.scalars(select(ContactMessage)).all() == []


def test_admin_records_consent_with_its_date(prato: SpaceNode) -> None:
    member_id, _path = _member_page(prato)
    client = logged_in_admin(prato)
    admin_path = f"/admin/members/{member_id}/profile"
    token = csrf_token(client, admin_path)
    refused = client.post(admin_path, data={**FORM, "action": "publish", "csrf_token": token})
    assert refused.status_code == 422  # no consent box
    done = client.post(
        admin_path,
        data={**FORM, "action": "publish", "consent": "yes", "consent_date": "2026-01-01",
              "csrf_token": token},
    )  # fmt: skip
    assert done.status_code == 200
    with prato.node.db.read() as session:
        consent = session.get(MemberProfile, member_id)
        assert consent is not None
        assert (consent.consent_by, consent.consent_date) == ("admin", "2026-01-01")


def test_cli_publishes_searches_and_withdraws(
    prato: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    with prato.node.db.write() as session:
        member_id = add_member(session, {"name": "Giulia", "email": "g@example.org"}).id
    data = ["--data-dir", str(prato.data_dir)]
    assert spazi([*data, "member", "profile", "publish", str(member_id), "--name", "Giulia",
                  "--skills", "restauro mobili"]) == 2  # fmt: skip
    assert "--consent-date" in capsys.readouterr().err
    assert spazi([*data, "member", "profile", "publish", str(member_id), "--name", "<b>G</b>",
                  "--skills", "restauro mobili", "--consent-date", "2026-01-01"]) == 1  # fmt: skip
    assert "< or >" in capsys.readouterr().err
    assert spazi([*data, "member", "profile", "publish", str(member_id), "--name", "Giulia",
                  "--skills", "restauro mobili", "--consent-date", "2026-01-01"]) == 0  # fmt: skip
    capsys.readouterr()
    assert spazi([*data, "network", "people", "--skill", "Restàuro", "--json"]) == 0
    assert '"Giulia"' in capsys.readouterr().out
    assert spazi([*data, "member", "profile", "withdraw", str(member_id)]) == 0
    assert "withdrew" in capsys.readouterr().out
    assert spazi([*data, "network", "people", "--skill", "restauro", "--json"]) == 0
    assert '"total": 0' in capsys.readouterr().out


def test_search_pages_and_suggests_the_skills_in_use(prato: SpaceNode) -> None:
    for number in range(21):
        _id, path = _member_page(prato, f"m{number}@example.org")
        form = {**FORM, "name": f"Member {number:02d}", "skills": f"Restauro mobili, skill{number}"}
        assert prato.client.post(path, data={**form, "consent": "yes"}).status_code == 200
    first = prato.client.get("/api/v1/people?skill=restauro").get_json()
    assert (first["total"], len(first["people"]), first["next_page"]) == (21, 20, 2)
    second = prato.client.get("/api/v1/people?skill=restauro&page=2").get_json()
    assert [p["name"] for p in second["people"]] == ["Member 20"] and second["next_page"] is None
    bad = prato.client.get("/api/v1/people?page=0")
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    page = prato.client.get("/network/people?skill=restauro").get_data(as_text=True)
    assert '<option value="Restauro mobili">' in page and 'rel="next"' in page
    assert "Member 19" in page and "Member 20" not in page


def test_people_pages_in_italian_show_no_english_catalogue_string(prato: SpaceNode) -> None:
    from tests.node.test_translations import english_shown, visible

    member_id, path = _member_page(prato)
    prato.client.post(path, data={**FORM, "consent": "yes", "action": "publish"})
    contact = prato.client.get("/api/v1/people").get_json()["people"][0]["contact_url"]
    logged_in_admin(prato)
    for page in (
        path,
        "/network/people?skill=restauro",
        contact.removeprefix("http://prato.test"),
        f"/admin/members/{member_id}/profile",
    ):
        response = prato.client.get(page + ("&" if "?" in page else "?") + "lang=it")
        assert response.status_code == 200, page
        text = visible(response.get_data(as_text=True))
        assert "Vai al contenuto" in text
        assert not english_shown(text), (page, english_shown(text))
    assert "Competenze" in visible(prato.client.get(path + "?lang=it").get_data(as_text=True))


def test_the_mail_is_in_the_spaces_language(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    space = make_node(
        tmp_path,
        name="Prato Hub",
        url="http://prato.test",
        clock=FakeClock(),
        settings={**smtp_settings(port), "language": "it"},
    )
    try:
        _member_id, path = _member_page(space)
        space.client.post(path, data={**FORM, "consent": "yes", "action": "publish"})
        contact = space.client.get("/api/v1/people").get_json()["people"][0]["contact_url"]
        form = contact.removeprefix("http://prato.test") + "?lang=en"  # the sender's English
        token = csrf_token(space.client, form)
        sent = space.client.post(
            form, data={"email": "architect@example.org", "message": "Hello", "csrf_token": token}
        )
        assert sent.status_code == 200 and "on its way" in sent.get_data(as_text=True)
        (mail,) = inbox.wait_for(1)
        assert mail["Subject"] == "Un messaggio tramite il tuo profilo nella rete"
        assert "qualcuno ha trovato il tuo profilo" in mail.get_content()
    finally:
        space.close()


def _published_contact_form(prato: SpaceNode) -> tuple[str, str]:
    """A member's profile published from their page; its contact form's path and CSRF token."""
    _member_id, path = _member_page(prato)
    prato.client.post(path, data={**FORM, "consent": "yes", "action": "publish"})
    contact = prato.client.get("/api/v1/people").get_json()["people"][0]["contact_url"]
    form = contact.removeprefix("http://prato.test")
    return form, csrf_token(prato.client, form)


def test_the_contact_form_is_rate_limited_per_sender(
    prato: SpaceNode, smtp: tuple[Inbox, int]
) -> None:
    from node.people.pages import PER_SENDER_HOUR

    form, token = _published_contact_form(prato)
    data = {"email": "architect@example.org", "message": "Hello", "csrf_token": token}
    for _ in range(PER_SENDER_HOUR):
        assert prato.client.post(form, data=data).status_code == 200
    refused = prato.client.post(form, data=data)
    assert refused.status_code == 429 and "messages an hour" in refused.get_data(as_text=True)
    assert len(smtp[0].wait_for(PER_SENDER_HOUR)) == PER_SENDER_HOUR
    with prato.node.db.read() as session:
        assert len(session.scalars(select(ContactMessage)).all()) == PER_SENDER_HOUR


def test_a_refused_message_does_not_count_against_the_senders_hour(
    prato: SpaceNode, smtp: tuple[Inbox, int]
) -> None:
    """A sender who mistypes their address and corrects it is not locked out: only messages that
    pass the checks take one of the hour's tokens."""
    from node.people.pages import PER_SENDER_HOUR

    form, token = _published_contact_form(prato)
    typo = {"email": "architect at example.org", "message": "Hello", "csrf_token": token}
    for _ in range(PER_SENDER_HOUR + 2):
        assert prato.client.post(form, data=typo).status_code == 422
    good = {**typo, "email": "architect@example.org"}
    assert prato.client.post(form, data=good).status_code == 200
    assert len(smtp[0].wait_for(1)) == 1
