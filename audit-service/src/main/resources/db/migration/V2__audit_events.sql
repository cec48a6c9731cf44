-- The audit log: append-only, hash-chained. Each row's hash covers its canonical encoding and the previous
-- row's hash, so changing, removing, reordering or inserting a row breaks the chain at that row.
CREATE TABLE audit_event (
    seq               bigint      PRIMARY KEY,
    event_id          uuid        NOT NULL UNIQUE,
    occurred_at       timestamptz NOT NULL,
    recorded_at       timestamptz NOT NULL,
    actor_type        text        NOT NULL,
    actor_id          text        NOT NULL,
    actor_ip          text        NOT NULL DEFAULT '',
    actor_user_agent  text        NOT NULL DEFAULT '',
    actor_client_id   text        NOT NULL DEFAULT '',
    action            text        NOT NULL,
    resource_type     text        NOT NULL DEFAULT '',
    resource_id       text        NOT NULL DEFAULT '',
    outcome           text        NOT NULL,
    reason            text        NOT NULL DEFAULT '',
    service           text        NOT NULL,
    trace_id          text        NOT NULL DEFAULT '',
    attributes        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    prev_hash         bytea       NOT NULL,
    hash              bytea       NOT NULL
);

CREATE INDEX audit_event_actor ON audit_event (actor_id, seq DESC);
CREATE INDEX audit_event_action ON audit_event (action text_pattern_ops, seq DESC);
CREATE INDEX audit_event_occurred ON audit_event (occurred_at);
CREATE INDEX audit_event_trace ON audit_event (trace_id) WHERE trace_id <> '';

-- Signed checkpoints: (seq, hash, time) signed with the service's Ed25519 key. `anchor` marks where the
-- retained chain starts after a retention purge.
CREATE TABLE audit_checkpoint (
    seq         bigint      PRIMARY KEY,
    hash        bytea       NOT NULL,
    signed_at   timestamptz NOT NULL,
    key_id      text        NOT NULL,
    signature   bytea       NOT NULL,
    anchor      boolean     NOT NULL DEFAULT false
);

-- The database itself refuses to change history. Only the retention job, inside its own transaction,
-- sets sekisho.audit_retention to delete expired rows.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('sekisho.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (TRUNCATE on %)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
