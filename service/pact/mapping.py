"""Publishing: a stored footprint result + its product + the tenant -> a ProductFootprint.

The document itself is built by :func:`connectors.pact.build_product_footprint`; this module
gathers its inputs, numbers the versions and deprecates what a new publication supersedes,
all in one transaction per product.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from connectors import pact
from service.auth.schemas import Principal
from service.auth.store import audit
from service.boms import store as bom_store
from service.errors import InvalidInput, NotFound
from service.footprints import store as footprint_store
from service.pact import events, store
from service.pact.schemas import PactPublished, PublishRequest
from service.snapshots import store as snapshot_store

BACKGROUND_HELPERS = ("biosphere", "tanji_")


def secondary_sources(snapshot: Mapping[str, Any] | None,
                      snapshot_hash: str | None) -> list[dict[str, str]]:
    """PACT secondaryEmissionFactorSources for the snapshot a result used."""
    if snapshot is None or not snapshot_hash:
        return []
    databases = [d for d in snapshot["databases"] if not d.startswith(BACKGROUND_HELPERS)]
    version = "; ".join([*databases, f"Tanji snapshot {snapshot_hash[:12]}"])
    return [{"name": snapshot["name"], "version": version}]


def declarations(body: PublishRequest) -> pact.Declarations:
    """The publisher's declarations in the connector's terms."""
    return pact.Declarations(
        reference_period_start=body.reference_period_start,
        reference_period_end=body.reference_period_end,
        product_mass_kg=body.product_mass_kg,
        product_category_cpc=body.product_category_cpc,
        product_description=body.product_description,
        geography_country=body.geography_country,
        geography_subdivision=body.geography_subdivision,
        geography_region=body.geography_region,
        fossil_carbon_content_kg=body.fossil_carbon_content_kg,
        biogenic_carbon_content_kg=body.biogenic_carbon_content_kg,
        packaging_emissions_included=body.packaging_emissions_included,
        exempted_emissions_percent=body.exempted_emissions_percent,
        exempted_emissions_description=body.exempted_emissions_description,
        cross_sectoral_standards=tuple(body.cross_sectoral_standards),
        cross_sectoral_standards_used=tuple(body.cross_sectoral_standards_used),
        dqi=body.dqi.model_dump() if body.dqi else None,
        comment=body.comment,
        extra_product_ids=tuple(body.extra_product_ids),
    )


def now_ms() -> datetime:
    """Now in UTC, truncated to the millisecond (what PACT documents show)."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def publish(conn: asyncpg.Connection, principal: Principal, result_id: UUID,
                  body: PublishRequest, *, request_id: str | None,
                  events_url: str = "/2/events",
                  outgoing: list[UUID] | None = None) -> PactPublished:
    """Publish a footprint result as a new ProductFootprint; older ones become Deprecated.

    In the same transaction, held partner requests naming one of the document's productIds
    are answered Fulfilled and partners that opted in are told Published
    (:func:`service.pact.events.on_published`); those events' ids are appended to
    ``outgoing`` for the caller to deliver after commit (else the sweeper sends them).
    """
    tenant_id = principal.tenant_id
    result = await footprint_store.get_result(conn, tenant_id, result_id)
    if result is None:
        raise NotFound("no such footprint")
    revision = await bom_store.get_revision(conn, tenant_id, result["bom_revision_id"])
    product = (await bom_store.get_product(conn, tenant_id, revision["product_id"])
               if revision is not None else None)
    if product is None:
        raise NotFound("the footprint's product no longer exists")
    snapshot = (await snapshot_store.get_snapshot(conn, tenant_id, result["snapshot_hash"])
                if result["snapshot_hash"] else None)
    company = pact.Company(tenant_id=tenant_id, name=await store.tenant_name(conn, tenant_id))
    subject = pact.Product(product_id=product["id"], part_number=product["part_number"],
                           name=product["name"], unit=product["unit"])
    created = now_ms()
    pf_id = uuid.uuid4()
    async with conn.transaction():
        await store.lock_product(conn, tenant_id, product["id"])
        previous = await store.latest_for_product(conn, tenant_id, product["id"])
        try:
            document = pact.build_product_footprint(
                result["result"], pf_id=pf_id, created=created,
                result_created=result["created_at"], product=subject, company=company,
                secondary_sources=secondary_sources(snapshot, result["snapshot_hash"]),
                declarations=declarations(body),
                preceding_pf_ids=[r["pf_id"] for r in previous])
        except pact.SchemaError as exc:
            raise InvalidInput(exc.message, issues=[{"field": "result", "message": m}
                                                    for m in exc.issues]) from None
        await store.insert_version(conn, tenant_id=tenant_id, product_id=product["id"],
                                   result_id=result_id, pf_created_at=created,
                                   document=document)
        deprecated = []
        for row in previous:
            if row["status"] != "Active":
                continue
            successor = pact.deprecate(row["document"], updated=created, superseded_by=pf_id)
            await store.insert_version(conn, tenant_id=tenant_id, product_id=product["id"],
                                       result_id=row["result_id"],
                                       pf_created_at=row["pf_created_at"], document=successor)
            deprecated.append(row["pf_id"])
        sent = await events.on_published(conn, tenant_id, document, source=events_url)
        if outgoing is not None:
            outgoing.extend(sent)
        await audit(conn, tenant_id=tenant_id, actor=principal.actor, action="pact-publish",
                    object_type="pact_footprint", object_id=str(pf_id),
                    detail={"result_id": str(result_id), "deprecated": [str(d) for d in
                                                                        deprecated]},
                    request_id=request_id)
    return PactPublished(pf_id=pf_id, version=document["version"], status=document["status"],
                         document=document, deprecated_pf_ids=deprecated)
