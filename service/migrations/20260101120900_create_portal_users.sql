-- Web portal: people who sign in with a password (Argon2id hash), each in one tenant with
-- roles (the same roles as API clients), and their server-side sessions. A session row
-- keeps only the SHA-256 of the session id the browser holds, and the synchronizer CSRF
-- token of that session.
create table portal_user (
    id uuid primary key default gen_random_uuid(),
    tenant_id uuid not null references tenant(id),
    email text not null,
    password_hash text not null,
    display_name text not null default '',
    roles text[] not null check (roles <@ array['admin','buyer','supplier','exporter','verifier']::text[]
                                 and cardinality(roles) > 0),
    language text check (language in ('en', 'zh')),
    created_at timestamptz not null default now(),
    disabled_at timestamptz
);
create unique index portal_user_email_idx on portal_user(lower(email));
create index portal_user_tenant_idx on portal_user(tenant_id);

create table portal_session (
    id_hash bytea primary key,
    user_id uuid not null references portal_user(id),
    tenant_id uuid not null references tenant(id),
    csrf_token text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    last_seen_at timestamptz not null default now()
);
create index portal_session_user_idx on portal_session(user_id);
create index portal_session_expires_idx on portal_session(expires_at);
