#!/bin/bash
# First start of the PostgreSQL volume: a database and a login of its own for Keycloak and for each Sekisho service
# that keeps data in PostgreSQL. The services' migrations (Flyway) create their tables and roles at start.
set -euo pipefail
for entry in "keycloak:$SEKISHO_KEYCLOAK_DB_PASSWORD" "sekisho_audit:$SEKISHO_AUDIT_DB_PASSWORD" \
    "sekisho_secrets:$SEKISHO_SECRETS_DB_PASSWORD" "sekisho_alert:$SEKISHO_ALERT_DB_PASSWORD"; do
  name=${entry%%:*}
  password=${entry#*:}
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
SQL
done
# audit-service's retention deletes as a role of its own, which its login may take and nobody else may
# (audit-service/README.md): created here by the administrator, as the service's login may not create roles
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE sekisho_audit_retention NOLOGIN;
GRANT sekisho_audit_retention TO sekisho_audit;
SQL
