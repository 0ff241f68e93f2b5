"""Brightway projects for tests, inside the session's own folder (set in tests/conftest.py
before anything imports bw2data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def use_project(name: str) -> str:
    """Select (creating it if needed) the Brightway project ``name``; fail if bw2data points
    anywhere but the test session's temporary folder."""
    import bw2data as bd

    base = os.environ.get("TANJI_TEST_BRIGHTWAY2_DIR")
    if not base or not Path(bd.projects.dir).resolve().is_relative_to(Path(base).resolve()):
        pytest.fail(f"bw2data uses {bd.projects.dir}, not the test folder {base}")
    bd.projects.set_current(name)
    return name
