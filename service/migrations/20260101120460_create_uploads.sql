-- Files users upload for later work (e.g. a database to import), kept in PostgreSQL so any
-- worker can read them.
create table upload (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    filename text not null,
    content bytea not null,
    sha256 text not null,
    created_at timestamptz not null default now()
);
create index upload_tenant_idx on upload(tenant_id, created_at);
