"""Jobs as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel


class JobPublic(BaseModel):
    """A job's state as stored in PostgreSQL; ``output`` holds what it hands back."""

    id: UUID
    kind: str
    state: Literal["queued", "running", "succeeded", "failed"]
    progress: int
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    output: dict[str, Any] | None = None
    result_id: UUID | None = None
    result_url: str | None = None
