// Every API at every version (309 requests), from the generated samples (test/generated/,
// variant 0: two of everything, every name set), under three policies:
//   - deny-all (no ACL matches, nobody is a super user): nothing the request names reaches the
//     broker. The verdict answers the client (Respond), closes, or forwards a rewrite that names
//     no entity; a request the filter passes names no entity at all (a listing the response
//     rewrite filters: ListGroups, ListTransactions, DescribeDelegationToken; or what Kafka
//     authorizes nothing on: DescribeCluster, telemetry, the sample's FindCoordinator v1+ whose
//     key type is neither group nor transaction). Every error code the answer carries
//     is an authorization error, UNKNOWN_TOPIC_ID (ids no broker answer taught) or 0 (a
//     top-level code beside per-entity ones), and at least one is an authorization error;
//   - limits.apis refusing the API: the same, every code CLUSTER_AUTHORIZATION_FAILED or 0, not
//     even a listing passes (ApiVersions, SaslHandshake and SaslAuthenticate excepted), and the
//     answer (the generated whole refusal) names every topic, group and transactional id asked;
//   - allow-all (ALL on every resource for User:*): the request goes on unchanged (Pass), unless
//     its own bytes are broken (a sample's records are not record batches: refused as malformed)
//     or the filter answers for Kafka with Kafka's own answer (ownFault, below), or the API is
//     the filter's to answer (ACL administration: the ACLs in force are the policy's), with no
//     refusal recorded.
// Where a sample is refused for what it is before any ACL (ownFault), that answer stands in
// every policy: the error Kafka gives it is allowed in place of the authorization error.
// The entities come from the generated view of the same bytes, so no per-API list says what a
// request names.

import { SaslHandshakeRequestData } from "../../assembly/messages/SaslHandshakeRequest";
import { API_KEYS, minVersion, maxVersion, apiName } from "../../assembly/messages/apis";
import { Message } from "../../assembly/protocol/message";
import { Reader } from "../../assembly/protocol/reader";
import { JsonWriter } from "../../assembly/json/writer";
import { EntityKind, EntityWalk } from "../../assembly/protocol/walk";
import { decodeResponse } from "../../assembly/codec/frame";
import { readFilterResponse } from "../../assembly/messages/filter-codecs";
import { requestHeaderVersion, responseHeaderVersion } from "../../assembly/messages/apis";
import { walkRequestHeader } from "../../assembly/views/RequestHeader";
import { walkRequest, walkResponse } from "../../assembly/views/index";
import { walkResponseHeader } from "../../assembly/views/ResponseHeader";
import { Verdict, VerdictKind } from "../../assembly/filter/seam";
import { RequestContext } from "../../assembly/enforce/context";
import { learnTopicId } from "../../assembly/enforce/topic-ids";
import { checkRequest } from "../../assembly/enforce/apis/authorize";
import {
  CLUSTER_AUTHORIZATION_FAILED, DELEGATION_TOKEN_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED,
  TOPIC_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, UNKNOWN_TOPIC_ID, errorName,
  FETCH_SESSION_ID_NOT_FOUND, SHARE_SESSION_NOT_FOUND, INVALID_REQUEST, STREAMS_INVALID_TOPOLOGY, INVALID_TOPIC_EXCEPTION,
} from "../../assembly/protocol/errors";
import { sampleMessage } from "../generated/index";
import { policyOf, session, contextFor, requestBytes, CORRELATION_ID } from "./support/enforce";

const DENY_ALL = policyOf(`{"acls": []}`);
const API_DENIED = `{"acls": [], "limits": {"apis": {"deny": [API]}}}`;
const ALLOW_ALL = policyOf(`{"acls": [` +
  `{"principal": "User:*", "resourceType": "TOPIC", "resourceName": "*", "operation": "ALL", "permissionType": "ALLOW"},` +
  `{"principal": "User:*", "resourceType": "GROUP", "resourceName": "*", "operation": "ALL", "permissionType": "ALLOW"},` +
  `{"principal": "User:*", "resourceType": "TRANSACTIONAL_ID", "resourceName": "*", "operation": "ALL", "permissionType": "ALLOW"},` +
  `{"principal": "User:*", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "ALL", "permissionType": "ALLOW"},` +
  `{"principal": "User:*", "resourceType": "DELEGATION_TOKEN", "resourceName": "*", "operation": "ALL", "permissionType": "ALLOW"},` +
  `{"principal": "User:*", "resourceType": "USER", "resourceName": "*", "operation": "ALL", "permissionType": "ALLOW"}]}`);

/**
 * The error Kafka answers a sample with before any ACL, for what the sample is (0: none):
 *   - Fetch v7+: the sample's fetch session (id and epoch set) was never opened on this
 *     connection: FETCH_SESSION_ID_NOT_FOUND;
 *   - ShareFetch, ShareAcknowledge: the sample's share session (epoch set) was never opened on
 *     this connection: SHARE_SESSION_NOT_FOUND;
 *   - DescribeConfigs, AlterConfigs, IncrementalAlterConfigs: the sample's resource type is no
 *     type Kafka knows: INVALID_REQUEST;
 *   - StreamsGroupHeartbeat: the sample's topology names topics no topic may be named
 *     ("s1-é-日本"): STREAMS_INVALID_TOPOLOGY;
 *   - DescribeProducers: its topic names are no valid names either, and Kafka checks that before
 *     READ: INVALID_TOPIC_EXCEPTION;
 *   - DeleteTopics v6+: its entries give both a name and an id: INVALID_REQUEST.
 */
function ownFault(apiKey: i16, version: i16): i16 {
  if (apiKey == 1 && version >= 7) return FETCH_SESSION_ID_NOT_FOUND;
  if (apiKey == 78 || apiKey == 79) return SHARE_SESSION_NOT_FOUND;
  if (apiKey == 32 || apiKey == 33 || apiKey == 44) return INVALID_REQUEST;
  if (apiKey == 88) return STREAMS_INVALID_TOPOLOGY;
  if (apiKey == 61) return INVALID_TOPIC_EXCEPTION;
  if (apiKey == 20 && version >= 6) return INVALID_REQUEST;
  return 0;
}

/** DescribeLogDirs before v3 has no error code to carry a refusal: Kafka answers an empty list. */
function hasNoErrorField(apiKey: i16, version: i16): bool {
  return apiKey == 35 && version < 3;
}

const walk = new EntityWalk();

/** How many entities an ACL decides on (topics, groups, transactional ids) the request bytes name. */
function authorizable(frame: Uint8Array, apiKey: i16, version: i16, learnIds: bool): i32 {
  walk.reset();
  const r = new Reader(frame);
  walkRequestHeader(r, requestHeaderVersion(apiKey, version), walk);
  walkRequest(apiKey, r, version, walk);
  let n = 0;
  for (let i = 0; i < walk.count; i++) {
    const k = <EntityKind>walk.kind[i];
    if (k == EntityKind.TopicId && learnIds) learnTopicId(walk.uuid(frame, i), "topic-by-id-" + i.toString());
    if (k == EntityKind.TopicName || k == EntityKind.TopicId || k == EntityKind.GroupId || k == EntityKind.TransactionalId) n++;
  }
  return n;
}

function isAuthorizationError(code: i32): bool {
  return code == TOPIC_AUTHORIZATION_FAILED || code == GROUP_AUTHORIZATION_FAILED || code == CLUSTER_AUTHORIZATION_FAILED
    || code == TRANSACTIONAL_ID_AUTHORIZATION_FAILED || code == DELEGATION_TOKEN_AUTHORIZATION_FAILED;
}

/** Every "errorCode" (and "...ErrorCode") value in the response's JSON form. */
function errorCodes(body: Message, version: i16): Array<i32> {
  const j = new JsonWriter();
  body.writeJson(j, version);
  const text = j.toString();
  const codes = new Array<i32>();
  let at = 0;
  while ((at = text.indexOf("rrorCode\":", at)) >= 0) {
    at += 10;
    let end = at;
    while (end < text.length && (text.charCodeAt(end) == 45 || (text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57))) end++;
    codes.push(I32.parseInt(text.substring(at, end)));
  }
  return codes;
}

/** "" when the refusal holds: nothing named reaches the broker, and the answer says why. */
function checkRefusal(what: string, v: Verdict, apiKey: i16, version: i16, named: i32, onlyCluster: bool): string {
  if (v.kind == VerdictKind.Close) return "";
  if (v.kind == VerdictKind.Pass) return named == 0 ? "" : what + ": passed on, naming " + named.toString() + " entities";
  if (v.kind == VerdictKind.Replace) {
    const left = authorizable(v.bytes!, apiKey, version, false);
    return left == 0 ? "" : what + ": forwarded a rewrite that still names " + left.toString() + " entities";
  }
  if (v.kind != VerdictKind.Respond) return what + ": verdict kind " + v.kind.toString();
  const d = decodeResponse(v.bytes!, apiKey, version);
  if (d.error.length > 0) return what + ": the answer does not decode: " + d.error;
  if (d.header.correlationId != CORRELATION_ID) return what + ": the answer has another correlation id";
  const codes = errorCodes(d.body!, version);
  if (codes.length == 0 && hasNoErrorField(apiKey, version)) return "";
  const fault = ownFault(apiKey, version);
  let refused = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    // An id no broker answer taught cannot be authorized (UNKNOWN_TOPIC_ID), except under limits.apis.
    const refusal = onlyCluster ? c == CLUSTER_AUTHORIZATION_FAILED : isAuthorizationError(c) || c == UNKNOWN_TOPIC_ID;
    if (refusal || (fault != 0 && c == fault)) refused++;
    else if (c != 0) return what + ": the answer carries error " + c.toString();
  }
  return refused > 0 ? "" : what + ": the answer carries no refusal (codes " + codes.join(",") + ")";
}

/** The topic, group and transactional id entities of a frame, as "kind:value" (ids in hex). */
function entitiesOf(frame: Uint8Array, apiKey: i16, version: i16, request: bool): Array<string> {
  walk.reset();
  const r = new Reader(frame);
  if (request) {
    walkRequestHeader(r, requestHeaderVersion(apiKey, version), walk);
    walkRequest(apiKey, r, version, walk);
  } else {
    walkResponseHeader(r, responseHeaderVersion(apiKey, version), walk);
    walkResponse(apiKey, r, version, walk);
  }
  const found = new Array<string>();
  for (let i = 0; i < walk.count; i++) {
    const k = <EntityKind>walk.kind[i];
    if (k == EntityKind.TopicId) found.push("id:" + walk.uuid(frame, i).toString());
    else if (k == EntityKind.TopicName || k == EntityKind.GroupId || k == EntityKind.TransactionalId) {
      const text = walk.text(frame, i);
      found.push(k.toString() + ":" + (text != null ? text : "null"));
    }
  }
  return found;
}

/**
 * A whole refusal answers each topic, group and transactional id the request names, by name
 * (or id), of every kind its answer lists (a Produce answer lists topics, not the transactional
 * id the whole request was sent under). Not checked: Fetch v7+, which also lists the topics a
 * session forgets (not fetched, so not answered), and DescribeTopicPartitions, whose cursor
 * names the topic a listing resumes at (not one to describe).
 */
function checkAnswersEveryEntity(what: string, request: Uint8Array, answer: Uint8Array, apiKey: i16, version: i16): string {
  if ((apiKey == 1 && version >= 7) || apiKey == 75) return "";
  const asked = entitiesOf(request, apiKey, version, true);
  const answered = entitiesOf(answer, apiKey, version, false);
  for (let i = 0; i < asked.length; i++) {
    const kind = asked[i].substring(0, asked[i].indexOf(":") + 1);
    let listsKind = false;
    for (let j = 0; j < answered.length; j++) listsKind = listsKind || answered[j].startsWith(kind);
    if (listsKind && !answered.includes(asked[i])) return what + ": the answer does not name " + asked[i];
  }
  return "";
}

let cases = 0;
let refusedCases = 0;
let passedCases = 0;
const failures = new Array<string>();
const ctxs = new Array<RequestContext>();

function note(problem: string): void {
  if (problem.length > 0) failures.push(problem);
}

function each(fn: (key: i16, version: i16, what: string) => void): void {
  for (let k = 0; k < API_KEYS.length; k++) {
    const key = API_KEYS[k];
    const lo = minVersion(key);
    if (lo < 0) continue;
    for (let v = lo; v <= maxVersion(key); v++) {
      const name = apiName(key);
      fn(key, <i16>v, (name != null ? name! : key.toString()) + " v" + v.toString());
    }
  }
}

function report(title: string): void {
  for (let i = 0; i < min(failures.length, 80); i++) log(failures[i]);
  log(title + ": " + cases.toString() + " requests, " + refusedCases.toString() + " refused, " + passedCases.toString() + " passed, "
    + failures.length.toString() + " wrong");
  const checked = cases, wrong = failures.length;
  cases = 0;
  refusedCases = 0;
  passedCases = 0;
  failures.length = 0;
  expect(checked).toBeGreaterThan(290);
  expect(wrong).toBe(0);
}

/**
 * A check that leaves a response rewrite (ctx.after) takes the decoded answer when the answer's
 * view does not settle it: filter.wasm must then have that response's reader
 * (codegen/emit-filter-codecs.ts FILTER_RESPONSE_READERS), or the connection is closed on it.
 */
function readsItsResponse(what: string, ctx: RequestContext, key: i16, version: i16): string {
  if (ctx.after == null || readFilterResponse(key, new Reader(new Uint8Array(0)), version) != null) return "";
  return what + ": a check leaves a response rewrite, but filter.wasm has no reader for its responses";
}

/** DescribeAcls, CreateAcls, DeleteAcls: apis/cluster.ts answers them from the policy. */
function answeredByTheFilter(key: i16): bool { return key == 29 || key == 30 || key == 31; }

describe("every API at every version", () => {
  it("deny-all: nothing the request names reaches the broker, and the answer carries the authorization error", () => {
    each((key, version, what) => {
      const body = sampleMessage(key, true, version, 0)!;
      const named = authorizable(requestBytes(key, version, body), key, version, false);
      const ctx = contextFor(DENY_ALL, session("User:eve"), key, version, body);
      ctxs.push(ctx);
      const v = checkRequest(ctx);
      cases++;
      if (v.kind == VerdictKind.Pass) passedCases++;
      else refusedCases++;
      note(readsItsResponse("deny-all " + what, ctx, key, version));
      if (key == 18 || key == 17) return; // ApiVersions and SaslHandshake: answered by Kafka before any authorization
      note(checkRefusal("deny-all " + what, v, key, version, named, false));
    });
    report("deny-all");
  });

  it("limits.apis: a refused API is answered with CLUSTER_AUTHORIZATION_FAILED and never reaches the broker", () => {
    each((key, version, what) => {
      if (key == 18 || key == 17 || key == 36) return; // the connection set-up: never refused by limits.apis (authorize.ts)
      const policy = policyOf(API_DENIED.replace("API", key.toString()));
      const body = sampleMessage(key, true, version, 0)!;
      const ctx = contextFor(policy, session("User:eve"), key, version, body);
      ctxs.push(ctx);
      const v = checkRequest(ctx);
      cases++;
      if (v.kind == VerdictKind.Pass) passedCases++;
      else refusedCases++;
      // Not even a listing passes: the whole API is refused.
      note(checkRefusal("limits.apis " + what, v, key, version, v.kind == VerdictKind.Pass ? 1 : 0, true));
      if (v.kind == VerdictKind.Respond) note(checkAnswersEveryEntity("limits.apis " + what, requestBytes(key, version, body), v.bytes!, key, version));
    });
    report("limits.apis");
  });

  it("allow-all: every request goes on unchanged", () => {
    each((key, version, what) => {
      const body = sampleMessage(key, true, version, 0)!;
      // The sample mechanism is a placeholder; the filter closes on one it cannot read a user from.
      if (key == 17) changetype<SaslHandshakeRequestData>(body).mechanism = "PLAIN";
      authorizable(requestBytes(key, version, body), key, version, true); // the broker has told the filter every id
      const ctx = contextFor(ALLOW_ALL, session("User:alice"), key, version, body);
      ctxs.push(ctx);
      const v = checkRequest(ctx);
      note(readsItsResponse("allow-all " + what, ctx, key, version));
      cases++;
      if (v.kind == VerdictKind.Pass) {
        passedCases++;
        return;
      }
      refusedCases++;
      if (ctx.malformed) return;
      if (answeredByTheFilter(key) && v.kind == VerdictKind.Respond && ctx.refusals.length == 0) return;
      const fault = ownFault(key, version);
      let ownFaultOnly = fault != 0 && ctx.refusals.length > 0;
      for (let i = 0; i < ctx.refusals.length; i++) ownFaultOnly = ownFaultOnly && ctx.refusals[i].error == errorName(fault).toUpperCase();
      if (ownFaultOnly) return;
      let why = v.reason;
      if (ctx.refusals.length > 0) why = ctx.refusals[0].resourceType + ":" + ctx.refusals[0].resourceName + " " + ctx.refusals[0].reason + " " + ctx.refusals[0].error;
      failures.push("allow-all " + what + ": verdict kind " + v.kind.toString() + " (" + why + ")");
    });
    report("allow-all");
  });
});
