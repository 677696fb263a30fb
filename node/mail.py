"""The node's mail: personal links and passes to members, notices to the admins.

Sent only when the ``smtp_*`` settings name a server (README §Settings); otherwise nothing is
sent and the caller says where to find what the mail would have carried. Headers are built by
``email.message.EmailMessage`` from text with every control character removed, so a partner's
name in a subject cannot add a header.

Notices (to admins, to members, to guests) are queued, not sent, by the code that causes them:
:func:`send_after_commit` writes a ``mail_queue`` row in the caller's transaction, so the notice
exists exactly when what it tells of does. Once that transaction commits, the process's one mail
thread sends what is due at once (a slow mail server never holds a request), and the ``mail``
job sends whatever is still waiting — after a restart, or while the server was down — retrying
with back-off for :data:`GIVE_UP_AFTER` (ARCHITECTURE.md §Mail). Mails a person waits for at a
terminal (a member's link, a pass) are sent directly with :func:`send`, which reports failure.
"""

from __future__ import annotations

import base64
import logging
import random
import smtplib
import ssl
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from federation.backoff import next_delay
from federation.schema import ONE_LINE_CONTROLS
from node.clock import aware
from node.invisible import ONE_LINE, REORDERING
from node.models import AdminUser, QueuedMail
from node.runtime import Node

log = logging.getLogger(__name__)

TIMEOUT_S = 15
# What a failed send raises: the connection (OSError, timeouts) or the server's refusal.
FAILURES = (OSError, smtplib.SMTPException)


def configured(node: Node) -> bool:
    """Whether the node may send mail."""
    return bool(node.settings.get("smtp_host"))


def _header(text: str) -> str:
    """``text`` as one header line: controls and line separators become spaces, and the
    characters that would disguise it (a peer's name with a bidi override or a zero-width
    space, node/invisible.py) are dropped; a subject names things, it needs none of them."""
    return " ".join(ONE_LINE_CONTROLS.sub(" ", text).translate(ONE_LINE).split())[:300]


def _addresses(to: Sequence[str]) -> list[str]:
    """The plain addresses of ``to``; anything else (a display name, a list) is left out."""
    return [a for a in to if "," not in a and parseaddr(a)[1] == a and "@" in a]


Attachment = tuple[str, str, bytes]  # file name, MIME type ("text/calendar"), content


def build(
    node: Node,
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """The message, from the node's sender address."""
    message = EmailMessage()
    message["From"] = _header(
        str(node.settings.get("smtp_from") or f"Spazi <noreply@{_host(node)}>")
    )
    message["To"] = ", ".join(_header(address) for address in _addresses(to))
    message["Subject"] = _header(subject)
    message["Message-ID"] = make_msgid(domain=_host(node))
    message.set_content(body.translate(REORDERING))
    for filename, mimetype, content in attachments:
        maintype, subtype = mimetype.split("/", 1)
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _host(node: Node) -> str:
    url = str(node.settings.get("url") or node.url or "")
    return url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"


def send(node: Node, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server; ``OSError``/``smtplib.SMTPException`` on failure."""
    settings = node.settings
    if settings.get("smtp_user") and not settings.get("smtp_starttls"):
        # A password is never sent in clear.
        raise smtplib.SMTPException("smtp_user needs smtp_starttls: log in over TLS only")
    with smtplib.SMTP(
        str(settings["smtp_host"]), int(settings["smtp_port"]), timeout=TIMEOUT_S
    ) as smtp:
        if settings.get("smtp_starttls"):
            smtp.starttls(context=ssl.create_default_context())
        if settings.get("smtp_user"):
            smtp.login(str(settings["smtp_user"]), str(settings.get("smtp_password") or ""))
        smtp.send_message(message)


def admin_addresses(session: Session) -> list[str]:
    """The addresses of the admins (desk logins get no notices)."""
    return list(
        session.scalars(
            select(AdminUser.email).where(AdminUser.role == "admin").order_by(AdminUser.email)
        )
    )


# The retries of a queued notice: full-jitter back-off from half a minute up to an hour between
# tries, for three days (a weekend's outage of the mail server), then given up and logged.
RETRY_BASE_MS = 30_000
RETRY_CAP_MS = 60 * 60 * 1000
GIVE_UP_AFTER = timedelta(days=3)
KEEP_GIVEN_UP = timedelta(days=7)
BATCH = 50  # notices sent per drain; the rest wait for the next one
_rng = random.SystemRandom()

# How long a notice being sent stays claimed (longer than a send may take: TIMEOUT_S per step).
CLAIM = timedelta(minutes=5)

# One sender thread per process: a burst of notices queues here instead of opening connections;
# a lock per node makes it and the scheduler's ``mail`` job take turns (:func:`_lock`). Other
# processes are kept off a notice by its claim (:func:`_claim`).
_SENDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spazi-mail")


def send_after_commit(
    session: Session,
    node: Node,
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Queue a notice in ``session``'s transaction (gone with it if it rolls back), and send
    it once that transaction commits, from the mail thread: a notice never holds or undoes what
    caused it, and a mail server that is down delays it without losing it."""
    addresses = _addresses(to)
    if not configured(node) or not addresses:
        return
    session.add(
        QueuedMail(
            recipients=addresses,
            subject=subject,
            body=body,
            attachments=[
                [name, mimetype, base64.b64encode(content).decode("ascii")]
                for name, mimetype, content in attachments
            ],
            created=node.now(),
            tries=0,
            next_try=node.now(),
        )
    )

    def on_commit(_session: Session) -> None:
        _SENDER.submit(_send_now, node)

    event.listen(session, "after_commit", on_commit, once=True)


def _send_now(node: Node) -> None:
    try:
        drain(node)
    except Exception as exc:  # the job sends it later
        log.warning("queued mail not sent now: %s", exc)


def due(node: Node) -> bool:
    """Whether a queued notice is due (a read)."""
    return _any(node, QueuedMail.next_try <= node.now())


def has_work(node: Node) -> bool:
    """Whether :func:`drain` has anything to do: a notice due (when a mail server is set), one
    too old to send, or a given-up one to prune. One read: the ``mail`` job's whole cost when
    nothing is waiting."""
    stale = _stale(node.now())
    return _any(node, (QueuedMail.next_try <= node.now()) | stale if configured(node) else stale)


def _any(node: Node, condition: Any) -> bool:
    with node.db.read() as session:
        return session.scalar(select(QueuedMail.id).where(condition).limit(1)) is not None


def drain(node: Node, limit: int = BATCH) -> tuple[int, int]:
    """Send the due notices once each; (sent, failed). A sent notice is deleted; a failed one
    waits with back-off, and is given up once :data:`GIVE_UP_AFTER` old, refused for good (a 5xx
    answer) or unbuildable. A mail server that cannot be reached ends the drain: the rest of the
    batch waits with the same back-off instead of each costing a connection timeout. Notices
    too old to send are given up unsent, and old given-up rows pruned, even while no mail
    server is set."""
    sent = failed = 0
    with _lock(node):
        _expire(node)
        if not configured(node):
            return 0, 0
        with node.db.read() as session:
            rows = list(
                session.scalars(
                    select(QueuedMail.id)
                    .where(QueuedMail.next_try <= node.now())
                    .order_by(QueuedMail.next_try, QueuedMail.id)
                    .limit(limit)
                )
            )
        for number, mail_id in enumerate(rows):
            row = _claim(node, mail_id)
            if row is None:
                continue  # another process is sending it
            error: Exception | None = None
            try:
                send(node, build(node, row.recipients, row.subject, row.body, _files(row)))
            except Exception as exc:  # any failure is recorded on the row
                error = exc
            with node.db.write() as session:
                current = session.get(QueuedMail, mail_id)
                if current is None:
                    continue
                if error is None:
                    session.delete(current)
                    sent += 1
                    continue
                failed += 1
                _failed(node, current, error)
                if _unreachable(error):
                    waiting = session.scalars(
                        select(QueuedMail).where(
                            QueuedMail.id.in_(rows[number + 1 :]),
                            QueuedMail.next_try <= node.now(),
                        )
                    )
                    for other in waiting:
                        failed += 1
                        _failed(node, other, error)
                    break
    return sent, failed


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(node: Node) -> threading.Lock:
    """This node's drain lock: the mail thread and the ``mail`` job take turns, and in a hub
    one space's unreachable mail server holds up no other space's mail."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(node.node_id, threading.Lock())


def _expire(node: Node) -> None:
    """Give up, unsent, the notices older than :data:`GIVE_UP_AFTER` (after the mail settings
    were removed, say: a stale invitation must not go out weeks later), and prune the given-up
    rows older than :data:`KEEP_GIVEN_UP`."""
    now = node.now()
    if not _any(node, _stale(now)):
        return  # the usual case: a read, no write
    with node.db.write() as session:
        rows = session.scalars(
            select(QueuedMail).where(
                QueuedMail.next_try.is_not(None), QueuedMail.created < now - GIVE_UP_AFTER
            )
        )
        for row in rows:
            _give_up(row, "too old to send")
        session.execute(
            delete(QueuedMail)
            .where(QueuedMail.next_try.is_(None), QueuedMail.created < now - KEEP_GIVEN_UP)
            .execution_options(synchronize_session=False)  # SQLite's times are naive
        )


def _stale(now: datetime) -> Any:
    """The condition of a notice too old to send, or of a given-up one old enough to prune."""
    return (QueuedMail.next_try.is_not(None) & (QueuedMail.created < now - GIVE_UP_AFTER)) | (
        QueuedMail.next_try.is_(None) & (QueuedMail.created < now - KEEP_GIVEN_UP)
    )


def _claim(node: Node, mail_id: int) -> QueuedMail | None:
    """Take a due notice for :data:`CLAIM` (it stops being due), so that of several processes
    draining at once one sends it; one that dies while sending leaves it due again after that
    (delivery is at least once). The row as claimed, or None when it was not due any more."""
    now = node.now()
    with node.db.write() as session:
        taken = session.execute(
            update(QueuedMail)
            .where(QueuedMail.id == mail_id, QueuedMail.next_try <= now)
            .values(next_try=now + CLAIM)
        )
        if not taken.rowcount:  # type: ignore[attr-defined]
            return None
        row = session.get(QueuedMail, mail_id)
        if row is not None:
            session.expunge(row)
        return row


def _files(row: QueuedMail) -> list[Attachment]:
    return [(name, mimetype, base64.b64decode(data)) for name, mimetype, data in row.attachments]


def _failed(node: Node, row: QueuedMail, error: Exception) -> None:
    row.tries += 1
    row.last_error = f"{type(error).__name__}: {error}"[:500]
    now = aware(node.now())
    if (
        not isinstance(error, FAILURES)  # the message itself is at fault: it will not improve
        or _refused_for_good(error)
        or now - aware(row.created) >= GIVE_UP_AFTER
    ):
        _give_up(row, row.last_error, exc_info=not isinstance(error, FAILURES))
        return
    delay = next_delay(row.tries, RETRY_BASE_MS, RETRY_CAP_MS, _rng)
    row.next_try = now + timedelta(milliseconds=delay)
    log.warning("mail to %s not sent, will retry: %s", ", ".join(row.recipients), row.last_error)


def _give_up(row: QueuedMail, why: str, exc_info: bool = False) -> None:
    """Stop trying ``row``; keep who it was for, its subject and why (for the record, a week),
    not its text: a body may hold a secret link the node otherwise keeps only hashed."""
    log.error(
        "gave up mailing %s (%r) after %d tries: %s",
        ", ".join(row.recipients),
        _header(row.subject),
        row.tries,
        why,
        exc_info=exc_info,
    )
    row.next_try = None
    row.last_error = why[:500]
    row.body = ""
    row.attachments = []


def _unreachable(error: Exception) -> bool:
    """The mail server could not be reached (no answer, refused connection, a timeout): every
    other notice would fail the same way now."""
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _refused_for_good(error: Exception) -> bool:
    """A 5xx answer (no such mailbox, message refused): trying again changes nothing. An
    ``smtp_user`` without ``smtp_starttls`` waits instead: the admin may mend the settings."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600
