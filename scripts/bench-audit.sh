#!/usr/bin/env bash
# audit-service benchmark (method and figures: docs/benchmarks.md). Builds what it needs, starts its own
# PostgreSQL, Keycloak and audit-service, fills the log with 1,000,000 events and prints a Markdown table.
# Knobs: BENCH_EVENTS (1000000), BENCH_MEASURED (200000), BENCH_STREAMS (8), BENCH_QUERIES (1000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk.sh
sekisho_use_jdk
classpath="$PWD/integration-tests/target/bench.classpath"
./mvnw -B -q -ntp -pl integration-tests -am package dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$classpath"
keycloak=$(ls -d "$PWD"/target/keycloak/keycloak-*/ | sort -V | tail -1)
exec "$JAVA_HOME/bin/java" -Xmx1g -Dsekisho.root="$PWD" -Dsekisho.keycloak.home="${keycloak%/}" \
  -Dsekisho.postgres.fsync=true \
  -Dbench.events="${BENCH_EVENTS:-1000000}" -Dbench.measured="${BENCH_MEASURED:-200000}" \
  -Dbench.streams="${BENCH_STREAMS:-8}" -Dbench.queries="${BENCH_QUERIES:-1000}" \
  -cp "integration-tests/target/test-classes:$(cat "$classpath")" dev.sekisho.it.bench.AuditBenchmark
