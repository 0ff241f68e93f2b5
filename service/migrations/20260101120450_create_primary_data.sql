-- Primary data: supplier processes and declared footprints per declared unit (immutable).
create table primary_data (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    kind text not null check (kind in ('process', 'declared')),
    name text not null,
    declared_unit text not null,
    location text,
    reference_period_start date,
    reference_period_end date,
    payload jsonb not null,
    created_at timestamptz not null default now(),
    check (reference_period_end is null or reference_period_start is null
           or reference_period_end >= reference_period_start)
);
create index primary_data_tenant_idx on primary_data(tenant_id, created_at);

create trigger primary_data_immutable before update or delete on primary_data
    for each row execute function result_is_immutable();
