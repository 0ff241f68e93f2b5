"""Snapshots and imports as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class SnapshotPublic(BaseModel):
    """A frozen background database with its indicator set."""

    snapshot_hash: str
    name: str
    databases: list[str]
    activity_count: int
    indicator_ids: list[str]
    precomputed: bool
    scope: Literal["operator", "tenant"]
    created_at: datetime


class ImportRequest(BaseModel):
    """POST /v1/imports: import a bundled database into a new snapshot of this tenant."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["uslci", "tiangong", "tiangong+uslci"]
    name: str | None = Field(default=None, min_length=1, max_length=200)
    max_unlinked_share: float = Field(default=0.05, gt=0, le=1)


class ActivityPublic(BaseModel):
    """A background dataset, as buyers search for it to link BOM lines."""

    database: str
    code: str
    name: str
    reference_product: str | None
    location: str | None
    unit: str | None
    name_zh: str | None = None
    classification: str | None = None
    link_hint: str
    has_cutoff: bool


def scope_of(tenant_id: UUID | None) -> Literal["operator", "tenant"]:
    """Who provides a snapshot."""
    return "operator" if tenant_id is None else "tenant"
