-- Jobs (state lives here, not in the broker) and immutable footprint results.
create table job (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    kind text not null,
    state text not null default 'queued'
        check (state in ('queued', 'running', 'succeeded', 'failed')),
    progress integer not null default 0 check (progress between 0 and 100),
    request jsonb not null,
    idempotency_key text,
    attempts integer not null default 0,
    lease_expires_at timestamptz,
    enqueued_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    started_at timestamptz,
    finished_at timestamptz,
    error text,
    unique (tenant_id, idempotency_key)
);
create index job_pending_idx on job(state, enqueued_at) where state in ('queued', 'running');

create table footprint_result (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    job_id uuid not null unique references job(id),
    bom_revision_id uuid not null references bom_revision(id),
    bom_revision_hash text not null,
    snapshot_hash text,
    method_versions jsonb not null default '{}'::jsonb,
    code_version text not null,
    result jsonb not null,
    created_at timestamptz not null default now()
);
create index footprint_result_revision_idx on footprint_result(tenant_id, bom_revision_id);

create function result_is_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'footprint results are immutable';
end $$;

create trigger footprint_result_immutable before update or delete on footprint_result
    for each row execute function result_is_immutable();
