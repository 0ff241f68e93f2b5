-- Deliveries resumed by a sweeper (webhooks and outgoing PACT events): when the next attempt
-- is due, and a lease (token + expiry) so that one sender at a time, in any API process,
-- attempts a row. PACT requests for products without a published footprint held as data
-- requests of the receiving tenant (partners opt in), Published notifications to partners
-- that opt in, and the follow-up webhook once an accepted answer's footprints are computed.
alter table webhook_delivery
    add column next_attempt_at timestamptz,
    add column lease_token uuid,
    add column lease_until timestamptz;
update webhook_delivery set next_attempt_at = now() where state <> 'sent';
create index webhook_delivery_due_idx on webhook_delivery(next_attempt_at)
    where state <> 'sent' and next_attempt_at is not null;

alter table pact_event
    add column next_attempt_at timestamptz,
    add column lease_token uuid,
    add column lease_until timestamptz;
update pact_event set next_attempt_at = now()
 where direction = 'out' and delivery_state in ('pending', 'failed') and partner_id is not null;
create index pact_event_due_idx on pact_event(next_attempt_at)
    where direction = 'out' and delivery_state in ('pending', 'failed')
      and next_attempt_at is not null;

alter table pact_partner
    add column data_requests boolean not null default false,
    add column notify_published boolean not null default false;

create table pact_request (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    partner_id uuid not null references pact_partner(id),
    request_event_id text not null,
    product_ids text[] not null,
    pf_fragment jsonb not null,
    comment text,
    state text not null default 'open' check (state in ('open', 'fulfilled', 'rejected')),
    pf_id uuid,
    reject_message text,
    answer_event_id uuid references pact_event(id),
    created_at timestamptz not null default now(),
    decided_at timestamptz,
    unique (tenant_id, partner_id, request_event_id)
);
create index pact_request_open_idx on pact_request(tenant_id, state, created_at);

alter table data_answer add column recalc_notified_at timestamptz;
update data_answer set recalc_notified_at = coalesce(decided_at, now()) where state = 'accepted';
create index data_answer_recalc_idx on data_answer(decided_at)
    where state = 'accepted' and recalc_notified_at is null;
