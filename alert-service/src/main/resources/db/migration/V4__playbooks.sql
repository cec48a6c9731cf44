-- Playbook actions: a rule's first response when its alert opens (block an address or a user, disable a user, revoke
-- an API key), recorded with the alert, carried out by whichever instance claims it, with its outcome.
create table alert_action (
    id               bigserial   primary key,
    alert_id         uuid        not null references alert (id) on delete cascade,
    action           text        not null,
    target           text        not null,
    duration_seconds bigint,
    dry_run          boolean     not null,
    status           text        not null default 'pending'
                                 check (status in ('pending', 'done', 'dry-run', 'capped', 'refused', 'failed', 'skipped')),
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz not null default now(),
    claimed_until    timestamptz,
    created_at       timestamptz not null default now(),
    done_at          timestamptz,
    result           text        not null default ''
);
create index alert_action_due on alert_action (next_attempt_at) where status = 'pending';
create index alert_action_alert on alert_action (alert_id, id);
create index alert_action_done on alert_action (action, done_at) where done_at is not null;
