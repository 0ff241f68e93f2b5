-- Ed25519 signing keys (one active per tenant; private halves sealed with the KEK) and
-- signed certificates of footprint results. Both immutable: a key may only be retired,
-- a certificate only revoked, each once.
create table signing_key (
    key_id text primary key check (key_id ~ '^[0-9a-f]{16}$'),
    tenant_id uuid not null references tenant(id),
    public_key bytea not null unique check (length(public_key) = 32),
    private_key_sealed bytea not null,
    kek_id text not null,
    created_at timestamptz not null default now(),
    retired_at timestamptz,
    unique (key_id, tenant_id)
);
create unique index signing_key_one_active_idx on signing_key(tenant_id) where retired_at is null;

create table certificate (
    serial text primary key,
    tenant_id uuid not null references tenant(id),
    result_id uuid not null references footprint_result(id),
    document jsonb not null,
    document_sha256 text not null check (document_sha256 ~ '^[0-9a-f]{64}$'),
    signature bytea not null check (length(signature) = 64),
    key_id text not null,
    issued_at timestamptz not null,
    revoked_at timestamptz,
    revoked_reason text,
    foreign key (key_id, tenant_id) references signing_key(key_id, tenant_id),
    check ((revoked_at is null) = (revoked_reason is null))
);
create index certificate_tenant_idx on certificate(tenant_id, issued_at);
create index certificate_result_idx on certificate(tenant_id, result_id);

create function signing_key_only_retires() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and old.retired_at is null and new.retired_at is not null
       and (new.key_id, new.tenant_id, new.public_key, new.private_key_sealed, new.kek_id,
            new.created_at)
           is not distinct from
           (old.key_id, old.tenant_id, old.public_key, old.private_key_sealed, old.kek_id,
            old.created_at) then
        return new;
    end if;
    raise exception 'signing keys are immutable (they may only be retired, once)';
end $$;

create trigger signing_key_immutable before update or delete on signing_key
    for each row execute function signing_key_only_retires();

create function certificate_only_revokes() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and old.revoked_at is null and new.revoked_at is not null
       and (new.serial, new.tenant_id, new.result_id, new.document, new.document_sha256,
            new.signature, new.key_id, new.issued_at)
           is not distinct from
           (old.serial, old.tenant_id, old.result_id, old.document, old.document_sha256,
            old.signature, old.key_id, old.issued_at) then
        return new;
    end if;
    raise exception 'certificates are immutable (they may only be revoked, once)';
end $$;

create trigger certificate_immutable before update or delete on certificate
    for each row execute function certificate_only_revokes();
