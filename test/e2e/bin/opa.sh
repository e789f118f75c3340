#!/usr/bin/env bash
# Open Policy Agent for the e2e tests (the filter's external decisions, issue 9), in the background.
#   opa.sh up      (re)start OPA serving the Rego of $OPA_POLICY if it is not running with exactly
#                  this binary, address and policy, wait until GET /health answers 200
#   opa.sh down    stop it (no error when nothing runs)
#   opa.sh status  exit 0 when our OPA runs
# Settings come from the environment (mk/opa.mk sets them):
#   OPA         the binary (`make opa` builds it)     default .cache/opa/1.22.4/bin/opa
#   OPA_RUN     pid file, log                         default .cache/opa/run
#   OPA_ADDR    where it listens                      default 127.0.0.1:8181
#   OPA_POLICY  the Rego directory (*_test.rego are left out)   default envoy/opa
# Decision logs go to the console, that is $OPA_RUN/opa.log: one JSON line with
# "msg":"Decision Log" per decision OPA made (a test can count them, grep -c '"Decision Log"').
set -euo pipefail

OPA=${OPA:-.cache/opa/1.22.4/bin/opa}
OPA_RUN=${OPA_RUN:-.cache/opa/run}
OPA_ADDR=${OPA_ADDR:-127.0.0.1:8181}
OPA_POLICY=${OPA_POLICY:-envoy/opa}
OPA_START_TIMEOUT=${OPA_START_TIMEOUT:-30}

mkdir -p "$OPA_RUN"
RUN=$(cd "$OPA_RUN" && pwd)
PIDFILE=$RUN/opa.pid
STAMP=$RUN/opa.running   # what the running OPA was started with
LOG=$RUN/opa.log

log() { echo "opa.sh: $*" >&2; }
# shellcheck source=test/e2e/bin/bg.sh
. "$(dirname "${BASH_SOURCE[0]}")/bg.sh"

policy_dir() { (cd "$OPA_POLICY" && pwd); }

our_pid() {  # prints OPA's pid when it is ours and alive
  local pid argv
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  # an `opa run --server` (a reused pid is some other process), whatever its address or policy
  mapfile -d '' -t argv <"/proc/$pid/cmdline"
  [ "${argv[0]##*/}" = opa ] && [ "${argv[1]:-}" = run ] && [ "${argv[2]:-}" = --server ] || return 1
  echo "$pid"
}

healthy() { curl -sf --max-time 2 -o /dev/null "http://$OPA_ADDR/health" 2>/dev/null; }

fingerprint() {  # binary + address + policy files: a change in any of them means a restart
  { readlink -f "$OPA"; echo "addr=$OPA_ADDR policy=$(policy_dir)"
    find "$(policy_dir)" -name '*.rego' ! -name '*_test.rego' -type f | LC_ALL=C sort | xargs cat; } |
    sha256sum | cut -d' ' -f1
}

up() {
  local want host port
  [ -x "$OPA" ] || { log "no OPA binary at $OPA (make opa)"; exit 1; }
  [ -d "$OPA_POLICY" ] || { log "no policy directory $OPA_POLICY"; exit 1; }
  want=$(fingerprint)
  bg_current opa "$want" "on $OPA_ADDR with this policy" "binary, address or policy changed" && return 0
  host=${OPA_ADDR%:*}; port=${OPA_ADDR##*:}
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    log "$OPA_ADDR is taken by a process that is not ours; stop it first"; exit 1
  fi
  # Fail fast, with OPA's own words, on Rego it rejects.
  if ! "$OPA" check "$OPA_POLICY" >"$RUN/check.log" 2>&1; then
    log "opa check rejects $OPA_POLICY:"; tail -n 20 "$RUN/check.log" >&2; exit 1
  fi
  log "starting opa $("$OPA" version | sed -n 's/^Version: //p') on $OPA_ADDR, policy $OPA_POLICY, log $LOG"
  bg_start "$want" "$OPA" run --server --addr="$OPA_ADDR" --skip-version-check \
    --set decision_logs.console=true --log-level info --log-format json \
    --ignore '*_test.rego' "$(policy_dir)"
  bg_wait opa "$OPA_START_TIMEOUT" healthy
  log "ready: http://$OPA_ADDR/v1/data/kafka/authz/allow (and .../decision), decision logs in $LOG"
}

case "${1:-}" in
  up) up ;;
  down) bg_stop opa ;;
  status) if pid=$(our_pid); then echo "opa running (pid $pid): $(tr '\0' ' ' <"/proc/$pid/cmdline")"; else echo "opa not running"; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
