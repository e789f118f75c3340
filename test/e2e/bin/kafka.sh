#!/usr/bin/env bash
# Kafka (KRaft) for the e2e tests, run from the jars that `make kafka` gathered: one node, or a
# cluster of BROKERS nodes (`make up BROKERS=3`), each broker+controller, on loopback.
#   kafka.sh up            format storage once, start every node in the background, wait until all
#                          serve (brokers of another version or node count that we started stop first)
#   kafka.sh down          stop our brokers, whichever version and count run (no error when none)
#   kafka.sh status        exit 0 when our brokers run
#   kafka.sh stop-node N   stop node N of this cluster (a broker failing under load)
#   kafka.sh start-node N  start it again, wait until it serves
# Node n's ports are 9092 + 10*(n-1) (PLAINTEXT), +1 (SASL_PLAINTEXT), +2 (CONTROLLER), +3
# (INTERNAL); it advertises Envoy's listeners 19092 + 10*(n-1) and +1 (envoy/render.py --brokers).
# Each Kafka version and node count has its own jars, storage and logs: $KAFKA_ROOT/<version>/
# {libs, run, logs} for one node, {run,logs}-<N>brokers/node-<n> for N (a storage one version
# formatted may not be readable by another: 3.9.1 refuses 4.4.0's with "Can't read version 4 of
# BrokerEndpoint"). Paths come from the environment (mk/kafka.mk sets them), relative to the repo root.
set -euo pipefail

KAFKA_ROOT=${KAFKA_ROOT:-.cache/kafka}
KAFKA_VERSION=${KAFKA_VERSION:-4.4.0}
BROKERS=${BROKERS:-1}
KAFKA_LIBS=${KAFKA_LIBS:-$KAFKA_ROOT/$KAFKA_VERSION/libs}
KAFKA_CONF=${KAFKA_CONF:-test/e2e/kafka}
KAFKA_CLUSTER_ID=${KAFKA_CLUSTER_ID:-a2Fma2Etd2FzbS1maWx0cg}
# Three JVMs share a CI machine's memory with Envoy and the clients.
if [ "$BROKERS" -gt 1 ]; then KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}; else KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}; fi
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-120}
JAVA=${JAVA:-java}
case "$BROKERS" in ''|*[!0-9]*|0) echo "kafka.sh: BROKERS must be a node count (1, 3), not '$BROKERS'" >&2; exit 2 ;; esac

if [ "$BROKERS" = 1 ]; then SUFFIX=""; else SUFFIX="-${BROKERS}brokers"; fi
mkdir -p "$KAFKA_ROOT/$KAFKA_VERSION/run$SUFFIX" "$KAFKA_ROOT/$KAFKA_VERSION/logs$SUFFIX"
ROOT=$(cd "$KAFKA_ROOT" && pwd)
RUN=$(cd "$KAFKA_ROOT/$KAFKA_VERSION/run$SUFFIX" && pwd)
LOGS=$(cd "$KAFKA_ROOT/$KAFKA_VERSION/logs$SUFFIX" && pwd)
LIBS=$(cd "$KAFKA_LIBS" 2>/dev/null && pwd) || LIBS=   # checked by up
CONF=$(cd "$KAFKA_CONF" && pwd)
NODES=$(seq 1 "$BROKERS")

# Node n's directories: the version's own run/ and logs/ for a single node (as before clusters).
node_run() { if [ "$BROKERS" = 1 ]; then echo "$RUN"; else echo "$RUN/node-$1"; fi; }
node_logs() { if [ "$BROKERS" = 1 ]; then echo "$LOGS"; else echo "$LOGS/node-$1"; fi; }
node_ports() { local b=$((9092 + 10 * ($1 - 1))); echo "$b $((b + 1)) $((b + 2)) $((b + 3))"; }
pidfile() { echo "$(node_run "$1")/kafka.pid"; }

log() { echo "kafka.sh: $*" >&2; }

our_pid() {  # PIDFILE: prints the broker's pid when it is ours and alive
  local pid file=$1
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

java_args() {  # N: the command line of node N's JVM (its own log directory)
  # shellcheck disable=SC2206
  JAVA_ARGS=("$JAVA" $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$CONF/log4j2.properties" -Dkafka.logs.dir="$(node_logs "$1")" -cp "$LIBS/*")
}

render() {  # N: node N's server.properties
  local n=$1 run ports voters="" i replication min_isr offsets
  run=$(node_run "$n")
  read -r -a ports <<<"$(node_ports "$n")"
  for i in $NODES; do voters+="${voters:+,}$i@127.0.0.1:$((9094 + 10 * (i - 1)))"; done
  replication=$((BROKERS < 3 ? BROKERS : 3))
  min_isr=$((replication > 1 ? replication - 1 : 1))
  # One __consumer_offsets / __transaction_state partition per node: coordinators spread over the nodes.
  offsets=$BROKERS
  sed -e "s#@DATA_DIR@#$run/data#g" -e "s#@NODE_ID@#$n#g" -e "s#@QUORUM_VOTERS@#$voters#g" \
      -e "s#@PLAINTEXT_PORT@#${ports[0]}#g" -e "s#@SASL_PORT@#${ports[1]}#g" \
      -e "s#@CONTROLLER_PORT@#${ports[2]}#g" -e "s#@INTERNAL_PORT@#${ports[3]}#g" \
      -e "s#@ENVOY_PLAINTEXT_PORT@#$((ports[0] + 10000))#g" -e "s#@ENVOY_SASL_PORT@#$((ports[1] + 10000))#g" \
      -e "s#@LOGS_DIR@#$(node_logs "$n")#g" -e "s#@REPLICATION@#$replication#g" -e "s#@MIN_ISR@#$min_isr#g" -e "s#@OFFSETS_PARTITIONS@#$offsets#g" \
      "$CONF/server.properties.in" >"$run/server.properties.tmp"
  mv "$run/server.properties.tmp" "$run/server.properties"
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

format() {  # N: formats node N's storage once (again when the spec changed)
  local n=$1 run logs data spec stamp args=() c
  run=$(node_run "$n"); logs=$(node_logs "$n"); data=$run/data; stamp=$run/format.stamp
  spec=$(format_spec)
  if [ -f "$data/meta.properties" ]; then
    [ "$(cat "$stamp" 2>/dev/null)" = "$spec" ] && return 0
    log "storage in $data was formatted with other settings (SCRAM users, cluster id): wiping it to format again"
    rm -rf "$data" "$stamp"
  fi
  log "formatting $data (cluster id $KAFKA_CLUSTER_ID, ${#SCRAM_CREDENTIALS[@]} SCRAM credential(s))"
  mkdir -p "$data"
  for c in "${SCRAM_CREDENTIALS[@]}"; do args+=(--add-scram "$c"); done
  java_args "$n"
  "${JAVA_ARGS[@]}" kafka.tools.StorageTool format --config "$run/server.properties" --cluster-id "$KAFKA_CLUSTER_ID" \
    --ignore-formatted "${args[@]}" >"$logs/format.log" 2>&1 || { cat "$logs/format.log" >&2; exit 1; }
  echo "$spec" >"$stamp"
}

ready() {  # N: node N's listeners accept and it has finished starting
  local p
  for p in $(node_ports "$1"); do port_open "$p" || return 1; done
  grep -q 'Kafka Server started' "$(node_logs "$1")/server.log" 2>/dev/null
}

# Pid files of every broker we may have started (any version, any node count, and the layout
# before versions had their own directories), other than this cluster's.
other_pidfiles() {
  local f n mine=" "
  for n in $NODES; do mine+="$(pidfile "$n") "; done
  while IFS= read -r f; do
    case "$mine" in *" $f "*) ;; *) echo "$f" ;; esac
  done < <(find "$ROOT" -maxdepth 4 -name kafka.pid 2>/dev/null)
  return 0
}

start_node() {  # N: starts node N unless it runs
  local n=$1 pid p run logs
  run=$(node_run "$n"); logs=$(node_logs "$n")
  mkdir -p "$run" "$logs"
  if pid=$(our_pid "$(pidfile "$n")"); then log "node $n already running (pid $pid)"; return 0; fi
  for p in $(node_ports "$n"); do
    if port_open "$p"; then log "127.0.0.1:$p is taken by a process that is not ours; stop it first"; exit 1; fi
  done
  render "$n"
  format "$n"
  [ -f "$logs/server.log" ] && mv -f "$logs/server.log" "$logs/server.log.1"
  log "starting node $n of $BROKERS, log $logs/server.log"
  java_args "$n"
  # setsid: its own session, so it outlives make and the calling shell.
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$(pidfile "$n")" "${JAVA_ARGS[@]}" kafka.Kafka "$run/server.properties" \
    </dev/null >"$logs/server.log" 2>&1 &
}

wait_ready() {  # N...: waits until every node named serves
  local n t0=$SECONDS
  for n in "$@"; do
    until ready "$n"; do
      if ! our_pid "$(pidfile "$n")" >/dev/null && [ $((SECONDS - t0)) -gt 2 ]; then
        log "node $n exited; last lines of $(node_logs "$n")/server.log:"; tail -n 30 "$(node_logs "$n")/server.log" >&2; exit 1
      fi
      if [ $((SECONDS - t0)) -ge "$KAFKA_START_TIMEOUT" ]; then
        log "node $n not ready after ${KAFKA_START_TIMEOUT}s; see $(node_logs "$n")/server.log"; exit 1
      fi
      sleep 0.5
    done
  done
  local ports
  for n in "$@"; do
    read -r -a ports <<<"$(node_ports "$n")"
    log "node $n ready on 127.0.0.1:${ports[0]} (PLAINTEXT) and 127.0.0.1:${ports[1]} (SASL_PLAINTEXT) after $((SECONDS - t0))s"
  done
}

up() {
  local n
  [ -n "$LIBS" ] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null || { log "no broker jars in $KAFKA_LIBS; run 'make kafka'"; exit 1; }
  # shellcheck disable=SC2046
  stop $(other_pidfiles) && log "stopped the brokers above (another version or node count) to start $KAFKA_VERSION with $BROKERS node(s)"
  # Every node first, then wait: a controller quorum needs a majority up before any node is ready.
  for n in $NODES; do start_node "$n"; done
  # shellcheck disable=SC2086
  wait_ready $NODES
}

stop() {  # PIDFILE...: stops those brokers that are ours and alive, all at once (the last nodes
          # of a cluster cannot shut down cleanly once the others are gone: no controller quorum);
          # false when none ran
  local f pid pids=() i
  for f in "$@"; do
    if pid=$(our_pid "$f"); then log "stopping broker (pid $pid, $f)"; kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
    rm -f "$f"
  done
  [ "${#pids[@]}" -gt 0 ] || return 1
  for pid in "${pids[@]}"; do
    for i in $(seq 1 120); do [ -d "/proc/$pid" ] || break; sleep 0.5; done
    if [ -d "/proc/$pid" ]; then log "pid $pid still alive after 60s, killing"; kill -KILL "$pid" 2>/dev/null || true; sleep 1; fi
  done
}

down() {  # whichever version and node count run: `make down` needs neither
  local n
  # shellcheck disable=SC2046
  stop $(for n in $NODES; do pidfile "$n"; done) $(other_pidfiles) || log "not running"
  return 0
}

node_arg() {  # N WHAT: checks N names a node of this cluster
  case "${1:-}" in ''|*[!0-9]*) echo "kafka.sh: $2 needs a node number" >&2; exit 2 ;; esac
  [ "$1" -ge 1 ] && [ "$1" -le "$BROKERS" ] || { echo "kafka.sh: no node $1 in a cluster of $BROKERS" >&2; exit 2; }
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  stop-node) node_arg "${2:-}" stop-node; stop "$(pidfile "$2")" || log "node $2 was not running" ;;
  start-node) node_arg "${2:-}" start-node; start_node "$2"; wait_ready "$2" ;;
  status)
    for f in $(for n in $NODES; do pidfile "$n"; done) $(other_pidfiles); do
      if pid=$(our_pid "$f"); then echo "kafka running (pid $pid, $(dirname "$f"))"; exit 0; fi
    done
    echo "kafka not running"; exit 1 ;;
  *) echo "usage: $0 up|down|status|stop-node N|start-node N" >&2; exit 2 ;;
esac
