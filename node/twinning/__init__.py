"""Twinning: agreements between spaces, guest passes and the front desk (ARCHITECTURE.md
§Registries and features; protocol.md §Agreements, §Guest passes).

One feature package: its models and migration, use cases that never import Flask, inbox
handlers, projectors, JSON API, pages, CLI and templates. Its parts are named in the
``TWINNING`` record of ``node/features.py``.
"""
