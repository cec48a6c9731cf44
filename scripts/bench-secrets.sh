#!/usr/bin/env bash
# secrets-service benchmark (method and figures: docs/benchmarks.md). Builds what it needs, starts its own
# PostgreSQL (fsync on), Redis, Keycloak and secrets-service, stores 10,000 secrets and prints a Markdown table.
# Knobs: BENCH_SECRETS (10000), BENCH_CONCURRENCY (32), BENCH_MEASURE_SECONDS (20), BENCH_SERVICE_JVM_OPTIONS (the
# service's JVM options; default the suite's).
. "$(dirname "$0")/bench.sh"
sekisho_bench SecretsBenchmark -Xmx1g -Dsekisho.postgres.fsync=true \
  -Dsekisho.service.jvm-options="${BENCH_SERVICE_JVM_OPTIONS:--Xmx256m -XX:+UseSerialGC}" \
  -Dbench.secrets="${BENCH_SECRETS:-10000}" -Dbench.concurrency="${BENCH_CONCURRENCY:-32}" \
  -Dbench.measure-seconds="${BENCH_MEASURE_SECONDS:-20}"
