"""BOM and product payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class ProductCreate(BaseModel):
    """A product to attach BOMs to."""

    model_config = ConfigDict(extra="forbid")
    part_number: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=500)
    unit: str = Field(default="piece", max_length=50)


class ProductPublic(BaseModel):
    """A stored product."""

    id: UUID
    part_number: str
    name: str
    unit: str
    created_at: datetime


class BomLineIn(BaseModel):
    """One BOM line as JSON. Quantity is per one unit of the parent line (or of the product)."""

    model_config = ConfigDict(extra="forbid")
    line_id: str | None = None
    parent_line_id: str | None = None
    part_number: str | None = None
    description: str | None = None
    quantity: float | str | None = None
    unit: str | None = None
    supplier: str | None = None
    origin: str | None = None
    cn_code: str | None = None
    material_class: str | None = None
    mass_kg: float | str | None = None
    stage: str | None = None
    link_hint: str | None = None


class BomCreate(BaseModel):
    """A BOM revision submitted as JSON."""

    model_config = ConfigDict(extra="forbid")
    lines: list[BomLineIn]


class BomLinePublic(BaseModel):
    """A stored line."""

    line_id: str
    parent_line_id: str | None
    part_number: str
    description: str
    quantity: float
    unit: str
    supplier: str | None
    origin: str | None
    cn_code: str | None
    material_class: str | None
    mass_kg: float | None
    stage: str | None
    link_hint: str | None


class BomRevisionPublic(BaseModel):
    """A stored, immutable BOM revision with its explosion."""

    id: UUID
    product_id: UUID
    bom_revision_hash: str
    line_count: int
    source: str
    created_at: datetime
    created: bool = Field(description="false when identical content already existed")
    lines: list[BomLinePublic] | None = None
    explosion: list[dict[str, Any]] | None = None
