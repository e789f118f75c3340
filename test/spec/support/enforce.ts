// Drives the policy layer as the filter does, without Envoy: a request Message goes in as the
// bytes a client would send, and the verdict's bytes come back decoded.

import { Message } from "../../../assembly/protocol/message";
import { Writer } from "../../../assembly/protocol/writer";
import { Reader } from "../../../assembly/protocol/reader";
import { decodeRequest, decodeResponse, encodeFrame, DecodedRequest, DecodedResponse } from "../../../assembly/codec/frame";
import { RequestHeaderData } from "../../../assembly/messages/RequestHeader";
import { requestHeaderVersion } from "../../../assembly/messages/apis";
import { RequestHeader, Verdict, VerdictKind } from "../../../assembly/filter/seam";
import { Policy } from "../../../assembly/policy/policy";
import { RequestContext, encodeResponse } from "../../../assembly/enforce/context";
import { Session } from "../../../assembly/enforce/session";
import { authorize } from "../../../assembly/enforce/apis/authorize";

export const CORRELATION_ID: i32 = 4242;

export function policyOf(json: string): Policy {
  const r = Policy.load(json);
  if (r.policy == null) abort("test policy refused: " + r.error);
  return r.policy!;
}

export function session(principal: string, host: string = "127.0.0.1"): Session {
  const s = new Session();
  s.principal = principal;
  s.host = host;
  return s;
}

/** The request as a client would frame it (header + body, no size prefix). */
export function requestBytes(apiKey: i16, version: i16, body: Message): Uint8Array {
  const h = new RequestHeaderData();
  h.requestApiKey = apiKey;
  h.requestApiVersion = version;
  h.correlationId = CORRELATION_ID;
  h.clientId = "spec-client";
  const w = new Writer();
  encodeFrame(w, h, requestHeaderVersion(apiKey, version), body, version);
  if (w.failed) abort("test request does not encode: " + w.error);
  return w.bytes().slice(4);
}

/** A RequestContext for `body`, decoded from its bytes as the filter would. */
export function contextFor(policy: Policy, s: Session, apiKey: i16, version: i16, body: Message): RequestContext {
  const frame = requestBytes(apiKey, version, body);
  const decoded = decodeRequest(frame);
  if (decoded.error.length > 0) abort("test request does not decode: " + decoded.error);
  const header = new RequestHeader(apiKey, version, CORRELATION_ID, "spec-client", 0, frame.length);
  return new RequestContext(policy, s, header, decoded);
}

/** authorize() on a fresh context; the context is returned for `after`. */
export function run(policy: Policy, s: Session, apiKey: i16, version: i16, body: Message, out: Array<RequestContext>): Verdict {
  const ctx = contextFor(policy, s, apiKey, version, body);
  out.push(ctx);
  return authorize(ctx);
}

/** The response a Respond verdict carries, decoded at the request's version. */
export function respondedBody(v: Verdict, apiKey: i16, version: i16): Message {
  if (v.kind != VerdictKind.Respond) abort("expected a Respond verdict, got kind " + v.kind.toString() + " " + v.reason);
  const d = decodeResponse(v.bytes!, apiKey, version);
  if (d.error.length > 0) abort("synthesized response does not decode: " + d.error);
  if (d.header.correlationId != CORRELATION_ID) abort("synthesized response has the wrong correlation id");
  return d.body!;
}

/** The request a Replace verdict forwards, decoded. */
export function forwardedBody(v: Verdict): Message {
  if (v.kind != VerdictKind.Replace) abort("expected a Replace verdict, got kind " + v.kind.toString() + " " + v.reason);
  const d = decodeRequest(v.bytes!);
  if (d.error.length > 0) abort("forwarded request does not decode: " + d.error);
  return d.body!;
}

/** Runs a response rewrite the way the filter does: bytes in, decoded body changed in place. */
export function rewriteResponse(ctx: RequestContext, apiKey: i16, version: i16, response: Message): bool {
  const after = ctx.after;
  if (after == null) return false;
  return after.apply(response, version);
}

/**
 * What the rewrite left by `ctx`'s request tells of `response` from its bytes (fromView, as the
 * Enforcer asks first; no walk given: APIs without lessons): the verdict's kind, -1 when it
 * takes the decoded response.
 */
export function rewriteFromBytes(ctx: RequestContext, apiKey: i16, version: i16, response: Message): i32 {
  const after = ctx.after;
  if (after == null) return -1;
  const v = after.fromView(null, encodeResponse(CORRELATION_ID, apiKey, version, response)!, version);
  return v == null ? -1 : <i32>v.kind;
}
