"""Signed certificates of footprint results, signing keys, public verification."""
