-- Tenants, API clients, access tokens, append-only audit log.

create table tenant (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    created_at timestamptz not null default now()
);

create table client (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    client_id text not null unique,
    secret_hash text not null,
    name text not null,
    roles text[] not null check (roles <@ array['admin','buyer','supplier','exporter','verifier']::text[]
                                 and cardinality(roles) > 0),
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);
create index client_tenant_idx on client(tenant_id);

create table access_token (
    token_hash bytea primary key,
    client_pk uuid not null references client(id),
    issued_at timestamptz not null default now(),
    expires_at timestamptz not null
);
create index access_token_expires_idx on access_token(expires_at);

create table audit_log (
    id bigint generated always as identity primary key,
    tenant_id uuid references tenant(id),
    actor text not null,
    action text not null,
    object_type text not null,
    object_id text,
    detail jsonb not null default '{}'::jsonb,
    request_id text,
    at timestamptz not null default now()
);
create index audit_log_tenant_idx on audit_log(tenant_id, at);

create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only';
end $$;

create trigger audit_log_append_only
    before update or delete or truncate on audit_log
    for each statement execute function audit_log_is_append_only();
