"""``spazi agreement|pass|checkin``: twinning from the terminal (README §Twinning).

Each command calls the same use cases as the API and the admin pages (node/twinning/); output
goes through node/cli/output.py, which escapes text that came from peers.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.cli.output import CliError, echo, emit_json, table, verbatim
from node.clock import utc_minute

if TYPE_CHECKING:
    from node.runtime import Node


def _terms(per_member: int | None, total: int | None, kinds: str | None, side: str) -> Any:
    from node.twinning.agreements import Terms, parse_kinds

    if per_member is None or total is None:
        raise CliError(f"{side}: give both the days per member and the total days", 2)
    return Terms(per_member, total, parse_kinds(kinds))


def _gives(terms: Any) -> str:
    kinds = ", ".join(k.replace("_", " ") for k in terms.kinds)
    return f"{terms.per_member}/member, {terms.total} total a month ({kinds})"


def cmd_agreement_propose(args: argparse.Namespace, node: Node) -> int:
    from node.twinning import agreements

    ours = _terms(args.guest_days_per_member, args.guest_days_total, args.resources, "we give")
    asymmetric = any(
        v is not None
        for v in (args.they_give_per_member, args.they_give_total, args.they_resources)
    )
    theirs = (
        _terms(
            args.they_give_per_member or ours.per_member,
            args.they_give_total or ours.total,
            args.they_resources or ",".join(ours.kinds),
            "they give",
        )
        if asymmetric
        else ours
    )
    with node.db.write() as session:
        row = agreements.propose(
            session, node, args.partner, ours, theirs, args.date_from, args.date_until
        )
        view = agreements.view(session, node, row)
    echo("proposed agreement {} to {}", row.id[:12], view.partner_name or row.partner_id)
    echo("we give: {}", _gives(view.we_give))
    echo("they give: {}", _gives(view.they_give))
    echo("it is delivered to their inbox (retried while they are down); see spazi agreement list")
    return 0


def _row(view: Any) -> dict[str, Any]:
    return {
        "id": view.id[:12],
        "partner": view.partner_name or view.partner_id,
        "we give": _gives(view.we_give),
        "they give": _gives(view.they_give),
        "valid": f"{view.valid_from} – {view.valid_until}",
        "state": view.label,
    }


def cmd_agreement_list(args: argparse.Namespace, node: Node) -> int:
    from node.twinning import agreements

    with node.db.read() as session:
        views = agreements.list_views(session, node)
    if args.json:
        emit_json([v.as_dict() for v in views])
    elif not views:
        echo("no agreements yet: spazi agreement propose PARTNER …")
    else:
        table([_row(v) for v in views], ["id", "partner", "we give", "they give", "valid", "state"])
    return 0


def cmd_agreement_show(args: argparse.Namespace, node: Node) -> int:
    from node.twinning import agreements

    with node.db.read() as session:
        view = agreements.view(session, node, agreements.get(session, args.id))
    if args.json:
        emit_json(view.as_dict())
        return 0
    for label, value in (
        ("id", view.id),
        ("partner", f"{view.partner_name} ({view.partner_id})"),
        ("state", view.label),
        ("we give", _gives(view.we_give)),
        ("they give", _gives(view.they_give)),
        ("valid", f"from {view.valid_from} until (not including) {view.valid_until}"),
    ):
        echo("{}: {}", label, value)
    if view.ends_after:
        echo("ends after: {}", view.ends_after)
    if view.reason:
        echo("reason: {}", view.reason)
    return 0


def cmd_agreement_accept(args: argparse.Namespace, node: Node) -> int:
    from node.twinning import agreements

    with node.db.write() as session:
        row = agreements.accept(session, node, args.id)
    echo("accepted agreement {}: published, and the partner is told", row.id[:12])
    return 0


def cmd_agreement_reject(args: argparse.Namespace, node: Node) -> int:
    from node.twinning import agreements

    with node.db.write() as session:
        row = agreements.reject(session, node, args.id, args.reason)
    echo("rejected agreement {}: the partner is told", row.id[:12])
    return 0


def cmd_agreement_terminate(args: argparse.Namespace, node: Node) -> int:
    from node.twinning import agreements

    with node.db.write() as session:
        row = agreements.terminate(session, node, args.id, args.effective, args.reason)
    if row.state == "terminated":
        echo("terminated agreement {}: published in our feed", row.id[:12])
    else:
        echo(
            "agreement {} ends after {}; the termination is published then",
            row.id[:12],
            row.ends_after,
        )
    return 0


def _when(seconds: int) -> str:
    return utc_minute(datetime.fromtimestamp(seconds, UTC))


def cmd_pass_issue(args: argparse.Namespace, node: Node) -> int:
    from node.twinning.passes import issue_pass

    if args.qr is not None and Path(args.qr).suffix.lower() not in (".svg", ".png"):
        raise CliError("--qr: give a file name ending in .svg or .png", 2)
    with node.db.write() as session:
        issued = issue_pass(session, node, args.member, args.partner, args.day)
    echo(
        "pass {} for member {}, valid {} – {}",
        issued.jti,
        issued.member_id,
        _when(issued.nbf),
        _when(issued.exp),
    )
    echo("{}", issued.token)
    if args.qr is not None:
        from node.qr import save_qr

        save_qr(issued.token, Path(args.qr))
        echo("QR code written to {}", args.qr)
    page = f"{node.url or ''}/m/pass/{issued.jti}"
    echo("pass page: {}", page)
    echo("(it is also on the member's own page: spazi member link {})", issued.member_id)
    if args.send:
        _mail_pass(node, issued.member_id, page)
    return 0


def _mail_pass(node: Node, member_id: int, page: str) -> None:
    from node import mail, texts
    from node.services.members import get_member

    if not mail.configured(node):
        raise CliError("the pass is issued, but no mail server is set up (smtp_host): give the "
                       f"member its page yourself: {page}")  # fmt: skip
    with node.db.read() as session:
        member = get_member(session, member_id)
        name, email = member.name, member.email
    _ = texts.for_recipient(node.settings)
    body = (
        _("Hello %(name)s,", name=name)
        + "\n\n"
        + _("your guest pass is ready; show its QR code at the partner's front desk:")
        + f"\n{page}\n"
    )
    try:
        mail.send(node, mail.build(node, [email], _("Your guest pass"), body))
    except mail.FAILURES as exc:
        raise CliError(f"the pass is issued but the mail failed ({exc}): {page}") from exc
    echo("mailed the pass to {}", email)


def cmd_pass_list(args: argparse.Namespace, node: Node) -> int:
    from node import published
    from node.twinning.passes import live_passes

    with node.db.read() as session:
        rows = live_passes(session, node, args.member, args.partner)
        names = published.space_names(session, {p.partner_id for p in rows})
    items = [
        {
            "jti": p.jti,
            "member": p.member_id,
            "partner": p.partner_id,
            "day": p.day or "",
            "valid from": _when(p.nbf),
            "until": _when(p.exp),
        }
        for p in rows
    ]
    if args.json:
        emit_json(items)  # ids for programs
    else:
        # Names for people, as `agreement list` shows them; the id where the name is unknown.
        for item in items:
            item["partner"] = names.get(str(item["partner"])) or item["partner"]
        table(items, ["jti", "member", "partner", "day", "valid from", "until"])
    return 0


def cmd_pass_revoke(args: argparse.Namespace, node: Node) -> int:
    from node.twinning.passes import revoke_pass

    with node.db.write() as session:
        revoke_pass(session, node, args.jti)
    echo("revoked pass {}: partners refuse it once they have synced our feed", args.jti)
    return 0


def cmd_checkin(args: argparse.Namespace, node: Node) -> int:
    from node.twinning.desk import check_in

    with node.db.write() as session:
        result = check_in(session, node, args.token, args.resource)
    if args.json:
        emit_json(result.as_dict())
        return 0 if result.admitted else 1
    if not result.admitted:
        echo("REFUSED: {}", result.message)
        if result.name:
            echo("guest: {} from {}", result.name, result.home_name or result.home_id)
        return 1
    echo("ADMITTED: {}", result.name)
    echo("home space: {}", result.home_name or result.home_id)
    if result.already_today:
        echo("already checked in today (counted once)")
    echo("day {} of {} this month", result.member_days_used, result.member_days_allowed)
    echo(
        "their members: {} of {} days this month",
        result.partner_days_used,
        result.partner_days_allowed,
    )
    return 0


def cmd_report_visits(args: argparse.Namespace, node: Node) -> int:
    """Guests we hosted and our members abroad in one month, as a table or CSV."""
    from node.services.known_spaces import resolve_partner
    from node.twinning import reports
    from node.twinning.agreements import list_views as agreements_views

    with node.db.read() as session:
        partner = resolve_partner(session, node, args.partner).node_id if args.partner else None
        report = reports.visit_report(session, args.month, partner)
    if args.csv:
        verbatim(reports.as_csv(report))
        return 0
    with node.db.read() as session:
        balances = [
            (view, reports.reciprocity(session, view.id, view.partner_id, report.month))
            for view in agreements_views(session, node)
            if view.state == "active" and (partner is None or view.partner_id == partner)
        ]
    for view, r in balances:
        echo(
            "{}: this month we gave {} days and got {}; since the start we gave {}, got {}",
            view.partner_name or view.partner_id,
            r.gave_this_month,
            r.got_this_month,
            r.gave_total,
            r.got_total,
        )
    for direction, title in (("hosted", "Guests we hosted"), ("abroad", "Our members abroad")):
        echo("{} in {}:", title, report.month)
        rows = [
            {"partner": r.partner, "member": r.member, "days": r.days,
             "unconfirmed": r.unconfirmed or "", "disputed": r.disputed or ""}
            for r in report.rows_of(direction)
        ]  # fmt: skip
        table(rows, ["partner", "member", "days", "unconfirmed", "disputed"])
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``agreement``, ``pass``, ``checkin`` and ``report`` commands."""

    def command(
        parent: argparse._SubParsersAction,  # type: ignore[type-arg]
        name: str,
        func: Any,
        help_text: str,
        publishes: bool = False,
    ) -> argparse.ArgumentParser:
        parser = parent.add_parser(name, help=help_text)
        parser.set_defaults(func=func, needs_node=True, publishes=publishes)
        return parser

    ap = sub.add_parser("agreement", help="twinning agreements with partner spaces").add_subparsers(
        dest="sub", required=True
    )
    p = command(ap, "propose", cmd_agreement_propose, "propose an agreement to a partner")
    p.add_argument("partner", help="node id, URL or name of a known space")
    p.add_argument("--guest-days-per-member", type=int, required=True, metavar="N")
    p.add_argument("--guest-days-total", type=int, required=True, metavar="N")
    p.add_argument("--resources", help="kinds our guests may use, e.g. hot_desk,meeting_room")
    p.add_argument("--from", dest="date_from", required=True, metavar="DATE")
    p.add_argument(
        "--until",
        dest="date_until",
        required=True,
        metavar="DATE",
        help="first day no longer in force",
    )
    p.add_argument("--they-give-per-member", type=int, metavar="N", help="asymmetric terms")
    p.add_argument("--they-give-total", type=int, metavar="N")
    p.add_argument("--they-resources")
    p = command(ap, "list", cmd_agreement_list, "list agreements and where each stands")
    p.set_defaults(reads_only=True)
    p.add_argument("--json", action="store_true")
    p = command(ap, "show", cmd_agreement_show, "one agreement")
    p.set_defaults(reads_only=True)
    p.add_argument("id", help="the agreement id (its first digits will do)")
    p.add_argument("--json", action="store_true")
    p = command(ap, "accept", cmd_agreement_accept, "accept a proposal", publishes=True)
    p.add_argument("id")
    p = command(ap, "reject", cmd_agreement_reject, "turn a proposal down")
    p.add_argument("id")
    p.add_argument("--reason")
    p = command(ap, "terminate", cmd_agreement_terminate, "end an agreement", publishes=True)
    p.add_argument("id")
    p.add_argument("--effective", metavar="DATE", help="the last day in force (default: today)")
    p.add_argument("--reason")

    pp = sub.add_parser("pass", help="guest passes for our members").add_subparsers(
        dest="sub", required=True
    )
    p = command(pp, "issue", cmd_pass_issue, "issue a guest pass")
    p.add_argument("--member", type=int, required=True, metavar="ID")
    p.add_argument("--partner", required=True, help="node id, URL or name")
    p.add_argument("--day", help="the visit day at the partner (YYYY-MM-DD); default: 24 hours")
    p.add_argument("--qr", metavar="FILE", help="also write the QR code (.svg or .png)")
    p.add_argument("--send", action="store_true", help="mail the pass page to the member")
    p = command(pp, "list", cmd_pass_list, "live passes")
    p.set_defaults(reads_only=True)
    p.add_argument("--member", type=int, metavar="ID")
    p.add_argument("--partner")
    p.add_argument("--json", action="store_true")
    p = command(pp, "revoke", cmd_pass_revoke, "revoke a pass", publishes=True)
    p.add_argument("jti", help="the pass id (spazi pass list); put -- before one starting with -")

    rp = sub.add_parser("report", help="reports of the twinning exchange").add_subparsers(
        dest="sub", required=True
    )
    p = command(rp, "visits", cmd_report_visits, "guests hosted and members abroad in a month")
    p.add_argument("--month", required=True, metavar="YYYY-MM")
    p.add_argument("--partner", help="node id, URL or name of one partner")
    p.add_argument("--csv", action="store_true", help="CSV on standard output")
    p = command(sub, "checkin", cmd_checkin, "check a guest pass in at our front desk")
    p.add_argument("token")
    p.add_argument("--resource", metavar="KIND", help="a resource kind, e.g. hot_desk")
    p.add_argument("--json", action="store_true")
