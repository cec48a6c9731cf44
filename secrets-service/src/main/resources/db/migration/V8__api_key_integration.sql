-- An API key belongs to an integration of the registry: issued only while it is approved or active, refused while it
-- is not. Keys issued before the registry have none and keep working (they show as such in GET /v1/apikeys).
alter table api_key add column integration_id text references integration (id);
create index api_key_integration on api_key (integration_id);
