"""Backing a node up into one archive and restoring it (``spazi backup``, ``spazi restore``)."""
