#!/usr/bin/env bash
# Envoy for the e2e tests, in the background, with a config rendered by envoy/render.py: the
# bootstrap $ENVOY_RUN/envoy.yaml (admin, stats, clusters) takes its listeners, and so the filter's
# plugin configuration (the policy), from LDS, the file $ENVOY_RUN/lds/listeners.yaml that Envoy
# watches (render.py --lds): a new listeners file renamed over it is loaded by the running Envoy.
#   envoy.sh up     render the config, (re)start Envoy if it is not running with exactly this
#                   config, filter module and certificates, wait until the admin endpoint says LIVE
#                   and the listeners loaded
#   envoy.sh reload render the listeners again (e.g. another POLICY) and hand them to the running
#                   Envoy, as an operator does: written beside the watched directory, renamed into
#                   it (atomic), then wait for Envoy's listener_manager.lds.update_success to move.
#                   Envoy keeps running (same pid); new connections get the new filter chain, open
#                   ones keep the old one until drained (--drain-time-s $ENVOY_DRAIN_TIME), then are
#                   closed. Listeners Envoy refuses (lds.update_rejected: e.g. the filter's
#                   proxy_on_configure refuses the policy) leave the previous ones in force: the
#                   previous file is put back and the command fails with Envoy's log lines.
#                   Anything else changed (module, bootstrap, certificates) needs `up` (a restart).
#   envoy.sh down   stop it (no error when nothing runs)
#   envoy.sh status exit 0 when our Envoy runs
# Settings come from the environment (mk/envoy.mk sets them):
#   ENVOY ENVOY_RUN ENVOY_LOGS ENVOY_TEMPLATE ENVOY_TLS FILTER_WASM POLICY NOWASM ENVOY_LOG_LEVEL ENVOY_CONCURRENCY
#   BROKERS (Kafka nodes, each behind its own listeners: envoy/render.py --brokers)
#   ENVOY_DRAIN_TIME (--drain-time-s: how long a replaced filter chain's connections live on, default 3)
# ENVOY_TLS holds the TLS listener's certificates (made by test/e2e/bin/tls-certs.sh; `make envoy-up` does it).
# A second Envoy in front of the same broker (`make envoy-b-up`, test/e2e/topic-ids.test.ts) runs from
# another ENVOY_RUN with
#   ENVOY_CONFIG_FROM  a config already rendered (the first Envoy's), copied instead of rendering
#   ENVOY_PORTS        "admin plaintext sasl tls opa opa-open" (default "9901 19092 19093 19094 19096 19097"): the template's
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
ENVOY_DRAIN_TIME=${ENVOY_DRAIN_TIME:-3}
ENVOY_RELOAD_TIMEOUT=${ENVOY_RELOAD_TIMEOUT:-30}
TEMPLATE_PORTS=(9901 19092 19093 19094 19096 19097)
read -r -a PORTS <<<"${ENVOY_PORTS:-${TEMPLATE_PORTS[*]}}"
[ "${#PORTS[@]}" -eq 6 ] || { echo "envoy.sh: ENVOY_PORTS needs 6 ports: admin plaintext sasl tls opa opa-open" >&2; exit 2; }
ADMIN=127.0.0.1:${PORTS[0]}

mkdir -p "$ENVOY_RUN" "$ENVOY_LOGS"
RUN=$(cd "$ENVOY_RUN" && pwd)
LOGS=$(cd "$ENVOY_LOGS" && pwd)
PIDFILE=$RUN/envoy.pid
CONFIG=$RUN/envoy.yaml
STAMP=$RUN/envoy.running   # what the running Envoy runs: files, command line, listeners (fingerprints, a line each)
LOG=$LOGS/envoy.log
LDS_DIR=$RUN/lds           # watched by Envoy: only whole files are renamed into it
LDS=$LDS_DIR/listeners.yaml
NEW_CONFIG=$RUN/envoy.yaml.new      # render() writes these, outside the watched directory
NEW_LDS=$RUN/listeners.yaml.new

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

render() {  # into $NEW_CONFIG and $NEW_LDS; nothing Envoy reads changes
  local from i
  if [ -n "$ENVOY_CONFIG_FROM" ]; then
    from=$(cd "$(dirname "$ENVOY_CONFIG_FROM")" 2>/dev/null && pwd)/lds
    [ -f "$ENVOY_CONFIG_FROM" ] && [ -f "$from/listeners.yaml" ] ||
      { log "no config at $ENVOY_CONFIG_FROM and $from/listeners.yaml (start the first Envoy first)"; exit 1; }
    sed "s|$from|$LDS_DIR|g" "$ENVOY_CONFIG_FROM" >"$NEW_CONFIG"
    cp "$from/listeners.yaml" "$NEW_LDS"
  elif [ -n "$NOWASM" ]; then
    python3 envoy/render.py --template "$ENVOY_TEMPLATE" --out "$NEW_CONFIG" --lds "$LDS" --lds-out "$NEW_LDS" \
      --tls-dir "$ENVOY_TLS" --brokers "$BROKERS" --no-wasm
  else
    python3 envoy/render.py --template "$ENVOY_TEMPLATE" --out "$NEW_CONFIG" --lds "$LDS" --lds-out "$NEW_LDS" \
      --tls-dir "$ENVOY_TLS" --brokers "$BROKERS" --wasm "$FILTER_WASM" --policy "$POLICY"
  fi
  # Other ports: "port_value: N" (listeners, admin) and the policy's "port": N (JSON in a YAML string).
  for i in "${!TEMPLATE_PORTS[@]}"; do
    [ "${PORTS[$i]}" = "${TEMPLATE_PORTS[$i]}" ] ||
      sed -i -E 's/(port_value: |\\"port\\": )'"${TEMPLATE_PORTS[$i]}"'\b/\1'"${PORTS[$i]}"'/g' "$NEW_CONFIG" "$NEW_LDS"
  done
}

# What Envoy runs, one line each: the files a reload cannot change (bootstrap, module, certificates,
# binary), the command line, the listeners. `up` restarts when any line differs; `reload` changes
# the last one only.
fingerprint() {  # CONFIG LDS
  { cat "$1"; [ -n "$NOWASM" ] || cat "$FILTER_WASM"; cat "$ENVOY_TLS"/*.crt 2>/dev/null || true; readlink -f "$ENVOY"; } |
    sha256sum | cut -d' ' -f1
  echo "concurrency=$ENVOY_CONCURRENCY log=$ENVOY_LOG_LEVEL drain=$ENVOY_DRAIN_TIME"
  sha256sum <"$2" | cut -d' ' -f1
}

lds_counters() {  # "success rejected failure warming": Envoy's LDS subscription, listeners not yet in use
  curl -s --max-time 2 -G "http://$ADMIN/stats" \
    --data-urlencode 'filter=^listener_manager\.(lds\.update_(success|rejected|failure)|total_listeners_warming)$' |
    awk -F': ' '{ v[$1] = $2 } END { printf "%d %d %d %d\n", v["listener_manager.lds.update_success"],
      v["listener_manager.lds.update_rejected"], v["listener_manager.lds.update_failure"], v["listener_manager.total_listeners_warming"] }'
}

log_problems() {  # Envoy's warnings and errors written after byte offset $1 of its log
  tail -c +"$(($1 + 1))" "$LOG" | grep -E '\]\[(warning|error|critical)\]' | tail -n 30 >&2 || true
}

# Renames $1 over the listeners file Envoy watches and waits for Envoy's verdict:
# 0 loaded (lds.update_success moved, no listener warming: the workers have the new ones),
# 1 refused (update_rejected or update_failure moved), 2 no verdict in time.
hand_over() {
  local s0 r0 f0 w0 s r f w t0
  read -r s0 r0 f0 w0 < <(lds_counters)
  mv -f "$1" "$LDS"
  t0=$SECONDS
  while :; do
    read -r s r f w < <(lds_counters)
    if [ "$r" -gt "$r0" ] || [ "$f" -gt "$f0" ]; then
      log "Envoy refused the listeners (listener_manager.lds.update_rejected $r0 -> $r, update_failure $f0 -> $f)"; return 1
    fi
    if [ "$s" -gt "$s0" ] && [ "$w" = 0 ]; then log "Envoy loaded the listeners (listener_manager.lds.update_success $s0 -> $s)"; return 0; fi
    [ $((SECONDS - t0)) -lt "$ENVOY_RELOAD_TIMEOUT" ] || { log "no LDS update after ${ENVOY_RELOAD_TIMEOUT}s"; return 2; }
    sleep 0.1
  done
}

reload() {
  local pid have want mark rc
  pid=$(our_pid) || { log "envoy is not running: nothing to reload (start it with up)"; exit 1; }
  render
  have=$(cat "$STAMP" 2>/dev/null || true)
  want=$(fingerprint "$NEW_CONFIG" "$NEW_LDS")
  if [ "$(sed -n 1p <<<"$have")" != "$(sed -n 1p <<<"$want")" ]; then
    rm -f "$NEW_CONFIG" "$NEW_LDS"
    log "the bootstrap, the filter module or the certificates changed: a reload hands over listeners only; use up (restarts envoy)"
    exit 1
  fi
  rm -f "$NEW_CONFIG"
  if [ "$(sed -n 3p <<<"$have")" = "$(sed -n 3p <<<"$want")" ]; then
    rm -f "$NEW_LDS"; log "listeners unchanged: nothing to reload (pid $pid)"; return 0
  fi
  cp -f "$LDS" "$RUN/listeners.yaml.prev"
  mark=$(stat -c %s "$LOG")
  log "reloading listeners ($([ -n "$NOWASM" ] && echo pass-through || echo "policy $POLICY")) into envoy pid $pid"
  hand_over "$NEW_LDS" && rc=0 || rc=$?
  if [ "$rc" = 0 ]; then
    { sed -n 1,2p <<<"$have"; sed -n 3p <<<"$want"; } >"$STAMP"
    rm -f "$RUN/listeners.yaml.prev"
    log "reloaded: envoy pid $pid runs the new listeners"
    return 0
  fi
  log "Envoy's log:"; log_problems "$mark"
  # Envoy keeps the listeners it had: the file says so again.
  log "putting the previous listeners file back (still in force in envoy pid $pid)"
  hand_over "$RUN/listeners.yaml.prev" || log "Envoy did not take the previous listeners file back (see $LOG)"
  exit 1
}

stop() { bg_stop envoy; }

up() {
  local pid p want s r f
  render
  want=$(fingerprint "$NEW_CONFIG" "$NEW_LDS")
  if pid=$(our_pid); then
    if [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
      rm -f "$NEW_CONFIG" "$NEW_LDS"
      log "already running (pid $pid) with this config"
      return 0
    fi
    log "config, filter module or command line changed: restarting"
    stop
  fi
  for p in "${PORTS[@]}"; do
    if port_open "$p"; then log "127.0.0.1:$p is taken by a process that is not ours; stop it first"; exit 1; fi
  done
  mkdir -p "$LDS_DIR"
  mv -f "$NEW_LDS" "$LDS"
  mv -f "$NEW_CONFIG" "$CONFIG"
  # Fail fast, with Envoy's own words, on a bootstrap it rejects (the listeners, from LDS, are
  # not validated here: Envoy's verdict on them is read from its LDS counters once it runs).
  if ! "$ENVOY" --mode validate -c "$CONFIG" --disable-hot-restart -l warning >"$LOGS/validate.log" 2>&1; then
    log "Envoy rejects $CONFIG:"; tail -n 20 "$LOGS/validate.log" >&2; exit 1
  fi
  log "starting envoy ($([ -n "$NOWASM" ] && echo pass-through || echo "filter $FILTER_WASM, policy $POLICY")), log $LOG"
  # --disable-hot-restart: no shared-memory base id, so it never collides with another Envoy here.
  bg_start "$want" "$ENVOY" -c "$CONFIG" --disable-hot-restart --concurrency "$ENVOY_CONCURRENCY" \
    --drain-time-s "$ENVOY_DRAIN_TIME" -l "$ENVOY_LOG_LEVEL" --log-format '[%Y-%m-%d %T.%e][%t][%l][%n] %v'
  bg_wait envoy "$ENVOY_START_TIMEOUT" ready
  # Envoy goes LIVE without the listeners it refused: a refusal fails the start.
  read -r s r f _ < <(lds_counters)
  if [ "$s" -lt 1 ] || [ "$r" -gt 0 ] || [ "$f" -gt 0 ]; then
    log "Envoy did not load its listeners from $LDS (listener_manager.lds.update_success $s, update_rejected $r, update_failure $f):"
    log_problems 0; stop; exit 1
  fi
  log "ready (--concurrency $ENVOY_CONCURRENCY): 127.0.0.1:${PORTS[1]} -> :9092, 127.0.0.1:${PORTS[2]} -> :9093, 127.0.0.1:${PORTS[3]} (TLS) -> :9092$([ "$BROKERS" = 1 ] || echo " (and so on for $BROKERS nodes, ports +10 per node)"), admin http://$ADMIN"
}

case "${1:-}" in
  up) up ;;
  reload) reload ;;
  down) if our_pid >/dev/null; then stop; else rm -f "$PIDFILE" "$STAMP"; log "not running"; fi ;;
  status) if pid=$(our_pid); then echo "envoy running (pid $pid)"; else echo "envoy not running"; exit 1; fi ;;
  *) echo "usage: $0 up|reload|down|status" >&2; exit 2 ;;
esac
