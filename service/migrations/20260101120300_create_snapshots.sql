-- Background snapshots (content-addressed, read-only) and their precomputed tables;
-- database imports with their reports; buyer-kept rules that link BOM lines to datasets.
create table snapshot (
    snapshot_hash text primary key,
    tenant_id uuid references tenant(id),      -- null: operator-provided, visible to all
    name text not null,
    databases text[] not null,
    manifest jsonb not null,
    package bytea not null,
    unit_table bytea,
    activity_count integer not null,
    indicator_ids text[] not null,
    import_report jsonb,
    created_at timestamptz not null default now()
);
create index snapshot_tenant_idx on snapshot(tenant_id, created_at);

create table link_rule (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    match_field text not null
        check (match_field in ('part_number', 'material_class', 'cn_code', 'description')),
    pattern text not null,
    target_database text not null,
    target_code text not null,
    priority integer not null default 100,
    created_at timestamptz not null default now(),
    unique (tenant_id, match_field, pattern)
);
