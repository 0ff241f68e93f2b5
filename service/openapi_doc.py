"""The checked-in OpenAPI document, rendered from the app."""

from __future__ import annotations

import json

from service.app import create_app
from service.config import Settings


def render() -> str:
    """openapi/openapi.json as it must read for the current code."""
    app = create_app(Settings(database_url="postgresql://unused", celery_broker_url="memory://"))
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
