"""Tanji connectors package."""
