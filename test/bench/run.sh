#!/usr/bin/env bash
# `make bench`: the filter's speed and memory against its peer, Envoy as a plain TCP pass-through,
# in the same run on this machine, and the codecs' decode cost against kafkajs's (README.md here).
#
# The Kafka/Envoy stack is shared with `make test-e2e` and `make up`: when one is running that
# this bench did not start, it waits for it to stop (polls every BENCH_POLL s, up to BENCH_WAIT s)
# instead of taking it over. It holds the stack only while proxy.ts runs, and `make down` stops it
# right after, also on failure or interruption (trap) -- but never a stack started by someone else
# once ours is down. Figures go to $BENCH_OUT (.cache/bench): codecs.json, proxy.json, report.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=${BENCH_OUT:-.cache/bench}
WAIT=${BENCH_WAIT:-600}
POLL=${BENCH_POLL:-30}
FRAMES=${ORACLE_FRAMES:-.cache/oracle/frames.jsonl}
mkdir -p "$OUT"
t0=$SECONDS

# 1. Decode cost in Node (no stack needed).
npx tsx test/bench/codecs.ts "$FRAMES" "$OUT/codecs.json"

# 2. Through Envoy: wait until nobody else's stack runs, then start, measure and stop ours.
running() { make --no-print-directory status 2>/dev/null | grep -q 'running (pid'; }
waited=0
while running; do
  if [ "$waited" -ge "$WAIT" ]; then
    echo "bench: Kafka/Envoy still running after ${WAIT}s (someone else's: make test-e2e, make up, ...); not taking it over" >&2
    make --no-print-directory status >&2 || true
    exit 1
  fi
  echo "bench: Kafka/Envoy already running (not started by this bench); waiting ${POLL}s (${waited}/${WAIT}s)" >&2
  sleep "$POLL"
  waited=$((waited + POLL))
done

ours=1
trap '[ -z "$ours" ] || make --no-print-directory down >&2' EXIT
trap 'exit 130' INT TERM
BENCH_RUN=${BENCH_RUN:-$(date +%s)} npx tsx test/bench/proxy.ts "$OUT/proxy.json"
make --no-print-directory down >&2
ours=

echo
npx tsx test/bench/report.ts "$OUT/proxy.json" "$OUT/codecs.json" | tee "$OUT/report.txt"
echo "bench: $((SECONDS - t0))s; figures in $OUT/"
