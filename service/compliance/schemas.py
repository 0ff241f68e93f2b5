"""Compliance requests and answers as the API shows them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class CbamCommunication(BaseModel):
    """CBAM communication data of one good: specific embedded emissions (t CO2e per t of good),
    direct and indirect, electricity, precursors and the EU default value for its origin.

    Every field is described in docs/cbam.md.
    """

    model_config = ConfigDict(extra="allow")
    format: str
    installation: str
    country_of_origin: str | None
    reporting_year: int
    good: dict[str, Any]
    see_direct: float | None
    see_indirect: float | None
    see_total: float | None
    electricity_mwh_per_t: float | None
    electricity_ef_t_co2e_per_mwh: float | None
    precursors: list[dict[str, Any]]
    default_value: dict[str, Any]
    comparison: dict[str, Any] | None
    reconciliation: dict[str, Any]
    warnings: list[str]


class BatteryDeclarationRequest(BaseModel):
    """POST /v1/footprints/{result_id}/battery-declaration body: the functional unit's inputs."""

    model_config = ConfigDict(extra="forbid")
    rated_capacity_kwh: float = Field(gt=0, le=1e7, description="usable energy capacity at "
                                      "the beginning of life, kWh")
    cycles_per_year: float | None = Field(default=None, gt=0, le=10_000,
                                          description="full equivalent cycles per year; "
                                          "omitted: the default of vehicle_category")
    service_life_years: float = Field(gt=0, le=100)
    depth_factor: float = Field(default=1.0, gt=0, le=1.0,
                                description="1 unless the applicable rules set another")
    vehicle_category: str | None = Field(default=None, max_length=10,
                                         description="M1, N1, L, M2, M3, N2, N3")
    performance_class: str | None = Field(default=None, max_length=10)
    study_url: HttpUrl | None = Field(default=None,
                                      description="public version of the supporting study")


class BatteryDeclaration(BaseModel):
    """Carbon-footprint declaration data named as the Battery Pass data model 1.2.0 names it
    (``carbonFootprint``), with the functional unit and how Tanji derived it (docs/battery.md).
    """

    model_config = ConfigDict(extra="allow")
    carbonFootprint: dict[str, Any]
    dataModel: dict[str, Any]
    units: dict[str, str]
    functionalUnit: dict[str, Any]
    tanji: dict[str, Any]
