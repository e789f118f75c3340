#!/usr/bin/env bash
# Envoy for the e2e tests, in the background, with a config rendered by envoy/render.py.
#   envoy.sh up     render the config, (re)start Envoy if it is not running with exactly this
#                   config, filter module and certificates, wait until the admin endpoint says LIVE
#   envoy.sh down   stop it (no error when nothing runs)
#   envoy.sh status exit 0 when our Envoy runs
# Settings come from the environment (mk/envoy.mk sets them):
#   ENVOY ENVOY_RUN ENVOY_LOGS ENVOY_TEMPLATE ENVOY_TLS FILTER_WASM POLICY NOWASM ENVOY_LOG_LEVEL ENVOY_CONCURRENCY
#   BROKERS (Kafka nodes, each behind its own listeners: envoy/render.py --brokers)
# ENVOY_TLS holds the TLS listener's certificates (made by test/e2e/bin/tls-certs.sh; `make envoy-up` does it).
# A second Envoy in front of the same broker (`make envoy-b-up`, test/e2e/topic-ids.test.ts) runs from
# another ENVOY_RUN with
#   ENVOY_CONFIG_FROM  a config already rendered (the first Envoy's), copied instead of rendering
#   ENVOY_PORTS        "admin plaintext sasl tls" (default "9901 19092 19093 19094"): the template's
#                      ports are replaced by these in the config (listeners, admin, and the TLS
#                      listener's filter.brokerAddresses, so TLS clients stay on this Envoy)
set -euo pipefail

ENVOY=${ENVOY:-.venv/bin/envoy}
ENVOY_RUN=${ENVOY_RUN:-.cache/envoy}
ENVOY_LOGS=${ENVOY_LOGS:-$ENVOY_RUN}
ENVOY_TEMPLATE=${ENVOY_TEMPLATE:-envoy/envoy.yaml}
ENVOY_TLS=${ENVOY_TLS:-$ENVOY_RUN/tls}
FILTER_WASM=${FILTER_WASM:-build/filter.wasm}
POLICY=${POLICY:-envoy/policy.example.json}
NOWASM=${NOWASM:-}
ENVOY_LOG_LEVEL=${ENVOY_LOG_LEVEL:-info}
ENVOY_CONCURRENCY=${ENVOY_CONCURRENCY:-2}
BROKERS=${BROKERS:-1}
ENVOY_START_TIMEOUT=${ENVOY_START_TIMEOUT:-60}
ENVOY_CONFIG_FROM=${ENVOY_CONFIG_FROM:-}
TEMPLATE_PORTS=(9901 19092 19093 19094)
read -r -a PORTS <<<"${ENVOY_PORTS:-${TEMPLATE_PORTS[*]}}"
[ "${#PORTS[@]}" -eq 4 ] || { echo "envoy.sh: ENVOY_PORTS needs 4 ports: admin plaintext sasl tls" >&2; exit 2; }
ADMIN=127.0.0.1:${PORTS[0]}

mkdir -p "$ENVOY_RUN" "$ENVOY_LOGS"
RUN=$(cd "$ENVOY_RUN" && pwd)
LOGS=$(cd "$ENVOY_LOGS" && pwd)
PIDFILE=$RUN/envoy.pid
CONFIG=$RUN/envoy.yaml
STAMP=$RUN/envoy.running   # what the running Envoy was started with
LOG=$LOGS/envoy.log

log() { echo "envoy.sh: $*" >&2; }
# shellcheck source=test/e2e/bin/bg.sh
. "$(dirname "${BASH_SOURCE[0]}")/bg.sh"

our_pid() {  # prints Envoy's pid when it is ours and alive
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF "$CONFIG" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ready() { [ "$(curl -s --max-time 2 "http://$ADMIN/ready" 2>/dev/null)" = "LIVE" ]; }

render() {
  if [ -n "$ENVOY_CONFIG_FROM" ]; then
    [ -f "$ENVOY_CONFIG_FROM" ] || { log "no config at $ENVOY_CONFIG_FROM (start the first Envoy first)"; exit 1; }
    cp "$ENVOY_CONFIG_FROM" "$CONFIG.tmp"
  elif [ -n "$NOWASM" ]; then
    python3 envoy/render.py --template "$ENVOY_TEMPLATE" --out "$CONFIG.tmp" --tls-dir "$ENVOY_TLS" --brokers "$BROKERS" --no-wasm
  else
    python3 envoy/render.py --template "$ENVOY_TEMPLATE" --out "$CONFIG.tmp" --tls-dir "$ENVOY_TLS" --brokers "$BROKERS" \
      --wasm "$FILTER_WASM" --policy "$POLICY"
  fi
  # Other ports: "port_value: N" (listeners, admin) and the policy's "port": N (JSON in a YAML string).
  local i
  for i in 0 1 2 3; do
    [ "${PORTS[$i]}" = "${TEMPLATE_PORTS[$i]}" ] ||
      sed -i -E 's/(port_value: |\\"port\\": )'"${TEMPLATE_PORTS[$i]}"'\b/\1'"${PORTS[$i]}"'/g' "$CONFIG.tmp"
  done
  mv -f "$CONFIG.tmp" "$CONFIG"
}

fingerprint() {  # config + module + certificates + binary + command line: a change in any of them means a restart
  { cat "$CONFIG"; [ -n "$NOWASM" ] || cat "$FILTER_WASM"; cat "$ENVOY_TLS"/*.crt 2>/dev/null || true; readlink -f "$ENVOY"
    echo "concurrency=$ENVOY_CONCURRENCY log=$ENVOY_LOG_LEVEL"; } |
    sha256sum | cut -d' ' -f1
}

up() {
  local p want
  render
  want=$(fingerprint)
  bg_current envoy "$want" "with this config" "config, filter module or command line changed" && return 0
  for p in "${PORTS[@]}"; do
    if port_open "$p"; then log "127.0.0.1:$p is taken by a process that is not ours; stop it first"; exit 1; fi
  done
  # Fail fast, with Envoy's own words, on a config it rejects (this also compiles the Wasm module).
  if ! "$ENVOY" --mode validate -c "$CONFIG" --disable-hot-restart -l warning >"$LOGS/validate.log" 2>&1; then
    log "Envoy rejects $CONFIG:"; tail -n 20 "$LOGS/validate.log" >&2; exit 1
  fi
  log "starting envoy ($([ -n "$NOWASM" ] && echo pass-through || echo "filter $FILTER_WASM, policy $POLICY")), log $LOG"
  # --disable-hot-restart: no shared-memory base id, so it never collides with another Envoy here.
  bg_start "$want" "$ENVOY" -c "$CONFIG" --disable-hot-restart --concurrency "$ENVOY_CONCURRENCY" \
    -l "$ENVOY_LOG_LEVEL" --log-format '[%Y-%m-%d %T.%e][%t][%l][%n] %v'
  bg_wait envoy "$ENVOY_START_TIMEOUT" ready
  log "ready (--concurrency $ENVOY_CONCURRENCY): 127.0.0.1:${PORTS[1]} -> :9092, 127.0.0.1:${PORTS[2]} -> :9093, 127.0.0.1:${PORTS[3]} (TLS) -> :9092$([ "$BROKERS" = 1 ] || echo " (and so on for $BROKERS nodes, ports +10 per node)"), admin http://$ADMIN"
}

case "${1:-}" in
  up) up ;;
  down) bg_stop envoy ;;
  status) if pid=$(our_pid); then echo "envoy running (pid $pid)"; else echo "envoy not running"; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
