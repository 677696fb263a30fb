"""Characters that change how the text around them is shown without being seen themselves.

A peer's or a user's text may hold them, and the protocol takes them (a right-to-left name can
need a bidi mark), but on a terminal or in a mail header they can disguise what is shown:
U+202E reverses what follows (``Invoice\\u202efdp.exe`` reads as ``Invoiceexe.pdf``), a
zero-width space makes ``Bin\\u200bario`` look like ``Binario``. The CLI shows each as a
visible escape (node/cli/output.py); mail headers drop them and mail bodies the ones that
reorder text (node/mail.py).
"""

from __future__ import annotations

# The bidi controls and marks, U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069.
BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
# The line and paragraph separators, which some terminals and mail readers break lines at.
SEPARATORS = (0x2028, 0x2029)
# Zero-width and blank characters with no visible glyph: zero-width space, non-joiner and
# joiner, word joiner and the invisible operators, the byte-order mark, the Mongolian vowel
# separator, the Hangul fillers, the combining grapheme joiner.
ZERO_WIDTH = (
    0x034F, 0x115F, 0x1160, 0x180E, 0x200B, 0x200C, 0x200D, *range(0x2060, 0x2065),
    0x3164, 0xFEFF, 0xFFA0,
)  # fmt: skip
UNSEEN = (*BIDI, *SEPARATORS, *ZERO_WIDTH)
# The zero-width non-joiner and joiner spell words (Persian, the Indic scripts) and emoji
# sequences: a line for a person to read keeps them.
JOINERS = (0x200C, 0x200D)
# For str.translate on one line of text (a mail header): each separator a space, every other
# unseen character but the joiners removed.
ONE_LINE = {
    **dict.fromkeys(code for code in UNSEEN if code not in JOINERS),
    **dict.fromkeys(SEPARATORS, " "),
}
# The explicit embeddings, overrides and isolates, which reorder the text that follows them
# (the marks U+061C, U+200E and U+200F only place the characters beside them): removed from
# the body of a mail, where a name or a message from a peer sits inside our own sentences.
REORDERING = dict.fromkeys((*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
