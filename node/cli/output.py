"""How the CLI talks: results on stdout, one-line errors on stderr, progress for long work."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

from node.errors import InvalidInput

T = TypeVar("T")


class CliError(Exception):
    """An error shown as one line on stderr with a non-zero exit (2 for usage, 1 otherwise)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def option(name: str, parse: Callable[..., T], *args: Any) -> T:
    """``parse(*args)`` (a :mod:`node.formats` parser, the grammar every surface shares), its
    refusal shown as ``--name: why`` with the usage exit status, 2."""
    try:
        return parse(*args)
    except InvalidInput as exc:
        raise CliError(f"{name}: {exc.detail}", 2) from None


def emit_json(data: Any, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def table(rows: list[dict[str, Any]], columns: list[str], stream: TextIO | None = None) -> None:
    """A plain aligned table; empty tables say so instead of printing nothing."""
    out = stream or sys.stdout
    if not rows:
        out.write("(none)\n")
        return
    cells = [[str(r.get(c, "") if r.get(c) is not None else "") for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    out.write(
        "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n"
    )
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


class Progress:
    """A one-line progress report on stderr, rewritten in place on a terminal."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def advance(self, count: int = 1, note: str = "") -> None:
        self.done += count
        total = f"/{self.total}" if self.total else ""
        line = f"{self.label}: {self.done}{total} {note}".rstrip()
        if self.tty:
            self.stream.write("\r" + line.ljust(70))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self, note: str = "done") -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.write(f"{self.label}: {note}\n")
        self.stream.flush()
