-- The Keycloak clients whose machine tokens an integration uses, comma-separated: credentials governed by the
-- integration's state like its API keys (the gateway refuses their tokens while it is not approved or active).
alter table integration add column service_clients text not null default '';
