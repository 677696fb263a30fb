"""``spazi peer|sync|key|worker|network``: the federation, for network admins."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.cli.output import CliError, Progress, clean, echo, emit_json, option, table
from node.lazy import lazy_module
from node.people.cli import register_network_people

if TYPE_CHECKING:
    from federation import keys
    from node import feedcheck, formats
    from node.network import blocking, invites, joining, muting, peering, status
    from node.runtime import Node
else:  # imported when a command runs (node/lazy.py)
    keys = lazy_module("federation.keys")
    feedcheck = lazy_module("node.feedcheck")
    formats = lazy_module("node.formats")
    invites = lazy_module("node.network.invites")
    blocking = lazy_module("node.network.blocking")
    joining = lazy_module("node.network.joining")
    muting = lazy_module("node.network.muting")
    peering = lazy_module("node.network.peering")
    status = lazy_module("node.network.status")


def cmd_peer_invite(args: argparse.Namespace, node: Node) -> int:
    code = joining.create_invite(node, option("--expires", formats.parse_duration, args.expires))
    echo("One-time invite, valid {}; give it to the other admin:", args.expires, err=True)
    echo("{}", code)
    return 0


def cmd_peer_invites(args: argparse.Namespace, node: Node) -> int:
    """The newest invite codes and where each stands; ``--withdraw ID`` ends an open one."""
    now = node.now()
    if args.withdraw is not None:
        with node.db.write() as session:
            invites.withdraw_invite(session, args.withdraw, now)
        echo("invite {} withdrawn: its code no longer works", args.withdraw)
        return 0
    with node.db.read() as session:
        rows = invites.list_invites(session, now)
    table(
        [
            {
                "id": r.id,
                "made": formats.ago(r.created, now),
                "expires": r.expires.strftime("%Y-%m-%d %H:%M"),
                "state": r.state,
                "used_by": r.used_by_name or r.used_by or "",
            }
            for r in rows
        ],
        ["id", "made", "expires", "state", "used_by"],
    )
    return 0


def cmd_peer_join(args: argparse.Namespace, node: Node) -> int:
    peer = joining.join(node, args.code)
    echo("peered with {} ({}) at {}", peer.name or peer.id, keys.fingerprint(peer.id), peer.url)
    return 0


def _confirm(
    question: str, assume_yes: bool, unattended: str = "check the fingerprint and pass --yes"
) -> None:
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise CliError(f"no terminal to confirm on: {unattended}", 2)
    if input(f"{question} [y/N] ").strip().lower() not in {"y", "yes"}:
        raise CliError("cancelled; nothing was sent")


def cmd_peer_add(args: argparse.Namespace, node: Node) -> int:
    descriptor = joining.discover(node, args.url, args.expect_id)
    echo("{} at {}", descriptor.name, descriptor.url, err=True)
    echo("  node id:     {}", descriptor.id, err=True)
    echo("  fingerprint: {}", keys.fingerprint(descriptor.id), err=True)
    _confirm("Is this the fingerprint the other admin gave you?", args.yes)
    peer = joining.request(node, descriptor)
    echo("peering request sent; {} is now {}", descriptor.name, peer.state)
    return 0


def cmd_peer_requests(args: argparse.Namespace, node: Node) -> int:
    if args.clear:
        with node.db.read() as session:
            waiting = peering.count_pending(session)
        if not waiting:
            echo("no peering requests are waiting")
            return 0
        _confirm(
            f"Reject all {waiting} waiting peering requests?",
            args.yes,
            "pass --yes to reject every waiting request",
        )
        echo("rejected {} peering requests; each sender is told", joining.reject_all(node))
        return 0
    with node.db.read() as session:
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "url": p.url,
                "fingerprint": keys.fingerprint(p.id),
                "since": formats.ago(p.state_changed, node.now()),
            }
            for p in peering.all_peers(session)
            if p.state == "pending"
        ]
    table(rows, ["id", "name", "url", "fingerprint", "since"])
    return 0


def cmd_peer_approve(args: argparse.Namespace, node: Node) -> int:
    peer = joining.approve(node, args.peer_id)
    echo("approved {}; it is now active", peer.name or peer.id)
    return 0


def cmd_peer_reject(args: argparse.Namespace, node: Node) -> int:
    peer = joining.reject(node, args.peer_id)
    echo("rejected {}", peer.name or peer.id)
    return 0


def cmd_peer_list(args: argparse.Namespace, node: Node) -> int:
    rows = status.peer_rows(node)
    if args.json:
        emit_json(rows)
        return 0
    table(
        rows,
        ["id", "name", "url", "state", "last_sync", "lag", "failures", "next_try", "last_error"],
    )
    with node.db.read() as session:
        own = feedcheck.alerts(session, node.node_id)
    for line in own:
        echo("\nWARNING: {}", line)
    forks = status.quarantined(node)
    if forks:
        echo("\nQuarantined (signed two different histories; proofs in /federation/v1/forks):")
        table(forks, ["origin", "seq", "found"])
    return 0


def cmd_peer_block(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        blocking.block(session, node, args.node_id, args.reason or "")
    echo("blocked {}; what we mirrored of it was dropped", args.node_id)
    return 0


def cmd_peer_unblock(args: argparse.Namespace, node: Node) -> int:
    with node.db.write() as session:
        blocking.unblock(session, node, args.node_id)
    echo("unblocked {}", args.node_id)
    return 0


def cmd_blocklist_export(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        text = blocking.export_csv(blocking.list_blocks(session))
    if args.file == "-":
        # Reasons come from other admins' files: on stdout each field is cleaned, so a reason
        # can neither hold an escape nor start a line of its own; a file keeps them exactly.
        shown = io.StringIO()
        writer = csv.writer(shown, lineterminator="\n")
        for record in csv.reader(io.StringIO(text)):
            writer.writerow([clean(field) for field in record])
        for line in shown.getvalue().splitlines():
            echo("{}", line)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        count = text.count("\n") - 1
        echo("wrote {} blocked node{} to {}", count, "" if count == 1 else "s", args.file)
    return 0


def cmd_blocklist_import(args: argparse.Namespace, node: Node) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}") from exc
    with node.db.write() as session:
        added = blocking.import_csv(session, node, text)
    echo("blocked {} more nodes", added)
    return 0


def cmd_sync(args: argparse.Namespace, node: Node) -> int:
    from node.network.syncing import sync_due

    bars: dict[str, Progress] = {}

    def on_page(peer_id: str, step: Any) -> None:
        bar = bars.setdefault(
            f"{peer_id}/{step.origin}",
            Progress(f"sync {step.origin[-12:]} via {peer_id[-12:]}", step.target),
        )
        bar.done = step.seq
        bar.advance(0, f"(+{step.stored})")

    from node.leases import HOLDER, release_lease, take_lease

    # The scheduler of a running node takes the same lease: two syncs never run at once.
    if not take_lease(node, "sync", timedelta(minutes=10), holder=HOLDER):
        raise CliError(
            "a sync is running in another process (the node's scheduler); try again in a minute"
        )
    try:
        result = sync_due(node, force=True, only=args.peer, progress=on_page)
    finally:
        release_lease(node, "sync", holder=HOLDER)
    if not result.reports:
        raise CliError("no active peer to sync with (see spazi peer list)")
    failed = 0
    for peer_id, report in result.reports.items():
        if report.peer_failed and report.peer_error:
            failed += 1
            error = report.peer_error
            echo("{}: FAILED {}: {}", peer_id, error.reason, error.detail, err=True)
            continue
        echo("{}: stored {} entries in {} pages", peer_id, report.total_stored, report.pages)
        if report.out_of_time:
            echo(
                "  stopped after sync_round_budget ({} s); run spazi sync again to go on",
                node.settings["sync_round_budget"],
                err=True,
            )
        for origin, issue in report.errors.items():
            echo("  {}: refused ({}: {})", origin, issue.reason, issue.detail, err=True)
    if result.forks_recorded:
        echo("{} forked origins quarantined", result.forks_recorded, err=True)
    refused = any(report.errors for report in result.reports.values())
    return 1 if failed or refused else 0


def cmd_key_rotate(args: argparse.Namespace, node: Node) -> int:
    from node.services.keys import rotate

    since = (
        option("--compromised-since", formats.parse_instant_ms, args.compromised_since)
        if args.compromised_since
        else None
    )
    old = node.key.kid
    new = rotate(node, since)
    echo("rotated key {} -> {}; peers follow it at their next sync", old, new.kid)
    return 0


def cmd_worker(args: argparse.Namespace, node: Node) -> int:
    from node.jobs import run_worker

    echo("worker running sync, outbox and prune jobs (Ctrl-C stops)", err=True)
    run_worker(node)
    return 0


def cmd_network_spaces(args: argparse.Namespace, node: Node) -> int:
    from node.services.network import list_spaces

    with node.db.read() as session:
        rows = list_spaces(
            session, node, city=args.city, district=args.district, country=args.country
        )
    if args.json:
        emit_json(rows)
    else:
        table(rows, ["name", "district", "city", "country", "url", "origin", "updated"])
    return 0


def cmd_network_events(args: argparse.Namespace, node: Node) -> int:
    from node.services import events
    from node.services.network import event_rows

    filters = events.parse_query(
        {
            "from": args.date_from,
            "to": args.date_to,
            "tag": args.tag,
            "city": args.city,
            "district": args.district,
        }
    )
    with node.db.read() as session:
        rows = event_rows(session, node, **filters)
    if args.json:
        emit_json(rows)
    else:
        table(rows, ["start", "title", "space", "with", "city", "status"])
    return 0


def _mute_target(args: argparse.Namespace) -> tuple[str, bool]:
    """(node id, whether it names a relay) from ``ORIGIN`` or ``--relayed-by PEER``."""
    if (args.node_id is None) == (args.relayed_by is None):
        raise CliError(
            f"give either ORIGIN or --relayed-by PEER (see spazi network {args.sub} --help)", 2
        )
    if args.relayed_by is not None:
        return args.relayed_by, True
    return args.node_id, False


def cmd_network_mute(args: argparse.Namespace, node: Node) -> int:
    node_id, relay = _mute_target(args)
    with node.db.write() as session:
        added = muting.mute(session, node, node_id, relayed_by=relay)
        shown = muting.label(session, node_id)
        count = len(muting.introduced_by(session, node_id)) if relay else 1
    if not added:
        echo("{} is already muted; nothing changed (see spazi network muted)", shown)
    elif relay:
        echo(
            "muted the {} origins first relayed by {}, and any it introduces later; their feeds "
            "are still synced and relayed (spazi peer block stops that)",
            count,
            shown,
        )
    else:
        echo(
            "muted {} ({}); its feed is still synced and relayed (spazi peer block stops that)",
            shown,
            keys.fingerprint(node_id),
        )
    return 0


def cmd_network_unmute(args: argparse.Namespace, node: Node) -> int:
    node_id, relay = _mute_target(args)
    with node.db.write() as session:
        muting.unmute(session, node, node_id, relayed_by=relay)
        shown = muting.label(session, node_id)
    if relay:
        echo("unmuted the origins relayed by {}; they show again unless hidden another way", shown)
    else:
        echo("unmuted {}; it shows again unless blocked, forked or muted with its relay", shown)
    return 0


def cmd_network_muted(args: argparse.Namespace, node: Node) -> int:
    with node.db.read() as session:
        mutes = muting.muted_rows(session, node)
    rows = []
    for mute in mutes:
        why = f"relayed by {mute['label']}" if mute["scope"] == muting.RELAYED_BY else "muted"
        for origin in mute["origins"] or [{"origin": None, "name": "", "fingerprint": ""}]:
            rows.append({**origin, "muted": why, "since": mute["since"], "by": mute["node_id"]})
    if args.json:
        emit_json(rows)
        return 0
    table(
        [r if r["origin"] else {**r, "name": "(none yet)"} for r in rows],
        ["fingerprint", "name", "muted", "since", "origin"],
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    def command(parent: Any, name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
        parser.set_defaults(func=func, needs_node=True)
        return parser

    pp = sub.add_parser("peer", help="peering with other nodes")
    peer_sub = pp.add_subparsers(dest="sub", required=True)
    p = command(peer_sub, "invite", cmd_peer_invite, "print a one-time invite code")
    p.add_argument("--expires", default="7d", help="how long the code is valid (30m, 12h, 7d)")
    p = command(peer_sub, "invites", cmd_peer_invites, "invite codes made here and who used them")
    p.add_argument("--withdraw", type=int, metavar="ID", help="end an open invite now")
    p = command(peer_sub, "join", cmd_peer_join, "peer both ways using an invite code")
    p.set_defaults(publishes=True)  # a peering change announces the peer list
    p.add_argument("code")
    p = command(peer_sub, "add", cmd_peer_add, "send a peering request to the node at URL")
    p.set_defaults(publishes=True)  # a peering change announces the peer list
    p.add_argument("url")
    p.add_argument("--expect-id", help="refuse unless the node at URL has this id")
    p.add_argument("--yes", action="store_true", help="skip the fingerprint confirmation")
    p = command(peer_sub, "requests", cmd_peer_requests, "peering requests waiting for you")
    p.add_argument("--clear", action="store_true", help="reject every waiting request")
    p.add_argument("--yes", action="store_true", help="with --clear: do not ask first")
    p = command(peer_sub, "approve", cmd_peer_approve, "approve a peering request")
    p.set_defaults(publishes=True)  # a peering change announces the peer list
    p.add_argument("peer_id")
    p = command(peer_sub, "reject", cmd_peer_reject, "reject a peering request")
    p.add_argument("peer_id")
    p = command(peer_sub, "list", cmd_peer_list, "peers with their sync health")
    p.set_defaults(reads_only=True)
    p.add_argument("--json", action="store_true")
    p = command(peer_sub, "block", cmd_peer_block, "block a node and drop its mirrored data")
    p.set_defaults(publishes=True)  # a peering change announces the peer list
    p.add_argument("node_id")
    p.add_argument("--reason")
    p = command(peer_sub, "unblock", cmd_peer_unblock, "unblock a node")
    p.set_defaults(publishes=True)  # a peering change announces the peer list
    p.add_argument("node_id")
    bl = peer_sub.add_parser("blocklist", help="import or export the block list as CSV")
    bl_sub = bl.add_subparsers(dest="blocklist_command", required=True)
    p = command(bl_sub, "export", cmd_blocklist_export, "write the block list (- for stdout)")
    p.add_argument("file")
    p = command(bl_sub, "import", cmd_blocklist_import, "block every node in a CSV file")
    p.set_defaults(publishes=True)  # a peering change announces the peer list
    p.add_argument("file")

    p = command(sub, "sync", cmd_sync, "pull from peers now, with progress")
    p.add_argument("--peer", help="only this peer (node id)")

    kp = sub.add_parser("key", help="the node key").add_subparsers(dest="sub", required=True)
    p = command(kp, "rotate", cmd_key_rotate, "replace the node key (peers follow)")
    p.set_defaults(publishes=True)
    p.add_argument("--compromised-since", help="time from which the old key is untrusted (UTC)")

    p = command(sub, "worker", cmd_worker, "run scheduled jobs in this process (no web server)")
    # A long-lived process: it builds every registry and checks the declarations against them,
    # as create_app does for `spazi run` (node/startup.py).
    p.set_defaults(full_check=True)

    np_ = sub.add_parser("network", help="spaces and events across the network")
    net_sub = np_.add_subparsers(dest="sub", required=True)
    p = command(net_sub, "spaces", cmd_network_spaces, "every known space")
    p.add_argument("--city")
    p.add_argument("--district")
    p.add_argument("--country")
    p.add_argument("--json", action="store_true")
    p = command(net_sub, "events", cmd_network_events, "events across the network")
    p.add_argument("--city")
    p.add_argument("--district")
    p.add_argument("--tag")
    p.add_argument("--from", dest="date_from", help="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="YYYY-MM-DD")
    p.add_argument("--json", action="store_true")
    for name, func, help_text in (
        ("mute", cmd_network_mute, "hide an origin from the network views (still synced)"),
        ("unmute", cmd_network_unmute, "show a muted origin again"),
    ):
        p = command(net_sub, name, func, help_text)
        p.add_argument("node_id", nargs="?", metavar="ORIGIN", help="the origin's node id")
        p.add_argument(
            "--relayed-by",
            metavar="PEER",
            help="instead: every origin first relayed by this peer (node id), later ones too",
        )
    p = command(net_sub, "muted", cmd_network_muted, "the muted origins and why")
    p.add_argument("--json", action="store_true")
    register_network_people(command, net_sub)  # people (node/people/)
