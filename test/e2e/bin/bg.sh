# Sourced by envoy.sh and opa.sh: one background process of ours, with a pid file ($PIDFILE),
# a stamp of what it was started with ($STAMP) and a log ($LOG, the previous one kept as .1).
# The caller defines log() and our_pid() (prints the pid when the process is ours and alive).

# bg_current NAME STAMP RUNNING CHANGED: true when ours runs, started with STAMP (logs
# "already running (pid) RUNNING"); when it runs started otherwise, logs "CHANGED: restarting" and
# stops it; false then and when none runs.
bg_current() {
  local name=$1 stamp=$2 running=$3 changed=$4 pid
  pid=$(our_pid) || return 1
  if [ "$(cat "$STAMP" 2>/dev/null)" = "$stamp" ]; then
    log "already running (pid $pid) $running"
    return 0
  fi
  log "$changed: restarting"
  bg_stop "$name"
  return 1
}

# bg_start STAMP CMD...: start CMD in a session of its own, its output to $LOG.
bg_start() {
  local stamp=$1; shift
  [ -f "$LOG" ] && mv -f "$LOG" "$LOG.1"
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" "$@" </dev/null >"$LOG" 2>&1 &
  echo "$stamp" >"$STAMP"
}

# bg_wait NAME TIMEOUT READY: until the command READY succeeds; exit 1, with the end of the
# log, when the process has exited, or after TIMEOUT seconds.
bg_wait() {
  local name=$1 timeout=$2 ready=$3 t0=$SECONDS
  until "$ready"; do
    if ! our_pid >/dev/null && [ $((SECONDS - t0)) -gt 1 ]; then
      rm -f "$STAMP"; log "$name exited; last lines of $LOG:"; tail -n 30 "$LOG" >&2; exit 1
    fi
    if [ $((SECONDS - t0)) -ge "$timeout" ]; then
      log "not ready after ${timeout}s; see $LOG"; exit 1
    fi
    sleep 0.2
  done
}

# bg_stop NAME: TERM, KILL after 10 s; no error when it does not run.
bg_stop() {
  local name=$1 pid i
  if ! pid=$(our_pid); then rm -f "$PIDFILE" "$STAMP"; log "not running"; return 0; fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
  if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  rm -f "$PIDFILE" "$STAMP"
}
