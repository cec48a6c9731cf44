#!/usr/bin/env bash
# ratelimit-service benchmark (method and figures: docs/benchmarks.md). Builds what it needs, starts its own
# Redis and two ratelimit-service instances (local cache on and off), and prints a Markdown table.
# Knobs: BENCH_CONCURRENCY (32), BENCH_SECONDS (10), BENCH_WARMUP (5), BENCH_SERVICE_JVM_OPTIONS.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk.sh
sekisho_use_jdk
classpath="$PWD/integration-tests/target/bench.classpath"
./mvnw -B -q -ntp -pl integration-tests -am package dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$classpath"
exec "$JAVA_HOME/bin/java" -Xmx512m -Dsekisho.root="$PWD" \
  -Dbench.service-jvm-options="${BENCH_SERVICE_JVM_OPTIONS:-}" \
  -Dbench.concurrency="${BENCH_CONCURRENCY:-32}" -Dbench.seconds="${BENCH_SECONDS:-10}" -Dbench.warmup="${BENCH_WARMUP:-5}" \
  -cp "integration-tests/target/test-classes:$(cat "$classpath")" dev.sekisho.it.bench.RateLimitBenchmark
