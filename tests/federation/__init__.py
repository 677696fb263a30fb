"""Tests of the pure protocol core, ``federation``."""
