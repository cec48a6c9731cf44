#!/usr/bin/env bash
# auth-service benchmark (method and figures: docs/benchmarks.md). Builds what it needs, starts its own Redis,
# Keycloak, ratelimit-service and auth-service, and prints Markdown tables.
# Knobs: BENCH_LOGINS (100), BENCH_INTROSPECT_RATE (2000), BENCH_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk.sh
sekisho_use_jdk
classpath="$PWD/integration-tests/target/bench.classpath"
./mvnw -B -q -ntp -pl integration-tests -am package dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$classpath"
keycloak=$(ls -d "$PWD"/target/keycloak/keycloak-*/ | sort -V | tail -1)
exec "$JAVA_HOME/bin/java" -Xmx1g -Dsekisho.root="$PWD" -Dsekisho.keycloak.home="${keycloak%/}" \
  -Dbench.logins="${BENCH_LOGINS:-100}" -Dbench.introspect-rate="${BENCH_INTROSPECT_RATE:-2000}" \
  -Dbench.seconds="${BENCH_SECONDS:-10}" ${BENCH_JAVA_OPTS:-} \
  -cp "integration-tests/target/test-classes:$(cat "$classpath")" dev.sekisho.it.bench.AuthBenchmark
