-- Transit: named keys whose versions encrypt callers' data; the key material of each version is wrapped by a master
-- key (as data keys are), never stored in the clear. Trimming deletes the versions below min_available_version.
create table transit_key (
    name                        text        primary key,
    key_type                    text        not null,
    derived                     boolean     not null default false,
    latest_version              integer     not null,
    min_decryption_version      integer     not null default 1,
    min_encryption_version      integer     not null default 0,   -- 0: the latest
    min_available_version       integer     not null default 1,
    auto_rotate_period_seconds  bigint,
    created_at                  timestamptz not null,
    created_by                  text        not null,
    updated_at                  timestamptz not null,
    rotated_at                  timestamptz not null
);

create table transit_key_version (
    name            text        not null references transit_key (name) on delete cascade,
    version         integer     not null,
    wrapped_key     bytea       not null,
    master_version  integer     not null,
    created_at      timestamptz not null,
    primary key (name, version)
);
create index transit_key_version_master on transit_key_version (master_version);

-- Tokenization: a random token per value and namespace, found again by a keyed hash of the value (HMAC under the
-- service's HMAC key, not in the database); the value itself sealed as secrets are (its own data key, master-wrapped).
create table token (
    token           text        primary key,
    namespace       text        not null,
    value_hmac      text        not null,
    nonce           bytea,
    ciphertext      bytea,
    wrapped_key     bytea,
    master_version  integer,
    created_at      timestamptz not null,
    created_by      text        not null,
    expires_at      timestamptz,
    revoked_at      timestamptz,
    revoked_by      text
);
-- One live token per value and namespace; a revoked or expired one is retired and a new one issued.
create unique index token_live_value on token (namespace, value_hmac) where revoked_at is null;
create index token_master on token (master_version);
