// The generated views (assembly/views/) against the generated codecs, at every valid version
// of every request and response, on the generated samples (both variants):
//   - the walk finds the entities the decoded sample holds (test/generated/<request>.ts, from
//     the same definitions): same kinds, parents and value bytes, in order, and ends where the
//     body ends;
//   - every shorter prefix of the frame makes the walk fail, never trap;
//   - mutated frames: the walk fails exactly when the codec's reader fails, and stops where it
//     stops (what decides the fast path must accept just what the full decode accepts).

import { API_KEYS, minVersion, maxVersion, newRequest, newResponse } from "../../assembly/messages/apis";
import { Reader } from "../../assembly/protocol/reader";
import { Writer } from "../../assembly/protocol/writer";
import { EntityWalk } from "../../assembly/protocol/walk";
import { Message } from "../../assembly/protocol/message";
import { RequestHeaderData } from "../../assembly/messages/RequestHeader";
import { ResponseHeaderData } from "../../assembly/messages/ResponseHeader";
import { walkRequest, walkResponse } from "../../assembly/views/index";
import { walkRequestHeader } from "../../assembly/views/RequestHeader";
import { walkResponseHeader } from "../../assembly/views/ResponseHeader";
import { sampleMessage } from "../generated/index";
import { messageEntities } from "../generated/entities";
import { Entities } from "./support/entity-values";

const walk = new EntityWalk();

/** The view of a request (`isRequest`) or response; false when there is none. */
function walkMessage(isRequest: bool, apiKey: i16, r: Reader, version: i16): bool {
  return isRequest ? walkRequest(apiKey, r, version, walk) : walkResponse(apiKey, r, version, walk);
}

function valueAt(bytes: Uint8Array, i: i32): string {
  const n = walk.length[i];
  if (n < 0) return "null";
  const parts = new Array<string>();
  for (let k = 0; k < n; k++) parts.push(bytes[walk.start[i] + k].toString());
  return "[" + parts.join(",") + "]";
}

function expectedValue(v: Uint8Array | null): string {
  if (v == null) return "null";
  const parts = new Array<string>();
  for (let k = 0; k < v.length; k++) parts.push(v[k].toString());
  return "[" + parts.join(",") + "]";
}

/** "" when the walk of the sample's bytes finds the sample's entities. */
function sameEntities(what: string, isRequest: bool, apiKey: i16, version: i16, bytes: Uint8Array, expected: Entities): string {
  walk.reset();
  const r = new Reader(bytes);
  if (!walkMessage(isRequest, apiKey, r, version)) return what + ": no view";
  if (r.failed) return what + ": walk failed: " + r.describeError();
  if (r.pos != bytes.length) return what + ": walk stopped at " + r.pos.toString() + " of " + bytes.length.toString();
  if (walk.count != expected.kind.length) return what + ": " + walk.count.toString() + " entities, expected " + expected.kind.length.toString();
  for (let i = 0; i < walk.count; i++) {
    const got = walk.kind[i].toString() + " parent " + walk.parent[i].toString() + " " + valueAt(bytes, i);
    const want = expected.kind[i].toString() + " parent " + expected.parent[i].toString() + " " + expectedValue(expected.value[i]);
    if (got != want) return what + ": entity " + i.toString() + " is " + got + ", expected " + want;
  }
  return "";
}

/** "" when every prefix shorter than the frame fails. */
function prefixesFail(what: string, isRequest: bool, apiKey: i16, version: i16, bytes: Uint8Array): string {
  for (let n = 0; n < bytes.length; n++) {
    walk.reset();
    const r = new Reader(bytes, 0, n);
    walkMessage(isRequest, apiKey, r, version);
    if (!r.failed) return what + ": a " + n.toString() + "-byte prefix walked without failing";
  }
  return "";
}

let seed: u32 = 12345;
function random(n: i32): i32 {
  seed = seed * 1103515245 + 12345;
  return <i32>((seed >>> 8) % <u32>n);
}

/** "" when the walk and the codec's reader agree on mutated copies of the frame. */
function agreesOnMutations(what: string, isRequest: bool, apiKey: i16, version: i16, bytes: Uint8Array, rounds: i32): string {
  if (bytes.length == 0) return "";
  for (let k = 0; k < rounds; k++) {
    const m = bytes.slice(0);
    for (let flips = 1 + random(3); flips > 0; flips--) m[random(m.length)] = <u8>random(256);
    walk.reset();
    const v = new Reader(m);
    walkMessage(isRequest, apiKey, v, version);
    const d = new Reader(m);
    const message: Message = isRequest ? newRequest(apiKey)! : newResponse(apiKey)!;
    message.read(d, version);
    if (v.failed != d.failed || (!d.failed && v.pos != d.pos)) {
      return what + ": mutation " + k.toString() + ": walk " + (v.failed ? "failed (" + v.describeError() + ")" : "ended at " + v.pos.toString())
        + ", reader " + (d.failed ? "failed (" + d.describeError() + ")" : "ended at " + d.pos.toString());
    }
  }
  return "";
}

let checked = 0;
let entities = 0;
let prefixes = 0;
let mutations = 0;
const failures = new Array<string>();

function note(problem: string): void {
  if (problem.length > 0) failures.push(problem);
}

/** Every valid version of every API, both variants, as requests or responses. */
function checkAll(isRequest: bool): void {
  for (let k = 0; k < API_KEYS.length; k++) {
    const key = API_KEYS[k];
    const lo = minVersion(key);
    if (lo < 0) continue;
    for (let v = lo; v <= maxVersion(key); v++) {
      const version = <i16>v;
      for (let variant = 0; variant < 2; variant++) {
        const what = (isRequest ? "request" : "response") + " key " + key.toString() + " v" + v.toString() + " variant " + variant.toString();
        const sample = sampleMessage(key, isRequest, version, variant)!;
        const w = new Writer();
        sample.write(w, version);
        if (w.failed) {
          failures.push(what + ": write: " + w.error);
          continue;
        }
        const bytes = w.bytes().slice(0);
        const expected = new Entities();
        messageEntities(key, isRequest, sample, version, expected);
        checked++;
        entities += expected.kind.length;
        note(sameEntities(what, isRequest, key, version, bytes, expected));
        note(prefixesFail(what, isRequest, key, version, bytes));
        prefixes += bytes.length;
        note(agreesOnMutations(what, isRequest, key, version, bytes, 8));
        mutations += 8;
      }
    }
  }
  for (let i = 0; i < min(failures.length, 20); i++) log(failures[i]);
  log("views of " + (isRequest ? "requests: " : "responses: ") + checked.toString() + " samples, " + entities.toString()
    + " entities, " + prefixes.toString() + " prefixes, " + mutations.toString() + " mutations");
  // A floor on what the sweep covers (topics, partitions, groups, transactional ids, records...).
  expect(checked).toBeGreaterThan(600);
  expect(entities).toBeGreaterThan(1300);
  expect(failures.length).toBe(0);
  checked = 0;
  entities = 0;
  prefixes = 0;
  mutations = 0;
}

describe("generated views", () => {
  it("of requests find the decoded message's entities, fail on every prefix, agree with the reader on mutations", () => {
    checkAll(true);
  });

  it("of responses find the decoded message's entities, fail on every prefix, agree with the reader on mutations", () => {
    checkAll(false);
  });

  it("walk the request header at each version, and fail on its prefixes", () => {
    for (let v: i16 = 0; v <= 2; v++) {
      const h = new RequestHeaderData();
      h.requestApiKey = 0;
      h.requestApiVersion = 9;
      h.correlationId = 42;
      h.clientId = "client-é";
      const w = new Writer();
      h.write(w, v);
      const bytes = w.bytes().slice(0);
      walk.reset();
      const r = new Reader(bytes);
      walkRequestHeader(r, v, walk);
      expect(r.failed).toBe(false);
      expect(r.pos).toBe(bytes.length);
      expect(walk.count).toBe(0);
      for (let n = 0; n < bytes.length; n++) {
        const p = new Reader(bytes, 0, n);
        walkRequestHeader(p, v, walk);
        expect(p.failed).toBe(true);
      }
    }
  });

  it("walk the response header at each version, and fail on its prefixes", () => {
    for (let v: i16 = 0; v <= 1; v++) {
      const h = new ResponseHeaderData();
      h.correlationId = 42;
      const w = new Writer();
      h.write(w, v);
      const bytes = w.bytes().slice(0);
      walk.reset();
      const r = new Reader(bytes);
      walkResponseHeader(r, v, walk);
      expect(r.failed).toBe(false);
      expect(r.pos).toBe(bytes.length);
      for (let n = 0; n < bytes.length; n++) {
        const p = new Reader(bytes, 0, n);
        walkResponseHeader(p, v, walk);
        expect(p.failed).toBe(true);
      }
    }
  });
});
