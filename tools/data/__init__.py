"""Modules the data tools share (tree checks, the synthetic generator)."""
