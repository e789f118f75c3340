#!/usr/bin/env python3
"""Render envoy/envoy.yaml (a template) into a config Envoy can load.

  render.py --template envoy/envoy.yaml --out .cache/envoy/envoy.yaml --tls-dir .cache/envoy/tls \
            --wasm build/filter.wasm --policy envoy/policy.example.json
  render.py --template envoy/envoy.yaml --out .cache/envoy/envoy.yaml --tls-dir .cache/envoy/tls --no-wasm

Placeholders (see the template's header):
  @WASM_FILE@             absolute path of --wasm
  @POLICY_JSON@           the policy file's bytes, unchanged, as the filter's plugin configuration
                          (google.protobuf.StringValue, read in proxy_on_configure)
  @POLICY_JSON <object>@  one listener's variant of the same policy: the JSON <object> merged in
                          (objects key by key, so {"filter": {"brokerAddresses": [...]}} keeps
                          the policy's other "filter" keys; anything else replaces)
  @TLS_DIR@               absolute path of --tls-dir (certificates: test/e2e/bin/tls-certs.sh)
  @BROKER@                in a "# BEGIN each broker" ... "# END each broker" block, written once
                          per Kafka node n of --brokers N: "" for node 1, "_<n>" for the others;
                          the block's broker ports (BROKER_PORTS) move by 10*(n-1), as the
                          nodes' own ports do (test/e2e/bin/kafka.sh)
  @TLS_BROKER_ADDRESSES@  [{"id": n, "host": "127.0.0.1", "port": 19094 + 10*(n-1)}, ...] for every node
  @OPA_BROKER_ADDRESSES@, @OPA_OPEN_BROKER_ADDRESSES@  the same with 19096, 19097 (the OPA listeners)
Lines between "# BEGIN wasm" and "# END wasm" are dropped with --no-wasm.
Standard library only.
"""
import argparse
import json
import os
import re
import sys

# "@POLICY_JSON@" or "@POLICY_JSON {overlay}@" (the overlay, JSON, holds no "@").
POLICY_PLACEHOLDER = re.compile(r"@POLICY_JSON(?: (\{[^@]*\}))?@")


# Ports of node 1 that a per-broker block names: Envoy's listeners and Kafka's client listeners.
BROKER_PORTS = re.compile(r"(port_value: )(19092|19093|19094|19096|19097|9092|9093)\b")
PORT_STEP = 10


def each_broker(lines: list, brokers: int) -> list:
    """lines with every "each broker" block written once per node (see the module's doc)."""
    out, block = [], None
    for line in lines:
        mark = line.strip()
        if mark == "# BEGIN each broker":
            block = []
        elif mark == "# END each broker":
            for n in range(1, brokers + 1):
                shift = PORT_STEP * (n - 1)
                for b in block:
                    b = BROKER_PORTS.sub(lambda m: m.group(1) + str(int(m.group(2)) + shift), b)
                    out.append(b.replace("@BROKER@", "" if n == 1 else f"_{n}"))
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    return out


def merge(base: dict, overlay: dict) -> dict:
    """base with overlay merged in: nested objects key by key, any other value replaces."""
    out = dict(base)
    for k, v in overlay.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wasm", help="filter module (.wasm)")
    ap.add_argument("--policy", help="policy JSON file")
    ap.add_argument("--tls-dir", help="directory of the test certificates (for @TLS_DIR@)")
    ap.add_argument("--no-wasm", action="store_true", help="pass-through: drop the wasm filters")
    ap.add_argument("--brokers", type=int, default=1, help="Kafka nodes, each behind its own listeners")
    args = ap.parse_args()

    with open(args.template, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    if args.brokers < 1:
        ap.error("--brokers must be 1 or more")
    lines = each_broker(lines, args.brokers)
    def addresses(port: int) -> str:
        """Every node's id with its listener of node 1's `port` (filter.brokerAddresses)."""
        return json.dumps([{"id": n, "host": "127.0.0.1", "port": port + PORT_STEP * (n - 1)} for n in range(1, args.brokers + 1)])

    # placeholder -> text; comment lines keep theirs
    subs = {"@TLS_BROKER_ADDRESSES@": addresses(19094), "@OPA_BROKER_ADDRESSES@": addresses(19096),
            "@OPA_OPEN_BROKER_ADDRESSES@": addresses(19097)}
    if any("@TLS_DIR@" in line for line in lines):
        if not args.tls_dir:
            ap.error("--tls-dir is required: the template has TLS listeners")
        subs["@TLS_DIR@"] = os.path.abspath(args.tls_dir)
    policy = parsed = None
    if not args.no_wasm:
        if not args.wasm or not args.policy:
            ap.error("--wasm and --policy are required unless --no-wasm")
        if not os.path.isfile(args.wasm):
            print(f"render.py: no filter module at {args.wasm} (build it first, or use NOWASM=1)", file=sys.stderr)
            return 1
        subs["@WASM_FILE@"] = os.path.abspath(args.wasm)
        with open(args.policy, encoding="utf-8") as f:
            policy = f.read()
        try:
            parsed = json.loads(policy)
        except ValueError as e:
            print(f"render.py: {args.policy} is not valid JSON: {e}", file=sys.stderr)
            return 1
        if not isinstance(parsed, dict):
            print(f"render.py: {args.policy} is not a JSON object", file=sys.stderr)
            return 1

    def policy_value(m: re.Match) -> str:
        conf = policy if m.group(1) is None else json.dumps(merge(parsed, json.loads(m.group(1))))
        return json.dumps(conf)  # a JSON string literal is also a valid YAML double-quoted scalar

    out, skipping = [], False
    for line in lines:
        mark = line.strip()
        if mark == "# BEGIN wasm":
            skipping = args.no_wasm
            continue
        if mark == "# END wasm":
            skipping = False
            continue
        if skipping:
            continue
        if not mark.startswith("#"):
            for k, v in subs.items():
                line = line.replace(k, v)
            if policy is not None:
                line = POLICY_PLACEHOLDER.sub(policy_value, line)
        out.append(line)
    text = "".join(out)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
