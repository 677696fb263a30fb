"""Spazi test suite."""
