"""The node's mail through a real SMTP server on loopback (aiosmtpd): a member's personal link
and pass, the admins told of an agreement proposal after its transaction commits; without a mail
server nothing is sent and the CLI says where the link is; a header cannot be smuggled in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from node import mail
from node.cli.main import main
from node.services.admin_auth import create_user
from tests.cli_network import in_network
from tests.mail_server import Inbox, free_port, smtp_settings
from tests.network import Network, network
from tests.node.twin_support import add_member, propose, twin
from tests.support import FakeClock


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock, smtp: tuple[Inbox, int]) -> Iterator[Network]:
    _, port = smtp
    with network(tmp_path, clock, **smtp_settings(port)) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.peer("a", "b")
        net.settle()
        yield net


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_members_link_and_pass_are_mailed(
    net: Network,
    smtp: tuple[Inbox, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, _ = smtp
    in_network(net, monkeypatch)
    twin(net, "a", "b")
    ada = add_member(net, "a", email="ada@example.org")
    at = ["--data-dir", str(net["a"].data_dir)]
    assert main([*at, "member", "link", str(ada), "--send"]) == 0
    assert "sent the personal link to ada@example.org" in capsys.readouterr()[0]
    (sent,) = inbox.wait_for(1)
    assert sent["To"] == "ada@example.org" and sent["Subject"] == "Your guest passes"
    link = next(w for w in _body(sent).split() if "/m/" in w)
    assert net["a"].client.get(link.removeprefix("http://a.test")).status_code == 200

    assert main([*at, "pass", "issue", "--member", str(ada), "--partner", "The Cube",
                 "--send"]) == 0  # fmt: skip
    assert "mailed the pass to ada@example.org" in capsys.readouterr()[0]
    second = inbox.wait_for(2)[1]
    assert "/m/pass/" in _body(second) and second["Subject"] == "Your guest pass"


def test_the_admins_hear_of_a_proposal_once_it_is_stored(
    net: Network, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    with net["b"].node.db.write() as session:
        create_user(session, "boss@cube.example", "correct horse battery staple")
        create_user(session, "desk@cube.example", "correct horse battery staple", role="desk")
    propose(net, "a", "b")
    net.deliver()
    (notice,) = inbox.wait_for(1)
    assert notice["To"] == "boss@cube.example"  # desk logins get no notices
    assert notice["Subject"] == "WeCreate NYC proposes a twinning agreement"
    assert "http://b.test/admin/partners" in _body(notice)


def test_without_a_mail_server_nothing_is_sent_and_the_cli_says_so(
    tmp_path: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC")
        ada = add_member(net, "a")
        before = net["a"].counts()
        code = main(["--data-dir", str(net["a"].data_dir), "member", "link", str(ada), "--send"])
        out, err = capsys.readouterr()
        assert code == 1 and out == "" and err.count("\n") == 1 and "smtp_host" in err
        assert net["a"].counts() == before  # no link was made


def test_a_failing_mail_server_is_one_line_with_the_link(
    net: Network,
    smtp: tuple[Inbox, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_network(net, monkeypatch)
    ada = add_member(net, "a")
    monkeypatch.setenv("SPAZI_SMTP_PORT", str(free_port()))  # nobody listens there
    code = main(["--data-dir", str(net["a"].data_dir), "member", "link", str(ada), "--send"])
    err = capsys.readouterr()[1]
    assert code == 1 and err.count("\n") == 1 and "the link is http://a.test/m/" in err


def test_no_header_can_be_smuggled_into_a_mail(net: Network) -> None:
    message = mail.build(net["a"].node, ["ada@example.org"], "Hi\r\nBcc: evil@example.org", "x")
    assert message["Bcc"] is None and message["Subject"] == "Hi Bcc: evil@example.org"


@pytest.mark.parametrize(
    ("subject", "header"),
    [
        ("Mal\u202elory\u200b asks", "Mallory asks"),  # a reversal, a hidden space: dropped
        ("Café\u2028Bar", "Café Bar"),  # a line separator is a space, as a line end is
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),  # Persian keeps its joiner
        (
            "\U0001f469\u200d\U0001f4bb joins",
            "\U0001f469\u200d\U0001f4bb joins",
        ),  # so does an emoji
    ],
)
def test_a_subject_drops_what_would_disguise_it_and_keeps_what_spells_words(
    net: Network, subject: str, header: str
) -> None:
    assert str(mail.build(net["a"].node, ["ada@example.org"], subject, "x")["Subject"]) == header


def test_a_proposal_delivered_twice_is_told_once(net: Network, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    with net["b"].node.db.write() as session:
        create_user(session, "boss@cube.example", "correct horse battery staple")
    agreement = propose(net, "a", "b")
    net.deliver()
    inbox.wait_for(1)
    with net["a"].node.db.read() as session:
        from node.twinning.models import Agreement

        document = session.get(Agreement, agreement).document
    from node.twinning.handlers import agreement_propose

    with net["b"].node.db.write() as session:
        agreement_propose(
            session, net["b"].node,
            {"type": "agreement.propose", "from": net["a"].id, "to": net["b"].id,
             "agreement": document},
        )  # fmt: skip
    time.sleep(0.5)
    assert len(inbox.messages) == 1


def test_no_password_goes_out_in_clear_and_odd_addresses_are_left_out(net: Network) -> None:
    node = net["a"].node
    message = mail.build(node, ["ada@example.org", "x@a.test, evil@b.test"], "Hi", "x")
    assert message["To"] == "ada@example.org"
    node.settings["smtp_user"] = "desk"  # with smtp_starttls off
    with pytest.raises(mail.smtplib.SMTPException, match="TLS"):
        mail.send(node, message)


def test_the_admins_hear_of_a_co_host_request_once(net: Network, smtp: tuple[Inbox, int]) -> None:
    """An event naming us, arriving by sync, is mailed to the admins once per event: not
    again when it changes or when the next round brings nothing new, and never for an event
    that does not name us."""
    inbox, _ = smtp
    with net["b"].node.db.write() as session:
        create_user(session, "boss@cube.example", "correct horse battery staple")
    a = net["a"]

    def put(event_id: str, title: str, cohosts: list[str]) -> None:
        body = {"id": event_id, "title": title, "start": "2026-12-10T09:00",
                "end": "2026-12-10T11:00", "cohosts": cohosts}  # fmt: skip
        if a.client.get(f"/api/v1/events/{event_id}").status_code == 200:
            answer = a.client.patch(f"/api/v1/events/{event_id}", json=body, headers=a.auth())
        else:
            answer = a.client.post("/api/v1/events", json=body, headers=a.auth())
        assert answer.status_code in (200, 201), answer.get_json()

    put("solo", "Not yours", [])
    put("joint", "Breakfast together", [net["b"].id])
    net.settle()
    (notice,) = inbox.wait_for(1)
    assert notice["To"] == "boss@cube.example"
    assert notice["Subject"] == "WeCreate NYC asks you to co-host “Breakfast together”"
    assert f"spazi event cohost-confirm {a.id} joint" in _body(notice)
    assert "http://b.test/admin/cohosts" in _body(notice)
    put("joint", "Breakfast together, moved", [net["b"].id])
    net.settle()
    assert len(inbox.wait_for(2, timeout=1.0)) == 1  # the same request: told once
