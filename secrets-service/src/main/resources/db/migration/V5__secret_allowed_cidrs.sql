-- Per-secret IP allow-list: when set, the value is read only by callers whose address (behind trusted proxies) is in
-- one of these blocks (comma-separated CIDR).
alter table secret add column allowed_cidrs text not null default '';
