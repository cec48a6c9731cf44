#!/usr/bin/env bash
# auth-service benchmark (method and figures: docs/benchmarks.md). Builds what it needs, starts its own Redis,
# Keycloak, ratelimit-service and auth-service, and prints Markdown tables.
# Knobs: BENCH_LOGINS (100), BENCH_WARMUP_LOGINS (300), BENCH_INTROSPECT_RATE (2000), BENCH_SECONDS (10),
# BENCH_JAVA_OPTS (extra -D options, e.g. -Dbench.env.SEKISHO_AUTH_LOGIN_BUDGET_ENABLED=false to take a part of the
# login path out).
. "$(dirname "$0")/bench.sh"
# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of options
sekisho_bench AuthBenchmark -Xmx1g \
  -Dbench.logins="${BENCH_LOGINS:-100}" -Dbench.warmup-logins="${BENCH_WARMUP_LOGINS:-300}" \
  -Dbench.introspect-rate="${BENCH_INTROSPECT_RATE:-2000}" -Dbench.seconds="${BENCH_SECONDS:-10}" ${BENCH_JAVA_OPTS:-}
