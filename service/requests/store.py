"""SQL for partnerships, data requests, answers, primary-data shares and webhooks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

INSERT_INVITATION = """
insert into partner_invitation(buyer_tenant_id, code_hash, note, expires_at)
values ($1, $2, $3, $4) returning id, expires_at"""

CLAIM_INVITATION = """
update partner_invitation set accepted_at = now(), supplier_tenant_id = $2
 where code_hash = $1 and accepted_at is null and expires_at > now()
   and buyer_tenant_id <> $2
returning id, buyer_tenant_id"""

PARTNERSHIP_COLUMNS = """p.id, p.buyer_tenant_id, b.name as buyer_name, p.supplier_tenant_id,
       s.name as supplier_name, p.created_at"""

INSERT_PARTNERSHIP = """
insert into partnership(buyer_tenant_id, supplier_tenant_id, invitation_id)
values ($1, $2, $3) on conflict (buyer_tenant_id, supplier_tenant_id) do nothing
returning id"""

GET_PARTNERSHIP = f"""
select {PARTNERSHIP_COLUMNS}
  from partnership p join tenant b on b.id = p.buyer_tenant_id
                     join tenant s on s.id = p.supplier_tenant_id
 where p.id = $1"""

FIND_PARTNERSHIP = """
select id from partnership where buyer_tenant_id = $1 and supplier_tenant_id = $2"""

LIST_PARTNERSHIPS = f"""
select {PARTNERSHIP_COLUMNS}
  from partnership p join tenant b on b.id = p.buyer_tenant_id
                     join tenant s on s.id = p.supplier_tenant_id
 where p.buyer_tenant_id = $1 or p.supplier_tenant_id = $1
 order by p.created_at, p.id"""

REQUEST_COLUMNS = """r.id, r.buyer_tenant_id, b.name as buyer_name, r.supplier_tenant_id,
       s.name as supplier_name, r.product_id, r.bom_revision_id, r.parts, r.due_date, r.message,
       r.state, r.created_at, r.updated_at"""

REQUEST_FROM = """data_request r join tenant b on b.id = r.buyer_tenant_id
                    join tenant s on s.id = r.supplier_tenant_id"""

INSERT_REQUEST = """
insert into data_request(buyer_tenant_id, supplier_tenant_id, partnership_id, product_id,
                         bom_revision_id, parts, due_date, message)
values ($1, $2, $3, $4, $5, $6, $7, $8) returning id"""

GET_REQUEST = f"""
select {REQUEST_COLUMNS} from {REQUEST_FROM}
 where r.id = $1 and (r.buyer_tenant_id = $2 or r.supplier_tenant_id = $2)"""

LOCK_REQUEST = "select state from data_request where id = $1 for update"

LIST_REQUESTS = f"""
select {REQUEST_COLUMNS} from {REQUEST_FROM}
 where (r.buyer_tenant_id = $1 and $2) or (r.supplier_tenant_id = $1 and $3)
 order by r.created_at desc, r.id limit $4 offset $5"""

SET_REQUEST_STATE = "update data_request set state = $2, updated_at = now() where id = $1"

ANSWER_COLUMNS = """id, request_id, supplier_tenant_id, form, items, share_detail, flags, comment,
       state, reject_reason, outcome, created_at, decided_at"""

INSERT_ANSWER = f"""
insert into data_answer(request_id, supplier_tenant_id, form, items, share_detail, flags, comment)
values ($1, $2, $3, $4, $5, $6, $7) returning {ANSWER_COLUMNS}"""

GET_ANSWER = f"select {ANSWER_COLUMNS} from data_answer where request_id = $1 and id = $2"

LIST_ANSWERS = f"""
select {ANSWER_COLUMNS} from data_answer where request_id = $1 order by created_at, id"""

DECIDE_ANSWER = f"""
update data_answer set state = $2, reject_reason = $3, outcome = $4, decided_at = now()
 where id = $1 and state = 'submitted' returning {ANSWER_COLUMNS}"""

INSERT_SHARE = """
insert into primary_share(record_id, owner_tenant_id, shared_with_tenant_id, answer_id)
values ($1, $2, $3, $4) on conflict do nothing"""

LATEST_RESULT = """
select result from footprint_result where tenant_id = $1 and bom_revision_id = $2
 order by created_at desc, id desc limit 1"""

LATEST_REVISIONS_WITH_PARTS = """
with latest as (
    select distinct on (product_id) id, product_id from bom_revision
     where tenant_id = $1 and product_id <> $2
     order by product_id, created_at desc, id desc)
select l.id, l.product_id from latest l
 where exists (select 1 from bom_line b where b.bom_revision_id = l.id
                                          and b.part_number = any($3::text[]))"""

WEBHOOK_COLUMNS = "id, url, created_at, disabled_at"

INSERT_WEBHOOK = f"""
insert into webhook(id, tenant_id, url, secret_sealed, kek_id) values ($1, $2, $3, $4, $5)
returning {WEBHOOK_COLUMNS}"""

LIST_WEBHOOKS = f"""
select {WEBHOOK_COLUMNS} from webhook where tenant_id = $1 order by created_at, id"""

DISABLE_WEBHOOK = f"""
update webhook set disabled_at = coalesce(disabled_at, now()) where tenant_id = $1 and id = $2
returning {WEBHOOK_COLUMNS}"""

ACTIVE_WEBHOOKS = "select id from webhook where tenant_id = $1 and disabled_at is null"

DELIVERY_COLUMNS = """id, webhook_id, event_type, state, attempts, last_status, last_error,
       created_at, delivered_at"""

INSERT_DELIVERY = """
insert into webhook_delivery(id, tenant_id, webhook_id, event_type, body, next_attempt_at)
values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) returning id"""

GET_DELIVERY_FOR_SENDING = """
select d.id, d.tenant_id, d.webhook_id, d.event_type, d.body, d.state, d.attempts,
       w.url, w.secret_sealed, w.kek_id, w.disabled_at
  from webhook_delivery d join webhook w on w.id = d.webhook_id where d.id = $1"""

CLAIM_DELIVERY = """
update webhook_delivery set lease_token = $2, lease_until = now() + make_interval(secs => $3)
 where id = $1 and state <> 'sent' and (lease_until is null or lease_until < now())
returning id"""

CLAIM_DUE_DELIVERIES = """
with due as (
    select id from webhook_delivery
     where state <> 'sent' and next_attempt_at <= now() and attempts < $3
       and (lease_until is null or lease_until < now())
     order by next_attempt_at, id limit $4
       for update skip locked)
update webhook_delivery d set lease_token = $1, lease_until = now() + make_interval(secs => $2)
  from due where d.id = due.id
returning d.id"""

RECORD_ATTEMPT = f"""
update webhook_delivery set attempts = attempts + 1, state = $3, last_status = $4,
       last_error = $5, delivered_at = case when $3 = 'sent' then now() else delivered_at end,
       next_attempt_at = case when $3 = 'sent' then null
                              else now() + make_interval(secs => $6::float8) end,
       lease_token = null, lease_until = null
 where id = $1 and lease_token = $2 returning {DELIVERY_COLUMNS}"""

GET_DELIVERY = f"select {DELIVERY_COLUMNS} from webhook_delivery where tenant_id = $1 and id = $2"

GET_DELIVERY_BY_ID = f"select {DELIVERY_COLUMNS} from webhook_delivery where id = $1"

LIST_DELIVERIES = f"""
select {DELIVERY_COLUMNS} from webhook_delivery where tenant_id = $1
 order by created_at desc, id limit $2"""


async def insert_invitation(conn: asyncpg.Connection, *, buyer_tenant_id: UUID, code_hash: bytes,
                            note: str | None, expires_at: datetime) -> asyncpg.Record:
    """Store an invitation by the digest of its code."""
    return await conn.fetchrow(INSERT_INVITATION, buyer_tenant_id, code_hash, note, expires_at)


async def claim_invitation(conn: asyncpg.Connection, *, code_hash: bytes,
                           supplier_tenant_id: UUID) -> asyncpg.Record | None:
    """Mark an unused, unexpired invitation of another tenant accepted; None otherwise."""
    return await conn.fetchrow(CLAIM_INVITATION, code_hash, supplier_tenant_id)


async def insert_partnership(conn: asyncpg.Connection, *, buyer_tenant_id: UUID,
                             supplier_tenant_id: UUID, invitation_id: UUID) -> UUID | None:
    """A new partnership's id; None when the two tenants are partners already."""
    return await conn.fetchval(INSERT_PARTNERSHIP, buyer_tenant_id, supplier_tenant_id,
                               invitation_id)


async def get_partnership(conn: asyncpg.Connection, partnership_id: UUID) -> asyncpg.Record:
    """A partnership with both tenants' names (caller has checked membership)."""
    return await conn.fetchrow(GET_PARTNERSHIP, partnership_id)


async def find_partnership(conn: asyncpg.Connection, *, buyer_tenant_id: UUID,
                           supplier_tenant_id: UUID) -> UUID | None:
    """The id of the buyer's partnership with that supplier, or None."""
    return await conn.fetchval(FIND_PARTNERSHIP, buyer_tenant_id, supplier_tenant_id)


async def list_partnerships(conn: asyncpg.Connection, tenant_id: UUID) -> list[asyncpg.Record]:
    """Partnerships the tenant is on either side of."""
    return await conn.fetch(LIST_PARTNERSHIPS, tenant_id)


async def insert_request(conn: asyncpg.Connection, *, buyer_tenant_id: UUID,
                         supplier_tenant_id: UUID, partnership_id: UUID, product_id: UUID,
                         bom_revision_id: UUID, parts: list[dict[str, Any]], due_date: Any,
                         message: str | None) -> UUID:
    """A new open request's id."""
    return await conn.fetchval(INSERT_REQUEST, buyer_tenant_id, supplier_tenant_id,
                               partnership_id, product_id, bom_revision_id, parts, due_date,
                               message)


async def get_request(conn: asyncpg.Connection, tenant_id: UUID,
                      request_id: UUID) -> asyncpg.Record | None:
    """A request the tenant is buyer or supplier of, or None."""
    return await conn.fetchrow(GET_REQUEST, request_id, tenant_id)


async def lock_request(conn: asyncpg.Connection, request_id: UUID) -> str:
    """Lock the request row for this transaction; returns its current state."""
    return await conn.fetchval(LOCK_REQUEST, request_id)


async def list_requests(conn: asyncpg.Connection, tenant_id: UUID, *, as_buyer: bool,
                        as_supplier: bool, limit: int, offset: int) -> list[asyncpg.Record]:
    """Requests the tenant sent (as_buyer) and/or received (as_supplier), newest first."""
    return await conn.fetch(LIST_REQUESTS, tenant_id, as_buyer, as_supplier, limit, offset)


async def set_request_state(conn: asyncpg.Connection, request_id: UUID, state: str) -> None:
    """Move a request to ``state``."""
    await conn.execute(SET_REQUEST_STATE, request_id, state)


async def insert_answer(conn: asyncpg.Connection, *, request_id: UUID, supplier_tenant_id: UUID,
                        form: str, items: list[dict[str, Any]], share_detail: bool,
                        flags: list[dict[str, Any]], comment: str | None) -> asyncpg.Record:
    """A new submitted answer."""
    return await conn.fetchrow(INSERT_ANSWER, request_id, supplier_tenant_id, form, items,
                               share_detail, flags, comment)


async def get_answer(conn: asyncpg.Connection, request_id: UUID,
                     answer_id: UUID) -> asyncpg.Record | None:
    """An answer of the request (caller has checked the request), or None."""
    return await conn.fetchrow(GET_ANSWER, request_id, answer_id)


async def list_answers(conn: asyncpg.Connection, request_id: UUID) -> list[asyncpg.Record]:
    """The request's answers, oldest first."""
    return await conn.fetch(LIST_ANSWERS, request_id)


async def decide_answer(conn: asyncpg.Connection, answer_id: UUID, *, state: str,
                        reason: str | None,
                        outcome: dict[str, Any] | None) -> asyncpg.Record | None:
    """Accept or reject a submitted answer; None when it was decided already."""
    return await conn.fetchrow(DECIDE_ANSWER, answer_id, state, reason, outcome)


async def share_records(conn: asyncpg.Connection, record_ids: Sequence[UUID], *,
                        owner_tenant_id: UUID, shared_with_tenant_id: UUID,
                        answer_id: UUID) -> None:
    """Let the buyer's footprints read the supplier's records."""
    await conn.executemany(INSERT_SHARE, [(r, owner_tenant_id, shared_with_tenant_id, answer_id)
                                          for r in record_ids])


async def latest_result(conn: asyncpg.Connection, tenant_id: UUID,
                        revision_id: UUID) -> dict[str, Any] | None:
    """The newest footprint result body of the tenant's revision, or None."""
    return await conn.fetchval(LATEST_RESULT, tenant_id, revision_id)


async def latest_revisions_with_parts(conn: asyncpg.Connection, tenant_id: UUID, *,
                                      except_product: UUID,
                                      part_numbers: Sequence[str]) -> list[asyncpg.Record]:
    """Latest revision of each other product of the tenant that uses one of the parts."""
    return await conn.fetch(LATEST_REVISIONS_WITH_PARTS, tenant_id, except_product,
                            list(part_numbers))


async def insert_webhook(conn: asyncpg.Connection, *, webhook_id: UUID, tenant_id: UUID,
                         url: str, secret_sealed: bytes, kek_id: str) -> asyncpg.Record:
    """Store a webhook with its sealed secret."""
    return await conn.fetchrow(INSERT_WEBHOOK, webhook_id, tenant_id, url, secret_sealed, kek_id)


async def list_webhooks(conn: asyncpg.Connection, tenant_id: UUID) -> list[asyncpg.Record]:
    """The tenant's webhooks."""
    return await conn.fetch(LIST_WEBHOOKS, tenant_id)


async def disable_webhook(conn: asyncpg.Connection, tenant_id: UUID,
                          webhook_id: UUID) -> asyncpg.Record | None:
    """Stop deliveries to a webhook of the tenant; None when there is no such webhook."""
    return await conn.fetchrow(DISABLE_WEBHOOK, tenant_id, webhook_id)


async def active_webhooks(conn: asyncpg.Connection, tenant_id: UUID) -> list[UUID]:
    """Ids of the tenant's enabled webhooks."""
    return [r["id"] for r in await conn.fetch(ACTIVE_WEBHOOKS, tenant_id)]


async def insert_delivery(conn: asyncpg.Connection, *, delivery_id: UUID, tenant_id: UUID,
                          webhook_id: UUID, event_type: str, body: dict[str, Any],
                          sweep_after_s: float) -> UUID:
    """A pending delivery the sweeper may take ``sweep_after_s`` from now."""
    return await conn.fetchval(INSERT_DELIVERY, delivery_id, tenant_id, webhook_id, event_type,
                               body, sweep_after_s)


async def claim_delivery(conn: asyncpg.Connection, delivery_id: UUID, *, token: UUID,
                         lease_s: float) -> bool:
    """Take the lease on an unsent delivery nobody holds (whatever its next attempt time)."""
    return await conn.fetchval(CLAIM_DELIVERY, delivery_id, token, lease_s) is not None


async def claim_due_deliveries(conn: asyncpg.Connection, *, token: UUID, lease_s: float,
                               max_attempts: int, limit: int) -> list[UUID]:
    """Take the lease on up to ``limit`` unsent deliveries whose next attempt is due (rows
    another sweeper is claiming are skipped)."""
    return [r["id"] for r in await conn.fetch(CLAIM_DUE_DELIVERIES, token, lease_s,
                                              max_attempts, limit)]


async def get_delivery_for_sending(conn: asyncpg.Connection,
                                   delivery_id: UUID) -> asyncpg.Record | None:
    """A delivery with its webhook's URL and sealed secret (for the sender only)."""
    return await conn.fetchrow(GET_DELIVERY_FOR_SENDING, delivery_id)


async def record_attempt(conn: asyncpg.Connection, delivery_id: UUID, *, token: UUID,
                         state: str, status: int | None, error: str | None,
                         retry_in_s: float | None) -> asyncpg.Record | None:
    """Count one attempt and its outcome, release the lease; None when ``token`` no longer
    holds it (then nothing is written)."""
    return await conn.fetchrow(RECORD_ATTEMPT, delivery_id, token, state, status, error,
                               retry_in_s)


async def get_delivery(conn: asyncpg.Connection, tenant_id: UUID,
                       delivery_id: UUID) -> asyncpg.Record | None:
    """The tenant's delivery, or None."""
    return await conn.fetchrow(GET_DELIVERY, tenant_id, delivery_id)


async def get_delivery_by_id(conn: asyncpg.Connection,
                             delivery_id: UUID) -> asyncpg.Record | None:
    """A delivery by id alone (senders only, which act for the row's own tenant)."""
    return await conn.fetchrow(GET_DELIVERY_BY_ID, delivery_id)


async def list_deliveries(conn: asyncpg.Connection, tenant_id: UUID,
                          limit: int) -> list[asyncpg.Record]:
    """The tenant's latest deliveries."""
    return await conn.fetch(LIST_DELIVERIES, tenant_id, limit)


DUE_RECALCULATIONS = """
select a.id, a.request_id, a.outcome, r.buyer_tenant_id
  from data_answer a join data_request r on r.id = a.request_id
 where a.state = 'accepted' and a.recalc_notified_at is null
   and not exists (
       select 1 from jsonb_array_elements(coalesce(a.outcome -> 'revisions', '[]'::jsonb)) rv
         join job j on j.id = (rv ->> 'job_id')::uuid
        where j.state in ('queued', 'running'))
 order by a.decided_at, a.id limit $1
   for update of a skip locked"""

JOB_OUTCOMES = """
select j.id, j.state, j.error, f.id as result_id
  from job j left join footprint_result f on f.job_id = j.id
 where j.tenant_id = $1 and j.id = any($2::uuid[])"""

MARK_RECALC_NOTIFIED = "update data_answer set recalc_notified_at = now() where id = $1"


async def due_recalculations(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Accepted answers whose footprint jobs have all finished and whose buyer was not told
    yet, locked (inside a transaction; rows another sweeper holds are skipped)."""
    return await conn.fetch(DUE_RECALCULATIONS, limit)


async def job_outcomes(conn: asyncpg.Connection, tenant_id: UUID,
                       job_ids: Sequence[UUID]) -> dict[UUID, asyncpg.Record]:
    """State, error and footprint result id of the tenant's jobs."""
    return {r["id"]: r for r in await conn.fetch(JOB_OUTCOMES, tenant_id, list(job_ids))}


async def mark_recalc_notified(conn: asyncpg.Connection, answer_id: UUID) -> None:
    """Record that the buyer was told about the answer's recalculated footprints."""
    await conn.execute(MARK_RECALC_NOTIFIED, answer_id)
