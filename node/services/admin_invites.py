"""Inviting an admin user by e-mail: a link to choose their own password, instead of a
temporary one handed over by another channel. The admin web's users page and
``spazi admin create-user --invite`` use it; the link opens ``/admin/welcome/<secret>``
(node/web/admin_pages.py) and works once, for ``admin_auth.INVITE_TTL``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from node import mail, texts
from node.errors import Conflict
from node.messages import N_
from node.models import AdminUser
from node.runtime import Node
from node.services import admin_auth
from node.services.space import get_profile

WELCOME_PATH = "/admin/welcome/"


def require_mail(node: Node) -> None:
    """:class:`Conflict` naming the settings when the node cannot send mail."""
    if not mail.configured(node):
        raise Conflict(
            N_(
                "no mail server is set (smtp_host and the other smtp_* settings): add the user "
                "with a temporary password instead"
            ),
            reason="no-mail",
        )


def compose_invite(
    session: Session, node: Node, user: AdminUser, again: bool = False
) -> tuple[str, str, str]:
    """Make ``user`` an invitation link: the link, and the subject and body of its mail."""
    require_mail(node)
    secret = admin_auth.invite(session, user, node.now())
    link = f"{node.url}{WELCOME_PATH}{secret}"
    days = admin_auth.INVITE_TTL.days
    space = get_profile(session, node.node_id)["name"]
    # The new admin's language is not known yet: the mail is in the space's.
    _ = texts.for_recipient(node.settings)
    login, email = f"{node.url}/admin/login", user.email
    if user.role == "desk":
        can = _(
            "You can log in to the front desk of %(space)s at %(login)s as %(email)s.",
            space=space,
            login=login,
            email=email,
        )
    else:
        can = _(
            "You can log in to the admin pages of %(space)s at %(login)s as %(email)s.",
            space=space,
            login=login,
            email=email,
        )
    if again:
        choose = _(
            "Choose a new password here (the link works once, for %(days)s days):", days=days
        )
        subject = _("Set a new password: %(space)s admin", space=space)
    else:
        choose = _("Choose your password here (the link works once, for %(days)s days):", days=days)
        subject = _("You are invited: %(space)s admin", space=space)
    body = (
        f"{can}\n\n{choose}\n{link}\n\n" + _("If you did not expect this, ignore this mail.") + "\n"
    )
    return link, subject, body


def send_invite(session: Session, node: Node, user: AdminUser, again: bool = False) -> str:
    """:func:`compose_invite` and mail it once the transaction commits (from the web, whose
    process goes on); the link."""
    link, subject, body = compose_invite(session, node, user, again)
    mail.send_after_commit(session, node, [user.email], subject, body)
    return link
