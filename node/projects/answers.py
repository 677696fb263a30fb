"""Answers to calls and the replies to them (protocol.md §Inbox, "Answers to calls").

Home side: :func:`send_answer` keeps our member's answer and queues ``project.answer`` for the
posting space, in one transaction (the durable outbox delivers it, retrying while that space is
down or does not know our keys yet). :func:`receive_reply` keeps a reply once and mails it to
the member after commit. The member's e-mail address is read only here, to mail them.

Posting side: :func:`receive_answer` keeps an answer to an open call of ours once and mails our
admins; :func:`reply` keeps the admin's reply and queues ``project.reply`` for the node that
sent the answer, which alone knows where to mail it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marshmallow import validate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from node import mail, published, texts
from node.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from node.messages import N_
from node.models import Member, OutboxMessage
from node.network.outbox import enqueue_to
from node.projects.models import ReceivedAnswer, ReceivedReply, SentAnswer, SentReply
from node.projects.service import get_project, is_open
from node.runtime import Node
from node.schemas import Lines, StrictSchema
from node.services.network import node_url
from node.services.validation import load

MAX_MESSAGE = 5000


class MessageSchema(StrictSchema):
    """An answer's or a reply's text, as a member or an admin types it."""

    message = Lines(required=True, validate=validate.Length(1, MAX_MESSAGE))


def _message(data: Any) -> str:
    text = str(load(MessageSchema(), data)["message"]).strip()
    if not text:
        raise InvalidInput(N_("message: write a few words"), errors={"message": [N_("empty")]})
    return text


# -- home side: our members answer other spaces' calls -------------------------------------------


def send_answer(
    session: Session, node: Node, member: Member, origin: str, project_id: str, data: Any
) -> SentAnswer:
    """Keep ``member``'s answer to ``origin``'s call and queue it for that space."""
    text = _message(data)
    if member.suspended:
        raise Forbidden(N_("your membership is suspended"), reason="member-suspended")
    if origin == node.node_id:
        raise InvalidInput(
            N_("this call is your own space's: talk to its staff directly"), reason="own-call"
        )
    call = get_project(session, origin, project_id)
    if not is_open(session, node, call):
        raise Conflict(N_("this call is closed: it takes no more answers"), reason="project-closed")
    url = node_url(session, node, origin)
    if not url:
        raise InvalidInput(
            N_("the address of the space that posted this call is not known here yet"),
            reason="no-address",
        )
    row = SentAnswer(
        member_id=member.id,
        origin=origin,
        project_id=project_id,
        message=text,
        created=node.now(),
    )
    session.add(row)
    session.flush()  # the row's id is the answer's number on the wire
    enqueue_to(
        session,
        node,
        origin,
        url,
        "project.answer",
        {
            "project": project_id,
            "answer": str(row.id),
            "home": node.node_id,
            "member": member.pseudonym,
            "name": member.name[:200],
            "message": text,
        },
    )
    return row


def receive_reply(session: Session, node: Node, sender: str, message: Any) -> dict[str, Any]:
    """Keep a posting space's reply to one of our members' answers and mail it to them."""
    answer_id = str(message["answer"])
    fits = answer_id.isdigit() and len(answer_id) < 10  # our ids are int32 rows
    sent = session.get(SentAnswer, int(answer_id)) if fits else None
    if sent is None or sent.origin != sender or sent.project_id != message["project"]:
        raise NotFound(N_("we sent you no such answer"), reason="unknown-answer")
    key = (sender, str(message["reply"]))
    if session.get(ReceivedReply, key) is not None:
        return {"state": "known"}
    replies = session.scalar(
        select(func.count()).select_from(ReceivedReply).where(ReceivedReply.answer_id == sent.id)
    )
    if (replies or 0) >= MAX_REPLIES_PER_ANSWER:
        # Each reply mails our member: a posting space may not mail them without end.
        raise TooManyRequests(
            N_(
                "at most %(max_replies_per_answer)s replies to one answer",
                max_replies_per_answer=MAX_REPLIES_PER_ANSWER,
            ),
            reason="too-many-replies",
        )
    session.add(
        ReceivedReply(
            sender=sender,
            reply=key[1],
            answer_id=sent.id,
            message=str(message["message"]),
            received=node.now(),
        )
    )
    _mail_member(session, node, sent, str(message["message"]))
    return {"state": "received"}


def _mail_member(session: Session, node: Node, sent: SentAnswer, text: str) -> None:
    member = session.get(Member, sent.member_id)
    if member is None or member.suspended or not member.email:
        return
    # In the space's language: the request that brought the reply came from another node,
    # whose Accept-Language says nothing about our member (ARCHITECTURE.md §Translations).
    _ = texts.for_recipient(node.settings)
    names = published.space_names(session, {sent.origin})
    space = names.get(sent.origin) or _("the space")
    call = published.project(session, sent.origin, sent.project_id)
    title = call.title if call is not None else sent.project_id
    subject = _("%(space)s replied about “%(title)s”", space=space, title=title)
    body = _(
        "Hello %(name)s,\n\n%(space)s replied to your answer to their call “%(title)s”:\n\n"
        "%(reply)s\n\nYour answer was:\n\n%(answer)s\n\n"
        "To answer again, open your member page at your space.\n",
        name=member.name,
        space=space,
        title=title,
        reply=texts.quoted(text),
        answer=texts.quoted(sent.message),
    )
    mail.send_after_commit(session, node, [member.email], subject, body)


@dataclass(frozen=True)
class MemberAnswer:
    """One of our member's answers, with the replies that came back."""

    origin: str
    project_id: str
    message: str
    created: datetime
    replies: list[str]
    delivered: bool  # False while the outbox still holds it (the space was not reached yet)
    undelivered: str | None  # why it never will be, once given up


def member_answers(session: Session, member_id: int) -> list[MemberAnswer]:
    """The member's answers, newest first, each with its replies in arrival order."""
    sent = list(
        session.scalars(
            select(SentAnswer)
            .where(SentAnswer.member_id == member_id)
            .order_by(SentAnswer.id.desc())
            .limit(100)
        )
    )
    replies: dict[int, list[str]] = {}
    if sent:
        rows = session.scalars(
            select(ReceivedReply)
            .where(ReceivedReply.answer_id.in_([s.id for s in sent]))
            .order_by(ReceivedReply.received, ReceivedReply.reply)
        )
        for row in rows:
            replies.setdefault(row.answer_id, []).append(row.message)
    # Answers still in the outbox: few, so their messages are matched here rather than by a
    # query into the JSON column.
    waiting = {
        str(row.message.get("answer"))
        for row in session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "project.answer", OutboxMessage.done.is_(False)
            )
        )
    }
    return [
        MemberAnswer(
            s.origin,
            s.project_id,
            s.message,
            s.created,
            replies.get(s.id, []),
            str(s.id) not in waiting and s.undelivered is None,
            s.undelivered,
        )
        for s in sent
    ]


UNDELIVERED = "the call closed before your answer reached it"


def give_up_on_closed_calls(session: Session, node: Node) -> int:
    """Stop delivering answers whose call has closed (or passed its deadline) since they were
    sent: the poster would refuse them with ``project-closed`` at every try, and answers are
    kept trying otherwise (protocol.md §Inbox, "Answers to calls"). The member's page says so.
    Returns how many were given up."""
    given_up = 0
    waiting = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "project.answer", OutboxMessage.done.is_(False)
        )
    )
    for row in waiting:
        call = published.project(session, row.peer_id, str(row.message.get("project")))
        if call is not None and is_open(session, node, call):
            continue
        row.done = True
        row.last_error = f"given up: {UNDELIVERED}"
        answer_id = str(row.message.get("answer"))
        sent = session.get(SentAnswer, int(answer_id)) if answer_id.isdigit() else None
        if sent is not None:
            sent.undelivered = UNDELIVERED
        given_up += 1
    return given_up


# -- posting side: answers to our calls ------------------------------------------------------


# Each answer mails our admins and each reply mails a member, and the ids of both are the
# sender's to choose: a node may send only so many (protocol.md §Inbox, "Answers to calls").
MAX_ANSWERS_PER_HOME_PER_CALL = 20
MAX_ANSWERS_PER_HOME_PER_DAY = 100
MAX_REPLIES_PER_ANSWER = 10


def _check_answer_limits(session: Session, node: Node, sender: str, project_id: str) -> None:
    """Refuse (429) an answer beyond the sender's share of one call or of one day."""
    to_call = session.scalar(
        select(func.count())
        .select_from(ReceivedAnswer)
        .where(ReceivedAnswer.home_id == sender, ReceivedAnswer.project_id == project_id)
    )
    if (to_call or 0) >= MAX_ANSWERS_PER_HOME_PER_CALL:
        raise TooManyRequests(
            N_(
                "at most %(max_answers_per_home_per_call)s answers to one call from one space",
                max_answers_per_home_per_call=MAX_ANSWERS_PER_HOME_PER_CALL,
            ),
            reason="too-many-answers",
        )
    today = session.scalar(
        select(func.count())
        .select_from(ReceivedAnswer)
        .where(
            ReceivedAnswer.home_id == sender,
            ReceivedAnswer.received > node.now() - timedelta(days=1),
        )
    )
    if (today or 0) >= MAX_ANSWERS_PER_HOME_PER_DAY:
        raise TooManyRequests(
            N_(
                "at most %(max_answers_per_home_per_day)s answers a day from one space",
                max_answers_per_home_per_day=MAX_ANSWERS_PER_HOME_PER_DAY,
            ),
            reason="too-many-answers",
        )


def receive_answer(session: Session, node: Node, sender: str, message: Any) -> dict[str, Any]:
    """Keep an answer to one of our open calls from a member of ``sender``; mail our admins."""
    if message["home"] != sender:
        # A node speaks for its own members only (protocol.md §Inbox, "Answers to calls").
        raise Forbidden(
            N_("an answer must come from the member's own home node"), reason="not-members-home"
        )
    call = get_project(session, node.node_id, str(message["project"]))
    known = session.scalar(
        select(ReceivedAnswer).where(
            ReceivedAnswer.home_id == sender, ReceivedAnswer.answer == message["answer"]
        )
    )
    if known is not None:
        # Checked before the call's state: a retry of an answer we kept (our reply to it was
        # lost) must not be refused because the call closed meanwhile.
        return {"state": "known"}
    if not is_open(session, node, call):
        raise Conflict(N_("this call is closed: it takes no more answers"), reason="project-closed")
    _check_answer_limits(session, node, sender, call.id)
    row = ReceivedAnswer(
        project_id=call.id,
        home_id=sender,
        answer=str(message["answer"]),
        member=str(message["member"]),
        name=str(message["name"]),
        message=str(message["message"]),
        received=node.now(),
    )
    session.add(row)
    home = published.space_names(session, {sender}).get(sender, sender)
    _ = texts.for_recipient(node.settings)  # our admins read it: the space's language
    subject = _(
        "New answer to “%(title)s” from %(name)s (%(space)s)",
        title=call.title,
        name=row.name,
        space=home,
    )
    body = _(
        "%(name)s, a member of %(space)s, answered the call “%(title)s”:\n\n%(message)s\n\n"
        "Reply from the admin pages (/admin/projects) or with: spazi project answers %(id)s\n",
        name=row.name,
        space=home,
        title=call.title,
        message=texts.quoted(row.message),
        id=call.id,
    )
    mail.send_after_commit(session, node, mail.admin_addresses(session), subject, body)
    return {"state": "received"}


@dataclass(frozen=True)
class AnswerView:
    """A received answer as the admin sees it."""

    id: int
    project_id: str
    home_id: str
    home_name: str
    name: str
    message: str
    received: datetime
    replies: list[str]


def answers(session: Session, project_id: str | None = None) -> list[AnswerView]:
    """Answers to our calls (to one call when ``project_id``), newest first, with our replies."""
    query = select(ReceivedAnswer).order_by(ReceivedAnswer.id.desc()).limit(500)
    if project_id is not None:
        query = query.where(ReceivedAnswer.project_id == project_id)
    rows = list(session.scalars(query))
    names = published.space_names(session, {r.home_id for r in rows})
    replies: dict[int, list[str]] = {}
    if rows:
        sent = session.scalars(
            select(SentReply)
            .where(SentReply.answer_id.in_([r.id for r in rows]))
            .order_by(SentReply.id)
        )
        for reply_row in sent:
            replies.setdefault(reply_row.answer_id, []).append(reply_row.message)
    return [
        AnswerView(
            r.id,
            r.project_id,
            r.home_id,
            names.get(r.home_id, r.home_id),
            r.name,
            r.message,
            r.received,
            replies.get(r.id, []),
        )
        for r in rows
    ]


def answer_json(view: AnswerView) -> dict[str, Any]:
    """An answer as the API and ``spazi project answers --json`` show it."""
    return {
        "id": view.id,
        "project": view.project_id,
        "name": view.name,
        "home": view.home_id,
        "home_name": view.home_name,
        "message": view.message,
        "received": view.received.isoformat(),
        "replies": view.replies,
    }


def reply(session: Session, node: Node, answer_id: int, data: Any) -> SentReply:
    """Keep our admin's reply to answer ``answer_id`` and queue it for the member's home node."""
    text = _message(data)
    answer = session.get(ReceivedAnswer, answer_id) if 0 < answer_id < 2**31 else None
    if answer is None:
        raise NotFound(N_("no answer %(answer_id)s", answer_id=answer_id), reason="unknown-answer")
    url = node_url(session, node, answer.home_id)
    if not url:
        raise InvalidInput(
            N_("the address of the member's space is not known here"), reason="no-address"
        )
    row = SentReply(answer_id=answer.id, message=text, created=node.now())
    session.add(row)
    session.flush()  # the row's id is the reply's number on the wire
    enqueue_to(
        session,
        node,
        answer.home_id,
        url,
        "project.reply",
        {
            "project": answer.project_id,
            "answer": answer.answer,
            "reply": str(row.id),
            "message": text,
        },
    )
    return row
