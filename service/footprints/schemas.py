"""Footprint requests, jobs and results as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class FootprintOptions(BaseModel):
    """What to compute beyond the footprint itself."""

    model_config = ConfigDict(extra="forbid")
    snapshot_hash: str | None = Field(default=None, description="background snapshot to use")
    contributions_top_n: int = Field(default=0, ge=0, le=100)
    monte_carlo_iterations: int = Field(default=0, ge=0, le=10_000)
    monte_carlo_seed: int | None = None


class FootprintRequest(BaseModel):
    """POST /v1/footprints body."""

    model_config = ConfigDict(extra="forbid")
    bom_revision_id: UUID
    options: FootprintOptions = Field(default_factory=FootprintOptions)


class FootprintResultPublic(BaseModel):
    """An immutable footprint result, pinned to what produced it."""

    id: UUID
    job_id: UUID
    bom_revision_id: UUID
    bom_revision_hash: str
    snapshot_hash: str | None
    method_versions: dict[str, Any]
    code_version: str
    created_at: datetime
    result: dict[str, Any]
