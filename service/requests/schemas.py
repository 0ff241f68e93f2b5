"""Partnerships, data requests, answers and webhooks as the API takes and shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

Text = Field(default=None, max_length=200)


class InvitationCreate(BaseModel):
    """A buyer's invitation to one supplier organisation."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=500)
    expires_in_days: int = Field(default=14, ge=1, le=90)


class InvitationCreated(BaseModel):
    """A new invitation; ``code`` is shown this once (only its SHA-256 is kept)."""

    id: UUID
    code: str
    expires_at: datetime


class PartnershipCreate(BaseModel):
    """A supplier's admin accepting an invitation."""

    model_config = ConfigDict(extra="forbid")
    code: SecretStr = Field(min_length=10, max_length=200)


class PartnershipPublic(BaseModel):
    """A buyer<->supplier partnership; ``side`` is the caller's side of it."""

    id: UUID
    side: Literal["buyer", "supplier"]
    buyer_tenant_id: UUID
    buyer_name: str
    supplier_tenant_id: UUID
    supplier_name: str
    created_at: datetime


class DataRequestCreate(BaseModel):
    """Ask a partner supplier for data on parts of one BOM revision."""

    model_config = ConfigDict(extra="forbid")
    supplier_tenant_id: UUID
    product_id: UUID
    bom_revision_id: UUID
    line_ids: list[str] = Field(default_factory=list, max_length=200)
    part_numbers: list[str] = Field(default_factory=list, max_length=200)
    due_date: date
    message: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _some_parts(self) -> DataRequestCreate:
        if not (self.line_ids or self.part_numbers):
            raise ValueError("name the parts by line_ids or part_numbers")
        return self


class RequestPart(BaseModel):
    """A requested part: a leaf line of the buyer's revision."""

    line_id: str
    part_number: str
    description: str
    unit: str
    supplier: str | None = None


class DataRequestPublic(BaseModel):
    """A request as either side sees it; ``status`` is ``overdue`` past the due date while
    the request still waits for an (acceptable) answer, else the stored ``state``."""

    id: UUID
    side: Literal["buyer", "supplier"]
    buyer_tenant_id: UUID
    buyer_name: str
    supplier_tenant_id: UUID
    supplier_name: str
    product_id: UUID
    bom_revision_id: UUID
    parts: list[RequestPart]
    due_date: date
    message: str | None
    state: Literal["open", "answered", "accepted", "rejected"]
    overdue: bool
    status: Literal["open", "answered", "accepted", "rejected", "overdue"]
    created_at: datetime
    updated_at: datetime
    template_csv_url: str
    template_xlsx_url: str


class DeclaredForm(BaseModel):
    """A declared footprint per declared unit (our simpler form)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=300)
    declared_unit: str = Field(min_length=1, max_length=30)
    gwp100_kg_co2e: float | None = Field(default=None, allow_inf_nan=False)
    fossil_kg_co2e: float | None = Field(default=None, allow_inf_nan=False)
    biogenic_kg_co2e: float | None = Field(default=None, allow_inf_nan=False)
    land_use_kg_co2e: float | None = Field(default=None, allow_inf_nan=False)
    pollutants_kg: dict[str, float] = Field(
        default_factory=dict, description="so2, nox, pm25, pm10, nmvoc, nh3, co: kg per unit")
    reference_period_start: date
    reference_period_end: date
    standard: str | None = Text
    verification: str | None = Field(default=None, max_length=200,
                                     description="e.g. not verified, third-party verified")


class EnergyIn(BaseModel):
    """Energy bought per declared unit, linked to a background dataset."""

    model_config = ConfigDict(extra="forbid")
    carrier: str = Field(max_length=50, description="electricity, natural_gas, coal, diesel..")
    amount: float = Field(ge=0, allow_inf_nan=False)
    unit: str = Field(max_length=30)
    link_hint: str = Field(max_length=300, description="background dataset database:code")
    region: str | None = Field(default=None, max_length=50, description="grid region")


class MaterialIn(BaseModel):
    """A material input per declared unit, linked to a background dataset."""

    model_config = ConfigDict(extra="forbid")
    description: str = Field(max_length=300)
    amount: float = Field(ge=0, allow_inf_nan=False)
    unit: str = Field(max_length=30)
    link_hint: str = Field(max_length=300)


class EmissionIn(BaseModel):
    """A direct emission per declared unit (PM10 as a total; see docs/supplier-data.md)."""

    model_config = ConfigDict(extra="forbid")
    substance: str = Field(max_length=30)
    amount: float = Field(ge=0, allow_inf_nan=False)
    unit: str = Field(default="kg", max_length=30)


class ProcessForm(BaseModel):
    """Process data per declared unit: energy, materials, direct emissions."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=300)
    declared_unit: str = Field(min_length=1, max_length=30)
    location: str | None = Field(default=None, max_length=50)
    reference_period_start: date
    reference_period_end: date
    energy: list[EnergyIn] = Field(default_factory=list, max_length=200)
    materials: list[MaterialIn] = Field(default_factory=list, max_length=300)
    emissions: list[EmissionIn] = Field(default_factory=list, max_length=50)


class AnswerItem(BaseModel):
    """The answer for one requested part: exactly one of the three forms."""

    model_config = ConfigDict(extra="forbid")
    line_id: str = Field(max_length=200)
    declared: DeclaredForm | None = None
    process: ProcessForm | None = None
    pact: dict[str, Any] | None = Field(default=None,
                                        description="a PACT v2 ProductFootprint document")

    @model_validator(mode="after")
    def _one_form(self) -> AnswerItem:
        if sum(x is not None for x in (self.declared, self.process, self.pact)) != 1:
            raise ValueError("give exactly one of declared, process, pact")
        return self


class AnswerCreate(BaseModel):
    """A supplier's answer to a request: one item per requested part."""

    model_config = ConfigDict(extra="forbid")
    items: list[AnswerItem] = Field(min_length=1, max_length=200)
    share_detail: bool = Field(default=False, description="let the buyer see process detail")
    comment: str | None = Field(default=None, max_length=2000)


class AnswerItemPublic(BaseModel):
    """One answered part. ``detail`` (emissions and inputs of process data) is shown to the
    buyer only when the supplier set ``share_detail``."""

    line_id: str
    part_number: str
    primary_data_id: UUID
    kind: Literal["declared", "process"]
    name: str
    declared_unit: str
    reference_period_start: date | None
    reference_period_end: date | None
    standard: str | None = None
    verification: str | None = None
    per_unit: dict[str, float | None] | None = Field(
        description="indicator totals per declared unit: declared, or computed by the engine")
    per_unit_basis: str
    notes: list[str] = Field(default_factory=list)
    detail: dict[str, Any] | None = None


class AnswerPublic(BaseModel):
    """An answer as either side sees it; ``flags`` (plausibility) are shown to both."""

    id: UUID
    request_id: UUID
    form: str
    state: Literal["submitted", "accepted", "rejected"]
    share_detail: bool
    items: list[AnswerItemPublic]
    flags: list[dict[str, Any]]
    comment: str | None
    reject_reason: str | None
    outcome: dict[str, Any] | None
    created_at: datetime
    decided_at: datetime | None


class AnswerReject(BaseModel):
    """Why the buyer rejects an answer (the supplier may answer again)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class WebhookCreate(BaseModel):
    """Where to POST this tenant's notifications, and the shared HMAC secret."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2000)
    secret: SecretStr = Field(min_length=16, max_length=200)


class WebhookPublic(BaseModel):
    """A registered webhook (the secret is never shown again)."""

    id: UUID
    url: str
    created_at: datetime
    disabled_at: datetime | None


class DeliveryPublic(BaseModel):
    """One notification and how its delivery went."""

    id: UUID
    webhook_id: UUID
    event_type: str
    state: Literal["pending", "sent", "failed"]
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
