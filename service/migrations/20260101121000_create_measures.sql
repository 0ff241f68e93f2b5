-- Co-control measures: a named, versioned change to a product's model (immutable rows;
-- a new version is a new row).
create table measure (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    product_id uuid not null references product(id),
    name text not null,
    version integer not null check (version >= 1),
    description text,
    changes jsonb not null,
    cost_per_unit double precision,
    currency text check (currency is null or currency ~ '^[A-Z]{3}$'),
    exclusive_group text,
    created_at timestamptz not null default now(),
    unique (tenant_id, product_id, name, version),
    check (cost_per_unit is null or currency is not null)
);
create index measure_tenant_idx on measure(tenant_id, product_id, created_at);

create trigger measure_immutable before update or delete on measure
    for each row execute function result_is_immutable();
