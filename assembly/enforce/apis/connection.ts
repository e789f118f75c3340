// The connection-level APIs: ApiVersions (capped to the versions our codecs know, so a client
// never speaks a version the filter cannot parse), SASL (the principal, as Kafka derives it),
// and client telemetry (Kafka makes no ACL check for it).

import { Message } from "../../protocol/message";
import { UNSUPPORTED_VERSION } from "../../protocol/errors";
import { API_KEYS, minVersion, maxVersion } from "../../messages/apis";
import { ApiVersionsResponseData, ApiVersion } from "../../messages/ApiVersionsResponse";
import { SaslHandshakeRequestData } from "../../messages/SaslHandshakeRequest";
import { SaslAuthenticateRequestData } from "../../messages/SaslAuthenticateRequest";
import { SaslAuthenticateResponseData } from "../../messages/SaslAuthenticateResponse";
import { RequestHeader, Verdict } from "../../filter/seam";
import { RequestContext, encodeResponse } from "../context";
import { ResponseRewrite } from "../rewrite";
import { Session } from "../session";
import { info } from "../../runtime/host";

export function checkApiVersions(ctx: RequestContext): Verdict {
  ctx.after = CAP_API_VERSIONS;
  return ctx.pass();
}

/** Keeps each api key's range within what the codecs know; drops keys they do not know. */
class CapApiVersions extends ResponseRewrite {
  apply(body: Message, version: i16): bool {
    const r = changetype<ApiVersionsResponseData>(body);
    const kept = new Array<ApiVersion>();
    let changed = false;
    for (let i = 0; i < r.apiKeys.length; i++) {
      const a = unchecked(r.apiKeys[i]);
      const lo = minVersion(a.apiKey);
      const hi = maxVersion(a.apiKey);
      if (lo < 0 || a.maxVersion < lo || a.minVersion > hi) {
        changed = true;
        continue;
      }
      if (a.minVersion < lo) { a.minVersion = lo; changed = true; }
      if (a.maxVersion > hi) { a.maxVersion = hi; changed = true; }
      kept.push(a);
    }
    r.apiKeys = kept;
    return changed;
  }
}

const CAP_API_VERSIONS = new CapApiVersions();

/**
 * An ApiVersions request newer than our codecs: answered as Kafka's broker does, with a v0
 * response saying UNSUPPORTED_VERSION and the versions we know, so the client retries lower.
 */
export function answerUnsupportedApiVersions(header: RequestHeader): Verdict {
  const r = new ApiVersionsResponseData();
  r.errorCode = UNSUPPORTED_VERSION;
  for (let i = 0; i < API_KEYS.length; i++) {
    const k = unchecked(API_KEYS[i]);
    if (minVersion(k) < 0) continue;
    const a = new ApiVersion();
    a.apiKey = k;
    a.minVersion = minVersion(k);
    a.maxVersion = maxVersion(k);
    r.apiKeys.push(a);
  }
  const bytes = encodeResponse(header.correlationId, 18, 0, r);
  return bytes != null ? Verdict.respond(bytes) : Verdict.close("could not encode an ApiVersions response");
}

export function checkSaslHandshake(ctx: RequestContext): Verdict {
  const s = ctx.session;
  // A new handshake starts (re-)authentication: the principal changes only when it succeeds.
  s.saslMechanism = changetype<SaslHandshakeRequestData>(ctx.body).mechanism;
  s.saslUser = "";
  s.saslRounds = 0;
  return ctx.pass();
}

export function checkSaslAuthenticate(ctx: RequestContext): Verdict {
  const s = ctx.session;
  if (s.saslUser.length == 0) s.saslUser = saslUserName(s.saslMechanism, changetype<SaslAuthenticateRequestData>(ctx.body).authBytes);
  return ctx.pass();
}

/** The broker's answer to SaslAuthenticate: on the last successful round, the principal is set. */
export function observeSaslAuthenticate(s: Session, body: Message): void {
  const r = changetype<SaslAuthenticateResponseData>(body);
  if (r.errorCode != 0) {
    s.saslUser = "";
    s.saslRounds = 0;
    return;
  }
  s.saslRounds++;
  // PLAIN takes one round; SCRAM two (client-first, client-final).
  const rounds = s.saslMechanism.startsWith("SCRAM-") ? 2 : 1;
  if (s.saslRounds == rounds && s.saslUser.length > 0) {
    const principal = "User:" + s.saslUser;
    if (principal != s.principal) info("kafka filter: authenticated " + principal + " via SASL/" + s.saslMechanism + " from " + s.host);
    s.principal = principal;
  }
}

/**
 * The user name in a mechanism's first client message, as Kafka's server side reads it:
 * PLAIN "authzid NUL authcid NUL password" (the authcid); SCRAM "gs2-header,n=user,r=nonce".
 * "" for other mechanisms (OAUTHBEARER keeps the current principal).
 */
export function saslUserName(mechanism: string, auth: Uint8Array): string {
  if (mechanism == "PLAIN") {
    let first = -1, second = -1;
    for (let i = 0; i < auth.length; i++) {
      if (auth[i] != 0) continue;
      if (first < 0) first = i;
      else { second = i; break; }
    }
    if (first < 0 || second < 0) return "";
    return String.UTF8.decodeUnsafe(auth.dataStart + <usize>(first + 1), <usize>(second - first - 1));
  }
  if (mechanism.startsWith("SCRAM-")) {
    const text = String.UTF8.decodeUnsafe(auth.dataStart, <usize>auth.length);
    const parts = text.split(",");
    for (let i = 2; i < parts.length; i++) {
      const p = unchecked(parts[i]);
      if (p.startsWith("n=")) return p.substring(2).replaceAll("=2C", ",").replaceAll("=3D", "=");
    }
  }
  return "";
}

export function checkTelemetry(ctx: RequestContext): Verdict { return ctx.pass(); }
