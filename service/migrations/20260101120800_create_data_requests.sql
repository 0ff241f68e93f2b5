-- Supplier data exchange: buyer<->supplier partnerships (by one-time invitation code, kept as
-- its SHA-256), data requests for parts of a BOM revision, supplier answers linking primary
-- data records, shares of those records with the buyer, and signed webhooks.
create table partner_invitation (
    id uuid primary key default gen_random_uuid(),
    buyer_tenant_id uuid not null references tenant(id),
    code_hash bytea not null unique,
    note text,
    expires_at timestamptz not null,
    accepted_at timestamptz,
    supplier_tenant_id uuid references tenant(id),
    created_at timestamptz not null default now(),
    check ((accepted_at is null) = (supplier_tenant_id is null))
);
create index partner_invitation_buyer_idx on partner_invitation(buyer_tenant_id, created_at);

create table partnership (
    id uuid primary key default gen_random_uuid(),
    buyer_tenant_id uuid not null references tenant(id),
    supplier_tenant_id uuid not null references tenant(id),
    invitation_id uuid references partner_invitation(id),
    created_at timestamptz not null default now(),
    unique (buyer_tenant_id, supplier_tenant_id),
    check (buyer_tenant_id <> supplier_tenant_id)
);
create index partnership_supplier_idx on partnership(supplier_tenant_id);

create table data_request (
    id uuid primary key default gen_random_uuid(),
    buyer_tenant_id uuid not null references tenant(id),
    supplier_tenant_id uuid not null references tenant(id),
    partnership_id uuid not null references partnership(id),
    product_id uuid not null references product(id),
    bom_revision_id uuid not null references bom_revision(id),
    parts jsonb not null,
    due_date date not null,
    message text,
    state text not null default 'open'
        check (state in ('open', 'answered', 'accepted', 'rejected')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index data_request_buyer_idx on data_request(buyer_tenant_id, created_at);
create index data_request_supplier_idx on data_request(supplier_tenant_id, created_at);

create table data_answer (
    id uuid primary key default gen_random_uuid(),
    request_id uuid not null references data_request(id),
    supplier_tenant_id uuid not null references tenant(id),
    form text not null check (form in ('declared', 'process', 'pact', 'file')),
    items jsonb not null,
    share_detail boolean not null default false,
    flags jsonb not null default '[]'::jsonb,
    comment text,
    state text not null default 'submitted'
        check (state in ('submitted', 'accepted', 'rejected')),
    reject_reason text,
    outcome jsonb,
    created_at timestamptz not null default now(),
    decided_at timestamptz,
    check ((state = 'rejected') = (reject_reason is not null))
);
create index data_answer_request_idx on data_answer(request_id, created_at);
create unique index data_answer_one_pending_idx on data_answer(request_id)
    where state = 'submitted';

-- A supplier's record that a buyer's footprints may read (never the buyer's API views).
create table primary_share (
    record_id uuid not null references primary_data(id),
    owner_tenant_id uuid not null references tenant(id),
    shared_with_tenant_id uuid not null references tenant(id),
    answer_id uuid references data_answer(id),
    created_at timestamptz not null default now(),
    primary key (record_id, shared_with_tenant_id),
    check (owner_tenant_id <> shared_with_tenant_id)
);
create index primary_share_with_idx on primary_share(shared_with_tenant_id);

create table webhook (
    id uuid primary key,
    tenant_id uuid not null references tenant(id),
    url text not null,
    secret_sealed bytea not null,
    kek_id text not null,
    created_at timestamptz not null default now(),
    disabled_at timestamptz
);
create index webhook_tenant_idx on webhook(tenant_id);

create table webhook_delivery (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    webhook_id uuid not null references webhook(id),
    event_type text not null,
    body jsonb not null,
    state text not null default 'pending' check (state in ('pending', 'sent', 'failed')),
    attempts integer not null default 0,
    last_status integer,
    last_error text,
    created_at timestamptz not null default now(),
    delivered_at timestamptz
);
create index webhook_delivery_tenant_idx on webhook_delivery(tenant_id, created_at);
