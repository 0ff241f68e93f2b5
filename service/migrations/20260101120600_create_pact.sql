-- PACT Pathfinder v2: published ProductFootprints (each version an immutable row), list
-- cursors with expiry, partners we exchange events with, the event log (in and out) and
-- footprints received from suppliers' PACT endpoints.
create table pact_footprint (
    pf_id uuid not null,
    version integer not null check (version >= 1),
    tenant_id uuid not null references tenant(id),
    product_id uuid not null references product(id),
    result_id uuid not null references footprint_result(id),
    status text not null check (status in ('Active', 'Deprecated')),
    pf_created_at timestamptz not null,
    product_ids text[] not null,
    document jsonb not null,
    created_at timestamptz not null default now(),
    primary key (pf_id, version)
);
create index pact_footprint_tenant_idx on pact_footprint(tenant_id, pf_created_at, pf_id);
create index pact_footprint_product_idx on pact_footprint(tenant_id, product_id);

create trigger pact_footprint_immutable before update or delete on pact_footprint
    for each row execute function result_is_immutable();

create table pact_cursor (
    token_hash bytea primary key,
    tenant_id uuid not null references tenant(id),
    after_created_at timestamptz not null,
    after_pf_id uuid not null,
    page_size integer not null check (page_size > 0),
    filter text,
    expires_at timestamptz not null
);
create index pact_cursor_expires_idx on pact_cursor(expires_at);

create table pact_partner (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    name text not null,
    base_url text not null,
    token_url text,
    client_id text not null,
    credentials_ref text not null check (credentials_ref ~ '^(env:[A-Za-z_][A-Za-z0-9_]*|sealed)$'),
    credentials_sealed bytea,
    kek_id text,
    inbound_client_id text,
    created_at timestamptz not null default now(),
    check ((credentials_ref = 'sealed') = (credentials_sealed is not null)),
    unique (tenant_id, name)
);
create unique index pact_partner_inbound_idx on pact_partner(inbound_client_id)
    where inbound_client_id is not null;

create table pact_event (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    direction text not null check (direction in ('in', 'out')),
    partner_id uuid references pact_partner(id),
    event_id text not null,
    event_type text not null,
    source text not null,
    body jsonb not null,
    delivery_state text check (delivery_state in ('pending', 'sent', 'failed', 'undeliverable')),
    delivery_attempts integer not null default 0,
    delivery_status integer,
    delivery_error text,
    client_id text,
    created_at timestamptz not null default now(),
    delivered_at timestamptz,
    check ((direction = 'out') = (delivery_state is not null))
);
create index pact_event_tenant_idx on pact_event(tenant_id, created_at);

create table pact_received (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    endpoint text not null,
    pf_id uuid not null,
    pf_version integer not null,
    status text not null,
    company_name text not null,
    company_ids text[] not null,
    product_ids text[] not null,
    declared jsonb not null,
    document jsonb not null,
    received_via text not null check (received_via in ('pull', 'event')),
    received_at timestamptz not null default now(),
    unique (tenant_id, endpoint, pf_id, pf_version)
);
create index pact_received_tenant_idx on pact_received(tenant_id, received_at);

create trigger pact_received_immutable before update or delete on pact_received
    for each row execute function result_is_immutable();
