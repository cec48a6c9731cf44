-- The integration registry: what each integration is (name, owner, department, purpose, the data classes it handles,
-- where it sends them), who asked for it, and where it stands (proposed, approved, active, suspended, retired).
create table integration (
    id             text        primary key,
    name           text        not null,
    owner          text        not null,
    department     text        not null,
    purpose        text        not null,
    data_classes   text        not null,   -- comma-separated, from sekisho.secrets.integrations.data-classes
    destinations   text        not null,   -- comma-separated host[:port]
    state          text        not null check (state in ('proposed', 'approved', 'active', 'suspended', 'retired')),
    approvals_required int     not null check (approvals_required between 1 and 2),
    requested_by   text        not null,
    created_at     timestamptz not null,
    updated_at     timestamptz not null,
    state_reason   text        not null default ''
);
-- one live integration per name: a retired one frees its name
create unique index integration_live_name on integration (name) where state <> 'retired';
create index integration_owner on integration (owner);

-- Each approval is one person's, once: four eyes are two different people, neither of them the requester.
create table integration_approval (
    integration_id text        not null references integration (id),
    approver       text        not null,
    approved_at    timestamptz not null,
    note           text        not null default '',
    primary key (integration_id, approver)
);
