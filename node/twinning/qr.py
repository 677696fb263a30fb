"""Guest passes as QR codes (segno): inline SVG for the member's page, files for the CLI.

Byte mode, error correction M (protocol.md §Guest passes, Issuing: a pass fits version 20),
with the standard quiet zone so phone cameras and desk scanners find it.
"""

from __future__ import annotations

from pathlib import Path

import segno

ERROR = "m"


def svg_inline(token: str) -> str:
    """The QR code of ``token`` as an ``<svg>`` element to put in a page (scales to its box)."""
    code = segno.make(token, error=ERROR, micro=False, boost_error=False)
    return code.svg_inline(scale=4, omitsize=True, border=4, title="Guest pass QR code")


def save_qr(token: str, path: Path) -> None:
    """Write the QR code of ``token`` to ``path`` (.svg or .png)."""
    code = segno.make(token, error=ERROR, micro=False, boost_error=False)
    code.save(str(path), scale=6, border=4)
