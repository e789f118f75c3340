// The table's allow path (enforce/apis/rules.ts) against the decoded checks it stands in for.
// Every API the view decides, at every version, from the generated samples (variant 0: two of
// everything, every name set), under allow-all and under policies that each deny one entity the
// request names (every ACL on that name) or take the cluster's ACL away:
//   - the view lets a request through only when the decoded check passes it untouched, with
//     nothing left for the response and nothing refused (it may send more to the decoded check
//     than needed, never less);
//   - under allow-all the view lets every sample through that the decoded check passes, and
//     when an entity is denied, a sample naming it is never let through by the view.
// The entities and their names come from the views themselves, so no per-API list says what a
// request names.

import { API_KEYS, minVersion, maxVersion, apiName, requestHeaderVersion } from "../../assembly/messages/apis";
import { Reader } from "../../assembly/protocol/reader";
import { EntityKind, EntityWalk } from "../../assembly/protocol/walk";
import { walkRequestHeader } from "../../assembly/views/RequestHeader";
import { walkRequest } from "../../assembly/views/index";
import { VerdictKind } from "../../assembly/filter/seam";
import { Policy } from "../../assembly/policy/policy";
import { learnTopicId, topicName } from "../../assembly/enforce/topic-ids";
import { checkRequest, ruleOf } from "../../assembly/enforce/apis/authorize";
import { passesFromView } from "../../assembly/enforce/apis/rules";
import { sampleMessage } from "../generated/index";
import { Message } from "../../assembly/protocol/message";
import { decodeRequest } from "../../assembly/codec/frame";
import { Uuid } from "../../assembly/protocol/uuid";
import { MetadataRequestData, MetadataRequestTopic } from "../../assembly/messages/MetadataRequest";
import { policyOf, session, contextFor, requestBytes } from "./support/enforce";

const RESOURCE_TYPES = ["TOPIC", "GROUP", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"];

function allowAll(withCluster: bool): string {
  let acls = "";
  for (let i = 0; i < RESOURCE_TYPES.length; i++) {
    acls += `{"principal": "User:*", "resourceType": "${RESOURCE_TYPES[i]}", "resourceName": "*", "operation": "ALL", "permissionType": "ALLOW"},`;
  }
  if (withCluster) acls += `{"principal": "User:*", "resourceType": "CLUSTER", "resourceName": "kafka-cluster", "operation": "ALL", "permissionType": "ALLOW"},`;
  return acls;
}

/** Allow-all but every ACL on `name` (any type) denied. */
function denying(name: string): Policy {
  let acls = allowAll(true);
  for (let i = 0; i < 3; i++) {
    acls += `{"principal": "User:*", "resourceType": "${RESOURCE_TYPES[i]}", "resourceName": "${name}", "operation": "ALL", "permissionType": "DENY"},`;
  }
  return policyOf(`{"acls": [` + acls.slice(0, acls.length - 1) + `]}`);
}

const ALLOW_ALL = policyOf(`{"acls": [` + allowAll(true).slice(0, allowAll(true).length - 1) + `]}`);
const NO_CLUSTER = policyOf(`{"acls": [` + allowAll(false).slice(0, allowAll(false).length - 1) + `]}`);

const walk = new EntityWalk();

/** The names of the topics, groups and transactional ids `frame` names (ids as the names taught for them). */
function namesIn(frame: Uint8Array, apiKey: i16, version: i16): Array<string> {
  walk.reset();
  const r = new Reader(frame);
  walkRequestHeader(r, requestHeaderVersion(apiKey, version), walk);
  walkRequest(apiKey, r, version, walk);
  const names = new Array<string>();
  for (let i = 0; i < walk.count; i++) {
    const k = <EntityKind>walk.kind[i];
    let name: string | null = null;
    if (k == EntityKind.TopicId) {
      const id = walk.uuid(frame, i);
      if (topicName(id) == null) learnTopicId(id, "topic-by-id-" + i.toString());
      name = topicName(id);
    } else if (k == EntityKind.TopicName || k == EntityKind.GroupId || k == EntityKind.TransactionalId) {
      name = walk.text(frame, i);
    }
    if (name != null && !names.includes(name!)) names.push(name!);
  }
  return names;
}

/** The request of `frame` with every topic id zeroed; null when it names no topic by id. */
function withZeroTopicIds(frame: Uint8Array, apiKey: i16, version: i16): Message | null {
  walk.reset();
  const r = new Reader(frame);
  walkRequestHeader(r, requestHeaderVersion(apiKey, version), walk);
  walkRequest(apiKey, r, version, walk);
  const copy = frame.slice(0);
  let any = false;
  for (let i = 0; i < walk.count; i++) {
    if (<EntityKind>walk.kind[i] != EntityKind.TopicId) continue;
    for (let b = 0; b < 16; b++) copy[walk.start[i] + b] = 0;
    any = true;
  }
  if (!any) return null;
  const decoded = decodeRequest(copy, true);
  return decoded.error.length == 0 ? decoded.body : null;
}

let compared = 0, viewPassed = 0, decodedOnly = 0, deniedNamed = 0;
const wrong = new Array<string>();

/** One sample under one policy: what the view decides against what the decoded check does. */
function compare(policy: Policy, key: i16, version: i16, what: string, mustPass: bool): void {
  compareBody(policy, key, version, sampleMessage(key, true, version, 0)!, what, mustPass);
}

function compareBody(policy: Policy, key: i16, version: i16, body: Message, what: string, mustPass: bool): void {
  const frame = requestBytes(key, version, body);
  const probe = contextFor(policy, session("User:alice"), key, version, body);
  probe.explainsRefusals = false;
  const fromView = passesFromView(probe, ruleOf(key), frame);
  const full = contextFor(policy, session("User:alice"), key, version, body);
  const v = checkRequest(full);
  const untouched = v.kind == VerdictKind.Pass && full.after == null && full.refusals.length == 0 && full.unknownTopicIds.length == 0;
  compared++;
  if (fromView) viewPassed++;
  if (fromView && !untouched) wrong.push(what + ": the view lets through what the decoded check " + (v.kind == VerdictKind.Pass ? "passes with more to do" : "refuses"));
  if (!fromView && untouched) {
    decodedOnly++;
    if (mustPass) wrong.push(what + ": allowed everything, yet the view sent it to the decoded check");
  }
  if (!mustPass && !fromView) deniedNamed++;
}

describe("the rules table's allow path", () => {
  it("lets a request through only when the decoded check would pass it untouched", () => {
    let apis = 0;
    for (let k = 0; k < API_KEYS.length; k++) {
      const key = API_KEYS[k];
      const rule = ruleOf(key);
      if (!rule.viewDecides || minVersion(key) < 0) continue;
      apis++;
      for (let v = minVersion(key); v <= maxVersion(key); v++) {
        const version = <i16>v;
        const what = apiName(key)! + " v" + version.toString();
        const frame = requestBytes(key, version, sampleMessage(key, true, version, 0)!);
        const names = namesIn(frame, key, version);
        // Produce's samples carry records that are no record batches: refused as malformed in any policy.
        compare(ALLOW_ALL, key, version, what + " allow-all", key != 0);
        compare(NO_CLUSTER, key, version, what + " without cluster ACLs", false);
        for (let i = 0; i < names.length; i++) compare(denying(names[i]), key, version, what + " denying " + names[i], false);
        // Every topic id zeroed (a zero id names no topic, except beside a name in Metadata).
        const zeroed = withZeroTopicIds(frame, key, version);
        if (zeroed != null) compareBody(ALLOW_ALL, key, version, zeroed, what + " zero topic ids", false);
      }
    }
    for (let i = 0; i < min(wrong.length, 40); i++) log(wrong[i]);
    log(apis.toString() + " APIs, " + compared.toString() + " cases: " + viewPassed.toString() + " let through by the view, "
      + decodedOnly.toString() + " passed untouched only by the decoded check, " + deniedNamed.toString() + " sent on to it");
    expect(wrong.length).toBe(0);
    expect(apis).toBeGreaterThan(40);
    expect(viewPassed).toBeGreaterThan(150);
    expect(deniedNamed).toBeGreaterThan(150);
  });

  it("decides Metadata as clients send it: names with zero ids, auto-creation on or off", () => {
    // The generated samples name their topics by id; clients mostly name them, with zero ids.
    const describeOnly = policyOf(`{"acls": [{"principal": "User:*", "host": "*", "resourceType": "TOPIC", "resourceName": "ok.", "resourcePatternType": "PREFIXED", "operation": "DESCRIBE", "permissionType": "ALLOW"}]}`);
    const createLimited = policyOf(`{"acls": [` + allowAll(true).slice(0, allowAll(true).length - 1) + `], "limits": {"createTopics": {"topicNameGlob": "other.*"}}}`);
    const before = compared, passedBefore = viewPassed;
    for (let v: i16 = 1; v <= maxVersion(3); v++) {
      for (let auto = 0; auto < 2; auto++) {
        for (let byId = 0; byId < 2; byId++) {
          const req = new MetadataRequestData();
          const topics = new Array<MetadataRequestTopic>();
          for (let i = 0; i < 2; i++) {
            const t = new MetadataRequestTopic();
            t.name = "ok.meta" + i.toString();
            if (byId == 1 && v >= 10) {
              t.topicId = new Uuid(0x1234, 0x5678 + i);
              learnTopicId(t.topicId, t.name!);
            }
            topics.push(t);
          }
          req.topics = topics;
          req.allowAutoTopicCreation = auto == 1;
          const what = "Metadata v" + v.toString() + (auto == 1 ? " auto-create" : "") + (byId == 1 ? " by id" : "");
          compareBody(ALLOW_ALL, 3, v, req, what + " allow-all", v >= 4 || auto == 1);
          compareBody(describeOnly, 3, v, req, what + " describe only", false);
          compareBody(createLimited, 3, v, req, what + " createTopics limited", false);
          compareBody(denying("ok.meta1"), 3, v, req, what + " denying ok.meta1", false);
        }
      }
    }
    for (let i = 0; i < min(wrong.length, 40); i++) log(wrong[i]);
    log((compared - before).toString() + " Metadata cases, " + (viewPassed - passedBefore).toString() + " let through by the view");
    expect(wrong.length).toBe(0);
    expect(viewPassed - passedBefore).toBeGreaterThan(20);
  });

  it("names the entity list of every row whose check splits one", () => {
    // Under deny-all every listed entity is refused: a row whose check splits a list the table
    // does not name would close the connection instead (rules.ts: checkListedWith).
    const denyAll = policyOf(`{"acls": []}`);
    let checked = 0;
    const unnamed = new Array<string>();
    for (let k = 0; k < API_KEYS.length; k++) {
      const key = API_KEYS[k];
      if (minVersion(key) < 0) continue;
      for (let v = minVersion(key); v <= maxVersion(key); v++) {
        const version = <i16>v;
        const body = sampleMessage(key, true, version, 0)!;
        const verdict = checkRequest(contextFor(denyAll, session("User:eve"), key, version, body));
        checked++;
        if (verdict.kind == VerdictKind.Close && verdict.reason.includes("names no entity list")) unnamed.push(apiName(key)! + " v" + version.toString());
      }
    }
    for (let i = 0; i < unnamed.length; i++) log(unnamed[i]);
    expect(checked).toBeGreaterThan(290);
    expect(unnamed.length).toBe(0);
  });
});
