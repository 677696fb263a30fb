"""The Spazi protocol, pure: documents, signatures, feeds, passes, agreements and sync.

Nothing in this package imports flask, sqlalchemy or ``node``; storage reaches it as callables
or small Protocol classes (see ``federation.sync``). ``tests/test_layering.py`` enforces this.
"""

PROTOCOL_VERSION = 1
