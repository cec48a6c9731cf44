-- Alerts: one row per alert (a rule firing for a group of labels), de-duplicated by fingerprint while open, with the
-- firings that made it (their evidence) and its history (fired, acknowledged, resolved, with who and when).
create table alert (
    id                uuid        primary key,
    fingerprint       text        not null,
    rule_id           text        not null,
    rule_type         text        not null,
    title             text        not null,
    severity          text        not null,
    labels            jsonb       not null,
    state             text        not null check (state in ('firing', 'acknowledged', 'resolved')),
    occurrences       integer     not null default 1,
    first_fired_at    timestamptz not null,
    last_fired_at     timestamptz not null,
    acknowledged_at   timestamptz,
    acknowledged_by   text,
    resolved_at       timestamptz,
    resolved_by       text
);
-- one open alert per fingerprint, whichever instance fires it
create unique index alert_open_fingerprint on alert (fingerprint) where state <> 'resolved';
create index alert_state_last on alert (state, last_fired_at desc);
create index alert_last on alert (last_fired_at desc);

create table alert_firing (
    -- the signal that completed the detection and the rule's reference: a replayed signal adds nothing
    firing_id         text        primary key,
    alert_id          uuid        not null references alert (id) on delete cascade,
    fired_at          timestamptz not null,
    -- [{signalId, traceId, auditEventId}], newest first, at most 20
    evidence          jsonb       not null
);
create index alert_firing_alert on alert_firing (alert_id, fired_at desc);

create table alert_history (
    id                bigserial   primary key,
    alert_id          uuid        not null references alert (id) on delete cascade,
    at                timestamptz not null default now(),
    action            text        not null,
    actor             text        not null,
    detail            text        not null default ''
);
create index alert_history_alert on alert_history (alert_id, id);
