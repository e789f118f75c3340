// The connection-level APIs: ApiVersions (capped to the versions our codecs know, so a client
// never speaks a version the filter cannot parse), SASL (the principal, as Kafka derives it),
// and client telemetry (Kafka makes no ACL check for it).

import { Message } from "../../protocol/message";
import { Reader } from "../../protocol/reader";
import { EntityWalk } from "../../protocol/walk";
import { UNSUPPORTED_VERSION, errorName } from "../../protocol/errors";
import { API_KEYS, minVersion, maxVersion } from "../../messages/apis";
import { ApiVersionsResponseData, ApiVersion } from "../../messages/ApiVersionsResponse";
import { SaslHandshakeRequestData } from "../../messages/SaslHandshakeRequest";
import { SaslAuthenticateRequestData } from "../../messages/SaslAuthenticateRequest";
import { SaslAuthenticateResponseData } from "../../messages/SaslAuthenticateResponse";
import { SaslHandshakeResponseData } from "../../messages/SaslHandshakeResponse";
import { RequestHeader, Verdict } from "../../filter/seam";
import { RequestContext, encodeResponse } from "../context";
import { Rule } from "./rules";
import { ResponseRewrite } from "../rewrite";
import { Session } from "../session";
import { saslUserName } from "../sasl-names";
import { printable } from "../../runtime/host";
import { connectionLines } from "../../filter/connection-lines";
import { count, counter } from "../observe";
import { decodeResponseWith } from "../../codec/frame";
import { readFilterResponse } from "../../messages/filter-codecs";
import { apiName as statApiName } from "../../filter/stats";
import { join } from "../../runtime/strings";

/**
 * SASL exchanges the broker accepted (the principal set, or set again), rounds it refused, and
 * connections closed for a mechanism whose user the filter does not read or for a request sent
 * before the broker answered the first sign-in.
 */
const AUTHENTICATIONS = "kafka.sasl.authentications";
const AUTHENTICATION_FAILURES = "kafka.sasl.authentication_failures";
const MECHANISMS_REFUSED = "kafka.sasl.mechanisms_refused";
const SENT_WHILE_SIGNING_IN = "kafka.sasl.sent_while_signing_in";

/** Defines the SASL counters with the VM's first connection, so that dashboards find them at 0. */
export function defineSaslCounters(): void {
  counter(AUTHENTICATIONS);
  counter(AUTHENTICATION_FAILURES);
  counter(MECHANISMS_REFUSED);
  counter(SENT_WHILE_SIGNING_IN);
}

export function checkApiVersions(ctx: RequestContext, rule: Rule): Verdict {
  ctx.after = CAP_API_VERSIONS;
  return ctx.pass();
}

/** Keeps each api key's range within what the codecs know; drops keys they do not know. */
class CapApiVersions extends ResponseRewrite {
  get enforcesPolicy(): bool { return false; }

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

  /**
   * The same caps, read from the answer's bytes: every connection's first answer, so not
   * decoded. A range that only narrows is written over in a copy (Kafka 4.x offers Produce
   * from v0 for old clients' version negotiation, our codecs know v3 up); a key to drop, or an
   * error answer (possibly in v0's layout), takes the decoded path.
   */
  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    const narrowed = narrowRanges(frame, version);
    if (narrowed < 0) return null;
    if (narrowed == 0) return Verdict.pass();
    const capped = frame.slice();
    for (let k = 0; k < patchAt.length; k++) {
      store<u16>(capped.dataStart + <usize>unchecked(patchAt[k]), bswap<u16>(<u16>unchecked(patchTo[k])));
    }
    return Verdict.replace(capped);
  }
}

const CAP_API_VERSIONS = new CapApiVersions();

// Where an ApiVersions answer's range bounds must change, and to what (narrowRanges).
const patchAt = new Array<i32>();
const patchTo = new Array<i16>();
const ranges = new Reader(new Uint8Array(0));

/** Fills patchAt/patchTo for `frame`'s ranges; how many, or -1 when the decoded path must decide. */
function narrowRanges(frame: Uint8Array, version: i16): i32 {
  patchAt.length = 0;
  patchTo.length = 0;
  const r = ranges.over(frame);
  r.int32("ResponseHeader.CorrelationId"); // ApiVersions answers with header v0 at every version
  const errorCode = r.int16("ApiVersionsResponse.ErrorCode");
  const flexible = version >= 3;
  const n = r.arrayLength("ApiVersionsResponse.ApiKeys", flexible, false);
  let decided = errorCode == 0 && !r.failed;
  for (let i = 0; i < n && decided && !r.failed; i++) {
    const at = r.pos;
    const key = r.int16("ApiVersion.ApiKey");
    const min = r.int16("ApiVersion.MinVersion");
    const max = r.int16("ApiVersion.MaxVersion");
    if (flexible) {
      const tagged = r.taggedCount("ApiVersion tagged fields");
      for (let t = 0; t < tagged && !r.failed; t++) {
        r.uvarint("ApiVersion tagged fields");
        r.pos = r.taggedEnd("ApiVersion tagged fields");
      }
    }
    const lo = minVersion(key), hi = maxVersion(key);
    if (lo < 0 || max < lo || min > hi) decided = false;
    if (min < lo) { patchAt.push(at + 2); patchTo.push(lo); }
    if (max > hi) { patchAt.push(at + 4); patchTo.push(hi); }
  }
  decided = decided && !r.failed;
  r.release();
  return decided ? patchAt.length : -1;
}

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

// SASL changes the principal, so it follows the broker's answers only: a mechanism counts once
// the broker accepted the SaslHandshake that named it, a user once the broker answered the
// SaslAuthenticate that carried it with error 0, and the principal changes when the last round
// of that mechanism succeeds. Each step is a note on its own request, handed back with the
// response at that request's position, so no other response can pass for it.

/**
 * The mechanisms whose user the filter reads from the client's first token as Kafka's server
 * does. After SaslHandshake v0 Kafka reads the tokens raw, and the shell must know how many
 * there are: not OAUTHBEARER's, which takes one more message when the broker refuses the token.
 */
const MECHANISMS_READ: Array<string> = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];
const RAW_MECHANISMS_READ: Array<string> = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

/**
 * A request other than ApiVersions and SASL's own sent while the connection's first SASL
 * exchange waits for the broker's answer: Kafka runs it after that exchange, as the user it
 * signs in, whom the filter does not know yet (deciding it as the principal before, ANONYMOUS
 * or the certificate's, would let that user act with another's rights). Kafka's clients wait
 * for the answer; this closes the connection. Null when the request may be decided. Once
 * signed in, a re-authentication keeps the principal (Kafka refuses to change it), so what is
 * sent behind one is decided as the principal's.
 */
export function signingInAhead(s: Session, apiKey: i16): Verdict | null {
  if (s.saslUnanswered == 0 || s.signedIn || apiKey == 17 || apiKey == 36 || apiKey == 18) return null;
  count(SENT_WHILE_SIGNING_IN);
  return Verdict.close(statApiName(apiKey) + " request sent before the broker answered the SASL exchange ahead of it: " +
    "Kafka would run it as the user that exchange signs in, not yet known (Kafka's clients wait for the answer)");
}

export function checkSaslHandshake(ctx: RequestContext, rule: Rule): Verdict {
  const s = ctx.session;
  s.saslTokensSent = 0;
  const mechanism = changetype<SaslHandshakeRequestData>(ctx.body).mechanism;
  const read = ctx.version == 0 ? RAW_MECHANISMS_READ : MECHANISMS_READ;
  if (!read.includes(mechanism)) {
    // The broker may well sign the client in (GSSAPI, a mechanism of its own), but as whom the
    // filter could not tell: the client would keep the principal it has, with another's rights.
    count(MECHANISMS_REFUSED);
    return Verdict.close("SASL mechanism " + printable(mechanism) + (ctx.version == 0 ? " after SaslHandshake v0" : "") +
      ": the filter reads principals from " + join(read, ", ") + " only, so it could not know whom the broker signs in");
  }
  s.saslUnanswered++;
  ctx.after = new HandshakeSent(s, mechanism);
  return ctx.pass();
}

class HandshakeSent extends ResponseRewrite {
  get enforcesPolicy(): bool { return false; }

  constructor(readonly session: Session, readonly mechanism: string) { super(); }

  apply(body: Message, version: i16): bool {
    const s = this.session;
    if (s.saslUnanswered > 0) s.saslUnanswered--;
    const accepted = changetype<SaslHandshakeResponseData>(body).errorCode == 0;
    // A new handshake starts (re-)authentication: the principal changes only when it succeeds.
    s.saslMechanism = accepted ? this.mechanism : "";
    s.saslUser = "";
    s.saslRounds = 0;
    // After an accepted v0 handshake Kafka reads the mechanism's tokens raw (size-prefixed, no
    // Kafka header) until it completes: the shell must know how many exchanges that is. Only
    // mechanisms of a fixed count get here (checkSaslHandshake closes on the others).
    if (accepted && version == 0) s.rawSaslExchanges = mechanismRounds(this.mechanism);
    return false;
  }
}

/** Client messages a mechanism's exchange takes when it succeeds (PLAIN and OAUTHBEARER one, SCRAM two); 0 when not known. */
function mechanismRounds(mechanism: string): i32 {
  if (mechanism == "PLAIN" || mechanism == "OAUTHBEARER") return 1;
  if (mechanism == "SCRAM-SHA-256" || mechanism == "SCRAM-SHA-512") return 2;
  return 0;
}

/** A raw SASL token the client sent after SaslHandshake v0 (the shell passes it on as is). */
export function rawSaslTokenSent(s: Session, token: Uint8Array): void {
  if (++s.saslTokensSent == 1) s.saslFirstToken = token.slice();
}

/**
 * The broker answered the client's latest raw token. Raw SASL has no error field: Kafka
 * closes the connection when a round fails, so an answer is the round's success. Why the
 * connection must close, or "".
 */
export function rawSaslAnswered(s: Session): string {
  // PLAIN's and SCRAM's users are read as Kafka reads them: a round it accepts names one.
  return roundSucceeded(s, s.saslTokensSent, s.saslFirstToken);
}

export function checkSaslAuthenticate(ctx: RequestContext, rule: Rule): Verdict {
  const s = ctx.session;
  s.saslUnanswered++;
  const round = ++s.saslTokensSent;
  // The token naming the user (PLAIN's authcid, SCRAM's client-first n=, an OAUTHBEARER token)
  // is read when the answer comes: the mechanism it is read with is the one the broker
  // accepted, whose answer comes first by position even when the client sent both requests in
  // one write. Every round's token is kept, as which one names the user is known only then
  // (OAUTHBEARER takes a new token after refusing one). A copy: the decoded bytes are a view on
  // a frame buffer that is reused before the answer.
  const token = changetype<SaslAuthenticateRequestData>(ctx.body).authBytes.slice();
  ctx.after = new TokenSent(s, round, token);
  return ctx.pass();
}

class TokenSent extends ResponseRewrite {
  get enforcesPolicy(): bool { return false; }

  constructor(readonly session: Session, readonly round: i32, readonly token: Uint8Array) { super(); }

  /** Read here, not in apply(): a round the broker accepted for a user the filter cannot read closes the connection. */
  fromView(walk: EntityWalk | null, frame: Uint8Array, version: i16): Verdict | null {
    const decoded = decodeResponseWith(frame, 36, version, readFilterResponse);
    if (decoded.error.length > 0) return null; // the handler decodes it again and closes, as for any answer it must read
    const unknown = this.settle(changetype<SaslAuthenticateResponseData>(decoded.body!));
    return unknown.length > 0 ? Verdict.close(unknown) : Verdict.pass();
  }

  // Not reached: fromView settles every answer that decodes, and one that does not is closed on.
  apply(body: Message, version: i16): bool {
    this.settle(changetype<SaslAuthenticateResponseData>(body));
    return false;
  }

  /** Follows the broker's answer; why the connection must close, or "". */
  private settle(r: SaslAuthenticateResponseData): string {
    const s = this.session;
    if (s.saslUnanswered > 0) s.saslUnanswered--;
    // Kafka's OAUTHBEARER server reads every message but a lone %x01 as a new token: a client
    // may try another after one was refused, so each message is a first round of its own.
    const oauth = s.saslMechanism == "OAUTHBEARER";
    const round = oauth ? 1 : this.round;
    if (r.errorCode != 0) {
      // The user a failed round was for: the first round's token names it, later rounds follow
      // a first that succeeded (an OAUTHBEARER %x01 after a refused token: that token's user).
      let user = round == 1 ? saslUserName(s.saslMechanism, this.token, s.oauthbearerPrincipalClaim) : s.saslUser;
      if (oauth && user.length == 0) user = s.saslUser;
      authenticationFailed(s, user, r.errorCode, r.errorMessage);
      s.saslUser = "";
      s.saslRounds = 0;
      return "";
    }
    if (oauth && r.authBytes.length > 0) {
      // Kafka answers a token it refuses with its error as a challenge (error code 0): no round
      // succeeded. The user is kept for the line of the failure that follows a %x01.
      s.saslUser = saslUserName(s.saslMechanism, this.token, s.oauthbearerPrincipalClaim);
      s.saslRounds = 0;
      return "";
    }
    return roundSucceeded(s, round, this.token);
  }
}

/**
 * The broker refused a SASL round: a wrong password, an unknown user, or someone trying
 * passwords through the proxy. Kafka logs it on the broker; the filter counts it and says
 * who, from where, within the connection lines' budget (filter/connection-lines.ts), as a
 * client can fail as fast as it can connect.
 */
function authenticationFailed(s: Session, user: string, code: i16, message: string | null): void {
  count(AUTHENTICATION_FAILURES);
  connectionLines.write("kafka filter: SASL/" + printable(s.saslMechanism) + " authentication" +
    (user.length > 0 ? " as User:" + printable(user) : "") + " from " + s.host + " failed: " + errorName(code) +
    (message != null && message.length > 0 ? " (" + printable(message) + ")" : ""), "authentication failed");
}

/**
 * Round `round` of the exchange succeeded. Rounds succeed one after the other, each after an
 * accepted handshake; anything else (a token without handshake, a round answered out of
 * turn) starts over. The principal changes when the mechanism's last round succeeds.
 */
function roundSucceeded(s: Session, round: i32, firstToken: Uint8Array): string {
  if (s.saslMechanism.length == 0 || round != s.saslRounds + 1 || round > mechanismRounds(s.saslMechanism)) {
    // The broker accepted a round that is not the next of an exchange the filter follows: it
    // may have signed someone in, whom the filter cannot name.
    const why = "the broker accepted a SASL round the filter cannot place (round " + round.toString() + " of SASL/" +
      printable(s.saslMechanism) + " after " + s.saslRounds.toString() + "), so it cannot know whose rights apply";
    s.saslUser = "";
    s.saslRounds = 0;
    return why;
  }
  s.saslRounds = round;
  if (round == 1) s.saslUser = saslUserName(s.saslMechanism, firstToken, s.oauthbearerPrincipalClaim);
  if (s.saslRounds != mechanismRounds(s.saslMechanism)) return "";
  if (s.saslUser.length == 0) {
    return "the broker accepted SASL/" + printable(s.saslMechanism) + " authentication, but the filter could not read its user " +
      "from the client's token, so it cannot know whose rights apply";
  }
  const principal = "User:" + s.saslUser;
  count(AUTHENTICATIONS);
  if (principal != s.principal) connectionLines.write("kafka filter: authenticated " + printable(principal) + " via SASL/" + printable(s.saslMechanism) + " from " + s.host, "authenticated");
  s.principal = principal;
  s.signedIn = true;
  return "";
}
