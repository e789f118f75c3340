// One request under the policy: what it is, who sent it, and the ways to answer it.
// Per-API checks (apis/*.ts) read the decoded body, ask `allowed`, and end with one of
// pass / forward / respond / close, optionally leaving a ResponseRewrite for the reply.

import { Message } from "../protocol/message";
import { Writer } from "../protocol/writer";
import { encodeRequestWith, encodeResponseWith, DecodedRequest } from "../codec/frame";
import { writeFilterRequest, writeFilterResponse } from "../messages/filter-codecs";
import { errorName, UNKNOWN_TOPIC_ID } from "../protocol/errors";
import { Uuid } from "../protocol/uuid";
import { ResponseHeaderData } from "../messages/ResponseHeader";
import { newResponse, responseHeaderVersion, apiName } from "../messages/apis";
import { refuseAll } from "../messages/refusals";
import { Policy, authorizationErrorCode } from "../policy/policy";
import { ResourceType, resourceTypeName, operationName, decisionAllowed } from "../policy/acl";
import { topicName } from "./topic-ids";
import { RequestHeader, Verdict } from "../filter/seam";
import { Session } from "./session";
import { ResponseRewrite } from "./rewrite";
import { RequestTrace, AclCheck, TracedDenial } from "./trace";
import { ResourceDecision, decisionWords, sampleAllow, upperErrorName } from "./audit";
import { ExternalAuthorizer, Answer } from "./external";

const ZERO_TOPIC_ID = "the zero topic id names no topic";
const UNSEEN_TOPIC_ID = "topic id not yet seen in a broker's answer";
const UNSEEN_TOPIC_ID_ASKED = "topic id not yet seen in a broker's answer (asked of the broker now)";
/** Ids asked of the broker for one request at most: a client cannot make a lookup huge. */
const MAX_LOOKUP_IDS = 100;

export class RequestContext {
  /** Set by a check that needs to see (and maybe change) the broker's response. */
  after: ResponseRewrite | null = null;
  /**
   * Refusals recorded for this request; logged and counted once the verdict is settled (as
   * DENIED, or WOULD_DENY in audit mode): see audit.ts and Enforcer.onRequest.
   */
  refusals: Array<ResourceDecision> = new Array<ResourceDecision>();
  /** Allowed ACL checks the audit trail keeps ("audit.allows": "all", sampled). */
  keptAllows: Array<ResourceDecision> = new Array<ResourceDecision>();
  /** Set from "audit": one allowed ACL check in this many is kept (0: none). */
  allowSampleRate: i32 = 0;
  /**
   * A refusal that is not the policy's but the request's own fault (a record batch that does
   * not parse): enforced in audit mode too.
   */
  malformed: bool = false;
  /** Topic ids this request named that no broker answer has told the filter yet. */
  unknownTopicIds: Array<Uuid> = new Array<Uuid>();
  /** Topics whose partition counts this request's check needs and the filter has not learnt (topic-partitions.ts). */
  unknownPartitionCounts: Array<string> = new Array<string>();
  /** The streams group whose stored topology this request's check needs asked of the broker (streams-topologies.ts). */
  topologyWanted: string | null = null;

  constructor(
    readonly policy: Policy,
    readonly session: Session,
    public header: RequestHeader,
    readonly request: DecodedRequest,
  ) {}

  /**
   * The request is decided and its decisions are recorded. What a check left for the response
   * (`after`) keeps this context, for the session and the policy, while the request waits for
   * its answer; a client that keeps many requests waiting must not keep their frames, decoded
   * bodies and decisions in memory with them (tens of thousands of refused names each).
   */
  settle(): void {
    this.request.body = null;
    this.request.frame = null;
    this.refusals = new Array<ResourceDecision>();
    this.keptAllows = new Array<ResourceDecision>();
  }

  /**
   * Makes this context a fresh one for `header` (same policy, session and request): for the
   * context the allow path probes with on every request (Enforcer), not allocated anew.
   */
  reuseFor(header: RequestHeader): void {
    this.header = header;
    this.after = null;
    this.refusals.length = 0;
    this.keptAllows.length = 0;
    this.malformed = false;
    this.unknownTopicIds.length = 0;
    this.unknownPartitionCounts.length = 0;
    this.topologyWanted = null;
  }

  get apiKey(): i16 { return this.header.apiKey; }
  get version(): i16 { return this.header.apiVersion; }
  get body(): Message { return this.request.body!; }
  /** The request's bytes, for the checks that read its view (rules.ts); null on a probing context. */
  get frame(): Uint8Array | null { return this.request.frame; }
  get apiName(): string {
    const n = apiName(this.header.apiKey);
    return n != null ? n : "api_key_" + this.header.apiKey.toString();
  }

  /** Every ACL question and denial of this request, when explaining it; null in the filter. */
  trace: RequestTrace | null = null;

  /** Set when a policy service answers the ACL questions instead of the policy's ACLs. */
  external: ExternalAuthorizer | null = null;

  /** The policy's packed decision of the last `allowed` asked of the policy's ACLs (not of a policy service). */
  private lastDecision: i32 = 0;

  /** Kafka's authorizer decision for this connection's principal and host. */
  allowed(resourceType: i32, name: string, operation: i32): bool {
    return this.answer(resourceType, name, operation) == Answer.Allowed;
  }

  /**
   * `allowed`, telling a refusal from a policy service's answer not in yet (Pending): a
   * request waits for it, a response cannot (it is asked now, for the next one).
   */
  answer(resourceType: i32, name: string, operation: i32): Answer {
    const ext = this.external;
    if (ext != null) return ext.answer(this.session.principal, this.session.host, resourceType, name, operation, false);
    const d = this.policy.authorizer.decide(this.session.principal, this.session.host, resourceType, name, operation);
    this.lastDecision = d;
    const trace = this.trace;
    const ok = decisionAllowed(d);
    if (trace != null) trace.checks.push(new AclCheck(resourceType, name, operation, ok, d));
    return ok ? Answer.Allowed : Answer.Denied;
  }

  /** Bit `op` for each of `operations` allowed on the resource (Kafka's AuthHelper.authorizedOperations). */
  allowedOperations(resourceType: i32, name: string, operations: StaticArray<i32>): i32 {
    if (this.external == null && this.trace == null) {
      return this.policy.authorizer.allowedOperations(this.session.principal, this.session.host, resourceType, name, operations);
    }
    let bits = 0;
    for (let i = 0; i < operations.length; i++) {
      const op = unchecked(operations[i]);
      if (this.allowed(resourceType, name, op)) bits |= 1 << op;
    }
    return bits;
  }

  /**
   * May this principal do `operation` on every resource of the type (Policy.isAllowedOnEveryResource)?
   * A policy service cannot be asked that: false.
   */
  allowedOnEveryResource(resourceType: i32, operation: i32): bool {
    return this.external == null && this.policy.isAllowedOnEveryResource(this.session.principal, this.session.host, resourceType, operation);
  }

  /** May this principal do `operation` on some resource of the type? (Authorizer.authorizeByResourceType) */
  allowedOnSomeResource(resourceType: i32, operation: i32): bool {
    const ext = this.external;
    if (ext != null) return ext.allowed(this.session.principal, this.session.host, resourceType, "", operation, true);
    const ok = this.policy.isAllowedByResourceType(this.session.principal, this.session.host, resourceType, operation);
    const trace = this.trace;
    if (trace != null) trace.checks.push(new AclCheck(resourceType, "", operation, ok, 0));
    return ok;
  }

  /**
   * False on a context that only probes (the allow path, apis/rules.ts): any refusal
   * sends the request to the full check, which explains and records it, so `check` answers
   * the code without asking the policy why.
   */
  explainsRefusals: bool = true;

  /**
   * Checks an ACL and records a denial; returns the error code to answer with (0 if allowed).
   */
  check(resourceType: i32, name: string, operation: i32): i16 {
    if (this.allowed(resourceType, name, operation)) {
      if (this.allowSampleRate > 0 && sampleAllow(this.allowSampleRate)) {
        const ext = this.external;
        if (ext != null) {
          this.keptAllows.push(new ResourceDecision(resourceTypeName(resourceType), name, operationName(operation), "external",
            ext.reason(this.session.principal, this.session.host, resourceType, name, operation, false), "NONE"));
        } else {
          const words = decisionWords(operation, this.lastDecision);
          this.keptAllows.push(new ResourceDecision(resourceTypeName(resourceType), name, operationName(operation), words.rule, words.reason, "NONE"));
        }
      }
      return 0;
    }
    const code = authorizationErrorCode(resourceType);
    if (!this.explainsRefusals) return code;
    const ext = this.external;
    if (ext != null) {
      // denyOn: deny() would join "TYPE:name" and take it apart again, two copies of a name
      // that may be 32,000 characters, for each name of a request.
      this.denyOn(resourceTypeName(resourceType), name, operationName(operation) + " not allowed (" +
        ext.reason(this.session.principal, this.session.host, resourceType, name, operation, false) + ")", code, operationName(operation), "external");
      return code;
    }
    const words = decisionWords(operation, this.lastDecision);
    this.denyOn(resourceTypeName(resourceType), name, words.reason, code, operationName(operation), words.rule);
    return code;
  }

  /**
   * Records one refusal of `resource` ("TYPE:name"): logged and counted with the verdict.
   * `operation` and `rule` ("acls[3]", "default", ...) when an ACL check refused it.
   */
  deny(resource: string, reason: string, code: i16, operation: string = "", rule: string = ""): void {
    const trace = this.trace;
    if (trace != null) trace.denials.push(new TracedDenial(resource, reason, errorName(code)));
    this.refusals.push(ResourceDecision.refusal(resource, reason, errorName(code), operation, rule));
  }

  /** deny() of a resource of Kafka's `resourceType` ("TOPIC"): the ACL checks' refusals, with no "TYPE:name" to take apart again. */
  private denyOn(resourceType: string, name: string, reason: string, code: i16, operation: string, rule: string): void {
    const trace = this.trace;
    if (trace != null) trace.denials.push(new TracedDenial(resourceType + ":" + name, reason, errorName(code)));
    this.refusals.push(new ResourceDecision(resourceType, name, operation, rule, reason, upperErrorName(code)));
  }

  /** A refusal because the request itself is broken, not because of the policy: enforced in every mode. */
  denyMalformed(resource: string, reason: string, code: i16): void {
    this.malformed = true;
    this.deny(resource, reason, code);
  }

  /**
   * The error for `operation` on a topic (0 if allowed), given by name, or by id when `name` is
   * null: the one place a topic id becomes a name (the name a broker's answer taught this VM,
   * topic-ids.ts), or a refusal when none did.
   */
  checkTopic(name: string | null, id: Uuid, operation: i32): i16 {
    const resolved = name != null ? name : this.topicNameOf(id);
    return resolved != null ? this.check(ResourceType.Topic, resolved, operation) : UNKNOWN_TOPIC_ID;
  }

  /** The name of a topic given by id, or null, refused (refuseUnknownTopicId), when no broker answer told it. */
  topicNameOf(id: Uuid): string | null {
    const name = topicName(id);
    if (name == null) this.refuseUnknownTopicId(id);
    return name;
  }

  /**
   * The refusal of a topic named by an id no broker answer has told this Envoy: it cannot be
   * authorized, so it gets UNKNOWN_TOPIC_ID (Kafka's answer for an id it does not know, which
   * clients retry after refreshing their metadata), and the filter asks the broker for the
   * id (Enforcer.onRequest), so that the retry finds it.
   */
  refuseUnknownTopicId(id: Uuid): i16 {
    const asked = this.askTopicId(id);
    // Constant reasons, and the id's text once: a request may name 200,000 unknown ids.
    const reason = id.isZero() ? ZERO_TOPIC_ID : asked ? UNSEEN_TOPIC_ID_ASKED : UNSEEN_TOPIC_ID;
    this.denyOn("TOPIC_ID", id.toString(), reason, UNKNOWN_TOPIC_ID, "", "");
    return UNKNOWN_TOPIC_ID;
  }

  /**
   * Asks the broker for `id`'s name with a Metadata request of the filter's own, sent ahead of
   * this request (Enforcer.onRequest); false when it is not asked (the zero id, or as many ids
   * asked as one lookup carries).
   */
  askTopicId(id: Uuid): bool {
    const ids = this.unknownTopicIds;
    for (let i = 0; i < ids.length; i++) if (unchecked(ids[i]).equals(id)) return true;
    if (id.isZero() || ids.length >= MAX_LOOKUP_IDS) return false;
    ids.push(id);
    return true;
  }

  /** Sends the request on unchanged (the allow path: no re-encode). */
  pass(): Verdict { return Verdict.pass(); }

  /** Sends `body` upstream instead of the client's request (same header, same version). */
  forward(body: Message): Verdict {
    const w = new Writer(this.header.frameSize + 64);
    encodeRequestWith(w, this.request.header, this.request.headerVersion, body, this.version, writeFilterRequest);
    if (w.failed) return Verdict.close("could not encode the rewritten " + this.apiName + " request: " + w.error);
    return Verdict.replace(w.bytes().slice(4));
  }

  /** Answers the client with `body` without asking the broker (in order with other responses). */
  respond(body: Message): Verdict {
    const bytes = encodeResponse(this.header.correlationId, this.apiKey, this.version, body);
    if (bytes == null) return Verdict.close("could not encode the " + this.apiName + " response");
    return Verdict.respond(bytes);
  }

  /**
   * Answers the whole request with `code` on everything it names, `message` beside each (the
   * generated refusal, messages/refusals.ts); closed when its response has nowhere to carry it.
   */
  refuseWhole(code: i16, message: string | null): Verdict {
    const body = refuseAll(this.apiKey, this.body, this.version, code, message);
    if (body != null) return this.respond(body);
    return Verdict.close(this.apiName + " refused (" + errorName(code) + ") and its response cannot carry the error");
  }

  /** A fresh response body of this request's API, to fill with errors. */
  newResponse(): Message { return newResponse(this.apiKey)!; }

}

/** Response header + body, without size prefix; null if the body cannot be encoded at `version`. */
export function encodeResponse(correlationId: i32, apiKey: i16, version: i16, body: Message): Uint8Array | null {
  const header = new ResponseHeaderData();
  header.correlationId = correlationId;
  const w = new Writer(256);
  encodeResponseWith(w, header, responseHeaderVersion(apiKey, version), apiKey, body, version, writeFilterResponse);
  return w.failed ? null : w.bytes().slice(4);
}
