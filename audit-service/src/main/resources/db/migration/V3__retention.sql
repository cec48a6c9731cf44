-- Retention removes expired records but keeps the chain verifiable: each purged record leaves its sequence
-- number and hash (a tombstone), and every purge is signed as a whole, so a deletion cannot pass for one.
CREATE TABLE audit_purge (
    id          bigint      PRIMARY KEY,
    purged_at   timestamptz NOT NULL,
    records     integer     NOT NULL,
    digest      bytea       NOT NULL,
    key_id      text        NOT NULL,
    signature   bytea       NOT NULL
);

CREATE TABLE audit_purged (
    seq         bigint      PRIMARY KEY,
    hash        bytea       NOT NULL,
    purge_id    bigint      NOT NULL REFERENCES audit_purge (id)
);

CREATE INDEX audit_purged_purge ON audit_purged (purge_id);

CREATE TRIGGER audit_purge_append_only BEFORE UPDATE OR DELETE ON audit_purge
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_purged_append_only BEFORE UPDATE OR DELETE ON audit_purged
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
