-- Products, immutable content-addressed BOM revisions, their lines and explosion.
create table product (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    part_number text not null,
    name text not null,
    unit text not null default 'unit',
    created_at timestamptz not null default now(),
    unique (tenant_id, part_number)
);

create table bom_revision (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    product_id uuid not null references product(id),
    bom_revision_hash text not null,
    line_count integer not null,
    explosion jsonb not null,
    source text not null,
    created_at timestamptz not null default now(),
    unique (tenant_id, product_id, bom_revision_hash)
);
create index bom_revision_product_idx on bom_revision(tenant_id, product_id, created_at);

create table bom_line (
    bom_revision_id uuid not null references bom_revision(id),
    position integer not null,
    line_id text not null,
    parent_line_id text,
    part_number text not null,
    description text not null,
    quantity double precision not null check (quantity >= 0),
    unit text not null,
    supplier text,
    origin text,
    cn_code text,
    material_class text,
    mass_kg double precision,
    stage text,
    link_hint text,
    primary key (bom_revision_id, position),
    unique (bom_revision_id, line_id)
);

create function bom_is_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'BOM revisions are immutable';
end $$;

create trigger bom_revision_immutable before update or delete on bom_revision
    for each row execute function bom_is_immutable();
create trigger bom_line_immutable before update or delete on bom_line
    for each row execute function bom_is_immutable();
