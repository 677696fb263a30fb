"""Monthly visit reports on both sides of a twinning: the host's guests per partner and member
pseudonym, the home node's members abroad; what one side only knows (a report still queued, a
pseudonym the home node cannot place); the same figures on the CLI, as CSV (formula-safe) and
on the admin page with its chart."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.cli.main import main
from node.services import members
from node.twinning import desk, passes, reports
from node.twinning.agreements import Terms
from tests.cli_network import in_network
from tests.network import Network, network
from tests.node.test_admin_pages import logged_in_admin
from tests.node.twin_support import add_member, twin
from tests.support import FakeClock


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.peer("a", "b")
        net.settle()
        net.agreement = twin(net, "a", "b", ours=Terms(2, 10, ("hot_desk",)))  # type: ignore[attr-defined]
        yield net


def _visit(net: Network, member: int) -> str:
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, member, net["b"].id).token
    net.settle()
    with net["b"].node.db.write() as session:
        result = desk.check_in(session, net["b"].node, token)
    assert result.admitted
    return result.day.isoformat()


def test_both_sides_report_the_same_days_and_what_is_not_confirmed(net: Network) -> None:
    ada, bob = add_member(net, "a"), add_member(net, "a", "=Bob Noyce")
    day = _visit(net, ada)
    _visit(net, bob)
    month = day[:7]
    with net["b"].node.db.read() as session:
        before = reports.visit_report(session, month)
    hosted = before.rows_of("hosted")
    assert [(r.partner, r.days) for r in hosted] == [("WeCreate NYC", 1)] * 2
    # The first day's report went out with the second pass's sync; the second still waits.
    assert sorted(r.unconfirmed for r in hosted) == [0, 1]
    net.deliver()  # the reports reach NYC
    with net["b"].node.db.read() as session:
        after = reports.visit_report(session, month)
    assert [r.unconfirmed for r in after.rows_of("hosted")] == [0, 0]
    with net["a"].node.db.read() as session:
        home = reports.visit_report(session, month)
    abroad = home.rows_of("abroad")
    assert sorted((r.partner, r.member, r.days) for r in abroad) == [
        ("The Cube", "=Bob Noyce", 1),
        ("The Cube", "Ada Lovelace", 1),
    ]
    assert after.totals("hosted") == {"WeCreate NYC": 2} and home.totals("abroad") == {
        "The Cube": 2
    }  # the two sides reconcile

    # A member removed at home before the host's report arrives: NYC refuses it, and The
    # Cube's report shows that day as disputed rather than unconfirmed.
    cy = add_member(net, "a", "Cy Young")
    _visit(net, cy)
    with net["a"].node.db.write() as session:
        members.remove_member(session, net["a"].node, cy)
    net.deliver()
    with net["b"].node.db.read() as session:
        rows = reports.visit_report(session, month).rows_of("hosted")
    assert sorted((r.disputed, r.unconfirmed) for r in rows) == [(0, 0), (0, 0), (1, 0)]

    with net["a"].node.db.read() as session:
        text = reports.as_csv(reports.visit_report(session, month))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["member"] for r in rows if r["direction"] == "abroad"} >= {"'=Bob Noyce"}


def test_the_cli_the_csv_and_the_page(
    net: Network, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_network(net, monkeypatch)
    day = _visit(net, add_member(net, "a"))
    month = day[:7]
    net.deliver()
    at = ["--data-dir", str(net["b"].data_dir)]
    assert main([*at, "report", "visits", "--month", month]) == 0
    out = capsys.readouterr()[0]
    assert "Guests we hosted in" in out and "WeCreate NYC" in out
    assert (
        main([*at, "report", "visits", "--month", month, "--csv", "--partner", "WeCreate NYC"]) == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr()[0])))
    assert [(r["direction"], r["partner"], r["days"]) for r in rows] == [
        ("hosted", "WeCreate NYC", "1")
    ]
    assert main([*at, "report", "visits", "--month", "2026-13"]) == 1
    assert "YYYY-MM" in capsys.readouterr()[1]

    b = net["b"]
    logged_in_admin(b)
    page = b.client.get(f"/admin/reports?month={month}").get_data(as_text=True)
    assert "Guests we hosted in" in page and "<svg" in page and "WeCreate NYC" in page
    download = b.client.get(f"/admin/reports.csv?month={month}")
    assert (
        download.mimetype == "text/csv" and "attachment" in download.headers["Content-Disposition"]
    )
    assert b.client.get("/admin/reports?month=nope").status_code == 422


def test_reciprocity_counts_both_directions_since_the_start(
    net: Network,
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agreement = net.agreement  # type: ignore[attr-defined]
    ada = add_member(net, "a")
    day = _visit(net, ada)  # a's member at b: b gave one day
    clock.advance(86400)
    _visit(net, ada)  # and another
    bea = add_member(net, "b", "Bea Cube")
    with net["b"].node.db.write() as session:
        token = passes.issue_pass(session, net["b"].node, bea, net["a"].id).token
    net.settle()
    with net["a"].node.db.write() as session:
        assert desk.check_in(session, net["a"].node, token).admitted  # a gave one day
    net.deliver()
    month = day[:7]
    with net["b"].node.db.read() as session:
        at_b = reports.reciprocity(session, agreement, net["a"].id, month)
    with net["a"].node.db.read() as session:
        at_a = reports.reciprocity(session, agreement, net["b"].id, month)
    assert (at_b.gave_total, at_b.got_total, at_b.balance) == (2, 1, 1)
    assert (at_a.gave_total, at_a.got_total, at_a.balance) == (1, 2, -1)  # the mirror image

    b = net["b"]
    logged_in_admin(b)
    page = b.client.get("/admin/partners").get_data(as_text=True)
    assert "we gave 2, they gave 1: 1 more given than received" in page
    in_network(net, monkeypatch)
    assert main(["--data-dir", str(b.data_dir), "report", "visits", "--month", month]) == 0
    assert "since the start we gave 2, got 1" in capsys.readouterr()[0]
