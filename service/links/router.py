"""Buyer-kept rules linking BOM lines to background datasets."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from service.auth.schemas import Principal
from service.auth.store import audit
from service.deps import Conn, RequestId, require_roles
from service.errors import NotFound
from service.links import store
from service.links.schemas import LinkRuleCreate, LinkRulePublic

router = APIRouter(tags=["linking"])
Buyer = Annotated[Principal, Depends(require_roles("buyer"))]


@router.put("/v1/link-rules", response_model=LinkRulePublic, operation_id="link-rules-put")
async def put_rule(body: LinkRuleCreate, principal: Buyer, conn: Conn,
                   request_id: RequestId) -> LinkRulePublic:
    """Create or replace the rule for (match_field, pattern)."""
    async with conn.transaction():
        row = await store.upsert_rule(conn, principal.tenant_id, body)
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="put",
                    object_type="link_rule", object_id=str(row["id"]),
                    detail=body.model_dump(), request_id=request_id)
    return LinkRulePublic(**dict(row))


@router.get("/v1/link-rules", response_model=list[LinkRulePublic], operation_id="link-rules-list")
async def list_rules(principal: Buyer, conn: Conn) -> list[LinkRulePublic]:
    """The tenant's rules."""
    return [LinkRulePublic(**dict(r)) for r in await store.list_rules(conn, principal.tenant_id)]


@router.delete("/v1/link-rules/{rule_id}", status_code=204, operation_id="link-rules-delete")
async def delete_rule(rule_id: UUID, principal: Buyer, conn: Conn,
                      request_id: RequestId) -> Response:
    """Delete one rule."""
    async with conn.transaction():
        if not await store.delete_rule(conn, principal.tenant_id, rule_id):
            raise NotFound("no such link rule")
        await audit(conn, tenant_id=principal.tenant_id, actor=principal.actor, action="delete",
                    object_type="link_rule", object_id=str(rule_id), request_id=request_id)
    return Response(status_code=204)
