#!/usr/bin/env bash
# `make bench`: the filter's speed and memory against its peer, Envoy as a plain TCP pass-through,
# in the same run on this machine, and the codecs' decode cost against kafkajs's (README.md here).
#
# One Kafka/Envoy stack fits on this machine (fixed loopback ports), shared with `make test-e2e`,
# `make up` and `make corpus-capture`. The bench holds $STACK_LOCK (flock, default
# /tmp/kafka-stack.lock; STACK_LOCK= for none, e.g. when the caller holds it already) only while
# proxy.ts runs, and `make down` stops the stack before the lock is let go, also on failure or
# interruption (trap). Waiting for the lock, and then for a stack someone started without it
# (polls every BENCH_POLL s), takes up to BENCH_WAIT s each; it never takes over someone else's
# stack. Figures go to $BENCH_OUT (.cache/bench): codecs.json, work.json, proxy.json, report.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=${BENCH_OUT:-.cache/bench}
WAIT=${BENCH_WAIT:-600}
POLL=${BENCH_POLL:-30}
LOCK=${STACK_LOCK-/tmp/kafka-stack.lock}
FRAMES=${ORACLE_FRAMES:-.cache/oracle/frames.jsonl}
export BENCH_RUN=${BENCH_RUN:-$(date +%s)}

# (under the lock) Wait until nobody else's stack runs, then start, measure and stop ours.
if [ "${1:-}" = "--stack" ]; then
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
  trap 'make --no-print-directory down >&2' EXIT
  trap 'exit 130' INT TERM
  npx tsx test/bench/proxy.ts "$2"
  exit 0
fi

mkdir -p "$OUT"
t0=$SECONDS

# 1. Decode cost in Node (no stack needed).
npx tsx test/bench/codecs.ts "$FRAMES" "$OUT/codecs.json"

# 1b. The filter's work per round trip in the mock host, counted (no stack needed; figures
# that do not move with the machine's load: assembly/filter/testing/round-trip-cost.mjs).
ROUND_TRIP_JSON="$OUT/work.json" node assembly/filter/testing/round-trip-cost.mjs build/filter-work.wasm test/bench/policy.json > /dev/null

# 2. Through Envoy, holding the stack lock (-o: the daemons the bench starts do not inherit it).
if [ -n "$LOCK" ]; then
  echo "bench: waiting for $LOCK (up to ${WAIT}s)" >&2
  rc=0; flock -E 75 -o -w "$WAIT" "$LOCK" bash "$0" --stack "$OUT/proxy.json" || rc=$?
  if [ "$rc" -eq 75 ]; then echo "bench: $LOCK still held after ${WAIT}s; not run" >&2; fi
  [ "$rc" -eq 0 ] || exit "$rc"
else
  bash "$0" --stack "$OUT/proxy.json"
fi

echo
npx tsx test/bench/report.ts "$OUT/proxy.json" "$OUT/codecs.json" "$OUT/work.json" | tee "$OUT/report.txt"
echo "bench: $((SECONDS - t0))s; figures in $OUT/"
