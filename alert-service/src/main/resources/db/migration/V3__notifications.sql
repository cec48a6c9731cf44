-- Notifications: alerts grouped per route and group labels (Alertmanager's group_by / group_wait / group_interval /
-- repeat_interval), the messages to receivers with their delivery log, receivers disabled by 410 Gone, silences, and
-- escalations in progress. Everything a restart must not lose or repeat lives here.
create table alert_group (
    id               text        primary key,
    route_id         text        not null,
    receiver         text        not null,
    group_labels     jsonb       not null,
    created_at       timestamptz not null default now(),
    -- when to look at the group next; null: nothing to send until one of its alerts changes
    next_flush_at    timestamptz,
    last_flush_at    timestamptz,
    last_sent_at     timestamptz,
    last_sent_hash   text
);
create index alert_group_due on alert_group (next_flush_at) where next_flush_at is not null;

create table alert_group_member (
    group_id         text        not null references alert_group (id) on delete cascade,
    alert_id         uuid        not null references alert (id) on delete cascade,
    -- the state last sent for this alert in this group (null: never sent)
    notified_state   text,
    primary key (group_id, alert_id)
);
create index alert_group_member_alert on alert_group_member (alert_id);

create table notification (
    id               bigserial   primary key,
    -- Standard Webhooks' webhook-id: the receiver's idempotency key, the same on every attempt
    webhook_id       uuid        not null unique,
    receiver         text        not null,
    kind             text        not null check (kind in ('group', 'escalation')),
    payload          jsonb       not null,
    status           text        not null default 'pending'
                                 check (status in ('pending', 'delivered', 'failed', 'refused', 'gone')),
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz not null default now(),
    claimed_until    timestamptz,
    created_at       timestamptz not null default now(),
    delivered_at     timestamptz,
    last_status      integer,
    last_error       text
);
create index notification_due on notification (next_attempt_at) where status = 'pending';
create index notification_receiver on notification (receiver, id desc);

create table receiver_state (
    name             text        primary key,
    disabled_at      timestamptz not null,
    reason           text        not null
);

create table silence (
    id               uuid        primary key,
    matchers         jsonb       not null,
    starts_at        timestamptz not null,
    ends_at          timestamptz not null,
    created_by       text        not null,
    comment          text        not null,
    created_at       timestamptz not null default now(),
    expired_by       text
);
create index silence_ends on silence (ends_at);

create table escalation (
    alert_id         uuid        not null references alert (id) on delete cascade,
    policy           text        not null,
    step             integer     not null,
    round            integer     not null,
    due_at           timestamptz not null,
    primary key (alert_id, policy)
);
create index escalation_due on escalation (due_at);
