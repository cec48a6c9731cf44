-- Why an integration is suspended when no person decided it: its owner left (until a new owner is assigned), or its
-- review went unconfirmed past the deadline. Empty otherwise.
alter table integration add column suspended_for text not null default ''
    check (suspended_for in ('', 'owner_left', 'review_unconfirmed'));

-- Periodic review campaigns: an admin starts one (of integrations, of user access, or both); each owner re-confirms
-- each of their integrations and its credentials, each manager their users' roles, before the deadline; what is not
-- confirmed by then is suspended (integrations) or flagged for disable (users). The items are the campaign's
-- evidence: who confirmed what, and when.
create table review_campaign (
    id          text        primary key,
    scope       text        not null check (scope in ('integrations', 'access', 'both')),
    state       text        not null check (state in ('open', 'closed')),
    started_by  text        not null,
    started_at  timestamptz not null,
    deadline    timestamptz not null,
    closed_at   timestamptz,
    note        text        not null default ''
);
create index review_campaign_open on review_campaign (deadline) where state = 'open';

create table review_item (
    campaign_id text        not null references review_campaign (id),
    kind        text        not null check (kind in ('integration', 'access')),
    item_id     text        not null,   -- the integration's id, or the user's username
    subject     text        not null,   -- the integration's name, or the username
    reviewer    text        not null,   -- its owner, or the user's manager ('' when they have none: an admin reviews)
    detail      text        not null,   -- the credentials (API key ids), or the realm roles, as they were at the start
    decision    text        not null default 'pending' check (decision in ('pending', 'confirmed', 'suspended', 'flagged')),
    decided_by  text        not null default '',
    decided_at  timestamptz,
    note        text        not null default '',
    primary key (campaign_id, kind, item_id)
);
create index review_item_reviewer on review_item (reviewer);
