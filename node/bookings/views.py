"""A booking as the pages, the API, the CLI, the invitation and the mails show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from node.clock import aware


@dataclass(frozen=True)
class BookingView:
    """A booking as pages, the API and the CLI show it."""

    id: int | str  # our number; the host's own spelling in a notice at the home node
    day: date
    start: str | None
    end: str | None
    resource_id: str
    resource_name: str
    resource_kind: str
    kind_label: str
    name: str
    home_id: str
    home_name: str
    created: datetime
    cancelled: bool

    @property
    def when(self) -> str:
        """``all day`` for a desk, ``14:00–16:00`` for a room."""
        return f"{self.start}–{self.end}" if self.start else "all day"

    def as_dict(self) -> dict[str, Any]:
        """The booking as JSON."""
        return {
            "id": self.id,
            "day": self.day.isoformat(),
            "start": self.start,
            "end": self.end,
            "resource": self.resource_id,
            "resource_name": self.resource_name,
            "resource_kind": self.resource_kind,
            "name": self.name,
            "home_id": self.home_id,
            "home_name": self.home_name,
            "created": aware(self.created).isoformat(),
            "cancelled": self.cancelled,
        }
