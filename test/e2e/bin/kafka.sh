#!/usr/bin/env bash
# Single-node Kafka (KRaft) for the e2e tests, run from the jars that `make kafka` gathered.
#   kafka.sh up     format storage once, start the broker in the background, wait until it serves
#                   (a broker of another version that we started is stopped first)
#   kafka.sh down   stop our broker, whichever version runs (no error when nothing runs)
#   kafka.sh status exit 0 when our broker runs
# Each Kafka version has its own jars, storage and logs: $KAFKA_ROOT/<version>/{libs,run,logs}
# (a storage one version formatted may not be readable by another: 3.9.1 refuses 4.4.0's with
# "Can't read version 4 of BrokerEndpoint"). Paths come from the environment (mk/kafka.mk sets
# them); all relative to the repo root.
set -euo pipefail

KAFKA_ROOT=${KAFKA_ROOT:-.cache/kafka}
KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
KAFKA_LIBS=${KAFKA_LIBS:-$KAFKA_ROOT/$KAFKA_VERSION/libs}
KAFKA_RUN=${KAFKA_RUN:-$KAFKA_ROOT/$KAFKA_VERSION/run}
KAFKA_LOGS=${KAFKA_LOGS:-$KAFKA_ROOT/$KAFKA_VERSION/logs}
KAFKA_CONF=${KAFKA_CONF:-test/e2e/kafka}
KAFKA_CLUSTER_ID=${KAFKA_CLUSTER_ID:-a2Fma2Etd2FzbS1maWx0cg}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
JAVA=${JAVA:-java}
PORTS=(9092 9093 9094 9095)

mkdir -p "$KAFKA_RUN" "$KAFKA_LOGS"
RUN=$(cd "$KAFKA_RUN" && pwd)
LOGS=$(cd "$KAFKA_LOGS" && pwd)
LIBS=$(cd "$KAFKA_LIBS" 2>/dev/null && pwd) || LIBS=   # checked by up
CONF=$(cd "$KAFKA_CONF" && pwd)
PIDFILE=$RUN/kafka.pid
PROPS=$RUN/server.properties
DATA=$RUN/data

log() { echo "kafka.sh: $*" >&2; }

our_pid() {  # [PIDFILE] prints the broker's pid when it is ours and alive
  local pid file=${1:-$PIDFILE}
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# shellcheck disable=SC2206
JAVA_ARGS=("$JAVA" $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$CONF/log4j2.properties" -Dkafka.logs.dir="$LOGS" -cp "$LIBS/*")
java_cmd() { "${JAVA_ARGS[@]}" "$@"; }

render() {
  sed "s#@DATA_DIR@#$DATA#g" "$CONF/server.properties.in" >"$PROPS.tmp"
  mv "$PROPS.tmp" "$PROPS"
}

# SCRAM users (SASL/SCRAM-SHA-256 and -512 on the SASL_PLAINTEXT listener). KRaft keeps SCRAM
# credentials in the metadata log, not in server.properties: they are written when the storage
# is formatted (`kafka-storage format --add-scram`). PLAIN users are in server.properties.in.
SCRAM_CREDENTIALS=(
  'SCRAM-SHA-256=[name=dave,password=dave-secret]'
  'SCRAM-SHA-512=[name=dave,password=dave-secret]'
)

# What the storage was formatted with; a storage formatted otherwise (or before this stamp
# existed) is wiped and formatted again, so a changed SCRAM user list takes effect by itself.
format_spec() {
  printf '%s\n' "cluster-id $KAFKA_CLUSTER_ID" "${SCRAM_CREDENTIALS[@]}" | sha256sum | cut -d' ' -f1
}

format() {
  local spec stamp=$RUN/format.stamp args=() c
  spec=$(format_spec)
  if [ -f "$DATA/meta.properties" ]; then
    [ "$(cat "$stamp" 2>/dev/null)" = "$spec" ] && return 0
    log "storage in $DATA was formatted with other settings (SCRAM users, cluster id): wiping it to format again"
    rm -rf "$DATA" "$stamp"
  fi
  log "formatting $DATA (cluster id $KAFKA_CLUSTER_ID, ${#SCRAM_CREDENTIALS[@]} SCRAM credential(s))"
  mkdir -p "$DATA"
  for c in "${SCRAM_CREDENTIALS[@]}"; do args+=(--add-scram "$c"); done
  java_cmd kafka.tools.StorageTool format --config "$PROPS" --cluster-id "$KAFKA_CLUSTER_ID" --ignore-formatted "${args[@]}" \
    >"$LOGS/format.log" 2>&1 || { cat "$LOGS/format.log" >&2; exit 1; }
  echo "$spec" >"$stamp"
}

ready() {  # every listener accepts and the broker has finished starting
  local p
  for p in "${PORTS[@]}"; do port_open "$p" || return 1; done
  grep -q 'Kafka Server started' "$LOGS/server.log" 2>/dev/null
}

# Pid files of the brokers of every version (and of the layout before versions had their own
# directories, $KAFKA_ROOT/run), other than this version's.
other_pidfiles() {
  local f
  for f in "$KAFKA_ROOT"/*/run/kafka.pid "$KAFKA_ROOT"/run/kafka.pid; do
    [ -f "$f" ] && [ "$(cd "$(dirname "$f")" && pwd)" != "$RUN" ] && echo "$f"
  done
  return 0
}

up() {
  local pid p t0 f
  if pid=$(our_pid); then
    log "already running (pid $pid)"
  else
    for f in $(other_pidfiles); do
      if pid=$(our_pid "$f"); then
        log "a broker of another version runs (pid $pid, $f): stopping it to start $KAFKA_VERSION"
        stop "$f"
      fi
    done
    [ -n "$LIBS" ] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null || { log "no broker jars in $KAFKA_LIBS; run 'make kafka'"; exit 1; }
    for p in "${PORTS[@]}"; do
      if port_open "$p"; then log "127.0.0.1:$p is taken by a process that is not ours; stop it first"; exit 1; fi
    done
    render
    format
    [ -f "$LOGS/server.log" ] && mv -f "$LOGS/server.log" "$LOGS/server.log.1"
    log "starting broker, log $LOGS/server.log"
    # setsid: its own session, so it outlives make and the calling shell.
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" "${JAVA_ARGS[@]}" kafka.Kafka "$PROPS" \
      </dev/null >"$LOGS/server.log" 2>&1 &
  fi
  t0=$SECONDS
  until ready; do
    if ! our_pid >/dev/null && [ $((SECONDS - t0)) -gt 2 ]; then
      log "broker exited; last lines of $LOGS/server.log:"; tail -n 30 "$LOGS/server.log" >&2; exit 1
    fi
    if [ $((SECONDS - t0)) -ge "$KAFKA_START_TIMEOUT" ]; then
      log "not ready after ${KAFKA_START_TIMEOUT}s; see $LOGS/server.log"; exit 1
    fi
    sleep 0.5
  done
  log "ready on 127.0.0.1:9092 (PLAINTEXT) and 127.0.0.1:9093 (SASL_PLAINTEXT) after $((SECONDS - t0))s"
}

stop() {  # PIDFILE: stops that broker, if it is ours and alive
  local pid i
  if ! pid=$(our_pid "$1"); then rm -f "$1"; return 1; fi
  log "stopping broker (pid $pid, $1)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 120); do
    [ -d "/proc/$pid" ] || break
    sleep 0.5
  done
  if [ -d "/proc/$pid" ]; then log "still alive after 60s, killing"; kill -KILL "$pid" 2>/dev/null || true; sleep 1; fi
  rm -f "$1"
}

down() {  # whichever version runs: `make down` needs no KAFKA_VERSION
  local f stopped=0
  for f in "$PIDFILE" $(other_pidfiles); do
    stop "$f" && stopped=1
  done
  [ "$stopped" = 1 ] || log "not running"
  return 0
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status)
    for f in "$PIDFILE" $(other_pidfiles); do
      if pid=$(our_pid "$f"); then echo "kafka running (pid $pid, $(dirname "$(dirname "$f")"))"; exit 0; fi
    done
    echo "kafka not running"; exit 1 ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
