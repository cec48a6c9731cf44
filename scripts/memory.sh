#!/usr/bin/env bash
# The memory each service of a running `./sekisho up` holds: resident now, the peak since it started (VmHWM), and the
# heap still live after the last collection, from its /q/metrics. Run your traffic first: the peak is what a
# container limit must hold. docs/benchmarks.md ("Memory") has the figures the compose and Kubernetes limits rest on.
set -euo pipefail
printf '%-18s %10s %10s %14s\n' service rss_mb peak_mb live_heap_mb
for service in auth:9081 ratelimit:9082 secrets:9083 audit:9084 alert:9085; do
  name=${service%%:*}-service
  pid=$(pgrep -f "/$name/target/quarkus-app/quarkus-run.jar" | head -1 || true)
  if [ -z "$pid" ]; then
    printf '%-18s %10s\n' "$name" "not running"
    continue
  fi
  rss=$(awk '/^VmRSS/{print int($2/1024)}' /proc/"$pid"/status)
  peak=$(awk '/^VmHWM/{print int($2/1024)}' /proc/"$pid"/status)
  live=$(curl -fsS "http://127.0.0.1:${service##*:}/q/metrics" | awk '/^jvm_gc_live_data_size_bytes/{print int($2/1048576)}')
  printf '%-18s %10s %10s %14s\n' "$name" "$rss" "$peak" "${live:-?}"
done
