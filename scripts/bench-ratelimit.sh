#!/usr/bin/env bash
# ratelimit-service benchmark (method and figures: docs/benchmarks.md). Builds what it needs, starts its own
# Redis and two ratelimit-service instances (local cache on and off), and prints a Markdown table.
# Knobs: BENCH_CONCURRENCY (32), BENCH_SECONDS (10), BENCH_WARMUP (5), BENCH_SERVICE_JVM_OPTIONS.
. "$(dirname "$0")/bench.sh"
sekisho_bench RateLimitBenchmark -Xmx512m \
  -Dbench.service-jvm-options="${BENCH_SERVICE_JVM_OPTIONS:-}" \
  -Dbench.concurrency="${BENCH_CONCURRENCY:-32}" -Dbench.seconds="${BENCH_SECONDS:-10}" -Dbench.warmup="${BENCH_WARMUP:-5}"
