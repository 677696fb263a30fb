"""Photos of the space and its events (ARCHITECTURE.md §Photos; protocol.md §Photos).

The admin's uploads are stripped of metadata, re-encoded and scaled here (``images``), kept on
disk by content hash (``files``) and named in the signed ``space.profile`` or ``event.put``
(``service``). Peers' photos are fetched after sync from the origin or a relay, checked against
the signed hash, and cached within a disk budget (``fetching``). Which entries name which files
is the ``photo_refs`` table, written with the projection of every stored page (``refs``).
"""
