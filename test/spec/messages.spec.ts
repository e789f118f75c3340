// Round trips for every message at every valid version, on generated sample values:
// sample -> bytes -> decoded -> bytes must be identical, and so must the JSON of both;
// variant 0 carries an unknown tagged field in flexible versions, which must survive.

import { API_KEYS, minVersion, maxVersion } from "../../assembly/messages/apis";
import { Reader } from "../../assembly/protocol/reader";
import { Writer } from "../../assembly/protocol/writer";
import { Message } from "../../assembly/protocol/message";
import { JsonWriter } from "../../assembly/json/writer";
import { newRequest, newResponse } from "../../assembly/messages/apis";
import { sampleMessage } from "../generated/index";

function json(m: Message, version: i16): string {
  const j = new JsonWriter();
  m.writeJson(j, version);
  return j.toString();
}

function sameBytes(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

/** One round trip; "" when it holds, else what broke. */
function roundTrip(apiKey: i16, isRequest: bool, version: i16, variant: i32): string {
  const what = (isRequest ? "request" : "response") + " key " + apiKey.toString() + " v" + version.toString() + " variant " + variant.toString();
  const sample = sampleMessage(apiKey, isRequest, version, variant)!;
  const w = new Writer();
  sample.write(w, version);
  if (w.failed) return what + ": write: " + w.error;
  const bytes = w.bytes().slice(0);
  const decoded = isRequest ? newRequest(apiKey)! : newResponse(apiKey)!;
  const r = new Reader(bytes);
  decoded.read(r, version);
  if (r.failed) return what + ": read: " + r.describeError();
  if (r.remaining != 0) return what + ": " + r.remaining.toString() + " bytes left unread";
  const w2 = new Writer();
  decoded.write(w2, version);
  if (!sameBytes(bytes, w2.bytes())) return what + ": bytes differ after the round trip";
  const before = json(sample, version);
  const after = json(decoded, version);
  if (before != after) return what + ": JSON differs:\n  " + before + "\n  " + after;
  if (variant == 0 && after.includes("\"tag\":9000") != before.includes("\"tag\":9000")) return what + ": unknown tagged field lost";
  return "";
}

let checked = 0;
let unknownTagged = 0;
const failures = new Array<string>();

describe("generated codecs", () => {
  it("round-trip every message at every valid version, both variants", () => {
    for (let k = 0; k < API_KEYS.length; k++) {
      const key = API_KEYS[k];
      const lo = minVersion(key);
      if (lo < 0) continue; // no valid versions (e.g. ControlledShutdown)
      for (let v = lo; v <= maxVersion(key); v++) {
        for (let variant = 0; variant < 2; variant++) {
          for (let kind = 0; kind < 2; kind++) {
            const problem = roundTrip(key, kind == 0, <i16>v, variant);
            checked++;
            if (problem.length > 0) failures.push(problem);
            else if (variant == 0 && json(sampleMessage(key, kind == 0, <i16>v, 0)!, <i16>v).includes("\"tag\":9000")) unknownTagged++;
          }
        }
      }
    }
    for (let i = 0; i < min(failures.length, 20); i++) log(failures[i]);
    log("round trips: " + checked.toString() + " checked, " + unknownTagged.toString() + " with an unknown tagged field kept");
    expect(checked).toBeGreaterThan(1000);
    expect(unknownTagged).toBeGreaterThan(100);
    expect(failures.length).toBe(0);
  });
});
