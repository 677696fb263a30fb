"""The query plans of the network pages' main statements, for the bench README: each statement
is built by the same ``node.published`` function the pages call and explained by the node's own
database (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL).

Not a test module; ``bench_network_pages.py --plans`` and ``python tests/bench/network_plans.py
DATA_DIR`` print them.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script


def _capture(session: Any, call: Any) -> list[tuple[str, Any]]:
    """The SQL statements (with their parameters) ``call(session)`` runs."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def hook(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append((statement, params))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", hook)
    try:
        call(session)
    finally:
        event.remove(engine, "before_cursor_execute", hook)
    return seen


def print_plans(data_dir: Path, where: str) -> None:
    from node import published
    from node.runtime import open_node

    node = open_node(str(data_dir), environ={})
    today = date.today()
    now = datetime.now(UTC)
    calls = {
        "spaces page (`visible_spaces`, a page of 51)": lambda s: published.visible_spaces(
            s, limit=51, leave_out=node.node_id
        ),
        "spaces by city and district (`space_groups`)": lambda s: published.space_groups(s),
        "upcoming events by city and district (`event_groups`)": lambda s: published.event_groups(
            s, now
        ),
        "events page (`query_events`, upcoming, a page of 51)": lambda s: published.query_events(
            s, None, today, limit=51, visible_only=True
        ),
        "events in a city with a tag (`query_events`)": lambda s: published.query_events(
            s, None, today, None, "workshop", "Genova", limit=51, visible_only=True
        ),
    }
    sqlite = node.db.engine.dialect.name == "sqlite"
    try:
        with node.db.read() as session:
            for label, call in calls.items():
                print(f"\n#### {label} ({where})\n\n```")
                for statement, params in _capture(session, call):
                    conn = session.connection()
                    explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
                    rows = conn.exec_driver_sql(explain + statement, params).fetchall()
                    for row in rows:
                        print(row[-1] if sqlite else row[0])
                print("```")
    finally:
        node.close()


if __name__ == "__main__":
    print_plans(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "")
