#!/usr/bin/env bash
# `make demo`: the filter in one minute. Starts Kafka + Envoy (with build/filter.wasm and the
# example policy envoy/policy.example.json), produces one allowed and one denied message with
# kcat through Envoy (127.0.0.1:19092, as User:ANONYMOUS), and shows what each side saw: the
# client's error, the filter's log line, the filter's counters. Stops everything at the end
# unless KEEP=1. Exits non-zero if the filter did not do what the demo expects.
set -uo pipefail
cd "$(dirname "$0")/../.."

POLICY=${POLICY:-envoy/policy.example.json}
BROKER=127.0.0.1:19092
ADMIN=127.0.0.1:9901
LOG=.cache/envoy/envoy.log
KEEP=${KEEP:-}
ALLOWED=demo.allowed
DENIED=demo.denied

if [ -t 1 ]; then B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' N=$'\033[0m'; else B= G= R= N=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
cmd() { printf '%s$ %s%s\n' "$B" "$*" "$N"; }
indent() { sed 's/^/    /'; }
problems=0
good() { printf '%s  ok: %s%s\n' "$G" "$*" "$N"; }
bad() { printf '%s  unexpected: %s%s\n' "$R" "$*" "$N"; problems=$((problems + 1)); }

finish() {
  if [ -n "$KEEP" ]; then
    step "KEEP=1: Kafka and Envoy keep running"
    echo "  Try it yourself:  echo hi | kcat -P -b $BROKER -t $ALLOWED"
    echo "                    kcat -C -b $BROKER -t $ALLOWED -o beginning -e"
    echo "  Filter log:       grep 'kafka filter' $LOG"
    echo "  Counters:         curl -s '$ADMIN/stats?filter=wasmcustom.kafka'"
    echo "  Stop:             make down"
  else
    step "Stopping Kafka and Envoy (make demo KEEP=1 leaves them running)"
    make --no-print-directory down 2>&1 | indent
  fi
}
trap finish EXIT

step "1. Start Kafka 4.4.0 and Envoy, with the filter and the policy $POLICY"
cmd "make up POLICY=$POLICY"
if ! make --no-print-directory up POLICY="$POLICY" 2>&1 | indent; then
  echo "make up failed; see the lines above and $LOG"; exit 1
fi
echo "  The policy, in Kafka's ACL words (allowEveryoneIfNoAclFound=false: what is not allowed is denied):"
python3 - "$POLICY" <<'EOF' | indent
import json, sys
p = json.load(open(sys.argv[1]))
for a in p.get("acls", []):
    name = a["resourceName"] + ("*" if a.get("resourcePatternType", "LITERAL").upper() == "PREFIXED" else "")
    print(f'{a["permissionType"]:5} {a["principal"]:15} {a["operation"]:8} {a["resourceType"]} {name}')
print("super users:", ", ".join(p.get("superUsers", [])) or "none")
EOF

mark=$(stat -c %s "$LOG" 2>/dev/null || echo 0)

step "2. Produce to $ALLOWED (the policy allows it)"
msg="hello from make demo at $(date +%T)"
cmd "echo '$msg' | kcat -P -b $BROKER -t $ALLOWED"
out=$(echo "$msg" | timeout 30 kcat -P -b "$BROKER" -t "$ALLOWED" -X message.timeout.ms=15000 2>&1); rc=$?
[ -n "$out" ] && echo "$out" | indent
if [ "$rc" -eq 0 ]; then good "delivered (kcat exit 0)"; else bad "kcat exit $rc"; fi
cmd "kcat -C -b $BROKER -t $ALLOWED -o -1 -e -q     # read the last message back"
got=$(timeout 30 kcat -C -b "$BROKER" -t "$ALLOWED" -o -1 -e -q 2>&1); rc=$?
echo "$got" | indent
if [ "$rc" -eq 0 ] && [ "$got" = "$msg" ]; then good "the message is in Kafka"; else bad "read back (exit $rc) did not return the message"; fi

step "3. Produce to $DENIED (the policy denies WRITE to User:ANONYMOUS)"
cmd "echo 'this must not land' | kcat -P -b $BROKER -t $DENIED"
out=$(echo "this must not land" | timeout 30 kcat -P -b "$BROKER" -t "$DENIED" -X message.timeout.ms=15000 2>&1); rc=$?
echo "$out" | grep -v -e '|PARTCNT|' -e '|CONFWARN|' | indent
if [ "$rc" -ne 0 ] && grep -q "Topic authorization failed" <<<"$out"; then
  good "kcat got Kafka's TOPIC_AUTHORIZATION_FAILED from the filter (exit $rc); the broker never saw the message"
else
  bad "expected 'Broker: Topic authorization failed' and a non-zero exit, got exit $rc"
fi

step "4. The filter's log line for the denial (Envoy's log, $LOG)"
line=""
for _ in $(seq 1 20); do
  line=$(tail -c +"$((mark + 1))" "$LOG" 2>/dev/null | grep "kafka filter: denied" | grep -- "$DENIED" | head -3)
  [ -n "$line" ] && break
  sleep 0.1
done
if [ -n "$line" ]; then
  echo "$line" | sed -E 's/^\[[^]]*\]\[[0-9]+\]//; s/wasm log [^ ]+ kafka kafka: //' | indent
  good "one line per denial: principal, client, API, resource, reason, Kafka error"
else
  bad "no 'kafka filter: denied' line for $DENIED in $LOG; the filter's lines were:"
  tail -c +"$((mark + 1))" "$LOG" | grep '\[wasm\]' | tail -10 | indent
fi

step "5. The filter's counters (Envoy admin, a few of them)"
cmd "curl -s '$ADMIN/stats?filter=wasmcustom.kafka'"
counters=$(curl -s --max-time 5 "$ADMIN/stats?filter=wasmcustom.kafka")
echo "$counters" | grep -E 'kafka\.(requests_total|requests\.(produce|metadata)|denials_total|denied\.|connections|connections_closed_by_filter|topic\.\w+\.demo\.)' | indent
if grep -qE 'denials_total: [1-9]' <<<"$counters"; then good "the denial is counted"; else bad "kafka.denials_total is not above 0"; fi

if [ "$problems" -eq 0 ]; then
  step "Done: the allowed message went through, the denied one was refused with Kafka's own error."
else
  step "Done, with $problems unexpected result(s) above (the filter may still be in progress)."
  exit 1
fi
