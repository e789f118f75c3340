// Entry point of build/policy.wasm, the module behind `kafka-wasm policy`: the filter's own
// configuration validator, ACL authorizer and per-API checks, exposed as plain functions that
// answer in JSON. The checks log denials and count them through the proxy-wasm host, so the
// CLI instantiates this module with stand-ins for those host calls (tools/policy.ts).

import { JsonErrors } from "./json/value";
import { JsonWriter } from "./json/writer";
import { loadConfig } from "./enforce/config";
import { readRequestHeader } from "./filter/header";
import { VerdictKind } from "./filter/seam";
import { decodeRequest } from "./codec/frame";
import { apiKeyByName } from "./messages/apis";
import {
  Acl, AclOperation, ResourceType, CLUSTER_RESOURCE_NAME, authzReasonName, decisionAclIndex, decisionAllowed,
  decisionReason, isValidPrincipal, operationName, parseOperation, parseResourceType, patternTypeName,
  permissionName, resourceTypeName, AuthzResult,
} from "./policy/acl";
import { Policy } from "./policy/policy";
import { RequestContext } from "./enforce/context";
import { Session } from "./enforce/session";
import { checkRequest } from "./enforce/apis/authorize";
import { RequestTrace } from "./enforce/trace";
import { encode, error as encodeError } from "./cli";
import { kafkaTlsPrincipal, kafkaPrincipalOfName } from "./enforce/tls-principal";
import { join } from "./runtime/strings";

let lastError: string = "";

/** Why the last call returned "". */
export function error(): string { return lastError; }

/** Every problem of a plugin configuration as a JSON array of "path: why" (empty: accepted). */
export function check(config: string): string {
  const errors = JsonErrors.collectingAll();
  const r = loadConfig(config, errors);
  const j = new JsonWriter();
  j.beginArray();
  for (let i = 0; i < errors.all.length; i++) j.string(errors.all[i]);
  // The loader's verdict is the one the filter acts on; a refusal always has a reason listed.
  if (r.config == null && errors.all.length == 0) j.string(r.error);
  j.endArray();
  return j.toString();
}

/** Kafka's key of an API name ("Produce", any case); -1 when unknown. */
export function apiKey(name: string): i32 { return apiKeyByName(name); }

function policyOf(config: string): Policy | null {
  const r = loadConfig(config);
  if (r.config == null) {
    lastError = "the configuration is refused: " + r.error + " (kafka-wasm policy check lists every problem)";
    return null;
  }
  const external = r.config!.external;
  if (external != null) {
    lastError = "this configuration hands every ACL question to an external policy service (\"external\": cluster \"" +
      external.cluster + "\", path " + external.path + "); ask it instead (README: External decisions shows the input document)";
    return null;
  }
  return r.config!.policy;
}

function checkPrincipal(principal: string): bool {
  if (isValidPrincipal(principal)) return true;
  lastError = "principal \"" + principal + "\" is not \"Type:name\" (e.g. \"User:alice\")";
  return false;
}

function writeAcl(j: JsonWriter, acl: Acl): void {
  j.beginObject();
  j.key("index"); j.int(acl.index);
  j.key("principal"); j.string(acl.principal);
  j.key("host"); j.string(acl.host);
  j.key("resourceType"); j.string(resourceTypeName(acl.resourceType));
  j.key("resourceName"); j.string(acl.resourceName);
  j.key("resourcePatternType"); j.string(patternTypeName(acl.patternType));
  j.key("operation"); j.string(operationName(acl.operation));
  j.key("permissionType"); j.string(permissionName(acl.permission));
  j.endObject();
}

/** The decision's fields: allowed, reason, the deciding ACL (or null), and the authorizer's words. */
function writeDecision(j: JsonWriter, policy: Policy, decision: i32): void {
  const result = new AuthzResult(decisionAllowed(decision), decisionReason(decision), decisionAclIndex(decision));
  j.key("allowed"); j.bool(result.allowed);
  j.key("reason"); j.string(authzReasonName(result.reason));
  j.key("acl");
  if (result.aclIndex >= 0) writeAcl(j, policy.authorizer.acls[result.aclIndex]);
  else j.nullValue();
  j.key("explanation"); j.string(result.describe());
}

/**
 * One ACL question: may `principal` from `host` do `operation` on `resource` ("TOPIC:orders.eu",
 * "GROUP:app", "TRANSACTIONAL_ID:tx", "CLUSTER")? JSON, or "" with error().
 */
export function explainAcl(config: string, principal: string, host: string, resource: string, operation: string): string {
  lastError = "";
  const policy = policyOf(config);
  if (policy == null || !checkPrincipal(principal)) return "";
  const colon = resource.indexOf(":");
  const typeName = colon < 0 ? resource : resource.substring(0, colon);
  const type = parseResourceType(typeName);
  let name = colon < 0 ? "" : resource.substring(colon + 1);
  if (type == ResourceType.Cluster && colon < 0) name = CLUSTER_RESOURCE_NAME;
  if (type <= ResourceType.Any) {
    lastError = "unknown resource type \"" + typeName + "\" (expected TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, DELEGATION_TOKEN or USER)";
    return "";
  }
  if (name.length == 0) {
    lastError = "resource \"" + resource + "\" names no resource (expected TYPE:name, e.g. TOPIC:orders.eu)";
    return "";
  }
  const op = parseOperation(operation);
  if (op <= AclOperation.All) {
    lastError = "unknown operation \"" + operation + "\" (expected READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, " +
      "CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, CREATE_TOKENS, DESCRIBE_TOKENS or TWO_PHASE_COMMIT)";
    return "";
  }
  const j = new JsonWriter();
  j.beginObject();
  j.key("principal"); j.string(principal);
  j.key("host"); j.string(host);
  j.key("resourceType"); j.string(resourceTypeName(type));
  j.key("resourceName"); j.string(name);
  j.key("operation"); j.string(operationName(op));
  writeDecision(j, policy, policy.authorizer.decide(principal, host, type, name, op));
  j.endObject();
  return j.toString();
}

/**
 * Many ACL questions about one policy, answered by the three ways the filter asks its
 * authorizer, for test/policy/acl-differential.test.ts. `questions`: one per line, fields
 * tab-separated, operations by Kafka's names joined with ",":
 *   "ops <principal> <host> <TYPE> <name> <OP,OP,...>": per operation "1" or "0" from decide()
 *     (one check), then a space, then the same from allowedOperations() (a Metadata or Describe
 *     answer's authorized operations);
 *   "type <principal> <host> <TYPE> - <OP>": "1" or "0" from authorizeByResourceType().
 * One answer line per question, or "" with error().
 */
export function authorizeAll(config: string, questions: string): string {
  lastError = "";
  const policy = policyOf(config);
  if (policy == null) return "";
  const authorizer = policy.authorizer;
  const lines = questions.split("\n");
  const answers = new Array<string>();
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].length == 0) continue;
    const f = lines[i].split("\t");
    const type = f.length == 6 ? parseResourceType(f[3]) : -1;
    const names = f.length == 6 ? f[5].split(",") : new Array<string>();
    const ops = new StaticArray<i32>(names.length);
    let known = type > ResourceType.Any;
    for (let k = 0; k < names.length; k++) {
      ops[k] = parseOperation(names[k]);
      known = known && ops[k] > AclOperation.All;
    }
    if (!known || !isValidPrincipal(f[1]) || (f[0] == "type" && ops.length != 1)) {
      lastError = "question " + (i + 1).toString() + " is not \"ops|type principal host TYPE name OP,...\": " + lines[i];
      return "";
    }
    if (f[0] == "type") {
      answers.push(authorizer.authorizeByResourceType(f[1], f[2], type, ops[0]) ? "1" : "0");
      continue;
    }
    let one = "", listed = "";
    const bits = authorizer.allowedOperations(f[1], f[2], type, f[4], ops);
    for (let k = 0; k < ops.length; k++) {
      one += decisionAllowed(authorizer.decide(f[1], f[2], type, f[4], ops[k])) ? "1" : "0";
      listed += (bits & (1 << ops[k])) != 0 ? "1" : "0";
    }
    answers.push(one + " " + listed);
  }
  return join(answers, "\n");
}

/**
 * The principal the filter gives a TLS client, under the configuration's
 * filter.sslPrincipalMappingRules: from `subject` as Envoy gives it (BoringSSL's RFC 2253, as
 * `openssl x509 -noout -subject -nameopt RFC2253` prints it), or, `isKafkaName`, from the
 * distinguished name as Kafka writes it (X500Principal.getName()). JSON {"principal": ...}, or
 * "" with error() (the filter then closes the connection).
 */
export function tlsPrincipal(config: string, subject: string, isKafkaName: bool): string {
  lastError = "";
  const r = loadConfig(config);
  if (r.config == null) {
    lastError = "the configuration is refused: " + r.error + " (kafka-wasm policy check lists every problem)";
    return "";
  }
  const rules = r.config!.settings.sslPrincipalMapper;
  const p = isKafkaName ? kafkaPrincipalOfName(subject, rules) : kafkaTlsPrincipal(subject, rules);
  if (p.error.length > 0) { lastError = p.error; return ""; }
  const j = new JsonWriter();
  j.beginObject();
  j.key("principal"); j.string(p.principal);
  j.endObject();
  return j.toString();
}

const VERDICTS: StaticArray<string> = ["FORWARDED", "FORWARDED_REWRITTEN", "ANSWERED_BY_FILTER", "CONNECTION_CLOSED"];

/**
 * A whole request ({"header":…, "body":…}, the form `kafka-wasm decode` prints) put through the
 * filter's checks for a client `principal` at `host`: every ACL question they asked with its
 * decision, every denial, and what the filter does with the request. JSON, or "" with error().
 */
export function explainRequest(config: string, principal: string, host: string, requestJson: string): string {
  lastError = "";
  const policy = policyOf(config);
  if (policy == null || !checkPrincipal(principal)) return "";
  const framed = encode(requestJson, true, 0, 0);
  if (framed == null) {
    lastError = "the request does not encode: " + encodeError();
    return "";
  }
  const frame = framed.slice(4);
  const header = readRequestHeader(frame, frame.length);
  const decoded = decodeRequest(frame, true);
  if (header == null || decoded.error.length > 0) {
    lastError = "the request does not decode: " + decoded.error;
    return "";
  }
  const session = new Session();
  session.principal = principal;
  session.host = host;
  const ctx = new RequestContext(policy, session, header, decoded);
  const trace = new RequestTrace();
  ctx.trace = trace;
  const verdict = checkRequest(ctx);

  const j = new JsonWriter();
  j.beginObject();
  j.key("api"); j.string(ctx.apiName);
  j.key("apiVersion"); j.int(ctx.version);
  j.key("principal"); j.string(principal);
  j.key("host"); j.string(host);
  j.key("apiAllowedByLimits"); j.bool(policy.isApiKeyAllowed(ctx.apiKey));
  j.key("checks");
  j.beginArray();
  for (let i = 0; i < trace.checks.length; i++) {
    const c = trace.checks[i];
    j.beginObject();
    j.key("resourceType"); j.string(resourceTypeName(c.resourceType));
    if (c.onSomeResource) {
      // Kafka's authorizeByResourceType: a yes or no about the type, no single deciding ACL.
      j.key("onSomeResource"); j.bool(true);
      j.key("operation"); j.string(operationName(c.operation));
      j.key("allowed"); j.bool(c.allowed);
    } else {
      j.key("resourceName"); j.string(c.resourceName);
      j.key("operation"); j.string(operationName(c.operation));
      writeDecision(j, policy, c.decision);
    }
    j.endObject();
  }
  j.endArray();
  j.key("denials");
  j.beginArray();
  for (let i = 0; i < trace.denials.length; i++) {
    const d = trace.denials[i];
    j.beginObject();
    j.key("resource"); j.string(d.resource);
    j.key("reason"); j.string(d.reason);
    j.key("error"); j.string(d.error);
    j.endObject();
  }
  j.endArray();
  j.key("verdict"); j.string(VERDICTS[<i32>verdict.kind]);
  if (verdict.kind == VerdictKind.Close) {
    j.key("closeReason"); j.string(verdict.reason);
  }
  // Some checks also edit the broker's answer (e.g. a listing leaves out what may not be described).
  j.key("responseEdited"); j.bool(ctx.after != null);
  j.endObject();
  return j.toString();
}
