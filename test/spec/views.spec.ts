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
import { Uuid } from "../../assembly/protocol/uuid";
import { StreamedFrame, endInPlace, inPlaceNotYet, memoryPages } from "../../assembly/protocol/in-place";
import { walkFetchResponse } from "../../assembly/views/FetchResponse";
import { AbortedTransaction, FetchResponseData, FetchableTopicResponse, NodeEndpoint, PartitionData } from "../../assembly/messages/FetchResponse";

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

// ---- A walk of a frame read as it arrives goes on where the last one stopped (protocol/walk.ts) ----

/** A Fetch response of 3 topics of 6 partitions, with aborted transactions, leaders and node endpoints (v16). */
function fetchResponseBody(version: i16): Uint8Array {
  const m = new FetchResponseData();
  for (let t = 0; t < 3; t++) {
    const topic = new FetchableTopicResponse();
    topic.topic = "topic-" + t.toString();
    topic.topicId = new Uuid(t + 1, 7);
    for (let p = 0; p < 6; p++) {
      const part = new PartitionData();
      part.partitionIndex = p;
      const aborted = new Array<AbortedTransaction>();
      for (let a = 0; a < (p % 3) * 20; a++) aborted.push(new AbortedTransaction());
      part.abortedTransactions = aborted;
      if (p % 2 == 1) part.currentLeader.leaderId = 3;
      part.records = new Uint8Array(100 + 250 * p);
      topic.partitions.push(part);
    }
    m.responses.push(topic);
  }
  for (let n = 0; n < 3; n++) {
    const node = new NodeEndpoint();
    node.host = "broker-" + n.toString();
    m.nodeEndpoints.push(node);
  }
  const w = new Writer(64);
  m.write(w, version);
  return w.bytes();
}

/** Kind, start, length and parent of each entity of `w`, one line each. */
function entityLines(w: EntityWalk): string {
  let s = "";
  for (let i = 0; i < w.count; i++) {
    s += unchecked(w.kind[i]).toString() + " " + unchecked(w.start[i]).toString() + " " + unchecked(w.length[i]).toString() + " " + unchecked(w.parent[i]).toString() + "\n";
  }
  return s;
}

describe("a view walk of a frame read as it arrives, going on where the last one stopped", () => {
  it("finds what a walk of the whole frame finds, at every version and read size, and walks each entity about once", () => {
    for (let version: i16 = 4; version <= 17; version += 4) {
      const body = fetchResponseBody(version);
      const whole = new EntityWalk();
      const r = new Reader(body);
      walkFetchResponse(r, version, whole);
      expect(r.failed).toBe(false);
      const want = entityLines(whole);
      const sizes: i32[] = [97, 1000, 4096];
      for (let k = 0; k < sizes.length; k++) {
        const vm = new Uint8Array(body.length);
        vm.fill(0xff);
        const f = new StreamedFrame();
        f.begin(vm.dataStart, <u32>vm.length);
        const w = new EntityWalk();
        let walks = 0, recorded = 0, done = false;
        for (let from = 0; from < body.length; from += sizes[k]) {
          const to = min(from + sizes[k], body.length);
          expect(f.resume(memoryPages(body.dataStart + <usize>from), <u32>from, <u32>to)).toBe(true);
          if (walks > 0) w.resume();
          f.beginWalk();
          const rr = new Reader(vm);
          walkFetchResponse(rr, version, w);
          walks++;
          recorded += w.recorded();
          done = !rr.failed;
          if (rr.failed) expect(inPlaceNotYet()).toBe(true);
          expect(f.endRead(false)).toBe(true);
          endInPlace();
        }
        expect(done).toBe(true);
        expect(entityLines(w)).toBe(want);
        // A walk from the start at each read would record about walks * count / 2.
        expect(recorded).toBeLessThanOrEqual(whole.count + 4 * walks);
      }
    }
  });

  it("walks from the start a frame it stopped in outside any array of structs", () => {
    const body = fetchResponseBody(12);
    const w = new EntityWalk();
    const short = new Reader(body, 0, 3); // inside the throttle time, before any array
    walkFetchResponse(short, 12, w);
    expect(short.failed).toBe(true);
    expect(w.beforeStop()).toBe(0);
    w.resume();
    const r = new Reader(body);
    walkFetchResponse(r, 12, w);
    expect(r.failed).toBe(false);
    expect(w.recorded()).toBe(w.count);
  });
});
