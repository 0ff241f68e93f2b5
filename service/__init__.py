"""Tanji service package."""
