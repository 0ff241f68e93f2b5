"""Validators for the vendored PACT v2 OpenAPI document's own JSON schemas.

OpenAPI 3.1 schemas are JSON Schema 2020-12; a component is checked by a root schema that
refers to it and carries the document's ``components``, so every ``$ref`` resolves in place.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SPEC = Path(__file__).parent / "spec" / "openapi.yaml"


@lru_cache
def spec() -> dict[str, Any]:
    """The vendored PACT v2 OpenAPI document."""
    return yaml.safe_load(SPEC.read_text())


def validator(component: str) -> Draft202012Validator:
    """A validator for ``#/components/schemas/<component>``."""
    root = {"$ref": f"#/components/schemas/{component}", "components": spec()["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def response_validator(path: str, method: str = "get", status: str = "200"):
    """A validator for a response body of one operation (e.g. ``/2/footprints``)."""
    body = spec()["paths"][path][method]["responses"][status]["content"]["application/json"]
    root = {**body["schema"], "components": spec()["components"]}
    return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(component: str, document: Any) -> list[str]:
    """Every schema violation, as ``path: message``."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(component).iter_errors(document)]
