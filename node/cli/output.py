r"""How the CLI talks: results on stdout, one-line errors on stderr, progress for long work.

Every line the ``spazi`` command prints goes through this module, and every piece of text in it
that did not come from this program's own source (space names, cities, event titles and tags,
peer names and URLs, errors from peers, block reasons, command-line arguments quoted back) goes
through :func:`clean` on the way. A terminal acts on control characters: ``ESC ] 52`` writes the
clipboard, ``ESC [ 2J`` clears the screen, U+009B is CSI on its own, U+202E reverses what
follows. ``clean`` shows each of them as a visible escape instead:

- C0 controls (U+0000–U+001F, tab and line end included), DEL and C1 controls (U+007F–U+009F)
  as ``\xNN`` (ESC is ``\x1b``);
- the bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the line and
  paragraph separators (U+2028, U+2029), the zero-width and blank characters (U+200B–U+200D,
  U+2060–U+2064, U+FEFF and the others ``node.invisible`` lists) and lone surrogates as
  ``\uNNNN``.

Backslashes are left as they are: the text is for reading, and ``--json`` gives exact values.
The helpers clean by default, so a command cannot forget: :func:`echo` fills a literal template
with cleaned values, :func:`table` cleans every cell, :class:`Progress` its label and notes, and
:func:`emit_json` escapes the same characters as JSON ``\u`` escapes, which decode to the exact
value. ``tests/node/test_cli_terminal.py`` holds the command modules to these helpers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

from node.errors import InvalidInput
from node.invisible import UNSEEN

T = TypeVar("T")


def _shown_controls() -> dict[int, str]:
    table_: dict[int, str] = {}
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)):
        table_[code] = f"\\x{code:02x}"
    for code in (*UNSEEN, *range(0xD800, 0xE000)):
        table_[code] = f"\\u{code:04x}"
    return table_


# What clean() replaces, and by what (the module docstring lists and explains the set).
SHOWN_CONTROLS = _shown_controls()
# The same characters as JSON escapes; json.dumps escapes C0 itself, so these are the rest.
_JSON_ESCAPES = {code: f"\\u{code:04x}" for code in SHOWN_CONTROLS if code >= 0x7F}
# What verbatim() shows on a terminal: the JSON escapes, and the C0 controls but line ends (a
# canonical JSON document has none of them raw; a CSV report may).
_TERMINAL_ESCAPES = {
    **{code: shown for code, shown in SHOWN_CONTROLS.items() if code < 0x7F},
    **_JSON_ESCAPES,
}
del _TERMINAL_ESCAPES[0x0A], _TERMINAL_ESCAPES[0x0D]


def clean(value: object) -> str:
    r"""``value`` as text safe to print on a terminal: each control character shown as a
    visible escape (``\x1b``, ``\u202e``…), everything else unchanged; None is empty."""
    if value is None:
        return ""
    return str(value).translate(SHOWN_CONTROLS)


def echo(template: str, *values: object, err: bool = False) -> None:
    """Print one line: ``template`` (this program's own words, with ``{}`` for each value, so
    always a literal) filled with ``values``, each through :func:`clean`; on stderr with
    ``err``."""
    print(template.format(*(clean(value) for value in values)), file=sys.stderr if err else None)


def verbatim(text: str) -> None:
    r"""Write ``text`` to stdout exactly when it goes to a file or a pipe, for output that must
    stay byte for byte what is stored (our own signed feed as canonical JSON, a CSV report). On
    a terminal the controls :func:`clean` shows are ``\u`` escapes instead (``\x`` for C0 but
    line ends), which a person reads as the same text and a terminal cannot act on."""
    out = sys.stdout
    out.write(text.translate(_TERMINAL_ESCAPES) if out.isatty() else text)


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
    r"""``data`` as indented JSON. Letters stay readable (no ``ensure_ascii``), but every control
    :func:`clean` shows is a ``\u`` escape: inside a JSON string that decodes to the same
    value, and no control character can occur outside one."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    (stream or sys.stdout).write(text.translate(_JSON_ESCAPES) + "\n")


def table(rows: list[dict[str, Any]], columns: list[str], stream: TextIO | None = None) -> None:
    """A plain aligned table, every cell through :func:`clean`; empty tables say so instead of
    printing nothing."""
    out = stream or sys.stdout
    if not rows:
        out.write("(none)\n")
        return
    cells = [[clean(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    out.write(
        "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n"
    )
    for row in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")


class Progress:
    """A one-line progress report on stderr, rewritten in place on a terminal."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = clean(label), total, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def advance(self, count: int = 1, note: str = "") -> None:
        self.done += count
        total = f"/{self.total}" if self.total else ""
        line = f"{self.label}: {self.done}{total} {clean(note)}".rstrip()
        if self.tty:
            self.stream.write("\r" + line.ljust(70))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self, note: str = "done") -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.write(f"{self.label}: {clean(note)}\n")
        self.stream.flush()
