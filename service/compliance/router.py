"""Compliance outputs of a footprint result: CBAM data (JSON, XLSX), battery carbon-footprint
declaration data, the ISO 14067 report (PDF). Read-only; every route is tenant-scoped (another
tenant's result is 404) and the calculations live in ``connectors`` (cbam, battery,
report_iso14067).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query, Response

from connectors import battery, cbam, report_iso14067
from service.auth.schemas import Principal
from service.compliance import store
from service.compliance.schemas import (
    BatteryDeclaration,
    BatteryDeclarationRequest,
    CbamCommunication,
)
from service.deps import Conn, require_roles
from service.errors import NotFound

logger = logging.getLogger(__name__)

router = APIRouter(tags=["compliance"])
Exporter = Annotated[Principal, Depends(require_roles("exporter", "buyer"))]
Reader = Annotated[Principal, Depends(require_roles("buyer", "exporter", "verifier"))]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _context(conn: asyncpg.Connection, principal: Principal,
                   result_id: UUID) -> asyncpg.Record:
    row = await store.get_context(conn, principal.tenant_id, result_id)
    if row is None:
        raise NotFound("no such footprint")
    return row


def _product(row: asyncpg.Record) -> dict[str, Any]:
    return {"part_number": row["part_number"], "name": row["name"], "unit": row["unit"]}


def _filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or "product"


class CbamQuery:
    """Query parameters of the CBAM routes."""

    def __init__(
        self,
        installation: Annotated[str, Query(min_length=1, max_length=200,
                                           description="installation (name or id)")],
        country: Annotated[str, Query(pattern="^[A-Za-z]{2}$",
                                      description="country of origin, ISO 3166-1 alpha-2")],
        cn_code: Annotated[str | None, Query(pattern=r"^[0-9 .]{2,14}$",
                                             description="CN code of the good; omitted: the "
                                             "CN code of the BOM's single top-level line")] = None,
        route: Annotated[str | None, Query(max_length=10,
                                           description="production route (e.g. A/B clinker, "
                                           "C steel, K/L aluminium)")] = None,
        mass_kg: Annotated[float | None, Query(gt=0, description="mass of one declared unit "
                                               "of the product; omitted: from the BOM")] = None,
        year: Annotated[int, Query(ge=2026, le=2100,
                                   description="year of import (default-value mark-up)")] = 2026,
    ) -> None:
        self.installation, self.country, self.cn_code = installation, country.upper(), cn_code
        self.route, self.mass_kg, self.year = route, mass_kg, year


async def _cbam(result_id: UUID, principal: Principal, conn: asyncpg.Connection,
                query: CbamQuery) -> dict[str, Any]:
    row = await _context(conn, principal, result_id)
    lines = await store.get_lines(conn, row["bom_revision_id"])
    data = await asyncio.to_thread(
        cbam.embedded_emissions, result=row["result"], lines=lines, leaves=row["explosion"],
        product=_product(row), installation=query.installation, country=query.country,
        cn_code=query.cn_code, route=query.route, mass_kg=query.mass_kg, year=query.year)
    data["result_id"] = str(row["result_id"])
    logger.info("cbam data", extra={"tenant_id": str(principal.tenant_id),
                                    "result_id": str(result_id),
                                    "cn_code": data["good"]["cn_code"]})
    return data


@router.get("/v1/footprints/{result_id}/cbam", response_model=CbamCommunication,
            operation_id="compliance-cbam")
async def get_cbam(result_id: UUID, principal: Exporter, conn: Conn,
                   query: Annotated[CbamQuery, Depends()]) -> dict[str, Any]:
    """CBAM communication data of the good: SEE direct / indirect, electricity, precursors,
    EU default value for the origin (docs/cbam.md)."""
    return await _cbam(result_id, principal, conn, query)


@router.get("/v1/footprints/{result_id}/cbam.xlsx", response_class=Response,
            operation_id="compliance-cbam-xlsx",
            responses={200: {"content": {XLSX: {}}, "description": "the communication summary"}})
async def get_cbam_xlsx(result_id: UUID, principal: Exporter, conn: Conn,
                        query: Annotated[CbamQuery, Depends()]) -> Response:
    """The same data as an XLSX workbook laid out like the communication template's summary."""
    data = await _cbam(result_id, principal, conn, query)
    content = await asyncio.to_thread(cbam.to_xlsx, data)
    name = _filename(f"cbam_{data['good']['part_number']}_{data['good']['cn_code']}")
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@router.post("/v1/footprints/{result_id}/battery-declaration", response_model=BatteryDeclaration,
             operation_id="compliance-battery-declaration")
async def create_battery_declaration(result_id: UUID, body: BatteryDeclarationRequest,
                                     principal: Exporter, conn: Conn) -> dict[str, Any]:
    """EU battery carbon-footprint declaration data (Regulation (EU) 2023/1542 Art. 7, Annex II)
    per kWh of energy over the service life, in Battery Pass field names (docs/battery.md)."""
    row = await _context(conn, principal, result_id)
    data = battery.declaration(
        result=row["result"], product=_product(row),
        rated_capacity_kwh=body.rated_capacity_kwh, cycles_per_year=body.cycles_per_year,
        service_life_years=body.service_life_years, depth_factor=body.depth_factor,
        vehicle_category=body.vehicle_category, performance_class=body.performance_class,
        study_url=str(body.study_url) if body.study_url else None)
    data["tanji"]["resultId"] = str(row["result_id"])
    return data


@router.get("/v1/footprints/{result_id}/report.pdf", response_class=Response,
            operation_id="compliance-report-pdf",
            responses={200: {"content": {"application/pdf": {}},
                             "description": "ISO 14067-style report with pollutant inventory"}})
async def get_report_pdf(result_id: UUID, principal: Reader, conn: Conn) -> Response:
    """An ISO 14067-style carbon-footprint report of the result, with the pollutant inventory
    beside the carbon (docs/report.md)."""
    row = await _context(conn, principal, result_id)
    databases = await store.get_snapshot_databases(conn, principal.tenant_id,
                                                   row["snapshot_hash"])
    meta = {"result_id": str(row["result_id"]), "bom_revision_hash": row["bom_revision_hash"],
            "snapshot_hash": row["snapshot_hash"], "method_versions": row["method_versions"],
            "code_version": row["code_version"],
            "created_at": row["created_at"].isoformat(timespec="seconds")}
    scenarios = await store.get_scenarios(conn, principal.tenant_id, row["result_id"])
    pdf = await asyncio.to_thread(report_iso14067.render_report, result=row["result"],
                                  product=_product(row), meta=meta, databases=databases,
                                  scenarios=scenarios)
    name = _filename(f"cfp_report_{row['part_number']}")
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})
