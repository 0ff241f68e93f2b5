"""Measures, scenario requests and results as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator


class LineSelector(BaseModel):
    """Which BOM leaves a change applies to; every given criterion must hold."""

    model_config = ConfigDict(extra="forbid")
    line_ids: list[str] = Field(default_factory=list, max_length=1000)
    part_number: str | None = None
    material_class: str | None = None
    description: str | None = Field(default=None, description="shell-style pattern, any case")

    @model_validator(mode="after")
    def _some(self) -> LineSelector:
        if not (self.line_ids or self.part_number or self.material_class or self.description):
            raise ValueError("give at least one of line_ids, part_number, material_class, "
                             "description")
        return self


class ChangeSpec(BaseModel):
    """One change of a measure.

    - ``substitute``: link to ``target`` (``database:code``), amount x ``factor``;
    - ``relocate``: the same product from ``location`` (e.g. ``SD-CN``);
    - ``scale``: amount x ``factor``;
    - ``use_primary``: ``target`` = ``primary:<id>`` (a supplier's primary data record);
    - ``switch_electricity``: the process's electricity from ``target`` (a grid dataset);
      ``sources`` (``database:code``) limits which inputs move (default: all electricity).
    """

    model_config = ConfigDict(extra="forbid")
    type: Literal["substitute", "relocate", "scale", "use_primary", "switch_electricity"]
    select: LineSelector
    target: str | None = Field(default=None, max_length=300)
    location: str | None = Field(default=None, max_length=100)
    factor: float = Field(default=1.0, gt=0)
    sources: list[str] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _fields(self) -> ChangeSpec:
        if self.type in ("substitute", "use_primary", "switch_electricity") and not self.target:
            raise ValueError(f"a {self.type} change needs a target")
        if self.type == "use_primary" and not str(self.target).startswith("primary:"):
            raise ValueError("a use_primary target is primary:<id>")
        if self.type == "relocate" and not self.location:
            raise ValueError("a relocate change needs a location")
        return self


class MeasureCreate(BaseModel):
    """POST /v1/measures body: a new measure, or a new version of one of the same name."""

    model_config = ConfigDict(extra="forbid")
    product_id: UUID
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    changes: list[ChangeSpec] = Field(min_length=1, max_length=100)
    cost_per_unit: float | None = Field(
        default=None, description="change of cost per product unit (annualised capital + "
                                  "operating); negative is a saving")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    exclusive_group: str | None = Field(
        default=None, max_length=200, description="measures of one group are alternatives")

    @model_validator(mode="after")
    def _currency(self) -> MeasureCreate:
        if self.cost_per_unit is not None and self.currency is None:
            raise ValueError("a cost needs a currency")
        return self


class MeasurePublic(BaseModel):
    """A stored measure (immutable; a new version is a new measure)."""

    id: UUID
    product_id: UUID
    name: str
    version: int
    description: str | None
    changes: list[dict[str, Any]]
    cost_per_unit: float | None
    currency: str | None
    exclusive_group: str | None
    created_at: datetime


class PortfolioGoal(BaseModel):
    """What portfolio to choose among the scenario's measures.

    ``cheapest``: least cost cutting GHG by at least ``ghg_cut_kg_co2e`` per product unit;
    ``max_ghg_cut``: largest GHG cut at a cost of at most ``budget`` per product unit. Either
    way no region's APeq may rise by more than ``region_apeq_cap`` (null: no limit).
    """

    model_config = ConfigDict(extra="forbid")
    goal: Literal["cheapest", "max_ghg_cut"]
    ghg_cut_kg_co2e: float | None = Field(default=None, ge=0)
    budget: float | None = None
    region_apeq_cap: float | None = 0.0
    pareto_points: int = Field(default=11, ge=0, le=101)

    @model_validator(mode="after")
    def _bound(self) -> PortfolioGoal:
        if self.goal == "cheapest" and self.ghg_cut_kg_co2e is None:
            raise ValueError("the cheapest goal needs ghg_cut_kg_co2e")
        if self.goal == "max_ghg_cut" and self.budget is None:
            raise ValueError("the max_ghg_cut goal needs a budget")
        return self


class ScenarioRequest(BaseModel):
    """POST /v1/scenarios body."""

    model_config = ConfigDict(extra="forbid")
    baseline_result_id: UUID = Field(description="a footprint result of the product")
    measure_ids: list[UUID] = Field(min_length=1, max_length=500)
    portfolio: PortfolioGoal | None = None


class ScenarioPublic(BaseModel):
    """A scenario job and, once done, its result."""

    id: UUID
    state: str
    progress: int
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    request: dict[str, Any]
    result: dict[str, Any] | None
