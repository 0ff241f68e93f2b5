"""SQL for PACT: footprint versions, list cursors, partners, events, received footprints.

A published ProductFootprint is a set of immutable rows, one per version; readers see the
latest version of each ``pf_id``. ``$filter`` trees from :func:`connectors.pact.parse_filter`
become parameterised SQL over the stored JSON document here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from connectors.pact import Comparison, Filter, MembershipTest

GET_TENANT_NAME = "select name from tenant where id = $1"

INSERT_FOOTPRINT = """
insert into pact_footprint(pf_id, version, tenant_id, product_id, result_id, status,
                           pf_created_at, product_ids, document)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
returning pf_id, version, status, document, created_at"""

LATEST = """
select distinct on (pf_id) pf_id, version, product_id, result_id, status, pf_created_at,
       document
  from pact_footprint where tenant_id = $1 {extra}
 order by pf_id, version desc"""

LOCK_PRODUCT = "select pg_advisory_xact_lock(hashtext('pact_footprint:' || $1::text))"

INSERT_CURSOR = """
insert into pact_cursor(token_hash, tenant_id, after_created_at, after_pf_id, page_size, filter,
                        expires_at)
values ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))"""

GET_CURSOR = """
select after_created_at, after_pf_id, page_size, filter from pact_cursor
 where token_hash = $1 and tenant_id = $2 and expires_at > now()"""

PURGE_CURSORS = "delete from pact_cursor where expires_at < now() - interval '1 hour'"

TOKEN_STATE = """
select t.expires_at <= now() as expired from access_token t join client c on c.id = t.client_pk
 where t.token_hash = $1 and c.revoked_at is null"""

PARTNER_COLUMNS = """id, name, base_url, token_url, client_id, credentials_ref, inbound_client_id,
                     data_requests, notify_published, created_at"""

INSERT_PARTNER = f"""
insert into pact_partner(tenant_id, name, base_url, token_url, client_id, credentials_ref,
                         credentials_sealed, kek_id, inbound_client_id, data_requests,
                         notify_published)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
returning {PARTNER_COLUMNS}"""

UPDATE_PARTNER_FLAGS = f"""
update pact_partner set data_requests = coalesce($3, data_requests),
       notify_published = coalesce($4, notify_published)
 where tenant_id = $1 and id = $2
returning {PARTNER_COLUMNS}"""

NOTIFIED_PARTNERS = "select id from pact_partner where tenant_id = $1 and notify_published"

GET_PARTNER = f"""
select {PARTNER_COLUMNS}, credentials_sealed, kek_id, tenant_id from pact_partner
 where tenant_id = $1 and id = $2"""

GET_PARTNER_BY_INBOUND = f"""
select {PARTNER_COLUMNS}, credentials_sealed, kek_id, tenant_id from pact_partner
 where inbound_client_id = $1"""

LIST_PARTNERS = f"""
select {PARTNER_COLUMNS} from pact_partner where tenant_id = $1 order by created_at, id"""

EVENT_COLUMNS = """id, direction, partner_id, event_id, event_type, source, body, delivery_state,
                   delivery_attempts, delivery_status, delivery_error, client_id, created_at,
                   delivered_at"""

INSERT_EVENT = f"""
insert into pact_event(tenant_id, direction, partner_id, event_id, event_type, source, body,
                       delivery_state, client_id, next_attempt_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9,
        case when $8 = 'pending' then now() + make_interval(secs => $10::float8) end)
returning {EVENT_COLUMNS}"""

CLAIM_EVENT = """
update pact_event set lease_token = $2, lease_until = now() + make_interval(secs => $3)
 where id = $1 and direction = 'out' and partner_id is not null
   and delivery_state in ('pending', 'failed')
   and (lease_until is null or lease_until < now())
returning id"""

CLAIM_DUE_EVENTS = """
with due as (
    select id from pact_event
     where direction = 'out' and delivery_state in ('pending', 'failed')
       and partner_id is not null and next_attempt_at <= now() and delivery_attempts < $3
       and (lease_until is null or lease_until < now())
     order by next_attempt_at, id limit $4
       for update skip locked)
update pact_event e set lease_token = $1, lease_until = now() + make_interval(secs => $2)
  from due where e.id = due.id
returning e.id"""

GET_EVENT = f"select {EVENT_COLUMNS}, tenant_id from pact_event where id = $1"

LIST_EVENTS = f"""
select {EVENT_COLUMNS} from pact_event where tenant_id = $1
 order by created_at desc, id limit $2"""

RECORD_DELIVERY = f"""
update pact_event set delivery_state = $3, delivery_attempts = delivery_attempts + 1,
       delivery_status = $4, delivery_error = $5,
       delivered_at = case when $3 = 'sent' then now() else delivered_at end,
       next_attempt_at = case when $3 = 'sent' then null
                              else now() + make_interval(secs => $6::float8) end,
       lease_token = null, lease_until = null
 where id = $1 and lease_token = $2
returning {EVENT_COLUMNS}"""

REQUEST_COLUMNS = """q.id, q.partner_id, p.name as partner_name, q.request_event_id, q.product_ids,
       q.pf_fragment, q.comment, q.state, q.pf_id, q.reject_message, q.answer_event_id,
       q.created_at, q.decided_at"""

INSERT_REQUEST = """
insert into pact_request(tenant_id, partner_id, request_event_id, product_ids, pf_fragment,
                         comment)
values ($1, $2, $3, $4, $5, $6)
on conflict (tenant_id, partner_id, request_event_id) do nothing
returning id"""

LIST_REQUESTS = f"""
select {REQUEST_COLUMNS} from pact_request q join pact_partner p on p.id = q.partner_id
 where q.tenant_id = $1 order by q.created_at desc, q.id limit $2"""

GET_REQUEST = f"""
select {REQUEST_COLUMNS} from pact_request q join pact_partner p on p.id = q.partner_id
 where q.tenant_id = $1 and q.id = $2"""

LOCK_OPEN_REQUEST = f"""
select {REQUEST_COLUMNS} from pact_request q join pact_partner p on p.id = q.partner_id
 where q.tenant_id = $1 and q.id = $2 and q.state = 'open' for update of q"""

OPEN_REQUESTS_FOR_PRODUCTS = f"""
select {REQUEST_COLUMNS} from pact_request q join pact_partner p on p.id = q.partner_id
 where q.tenant_id = $1 and q.state = 'open' and q.product_ids && $2
 order by q.created_at, q.id for update of q"""

DECIDE_REQUEST = """
update pact_request set state = $2, pf_id = $3, reject_message = $4, answer_event_id = $5,
       decided_at = now()
 where id = $1 and state = 'open'"""

INSERT_RECEIVED = """
insert into pact_received(tenant_id, endpoint, pf_id, pf_version, status, company_name,
                          company_ids, product_ids, declared, document, received_via)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
on conflict (tenant_id, endpoint, pf_id, pf_version) do nothing
returning id"""

RECEIVED_COLUMNS = """id, endpoint, pf_id, pf_version, status, company_name, company_ids,
                      product_ids, declared, received_via, received_at"""

LIST_RECEIVED = f"""
select {RECEIVED_COLUMNS} from pact_received where tenant_id = $1
 order by received_at, id limit $2"""

GET_RECEIVED = f"""
select {RECEIVED_COLUMNS}, document from pact_received where tenant_id = $1 and id = $2"""


async def tenant_name(conn: asyncpg.Connection, tenant_id: UUID) -> str:
    """The tenant's display name (PACT companyName)."""
    return await conn.fetchval(GET_TENANT_NAME, tenant_id)


async def lock_product(conn: asyncpg.Connection, tenant_id: UUID, product_id: UUID) -> None:
    """Serialise publications of one product (inside a transaction)."""
    await conn.execute(LOCK_PRODUCT, f"{tenant_id}:{product_id}")


async def latest_for_product(conn: asyncpg.Connection, tenant_id: UUID,
                             product_id: UUID) -> list[asyncpg.Record]:
    """Latest version of every footprint published for the product, oldest first."""
    rows = await conn.fetch(LATEST.format(extra="and product_id = $2"), tenant_id, product_id)
    return sorted(rows, key=lambda r: (r["pf_created_at"], r["pf_id"]))


async def insert_version(conn: asyncpg.Connection, *, tenant_id: UUID, product_id: UUID,
                         result_id: UUID, pf_created_at: datetime,
                         document: dict[str, Any]) -> asyncpg.Record:
    """Store one version of a ProductFootprint (immutable)."""
    return await conn.fetchrow(
        INSERT_FOOTPRINT, UUID(document["id"]), document["version"], tenant_id, product_id,
        result_id, document["status"], pf_created_at, list(document["productIds"]), document)


async def get_latest(conn: asyncpg.Connection, tenant_id: UUID,
                     pf_id: UUID) -> asyncpg.Record | None:
    """The latest version of one of the tenant's footprints."""
    return await conn.fetchrow(LATEST.format(extra="and pf_id = $2"), tenant_id, pf_id)


async def active_for_products(conn: asyncpg.Connection, tenant_id: UUID,
                              product_ids: list[str]) -> list[dict[str, Any]]:
    """Documents of Active footprints naming any of ``product_ids``."""
    rows = await conn.fetch(
        f"select document from ({LATEST.format(extra='and product_ids && $2')}) latest "
        "where status = 'Active' order by pf_created_at, pf_id", tenant_id, product_ids)
    return [r["document"] for r in rows]


_SQL_OPERATORS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def filter_sql(tree: Filter, first_param: int) -> tuple[str, list[Any]]:
    """SQL conditions over ``document`` for a parsed ``$filter``, and their parameters."""
    conditions, params = [], []
    for term in tree.terms:
        n = first_param + len(params)
        if isinstance(term, MembershipTest):
            conditions.append(f"document -> '{term.collection}' ? ${n}")
            params.append(term.value)
        elif isinstance(term, Comparison):
            path = "{" + term.property.replace("/", ",") + "}"
            op = _SQL_OPERATORS[term.operator]
            if isinstance(term.value, datetime):
                conditions.append(f"(document #>> '{path}')::timestamptz {op} ${n}")
            else:
                conditions.append(f"(document #>> '{path}') {op} ${n}")
            params.append(term.value)
    return " and ".join(conditions) or "true", params


async def list_page(conn: asyncpg.Connection, tenant_id: UUID, *, tree: Filter,
                    after: tuple[datetime, UUID] | None, size: int) -> list[asyncpg.Record]:
    """Up to ``size`` latest footprint versions after ``after`` (created, pf_id) that match."""
    where, params = filter_sql(tree, 5)
    query = (f"select pf_id, pf_created_at, document from ({LATEST.format(extra='')}) latest "
             "where ($2::timestamptz is null or (pf_created_at, pf_id) > ($2, $3::uuid)) "
             f"and {where} order by pf_created_at, pf_id limit $4")
    after_created, after_id = after if after else (None, None)
    return await conn.fetch(query, tenant_id, after_created, after_id, size, *params)


async def insert_cursor(conn: asyncpg.Connection, *, token_hash: bytes, tenant_id: UUID,
                        after: tuple[datetime, UUID], size: int, filter_text: str | None,
                        ttl_seconds: float) -> None:
    """Remember where the next page starts, for ``ttl_seconds``."""
    await conn.execute(PURGE_CURSORS)
    await conn.execute(INSERT_CURSOR, token_hash, tenant_id, after[0], after[1], size,
                       filter_text, ttl_seconds)


async def get_cursor(conn: asyncpg.Connection, token_hash: bytes,
                     tenant_id: UUID) -> asyncpg.Record | None:
    """An unexpired cursor of this tenant."""
    return await conn.fetchrow(GET_CURSOR, token_hash, tenant_id)


async def token_expired(conn: asyncpg.Connection, token_hash: bytes) -> bool:
    """True when the token exists (client not revoked) but has expired."""
    return bool(await conn.fetchval(TOKEN_STATE, token_hash))


async def insert_partner(conn: asyncpg.Connection, *, tenant_id: UUID, name: str,
                         base_url: str, token_url: str | None, client_id: str,
                         credentials_ref: str, credentials_sealed: bytes | None,
                         kek_id: str | None, inbound_client_id: str | None,
                         data_requests: bool = False,
                         notify_published: bool = False) -> asyncpg.Record:
    """Register a partner; :class:`asyncpg.UniqueViolationError` on a reused name."""
    return await conn.fetchrow(INSERT_PARTNER, tenant_id, name, base_url, token_url, client_id,
                               credentials_ref, credentials_sealed, kek_id, inbound_client_id,
                               data_requests, notify_published)


async def update_partner_flags(conn: asyncpg.Connection, tenant_id: UUID, partner_id: UUID, *,
                               data_requests: bool | None,
                               notify_published: bool | None) -> asyncpg.Record | None:
    """Change a partner's opt-ins (None: unchanged); None when the tenant has no such partner."""
    return await conn.fetchrow(UPDATE_PARTNER_FLAGS, tenant_id, partner_id, data_requests,
                               notify_published)


async def notified_partners(conn: asyncpg.Connection, tenant_id: UUID) -> list[UUID]:
    """Partners of the tenant that asked for ProductFootprint.Published events."""
    return [r["id"] for r in await conn.fetch(NOTIFIED_PARTNERS, tenant_id)]


async def get_partner(conn: asyncpg.Connection, tenant_id: UUID,
                      partner_id: UUID) -> asyncpg.Record | None:
    """The tenant's partner (with sealed credentials)."""
    return await conn.fetchrow(GET_PARTNER, tenant_id, partner_id)


async def partner_for_client(conn: asyncpg.Connection,
                             client_id: str) -> asyncpg.Record | None:
    """The partner that calls us with this client id, if registered."""
    return await conn.fetchrow(GET_PARTNER_BY_INBOUND, client_id)


async def list_partners(conn: asyncpg.Connection, tenant_id: UUID) -> list[asyncpg.Record]:
    """The tenant's partners."""
    return await conn.fetch(LIST_PARTNERS, tenant_id)


async def insert_event(conn: asyncpg.Connection, *, tenant_id: UUID, direction: str,
                       partner_id: UUID | None, body: dict[str, Any],
                       delivery_state: str | None = None, client_id: str | None = None,
                       sweep_after_s: float = 30.0) -> asyncpg.Record:
    """Log an event received (``in``) or to send (``out``, with its delivery state); a
    ``pending`` one is due for the sweeper ``sweep_after_s`` from now."""
    return await conn.fetchrow(INSERT_EVENT, tenant_id, direction, partner_id,
                               str(body.get("id")), str(body.get("type")),
                               str(body.get("source")), body, delivery_state, client_id,
                               sweep_after_s)


async def claim_event(conn: asyncpg.Connection, event_pk: UUID, *, token: UUID,
                      lease_s: float) -> bool:
    """Take the lease on an unsent outgoing event nobody holds."""
    return await conn.fetchval(CLAIM_EVENT, event_pk, token, lease_s) is not None


async def claim_due_events(conn: asyncpg.Connection, *, token: UUID, lease_s: float,
                           max_attempts: int, limit: int) -> list[UUID]:
    """Take the lease on up to ``limit`` unsent outgoing events whose next attempt is due."""
    return [r["id"] for r in await conn.fetch(CLAIM_DUE_EVENTS, token, lease_s, max_attempts,
                                              limit)]


async def get_event(conn: asyncpg.Connection, event_pk: UUID) -> asyncpg.Record | None:
    """One logged event."""
    return await conn.fetchrow(GET_EVENT, event_pk)


async def list_events(conn: asyncpg.Connection, tenant_id: UUID,
                      limit: int = 100) -> list[asyncpg.Record]:
    """The tenant's latest events, newest first."""
    return await conn.fetch(LIST_EVENTS, tenant_id, limit)


async def record_delivery(conn: asyncpg.Connection, event_pk: UUID, *, token: UUID, state: str,
                          status: int | None, error: str | None,
                          retry_in_s: float | None) -> asyncpg.Record | None:
    """The outcome of one attempt, lease released; None when ``token`` lost the lease."""
    return await conn.fetchrow(RECORD_DELIVERY, event_pk, token, state, status, error,
                               retry_in_s)


async def insert_request(conn: asyncpg.Connection, *, tenant_id: UUID, partner_id: UUID,
                         request_event_id: str, product_ids: list[str],
                         pf_fragment: dict[str, Any], comment: str | None) -> UUID | None:
    """Hold a partner's footprint request; None when this event was received before."""
    return await conn.fetchval(INSERT_REQUEST, tenant_id, partner_id, request_event_id,
                               product_ids, pf_fragment, comment)


async def list_requests(conn: asyncpg.Connection, tenant_id: UUID,
                        limit: int = 200) -> list[asyncpg.Record]:
    """The tenant's requests from partners, newest first."""
    return await conn.fetch(LIST_REQUESTS, tenant_id, limit)


async def get_request(conn: asyncpg.Connection, tenant_id: UUID,
                      request_pk: UUID) -> asyncpg.Record | None:
    """One of the tenant's requests from partners."""
    return await conn.fetchrow(GET_REQUEST, tenant_id, request_pk)


async def lock_open_request(conn: asyncpg.Connection, tenant_id: UUID,
                            request_pk: UUID) -> asyncpg.Record | None:
    """The request, locked, when it is still open (inside a transaction)."""
    return await conn.fetchrow(LOCK_OPEN_REQUEST, tenant_id, request_pk)


async def open_requests_for_products(conn: asyncpg.Connection, tenant_id: UUID,
                                     product_ids: list[str]) -> list[asyncpg.Record]:
    """Open requests naming any of ``product_ids``, locked (inside a transaction)."""
    return await conn.fetch(OPEN_REQUESTS_FOR_PRODUCTS, tenant_id, product_ids)


async def decide_request(conn: asyncpg.Connection, request_pk: UUID, *, state: str,
                         pf_id: UUID | None, reject_message: str | None,
                         answer_event_pk: UUID) -> None:
    """Mark an open request fulfilled or rejected, with the answer event sent."""
    await conn.execute(DECIDE_REQUEST, request_pk, state, pf_id, reject_message,
                       answer_event_pk)


async def insert_received(conn: asyncpg.Connection, *, tenant_id: UUID, endpoint: str,
                          parsed: dict[str, Any], document: dict[str, Any],
                          via: str) -> UUID | None:
    """Store a partner's footprint; None when this version from this endpoint is known."""
    return await conn.fetchval(
        INSERT_RECEIVED, tenant_id, endpoint, parsed["pf_id"], parsed["version"],
        parsed["status"], parsed["company_name"], parsed["company_ids"], parsed["product_ids"],
        parsed["declared"], document, via)


async def list_received(conn: asyncpg.Connection, tenant_id: UUID,
                        limit: int = 500) -> list[asyncpg.Record]:
    """Footprints received by the tenant, oldest first."""
    return await conn.fetch(LIST_RECEIVED, tenant_id, limit)


async def get_received(conn: asyncpg.Connection, tenant_id: UUID,
                       received_id: UUID) -> asyncpg.Record | None:
    """One received footprint with its document."""
    return await conn.fetchrow(GET_RECEIVED, tenant_id, received_id)
