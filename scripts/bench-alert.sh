#!/usr/bin/env bash
# alert-service benchmark (method and figures: docs/benchmarks.md). Builds what it needs, starts its own PostgreSQL,
# Redis, Keycloak and alert-service with 50 rules, then Debian's prometheus-alertmanager (installed with apt-get when
# it is missing and the script runs as root; or name one with BENCH_ALERTMANAGER), and prints a Markdown table.
# Knobs: BENCH_CONCURRENCY (64), BENCH_STREAMS (4), BENCH_MEASURE_SECONDS (20), BENCH_PROBES (200).
set -euo pipefail
am="${BENCH_ALERTMANAGER:-$(command -v prometheus-alertmanager || echo /usr/bin/prometheus-alertmanager)}"
if [ ! -x "$am" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q prometheus-alertmanager > /dev/null
    am=/usr/bin/prometheus-alertmanager
  else
    echo "prometheus-alertmanager not found: install it (apt-get install prometheus-alertmanager) or set BENCH_ALERTMANAGER" >&2
    exit 1
  fi
fi
. "$(dirname "$0")/bench.sh"
sekisho_bench AlertBenchmark -Xmx1g -Dbench.alertmanager="$am" \
  -Dsekisho.service.jvm-options="${BENCH_SERVICE_JVM_OPTIONS:--Xmx256m -XX:+UseSerialGC}" \
  -Dbench.concurrency="${BENCH_CONCURRENCY:-64}" -Dbench.streams="${BENCH_STREAMS:-4}" \
  -Dbench.measure-seconds="${BENCH_MEASURE_SECONDS:-20}" -Dbench.probes="${BENCH_PROBES:-200}"
