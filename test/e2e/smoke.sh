#!/usr/bin/env bash
# Infra smoke test: Kafka clients through Envoy, PLAINTEXT on 127.0.0.1:19092 and SASL/PLAIN on
# 127.0.0.1:19093. Needs `make up` (pass-through NOWASM=1 or a filter that allows these topics)
# and kcat (`make tools`). Topics are new on every run. Ends with "N passed, N failed".
set -uo pipefail

PLAIN=(-b 127.0.0.1:19092)
sasl() { echo -b 127.0.0.1:19093 -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=PLAIN -X "sasl.username=$1" -X "sasl.password=$2"; }
SUF=$(date +%s)-$$
pass=0 fail=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok   $1"
  else fail=$((fail + 1)); echo "FAIL $1"; echo "     want: $(printf %q "$2")"; echo "     got:  $(printf %q "$3")"; fi
}
K() { timeout 30 kcat "$@"; }

# Metadata through Envoy names Envoy, so clients never bypass it.
check "plaintext metadata advertises envoy" "broker 1 at 127.0.0.1:19092 (controller)" \
  "$(K -L "${PLAIN[@]}" -m 10 2>/dev/null | grep -o 'broker 1 at .*' | head -1)"
# shellcheck disable=SC2046
check "sasl metadata advertises envoy" "broker 1 at 127.0.0.1:19093 (controller)" \
  "$(K -L $(sasl alice alice-secret) -m 10 2>/dev/null | grep -o 'broker 1 at .*' | head -1)"

t=smoke-plain-$SUF
printf 'a\nb\nc\n' | K -P "${PLAIN[@]}" -t "$t" -k key 2>/dev/null
check "plaintext produce+consume" $'key=a\nkey=b\nkey=c' \
  "$(K -C "${PLAIN[@]}" -t "$t" -o beginning -e -q -f '%k=%s\n' 2>/dev/null)"

t=smoke-sasl-$SUF
# shellcheck disable=SC2046
printf 'x\ny\n' | K -P $(sasl alice alice-secret) -t "$t" 2>/dev/null
# shellcheck disable=SC2046
check "sasl(alice) produce+consume" $'x\ny' "$(K -C $(sasl alice alice-secret) -t "$t" -o beginning -e -q 2>/dev/null)"
# shellcheck disable=SC2046
check "sasl(bob) consume in a group" $'x\ny' \
  "$(K -C $(sasl bob bob-secret) -G "smoke-g-$SUF" "$t" -X auto.offset.reset=earliest -c 2 -q 2>/dev/null)"
# shellcheck disable=SC2046
check "sasl wrong password refused" "refused" \
  "$(K -L $(sasl alice nope) -m 5 >/dev/null 2>&1 && echo accepted || echo refused)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
