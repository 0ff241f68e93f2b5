"""Link rules: how a buyer's BOM lines map to background datasets."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

MatchField = Literal["part_number", "material_class", "cn_code", "description"]


class LinkRuleCreate(BaseModel):
    """A rule: lines whose ``match_field`` matches ``pattern`` use dataset (database, code)."""

    model_config = ConfigDict(extra="forbid")
    match_field: MatchField
    pattern: str = Field(min_length=1, max_length=300)
    target_database: str = Field(min_length=1, max_length=200)
    target_code: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=100, ge=0, le=10_000)


class LinkRulePublic(LinkRuleCreate):
    """A stored rule."""

    id: UUID
    created_at: datetime
