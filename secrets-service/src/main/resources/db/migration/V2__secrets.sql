-- Versioned secrets under envelope encryption. A version's value is AES-256-GCM under its own data key; the data
-- key is stored only wrapped by a master key that lives in configuration, never here (master_version names it).
-- A dump of these tables holds no plaintext and no key that opens anything.
create table secret (
    path                     text        primary key,
    current_version          integer     not null default 0,
    cas_required             boolean     not null default false,
    max_versions             integer     not null,
    owner                    text,
    description              text,
    rotation_period_seconds  bigint,
    expires_at               timestamptz,
    custom_metadata          jsonb       not null default '{}'::jsonb,
    created_at               timestamptz not null default now(),
    created_by               text        not null,
    updated_at               timestamptz not null default now()
);

create table secret_version (
    path            text        not null references secret (path) on delete cascade,
    version         integer     not null,
    created_at      timestamptz not null default now(),
    created_by      text        not null,
    -- null once destroyed: the sealed value and its wrapped key are gone for good
    nonce           bytea,
    ciphertext      bytea,
    wrapped_key     bytea,
    master_version  integer,
    deleted_at      timestamptz,
    destroyed_at    timestamptz,
    primary key (path, version)
);
-- which data keys a master version still wraps (rewrap, and "may version N leave the ring?")
create index secret_version_master on secret_version (master_version) where master_version is not null;
