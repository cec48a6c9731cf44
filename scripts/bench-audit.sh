#!/usr/bin/env bash
# audit-service benchmark (method and figures: docs/benchmarks.md). Builds what it needs, starts its own
# PostgreSQL, Keycloak and audit-service, fills the log with 1,000,000 events and prints a Markdown table.
# Knobs: BENCH_EVENTS (1000000), BENCH_MEASURED (200000), BENCH_STREAMS (8), BENCH_QUERIES (1000).
. "$(dirname "$0")/bench.sh"
sekisho_bench AuditBenchmark -Xmx1g -Dsekisho.postgres.fsync=true \
  -Dbench.events="${BENCH_EVENTS:-1000000}" -Dbench.measured="${BENCH_MEASURED:-200000}" \
  -Dbench.streams="${BENCH_STREAMS:-8}" -Dbench.queries="${BENCH_QUERIES:-1000}"
