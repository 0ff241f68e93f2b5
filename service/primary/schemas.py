"""Primary data as suppliers and buyers submit it: a process or a declared footprint."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lca.indicators import DEFAULT_INDICATORS, GHG_PARTS
from lca.primary import DIRECT_EMISSION_FLOWS
from lca.units import UnitError, canonical_unit

INDICATOR_IDS = tuple(ind.id for ind in DEFAULT_INDICATORS)


def _unit(value: str) -> str:
    try:
        canonical_unit(value)
    except UnitError as exc:
        raise ValueError(str(exc)) from exc
    return value


class DirectEmission(BaseModel):
    """kg of one substance emitted directly per declared unit."""

    model_config = ConfigDict(extra="forbid")
    substance: Literal[tuple(DIRECT_EMISSION_FLOWS)]  # type: ignore[valid-type]
    amount_kg: float = Field(ge=0, allow_inf_nan=False)


class ProcessInput(BaseModel):
    """A purchased input (energy, material, transport) per declared unit."""

    model_config = ConfigDict(extra="forbid")
    link_hint: str = Field(pattern=r"^[^:\s]+:[^\s]+$", max_length=300,
                           description="background dataset as database:code")
    amount: float = Field(ge=0, allow_inf_nan=False)
    unit: str = Field(max_length=30)

    _check_unit = field_validator("unit")(_unit)


class PrimaryDataCreate(BaseModel):
    """One record: ``process`` (emissions + inputs) or ``declared`` (values per indicator)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["process", "declared"]
    name: str = Field(min_length=1, max_length=300)
    declared_unit: str = Field(max_length=30)
    location: str | None = Field(default=None, max_length=50,
                                 description="where direct emissions happen (e.g. CN-SD)")
    reference_period_start: date | None = None
    reference_period_end: date | None = None
    emissions: list[DirectEmission] = Field(default_factory=list, max_length=200)
    inputs: list[ProcessInput] = Field(default_factory=list, max_length=500)
    values: dict[str, float] = Field(default_factory=dict,
                                     description="declared: indicator id -> value per unit")
    standard: str | None = Field(default=None, max_length=200)
    verification: str | None = Field(default=None, max_length=200)

    _check_unit = field_validator("declared_unit")(_unit)

    @model_validator(mode="after")
    def _consistent(self) -> PrimaryDataCreate:
        if (self.reference_period_start and self.reference_period_end
                and self.reference_period_end < self.reference_period_start):
            raise ValueError("reference_period_end is before reference_period_start")
        if self.kind == "process":
            if self.values:
                raise ValueError("a process gives emissions and inputs, not values")
            if not (self.emissions or self.inputs):
                raise ValueError("a process needs emissions or inputs")
        else:
            if self.emissions or self.inputs:
                raise ValueError("a declared footprint gives values, not emissions or inputs")
            unknown = sorted(set(self.values) - set(INDICATOR_IDS))
            if unknown:
                raise ValueError(f"unknown indicators {unknown}; known: {list(INDICATOR_IDS)}")
            if "gwp100_kg_co2e" not in self.values:
                raise ValueError("a declared footprint needs gwp100_kg_co2e")
            if any(v != v or v in (float("inf"), float("-inf")) for v in self.values.values()):
                raise ValueError("values must be finite numbers")
            parts = [GHG_PARTS[p] for p in ("fossil", "biogenic", "luc")]
            given = [p for p in parts if p in self.values]
            if given and len(given) != len(parts):
                raise ValueError(f"give all GHG parts {parts} or none")
            if given:
                total, summed = self.values[GHG_PARTS["total"]], sum(self.values[p] for p in parts)
                if abs(summed - total) > 1e-6 * max(abs(total), 1e-12):
                    raise ValueError("the GHG parts do not add up to gwp100_kg_co2e")
        return self

    def payload(self) -> dict[str, Any]:
        """What is stored besides the columns."""
        if self.kind == "declared":
            return {"values": self.values, "standard": self.standard,
                    "verification": self.verification}
        return {"emissions": [e.model_dump() for e in self.emissions],
                "inputs": [i.model_dump() for i in self.inputs]}


class PrimaryDataPublic(BaseModel):
    """A stored record and the link hint that puts it on a BOM line."""

    id: UUID
    kind: str
    name: str
    declared_unit: str
    location: str | None
    reference_period_start: date | None
    reference_period_end: date | None
    payload: dict[str, Any]
    created_at: datetime
    link_hint: str
