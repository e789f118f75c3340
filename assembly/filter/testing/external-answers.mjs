// What the policy service's answers decide, under the mock Envoy host, with failOpen true:
// failOpen is for a service that cannot answer (no answer, a timeout, a 502, 503 or 504, a body
// that is not JSON); a status that answers the question with an error (a 500 such as OPA's
// evaluation errors, a 4xx) is a denial. A 200 whose result is an object without "allowed" is an answer:
// OPA's answer when the rule is a partial object (`decision.allowed if ...`,
// `decision.reason := ...`) and its "allowed" is undefined for the input, as a complete rule
// undefined for the input has no "result" at all (a denial). On 47118a7 it was taken for a
// failure, so with failOpen a client naming any resource the rule does not allow was allowed.
//
//   node assembly/filter/testing/external-answers.mjs [build/filter.wasm]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM } from "./host.mjs";
import { checker } from "./frames.mjs";
import { metadataV1 } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const { check, done } = checker();

/** "allowed" | "denied": what the filter made of `body` answering the question about "secret.x". */
function outcome(body, status = 200) {
  const config = JSON.stringify({ external: { cluster: "opa", timeoutMs: 500, cacheTtlMs: 600000, failOpen: true } });
  const h = new Host(WASM, { config });
  if (h.start() !== 1 || h.addRoot(2, "kafka_resume") !== 1) throw new Error("configure: " + JSON.stringify(h.logs.slice(-2)));
  const c = h.connect(101, { "source.address": "10.0.0.7:40000", "destination.address": "127.0.0.1:19096", plugin_name: "kafka-opa" },
    { before: [{ id: 100, root: 2 }] });
  const req = metadataV1(1, ["secret.x"]);
  c.feed(DOWNSTREAM, req);
  for (const call of h.pendingCalls()) h.answer(call.token, { status, body });
  const up = c.output(DOWNSTREAM);
  return up.equals(req) ? "allowed" : up.length > 0 ? "denied" : "nothing sent";
}

// Decisions, whatever failOpen says.
for (const [body, expected] of [
  [{ result: { allowed: true } }, "allowed"],
  [{ result: { allowed: false } }, "denied"],
  [{ result: { reason: "no rule allows secret.x" } }, "denied"],
  [{ result: {} }, "denied"],
  [{}, "denied"],
]) check(`failOpen true, answer ${JSON.stringify(body)}: ${expected}`, outcome(body) === expected, outcome(body));

// Failures still fail open, as configured: a service that cannot answer.
check("failOpen true, HTTP 503: allowed", outcome({ result: false }, 503) === "allowed");
check("failOpen true, HTTP 502: allowed", outcome("upstream connect error", 502) === "allowed");
check("failOpen true, a body that is not JSON: allowed", outcome("<html>") === "allowed");
// A service that answers the question with an error has not failed: OPA's 500 for an
// evaluation or conflict error, which a crafted name can provoke, or a 4xx. Opened, such a
// name would be a way past the policy.
const opa500 = { code: "internal_error", message: "eval_conflict_error: complete rules must not produce multiple outputs" };
check("failOpen true, HTTP 500 (OPA's evaluation error): denied", outcome(opa500, 500) === "denied", outcome(opa500, 500));
check("failOpen true, HTTP 400: denied", outcome({ code: "invalid_parameter" }, 400) === "denied", outcome({ code: "invalid_parameter" }, 400));

done();
