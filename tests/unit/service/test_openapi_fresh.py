"""The checked-in OpenAPI document matches the code."""

from __future__ import annotations

from pathlib import Path

from service.openapi_doc import render

CHECKED_IN = Path(__file__).resolve().parents[3] / "openapi" / "openapi.json"


def test_openapi_document_is_current() -> None:
    assert CHECKED_IN.exists(), "run `tanji openapi` to write openapi/openapi.json"
    assert CHECKED_IN.read_text() == render(), "stale: run `tanji openapi` and commit it"
