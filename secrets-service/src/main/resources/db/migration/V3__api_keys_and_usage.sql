-- API keys for integrations: the key is shown once; stored is its public id and a keyed hash (HMAC-SHA256 under the
-- service's HMAC key, which is not in the database), so a dump cannot be turned into a working key.
create table api_key (
    id             text        primary key,
    name           text        not null,
    owner          text        not null,
    scopes         text        not null,   -- comma-separated role names
    allowed_cidrs  text        not null default '',
    hash           text        not null,
    created_at     timestamptz not null default now(),
    created_by     text        not null,
    expires_at     timestamptz,
    revoked_at     timestamptz,
    revoked_by     text,
    revoke_reason  text,
    replaced_by    text,
    last_used_at   timestamptz,
    use_count      bigint      not null default 0
);

-- Usage of secrets, written behind (aggregated, at most once per flush interval), never per read.
alter table secret add column last_read_at timestamptz;
alter table secret add column read_count bigint not null default 0;
