#!/usr/bin/env python3
"""Render envoy/envoy.yaml (a template) into a config Envoy can load.

  render.py --template envoy/envoy.yaml --out .cache/envoy/envoy.yaml --tls-dir .cache/envoy/tls \
            --wasm build/filter.wasm --policy envoy/policy.example.json
  render.py --template envoy/envoy.yaml --out .cache/envoy/envoy.yaml --tls-dir .cache/envoy/tls --no-wasm
  render.py ... --lds .cache/envoy/lds/listeners.yaml [--lds-out FILE]

With --lds PATH the listeners leave static_resources: they are written, as LDS resources
(type.googleapis.com/envoy.config.listener.v3.Listener), to --lds-out (default PATH), and the
config takes them from PATH (dynamic_resources.lds_config.path_config_source, watching PATH's
directory for files moved into it). Envoy then reloads its listeners, without restarting,
when a new listeners file is renamed over PATH (test/e2e/bin/envoy.sh reload). The template
is the same either way: the split is made on the rendered text, whose listeners are the items
of "  listeners:" under "static_resources:" (two-space indentation, as the template writes it).

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


LISTENER_TYPE = "type.googleapis.com/envoy.config.listener.v3.Listener"


def split_listeners(text: str, lds_path: str) -> tuple:
    """(config without its static listeners, taking them from LDS at lds_path; the LDS file's text)."""
    lines = text.splitlines(keepends=True)
    try:
        top = lines.index("static_resources:\n")
        start = lines.index("  listeners:\n", top)
    except ValueError:
        raise ValueError('no "static_resources:" with "  listeners:" under it')
    end = start + 1  # the listeners block: up to the next key of static_resources, or the next top-level key
    while end < len(lines) and not re.match(r"(  )?[A-Za-z_]", lines[end]):
        end += 1
    resources = []
    for line in lines[start + 1:end]:
        line = line[2:] if line.startswith("  ") else line
        if line.startswith("- "):  # a listener: the resource's type first, then its own keys
            line = f'- "@type": {LISTENER_TYPE}\n  ' + line[2:]
        resources.append(line)
    if not any(line.startswith("- ") for line in resources):
        raise ValueError("no listener under static_resources.listeners")
    lds_dir = os.path.dirname(lds_path)
    dynamic = ("\n# Listeners from LDS, a file Envoy reloads when another is moved over it (render.py --lds).\n"
               "dynamic_resources:\n"
               "  lds_config:\n"
               "    resource_api_version: V3\n"
               "    path_config_source:\n"
               f"      path: {json.dumps(lds_path)}\n"
               f"      watched_directory: {{ path: {json.dumps(lds_dir)} }}\n")
    if not any(line.startswith("node:") for line in lines):  # an xDS subscription needs the node's id and cluster
        dynamic += "node: { id: kafka-wasm-filter, cluster: kafka-wasm-filter }\n"
    rest = lines[:start] + lines[end:]
    lds = "# Envoy's listeners (LDS), rendered by envoy/render.py --lds.\nresources:\n" + "".join(resources)
    return "".join(rest).rstrip("\n") + "\n" + dynamic, lds


def write(path: str, text: str) -> None:
    """text into path, atomically (a temporary file renamed over it)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def yaml_quoted(text: str) -> str:
    """A YAML double-quoted scalar of `text`, in ASCII. Not json.dumps: a character past U+FFFF
    would be a JSON surrogate pair (\\ud83d\\ude00), which YAML parsers refuse; YAML writes it
    \\U0001f600."""
    out = ['"']
    for ch in text:
        c = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= c < 0x7f:
            out.append(ch)
        elif c > 0xffff:
            out.append("\\U%08x" % c)
        else:
            out.append("\\u%04x" % c)
    out.append('"')
    return "".join(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--wasm", help="filter module (.wasm)")
    ap.add_argument("--policy", help="policy JSON file")
    ap.add_argument("--tls-dir", help="directory of the test certificates (for @TLS_DIR@)")
    ap.add_argument("--no-wasm", action="store_true", help="pass-through: drop the wasm filters")
    ap.add_argument("--brokers", type=int, default=1, help="Kafka nodes, each behind its own listeners")
    ap.add_argument("--lds", help="take the listeners from this LDS file (watched by Envoy) instead of static_resources")
    ap.add_argument("--lds-out", help="where to write the LDS file (default: --lds); rename it to --lds to load it")
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
        return yaml_quoted(conf)

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

    if args.lds:
        try:
            text, lds = split_listeners(text, os.path.abspath(args.lds))
        except ValueError as e:
            print(f"render.py: --lds: {args.template}: {e}", file=sys.stderr)
            return 1
        write(args.lds_out or args.lds, lds)
    write(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
