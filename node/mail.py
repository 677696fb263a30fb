"""The node's mail: personal links and passes to members, notices to the admins.

Sent only when the ``smtp_*`` settings name a server (README §Settings); otherwise nothing is
sent and the caller says where to find what the mail would have carried. Headers are built by
``email.message.EmailMessage`` from text with every control character removed, so a partner's
name in a subject cannot add a header. Notices to admins caused by an inbox message are sent
after its transaction commits, on a thread of their own, so a slow mail server never holds the
sender's request (:func:`send_after_commit`).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from federation.schema import ONE_LINE_CONTROLS
from node.models import AdminUser
from node.runtime import Node

log = logging.getLogger(__name__)

TIMEOUT_S = 15
# What a failed send raises: the connection (OSError, timeouts) or the server's refusal.
FAILURES = (OSError, smtplib.SMTPException)


def configured(node: Node) -> bool:
    """Whether the node may send mail."""
    return bool(node.settings.get("smtp_host"))


def _header(text: str) -> str:
    return " ".join(ONE_LINE_CONTROLS.sub(" ", text).split())[:300]


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
    message.set_content(body)
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


# One sender for the notices: a burst of them queues here instead of opening connections.
_SENDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spazi-mail")


def send_after_commit(
    session: Session,
    node: Node,
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Send a notice once ``session``'s transaction commits (never if it rolls back), from the
    one mail thread, logging a failure: a notice must not hold or undo what caused it."""
    if not configured(node) or not _addresses(to):
        return

    def deliver() -> None:
        try:
            send(node, build(node, to, subject, body, attachments))
        except Exception as exc:  # a notice is best effort; the cause is already stored
            log.warning("mail to %s not sent: %s", ", ".join(to), exc)

    def on_commit(_session: Session) -> None:
        _SENDER.submit(deliver)

    event.listen(session, "after_commit", on_commit, once=True)
