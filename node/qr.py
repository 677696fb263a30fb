"""QR codes (segno): inline SVG for pages, files for the CLI. Guest passes (the member's page,
``spazi pass issue --qr``) and peering invites (the admin's network page) use them.

Byte mode, error correction M (protocol.md §Guest passes, Issuing: a pass fits version 20),
with the standard quiet zone so phone cameras and desk scanners find it.
"""

from __future__ import annotations

from pathlib import Path

import segno

ERROR = "m"


def svg_inline(text: str, title: str = "Guest pass QR code") -> str:
    """The QR code of ``text`` as an ``<svg>`` element to put in a page (scales to its box)."""
    code = segno.make(text, error=ERROR, micro=False, boost_error=False)
    return code.svg_inline(scale=4, omitsize=True, border=4, title=title)


def save_qr(token: str, path: Path) -> None:
    """Write the QR code of ``token`` to ``path`` (.svg or .png)."""
    code = segno.make(token, error=ERROR, micro=False, boost_error=False)
    code.save(str(path), scale=6, border=4)
