"""``python -m node.cli``: the ``spazi`` command, for when the console script is not on PATH."""

from node.cli.main import entry

entry()
