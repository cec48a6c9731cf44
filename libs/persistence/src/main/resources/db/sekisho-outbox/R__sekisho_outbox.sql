-- The outbox of libs/peers in a PostgreSQL service (PostgresOutboxStore): audit events and alert signals written in
-- the same transaction as the change they record, until their peer acknowledged them. Repeatable and idempotent, so
-- that it shares Flyway's history with the service's own versioned migrations without taking a version number.
create table if not exists sekisho_outbox (
    id          bigserial primary key,
    stream      text        not null,
    payload     bytea       not null,
    created_at  timestamptz not null default now(),
    claimed_by  text,
    claimed_at  timestamptz,
    attempts    integer     not null default 0
);
create index if not exists sekisho_outbox_stream_id on sekisho_outbox (stream, id);

-- Entries their peer rejected (they would never be accepted): kept for operators, never retried.
create table if not exists sekisho_outbox_dead (
    id          bigint      primary key,
    stream      text        not null,
    payload     bytea       not null,
    created_at  timestamptz not null,
    dead_at     timestamptz not null default now(),
    reason      text        not null
);
