"""The node software's version, in a leaf module.

Modules that print the version (the API document, Atom and ICS generators) import it from here
rather than from the ``node`` package, whose :func:`node.create_app` imports the whole app: that
would make every one of them part of an import cycle.
"""

from __future__ import annotations

__version__ = "0.1.0"
