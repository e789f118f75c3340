#!/usr/bin/env python3
"""Render envoy/envoy.yaml (a template) into a config Envoy can load.

  render.py --template envoy/envoy.yaml --out .cache/envoy/envoy.yaml \
            --wasm build/filter.wasm --policy envoy/policy.example.json
  render.py --template envoy/envoy.yaml --out .cache/envoy/envoy.yaml --no-wasm

The policy file's bytes go in unchanged as the filter's plugin configuration
(google.protobuf.StringValue), which the filter reads in proxy_on_configure.
Standard library only.
"""
import argparse
import json
import os
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wasm", help="filter module (.wasm)")
    ap.add_argument("--policy", help="policy JSON file")
    ap.add_argument("--no-wasm", action="store_true", help="pass-through: drop the wasm filters")
    args = ap.parse_args()

    with open(args.template, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)

    out, skipping = [], False
    for line in lines:
        mark = line.strip()
        if mark == "# BEGIN wasm":
            skipping = args.no_wasm
            continue
        if mark == "# END wasm":
            skipping = False
            continue
        if not skipping:
            out.append(line)
    text = "".join(out)

    if not args.no_wasm:
        if not args.wasm or not args.policy:
            ap.error("--wasm and --policy are required unless --no-wasm")
        if not os.path.isfile(args.wasm):
            print(f"render.py: no filter module at {args.wasm} (build it first, or use NOWASM=1)", file=sys.stderr)
            return 1
        with open(args.policy, encoding="utf-8") as f:
            policy = f.read()
        try:
            json.loads(policy)
        except ValueError as e:
            print(f"render.py: {args.policy} is not valid JSON: {e}", file=sys.stderr)
            return 1
        # A JSON string literal is also a valid YAML double-quoted scalar.
        text = text.replace("@POLICY_JSON@", json.dumps(policy))
        text = text.replace("@WASM_FILE@", os.path.abspath(args.wasm))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
