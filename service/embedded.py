"""Embedded servers for a first run: PostgreSQL from the pgserver wheel.

Used only when ``DATABASE_URL`` is unset. The data folder persists across
restarts. The broker needs no server at all: Celery's file transport (see
:mod:`service.workers`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def start_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or reuse) an embedded PostgreSQL keeping its files in ``data_dir``.

    Returns the server handle (keep it referenced: dropping it may stop the
    server) and its connection URL.
    """
    import pgserver  # imported lazily: production never needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir.resolve()), cleanup_mode="stop")
    return server, server.get_uri()
