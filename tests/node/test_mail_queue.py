"""Queued notices (node/mail.py): a notice is a row written with what it tells of, sent at once
after commit when the mail server answers, and otherwise kept and retried by the ``mail`` job
until the server is back — against a real SMTP server on loopback that is stopped, refuses, or
comes back on the same port."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from node import mail
from node.jobs import mail_job
from node.models import QueuedMail
from tests.mail_server import Inbox, free_port, smtp_settings
from tests.support import FakeClock, SpaceNode, make_node

ICS = ("visit.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def space(tmp_path: Path, clock: FakeClock, port: int) -> Iterator[SpaceNode]:
    node = make_node(tmp_path, clock=clock, settings=smtp_settings(port))
    try:
        yield node
    finally:
        node.close()


def _queue(space: SpaceNode, subject: str = "A notice", to: str = "ada@example.org") -> None:
    with space.node.db.write() as session:
        mail.send_after_commit(session, space.node, [to], subject, "Hello\n", [ICS])
    mail._SENDER.submit(lambda: None).result()  # the send after commit has run


def _queued(space: SpaceNode) -> list[QueuedMail]:
    with space.node.db.read() as session:
        return list(session.scalars(select(QueuedMail).order_by(QueuedMail.id)))


class _Refusing(Inbox):
    """A server that knows no mailbox."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, *_: Any):  # type: ignore[no-untyped-def]
        return "550 5.1.1 no such mailbox"


def _serve(handler: Inbox, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def test_a_notice_waits_while_the_server_is_down_and_goes_out_once_it_is_back(
    space: SpaceNode, clock: FakeClock, port: int
) -> None:
    _queue(space)
    (waiting,) = _queued(space)
    assert waiting.tries == 1 and "Connection refused" in (waiting.last_error or "")
    assert waiting.next_try is not None
    inbox = Inbox()
    controller = _serve(inbox, port)
    try:
        mail_job(space.node)  # not due yet: nothing sent, nothing changed
        assert inbox.messages == [] and _queued(space)[0].tries == 1
        clock.advance(mail.RETRY_CAP_MS / 1000)
        mail_job(space.node)
        (sent,) = inbox.wait_for(1)
        assert sent["Subject"] == "A notice" and sent["To"] == "ada@example.org"
        (attachment,) = list(sent.iter_attachments())
        assert attachment.get_filename() == "visit.ics"
        assert attachment.get_content() == ICS[2].decode()
        assert _queued(space) == []  # deleted once sent: no copy of the text is kept
    finally:
        controller.stop()


def test_with_the_server_up_the_notice_goes_out_right_after_commit(
    space: SpaceNode, port: int
) -> None:
    inbox = Inbox()
    controller = _serve(inbox, port)
    try:
        _queue(space, "At once")
        assert [m["Subject"] for m in inbox.wait_for(1)] == ["At once"]
        assert _queued(space) == []
    finally:
        controller.stop()


def test_a_transaction_that_rolls_back_queues_nothing(space: SpaceNode) -> None:
    with pytest.raises(RuntimeError), space.node.db.write() as session:
        mail.send_after_commit(session, space.node, ["ada@example.org"], "No", "x")
        raise RuntimeError("the cause failed")
    mail._SENDER.submit(lambda: None).result()
    assert _queued(space) == []


def test_a_refusal_for_good_is_given_up_at_once_and_kept_a_week(
    space: SpaceNode, clock: FakeClock, port: int, caplog: pytest.LogCaptureFixture
) -> None:
    controller = _serve(_Refusing(), port)
    try:
        with caplog.at_level(logging.ERROR, logger="node.mail"):
            _queue(space, "To nobody", to="nobody@example.org")
        (kept,) = _queued(space)
        assert kept.next_try is None and kept.tries == 1 and "550" in (kept.last_error or "")
        assert kept.body == "" and kept.attachments == []  # the record keeps no text
        assert "gave up mailing nobody@example.org" in caplog.text
        clock.advance(mail.RETRY_CAP_MS / 1000)
        assert not mail.due(space.node)  # never tried again
        clock.advance(mail.KEEP_GIVEN_UP.total_seconds())
        mail.drain(space.node)
        assert _queued(space) == []
    finally:
        controller.stop()


def test_a_notice_is_given_up_after_three_days_of_a_dead_server(
    space: SpaceNode, clock: FakeClock
) -> None:
    _queue(space)
    hours = 0
    while _queued(space)[0].next_try is not None:
        clock.advance(3600)
        hours += 1
        mail.drain(space.node)
        assert hours <= mail.GIVE_UP_AFTER.total_seconds() / 3600 + 1
    (given_up,) = _queued(space)
    assert given_up.tries >= 3 and hours >= mail.GIVE_UP_AFTER.total_seconds() / 3600


def test_drains_at_once_send_each_notice_once(
    space: SpaceNode, clock: FakeClock, port: int
) -> None:
    for n in range(6):
        _queue(space, f"Notice {n}")  # the server is down: all six wait
    inbox = Inbox()
    controller = _serve(inbox, port)
    try:
        clock.advance(mail.RETRY_CAP_MS / 1000)
        threads = [threading.Thread(target=mail_job, args=(space.node,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        mail.drain(space.node)
        subjects = sorted(str(m["Subject"]) for m in inbox.wait_for(6))
        assert subjects == [f"Notice {n}" for n in range(6)]
        assert _queued(space) == []
    finally:
        controller.stop()


def test_a_notice_another_process_claimed_is_left_to_it_until_the_claim_runs_out(
    space: SpaceNode, clock: FakeClock, port: int
) -> None:
    """Several processes drain the same queue (web workers, a worker process): the one that
    claims a notice sends it; if it died while sending, the notice is due again later."""
    _queue(space)  # the server is down: it waits
    clock.advance(mail.RETRY_CAP_MS / 1000)
    (waiting,) = _queued(space)
    assert mail._claim(space.node, waiting.id)  # another process took it...
    assert not mail._claim(space.node, waiting.id)  # ...so nobody else can
    inbox = Inbox()
    controller = _serve(inbox, port)
    try:
        assert mail.drain(space.node) == (0, 0) and inbox.messages == []
        clock.advance(mail.CLAIM.total_seconds())  # ...and died before sending it
        assert mail.drain(space.node) == (1, 0)
        assert len(inbox.wait_for(1)) == 1 and _queued(space) == []
    finally:
        controller.stop()


def test_an_unreachable_server_costs_one_attempt_per_drain_not_one_per_notice(
    space: SpaceNode, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each attempt on a server that does not answer may take the whole timeout: the first
    failure to connect backs off the rest of the batch untried."""
    for n in range(4):
        _queue(space, f"Notice {n}")
    clock.advance(mail.RETRY_CAP_MS / 1000)
    attempts: list[str] = []
    real_send = mail.send

    def counting(node: Any, message: Any) -> None:
        attempts.append(str(message["Subject"]))
        real_send(node, message)

    monkeypatch.setattr(mail, "send", counting)
    assert mail.drain(space.node) == (0, 4)
    assert len(attempts) == 1
    assert all(row.tries == 2 and row.next_try is not None for row in _queued(space))


def test_a_notice_that_cannot_be_built_is_given_up_and_the_batch_goes_on(
    space: SpaceNode, port: int
) -> None:
    inbox = Inbox()
    controller = _serve(inbox, port)
    try:
        with space.node.db.write() as session:
            bad = ("x.bin", "not a media type", b"x")  # no "/": the message cannot be built
            mail.send_after_commit(session, space.node, ["ada@example.org"], "Bad", "x", [bad])
            mail.send_after_commit(session, space.node, ["bob@example.org"], "Good", "y")
        mail._SENDER.submit(lambda: None).result()
        assert [str(m["Subject"]) for m in inbox.wait_for(1)] == ["Good"]
        (given_up,) = _queued(space)
        assert given_up.next_try is None and given_up.subject == "Bad"
        assert given_up.body == "" and given_up.attachments == []
    finally:
        controller.stop()


def test_notices_waiting_when_mail_is_switched_off_are_given_up_unsent_when_stale(
    space: SpaceNode, clock: FakeClock, port: int
) -> None:
    """Switched on again weeks later, a node must not send old invitations and answer links."""
    _queue(space, "An invitation")  # the server is down: it waits
    space.node.settings["smtp_host"] = ""
    clock.advance(mail.GIVE_UP_AFTER.total_seconds() + 60)
    mail_job(space.node)
    (stale,) = _queued(space)
    assert stale.next_try is None and stale.body == "" and "too old" in (stale.last_error or "")
    space.node.settings["smtp_host"] = "127.0.0.1"
    inbox = Inbox()
    controller = _serve(inbox, port)
    try:
        mail_job(space.node)
        assert inbox.wait_for(1, timeout=0.5) == []
        clock.advance(mail.KEEP_GIVEN_UP.total_seconds())
        mail_job(space.node)
        assert _queued(space) == []
    finally:
        controller.stop()
