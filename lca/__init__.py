"""Tanji lca package."""
