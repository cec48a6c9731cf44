-- Retention deletes as a database role of its own. Until now any session could SET sekisho.audit_retention = 'on'
-- and delete records; no session setting opens the log any more. Only sekisho_audit_retention may delete audit
-- records (and only those: checkpoints, purges and tombstones can never be deleted), and only a member of it may
-- SET ROLE to it. Grant it to the login the retention job runs as, and to nobody else (docs/security.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sekisho_audit_retention') THEN
        CREATE ROLE sekisho_audit_retention NOLOGIN;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot create the role sekisho_audit_retention: create it (NOLOGIN) as a database administrator;'
        ' until then retention cannot delete anything';
END;
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'sekisho_audit_retention') THEN
        GRANT SELECT, DELETE ON audit_event TO sekisho_audit_retention;
        GRANT SELECT, INSERT ON audit_purge, audit_purged TO sekisho_audit_retention;
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_event' AND current_user = 'sekisho_audit_retention' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
