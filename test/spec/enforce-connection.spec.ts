// Connection-level behaviour: ApiVersions capped to what the codecs know (and a too-new
// ApiVersions answered as Kafka does), the SASL principal as Kafka derives it, and the
// client address and TLS principal taken from Envoy's properties.

import { ApiVersionsRequestData } from "../../assembly/messages/ApiVersionsRequest";
import { ApiVersionsResponseData, ApiVersion } from "../../assembly/messages/ApiVersionsResponse";
import { SaslHandshakeRequestData } from "../../assembly/messages/SaslHandshakeRequest";
import { SaslAuthenticateRequestData } from "../../assembly/messages/SaslAuthenticateRequest";
import { SaslAuthenticateResponseData } from "../../assembly/messages/SaslAuthenticateResponse";
import { SaslHandshakeResponseData } from "../../assembly/messages/SaslHandshakeResponse";
import { Policy } from "../../assembly/policy/policy";
import { Session } from "../../assembly/enforce/session";
import { maxVersion } from "../../assembly/messages/apis";
import { MetadataRequestData, MetadataRequestTopic } from "../../assembly/messages/MetadataRequest";
import { decodeResponse } from "../../assembly/codec/frame";
import { RequestHeader, RequestNote, ResponseInfo, VerdictKind } from "../../assembly/filter/seam";
import { RequestContext, encodeResponse } from "../../assembly/enforce/context";
import { answerUnsupportedApiVersions } from "../../assembly/enforce/apis/connection";
import { saslUserName, oauthBearerSubject } from "../../assembly/enforce/sasl-names";
import { hostOf, Enforcer } from "../../assembly/enforce/handler";
import { TlsPrincipal, kafkaTlsPrincipal } from "../../assembly/enforce/tls-principal";
import { SslPrincipalMapper } from "../../assembly/enforce/ssl-principal-mapper";
import { loadConfig } from "../../assembly/enforce/config";
import { base64Encode } from "../../assembly/json/base64";
import { policyOf, session, run, rewriteResponse, rewriteFromBytes, requestBytes, forwardedBody, CORRELATION_ID } from "./support/enforce";

const ctxs = new Array<RequestContext>();
const OPEN = `{"allowEveryoneIfNoAclFound": true}`;

let certificateLookups = 0;
function carolsCertificate(rules: SslPrincipalMapper | null): TlsPrincipal | null {
  certificateLookups++;
  return kafkaTlsPrincipal("CN=carol,OU=e2e", rules);
}

function carolUncounted(rules: SslPrincipalMapper | null): TlsPrincipal | null { return kafkaTlsPrincipal("CN=carol,OU=e2e", rules); }

function titledCertificate(rules: SslPrincipalMapper | null): TlsPrincipal | null { return kafkaTlsPrincipal("CN=boss,title=boss,OU=e2e", rules); }

function javaName(boringSsl: string): string {
  const p = kafkaTlsPrincipal(boringSsl);
  expect(p.error).toBe("", boringSsl);
  return p.principal;
}

function utf8(s: string): Uint8Array { return Uint8Array.wrap(String.UTF8.encode(s)); }

function plain(authzid: string, user: string, password: string): Uint8Array {
  const b = new Uint8Array(authzid.length + user.length + password.length + 2);
  b.set(utf8(authzid), 0);
  b.set(utf8(user), authzid.length + 1);
  b.set(utf8(password), authzid.length + user.length + 2);
  return b;
}

function apiVersion(key: i16, lo: i16, hi: i16): ApiVersion {
  const a = new ApiVersion();
  a.apiKey = key;
  a.minVersion = lo;
  a.maxVersion = hi;
  return a;
}

/** What a client gets of `broker`'s ApiVersions v3 answer to `header` (the filter's bytes, or the broker's when passed). */
function answerTo(e: Enforcer, header: RequestHeader, note: RequestNote | null, broker: ApiVersionsResponseData): Uint8Array {
  const bytes = encodeResponse(CORRELATION_ID, 18, 3, broker)!;
  const answer = e.onResponse(bytes, new ResponseInfo(CORRELATION_ID, 18, 3, header, bytes.length, note));
  return answer.kind == VerdictKind.Pass ? bytes : answer.bytes!;
}

/** An answer shaped as Kafka 4.x's, with features, offering Produce from `produceMin`. */
function kafka4Like(produceMin: i16): ApiVersionsResponseData {
  const r = new ApiVersionsResponseData();
  r.apiKeys.push(apiVersion(0, produceMin, maxVersion(0)));
  r.apiKeys.push(apiVersion(3, 0, 13));
  r.apiKeys.push(apiVersion(18, 0, 4));
  r.throttleTimeMs = 7;
  r.finalizedFeaturesEpoch = 42;
  return r;
}

describe("ApiVersions", () => {
  it("caps the broker's ranges to the codecs' and drops keys they do not know", () => {
    const v = run(policyOf(OPEN), session("User:ANONYMOUS"), 18, 3, new ApiVersionsRequestData(), ctxs);
    expect(v.kind).toBe(VerdictKind.Pass);
    const broker = new ApiVersionsResponseData();
    broker.apiKeys.push(apiVersion(0, 0, 99));   // Produce: we know 3..13
    broker.apiKeys.push(apiVersion(3, 0, 13));   // Metadata: within range
    broker.apiKeys.push(apiVersion(7, 0, 3));    // ControlledShutdown: no versions here
    broker.apiKeys.push(apiVersion(999, 0, 1));  // unknown key
    expect(rewriteResponse(ctxs[ctxs.length - 1], 18, 3, broker)).toBe(true);
    expect(broker.apiKeys.length).toBe(2);
    expect(broker.apiKeys[0].minVersion).toBe(3);
    expect(broker.apiKeys[0].maxVersion).toBe(maxVersion(0));
    expect(broker.apiKeys[1].maxVersion).toBe(13);
  });

  it("caps from the answer's bytes: a narrowed range is written over, every other byte as the broker sent it", () => {
    const e = new Enforcer(loadConfig(OPEN).config!, "127.0.0.1", "");
    const request = requestBytes(18, 3, new ApiVersionsRequestData());
    const header = new RequestHeader(18, 3, CORRELATION_ID, "spec-client", 0, request.length);
    const v = e.onRequest(request, header);
    // What Kafka 4.x offers (Produce from v0, for old clients' negotiation), and that capped.
    const expected = encodeResponse(CORRELATION_ID, 18, 3, kafka4Like(3))!;
    const got = answerTo(e, header, v.note, kafka4Like(0));
    expect(got.length).toBe(expected.length);
    let same = true;
    for (let i = 0; i < got.length; i++) if (got[i] != expected[i]) same = false;
    expect(same).toBe(true);
    // Within range: the broker's bytes; a key to drop: decoded, dropped.
    const within = new ApiVersionsResponseData();
    within.apiKeys.push(apiVersion(3, 0, 13));
    const withinBytes = encodeResponse(CORRELATION_ID, 18, 3, within)!;
    const passed = e.onResponse(withinBytes, new ResponseInfo(CORRELATION_ID, 18, 3, header, withinBytes.length, v.note));
    expect(passed.kind).toBe(VerdictKind.Pass);
    const unknown = new ApiVersionsResponseData();
    unknown.apiKeys.push(apiVersion(3, 0, 13));
    unknown.apiKeys.push(apiVersion(999, 0, 1));
    const d = decodeResponse(answerTo(e, header, v.note, unknown), 18, 3);
    expect(changetype<ApiVersionsResponseData>(d.body).apiKeys.length).toBe(1);
  });

  it("reads a broker's UNSUPPORTED_VERSION answer in v0's layout, as Kafka's clients do (v5 to Kafka 3.9)", () => {
    const e = new Enforcer(loadConfig(OPEN).config!, "127.0.0.1", "");
    const frame = requestBytes(18, 4, new ApiVersionsRequestData());
    const header = new RequestHeader(18, 4, CORRELATION_ID, "spec-client", 0, frame.length);
    const v = e.onRequest(frame, header);
    expect(v.kind).toBe(VerdictKind.Pass);
    // What Kafka 3.9.1 sends for ApiVersions v5 (it knows v0-4).
    const broker = new ApiVersionsResponseData();
    broker.errorCode = 35;
    broker.apiKeys.push(apiVersion(18, 0, 4));
    const bytes = encodeResponse(CORRELATION_ID, 18, 0, broker)!;
    const answer = e.onResponse(bytes, new ResponseInfo(CORRELATION_ID, 18, 4, header, bytes.length, v.note));
    expect(answer.kind).toBe(VerdictKind.Pass); // within the codecs' range: nothing to cap
    const d = decodeResponse(bytes, 18, 0);
    expect(changetype<ApiVersionsResponseData>(d.body).errorCode).toBe(35);
  });

  it("answers a too-new ApiVersions with a v0 UNSUPPORTED_VERSION listing what it knows", () => {
    const v = answerUnsupportedApiVersions(new RequestHeader(18, 99, 77, "c", 0, 0));
    expect(v.kind).toBe(VerdictKind.Respond);
    const d = decodeResponse(v.bytes!, 18, 0);
    expect(d.error).toBe("");
    expect(d.header.correlationId).toBe(77);
    const r = changetype<ApiVersionsResponseData>(d.body);
    expect(r.errorCode).toBe(35);
    expect(r.apiKeys.length).toBeGreaterThan(80);
  });
});

describe("SASL principal", () => {
  it("reads the PLAIN authcid and the SCRAM user name (with =2C and =3D escapes)", () => {
    expect(saslUserName("PLAIN", plain("", "alice", "secret"))).toBe("alice");
    expect(saslUserName("PLAIN", plain("alice", "alice", "secret"))).toBe("alice");
    expect(saslUserName("SCRAM-SHA-256", utf8("n,,n=bob=2Cjr=3D,r=abc"))).toBe("bob,jr=");
    expect(saslUserName("PLAIN", utf8("no-nul-at-all"))).toBe("");
    expect(saslUserName("OAUTHBEARER", utf8("n,,\x01auth=Bearer x\x01\x01"))).toBe("");
    expect(saslUserName("OAUTHBEARER", bearer("", `{"sub":"alice"}`))).toBe("alice");
  });

  it("reads no user from a SCRAM delegation token: the broker authenticates its owner, whom the message does not name", () => {
    expect(saslUserName("SCRAM-SHA-256", utf8("n,,n=tok123,r=abc,tokenauth=true"))).toBe("");
    expect(saslUserName("SCRAM-SHA-512", utf8("n,,n=tok123,r=abc,tokenauth=TRUE"))).toBe("");
    expect(saslUserName("SCRAM-SHA-256", utf8("n,,n=bob,r=abc,tokenauth=false"))).toBe("bob");
  });

  it("reads OAUTHBEARER's principal from the token's sub claim as Kafka's server does, or nothing", () => {
    expect(oauthBearerSubject(bearer("", `{"sub":"alice","exp":1}`))).toBe("alice");
    expect(oauthBearerSubject(bearer("alice", `{"sub":"alice"}`))).toBe("alice"); // authzid = the principal
    expect(oauthBearerSubject(bearer("admin", `{"sub":"alice"}`))).toBe(""); // Kafka refuses another authzid
    expect(oauthBearerSubject(bearer("", `{"sub":"alice","sub":"admin"}`))).toBe("admin"); // the last, as Jackson reads it
    expect(oauthBearerSubject(bearer("", `{"sub":"s\u00e9b"}`))).toBe("s\u00e9b");
    expect(oauthBearerSubject(bearer("", `{"subject":"alice"}`))).toBe("");
    expect(oauthBearerSubject(bearer("", `{"sub":42}`))).toBe("");
    expect(oauthBearerSubject(bearer("", `{"sub":""}`))).toBe("");
    expect(oauthBearerSubject(bearer("", `["alice"]`))).toBe("");
    expect(oauthBearerSubject(bearer("", `{"sub":"alice"`))).toBe("");
    const jwt = "eyJhbGciOiJub25lIn0." + b64url(`{"sub":"alice"}`) + ".";
    expect(oauthBearerSubject(utf8("n,,\x01auth=bearer " + jwt + "\x01\x01"))).toBe("alice"); // the scheme in any case
    expect(oauthBearerSubject(utf8("n,,\x01auth=Basic " + jwt + "\x01\x01"))).toBe("");
    expect(oauthBearerSubject(utf8("n,,\x01auth=Bearer " + jwt.slice(0, -1) + "\x01\x01"))).toBe(""); // two parts
    expect(oauthBearerSubject(utf8("n,,\x01host=x\x01\x01"))).toBe(""); // no auth
    expect(oauthBearerSubject(utf8("y,,\x01auth=Bearer " + jwt + "\x01\x01"))).toBe("");
    expect(oauthBearerSubject(utf8("n,,\x01auth=Bearer eyJhbGciOiJub25lIn0.!!!.\x01\x01"))).toBe("");
    expect(oauthBearerSubject(new Uint8Array(600 * 1024))).toBe("");
    // A broker whose sasl.oauthbearer.sub.claim.name is another claim (filter.oauthbearerPrincipalClaim).
    expect(oauthBearerSubject(bearer("", `{"sub":"svc-1","preferred_username":"alice"}`), "preferred_username")).toBe("alice");
    expect(oauthBearerSubject(bearer("", `{"sub":"svc-1"}`), "preferred_username")).toBe("");
  });

  it("OAUTHBEARER: the principal is the token's subject once the broker accepts it (an empty answer); its refusal is a challenge, then an error", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    expect(handshake(policy, s, "OAUTHBEARER", 0)).toBe(VerdictKind.Pass);
    // Kafka answers a token it refuses with its error as a challenge, error code 0, and fails the next message.
    expect(answer(sendToken(policy, s, bearer("", `{"sub":"admin"}`)), 36, 2, 0, utf8(`{"status":"invalid_token"}`))).toBe(VerdictKind.Pass);
    expect(s.principal).toBe("User:ANONYMOUS");
    token(policy, s, utf8("\x01"), 58);
    expect(s.principal).toBe("User:ANONYMOUS");
    handshake(policy, s, "OAUTHBEARER", 0);
    token(policy, s, bearer("", `{"sub":"alice"}`), 0);
    expect(s.principal).toBe("User:alice");
  });

  it("closes when the broker accepts a token whose user the filter cannot read: it cannot know whose rights apply", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    handshake(policy, s, "OAUTHBEARER", 0);
    expect(answer(sendToken(policy, s, bearer("", `{"name":"alice"}`)), 36, 2, 0)).toBe(VerdictKind.Close);
    expect(s.principal).toBe("User:ANONYMOUS");
  });

  it("closes at the handshake for a mechanism whose user it does not read (GSSAPI), and for OAUTHBEARER after SaslHandshake v0", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    expect(handshake(policy, s, "GSSAPI", 0)).toBe(VerdictKind.Close);
    expect(handshake(policy, s, "plain", 0)).toBe(VerdictKind.Close);
    const hs = new SaslHandshakeRequestData();
    hs.mechanism = "OAUTHBEARER";
    expect(run(policy, s, 17, 0, hs, ctxs).kind).toBe(VerdictKind.Close);
    expect(s.principal).toBe("User:ANONYMOUS");
  });

  it("closes on a request sent behind the first sign-in before the broker answered it; decides one sent behind a re-authentication", () => {
    const e = new Enforcer(loadConfig(OPEN).config!, "127.0.0.1", "");
    const hs = new SaslHandshakeRequestData();
    hs.mechanism = "PLAIN";
    const hsFrame = requestBytes(17, 1, hs);
    const hsHeader = new RequestHeader(17, 1, CORRELATION_ID, "spec-client", 1, hsFrame.length);
    const handshakeSent = e.onRequest(hsFrame, hsHeader);
    expect(handshakeSent.kind).toBe(VerdictKind.Pass);
    expect(metadataThrough(e)).toBe(VerdictKind.Close);
    // Answered: the handshake changes no one; what follows is decided.
    const r = new SaslHandshakeResponseData();
    const bytes = encodeResponse(CORRELATION_ID, 17, 1, r)!;
    e.onResponse(bytes, new ResponseInfo(CORRELATION_ID, 17, 1, hsHeader, bytes.length, handshakeSent.note));
    expect(metadataThrough(e)).toBe(VerdictKind.Pass);
  });

  it("sets User:<name> when the broker accepts, and keeps the old principal when it refuses", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    expect(handshake(policy, s, "PLAIN", 0)).toBe(VerdictKind.Pass);
    token(policy, s, plain("", "alice", "pw"), 58); // SASL_AUTHENTICATION_FAILED
    expect(s.principal).toBe("User:ANONYMOUS");

    // A new attempt (and later a re-authentication) starts with a new handshake.
    handshake(policy, s, "PLAIN", 0);
    token(policy, s, plain("", "alice", "pw"), 0);
    expect(s.principal).toBe("User:alice");
  });

  it("takes the SCRAM principal after the second successful round only", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    handshake(policy, s, "SCRAM-SHA-512", 0);
    token(policy, s, utf8("n,,n=carol,r=nonce"), 0);
    expect(s.principal).toBe("User:ANONYMOUS");
    token(policy, s, utf8("c=biws,r=nonce,p=proof"), 0);
    expect(s.principal).toBe("User:carol");
  });

  it("changes nothing on a token the broker accepted without an accepted handshake", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    token(policy, s, plain("", "admin", "pw"), 0); // no handshake at all
    expect(s.principal).toBe("User:ANONYMOUS");
    handshake(policy, s, "PLAIN", 33); // UNSUPPORTED_SASL_MECHANISM
    token(policy, s, plain("", "admin", "pw"), 0);
    expect(s.principal).toBe("User:ANONYMOUS");
  });

  it("ties each outcome to its own token: a later round cannot complete a failed one", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    handshake(policy, s, "SCRAM-SHA-256", 0);
    // Both tokens sent before any answer; the first is refused, the second accepted.
    const first = sendToken(policy, s, utf8("n,,n=admin,r=nonce"));
    const second = sendToken(policy, s, utf8("c=biws,r=nonce,p=proof"));
    answer(first, 36, 2, 58);
    answer(second, 36, 2, 0);
    expect(s.principal).toBe("User:ANONYMOUS");
  });

  it("reads the user with the mechanism the broker accepted, when handshake and token are sent in one write", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    const hs = new SaslHandshakeRequestData();
    hs.mechanism = "PLAIN";
    expect(run(policy, s, 17, 1, hs, ctxs).kind).toBe(VerdictKind.Pass);
    const handshakeSent = ctxs[ctxs.length - 1];
    const auth = plain("", "alice", "pw");
    const tokenSent = sendToken(policy, s, auth);
    auth.fill(0); // the frame buffer the token was read from is reused before the answers come
    answer(handshakeSent, 17, 1, 0);
    answer(tokenSent, 36, 2, 0);
    expect(s.principal).toBe("User:alice");
  });

  it("keeps the principal through a re-authentication the broker refuses", () => {
    const s = session("User:ANONYMOUS");
    const policy = policyOf(OPEN);
    handshake(policy, s, "PLAIN", 0);
    token(policy, s, plain("", "alice", "pw"), 0);
    expect(s.principal).toBe("User:alice");
    handshake(policy, s, "PLAIN", 0);
    token(policy, s, plain("", "admin", "pw"), 58);
    expect(s.principal).toBe("User:alice");
  });
});

describe("raw SASL after SaslHandshake v0", () => {
  it("announces the mechanism's raw exchanges to the shell, and takes the user when the last is answered", () => {
    const e = new Enforcer(loadConfig(OPEN).config!, "127.0.0.1", "");
    handshakeV0(e, "SCRAM-SHA-256", 0);
    expect(e.takeRawSaslExchanges()).toBe(2);
    expect(e.takeRawSaslExchanges()).toBe(0); // taken once
    const first = utf8("n,,n=dave,r=nonce");
    e.onRawSaslToken(first);
    first.fill(0); // the shell's frame buffer is reused before the answer
    e.onRawSaslAnswer(new Uint8Array(0));
    expect(e.session.principal).toBe("User:ANONYMOUS");
    e.onRawSaslToken(utf8("c=biws,r=nonce,p=proof"));
    e.onRawSaslAnswer(utf8("v=signature"));
    expect(e.session.principal).toBe("User:dave");
  });

  it("announces nothing for a refused handshake", () => {
    const e = new Enforcer(loadConfig(OPEN).config!, "127.0.0.1", "");
    handshakeV0(e, "PLAIN", 33);
    expect(e.takeRawSaslExchanges()).toBe(0);
    handshakeV0(e, "PLAIN", 0);
    expect(e.takeRawSaslExchanges()).toBe(1);
    e.onRawSaslToken(plain("", "alice", "pw"));
    e.onRawSaslAnswer(new Uint8Array(0));
    expect(e.session.principal).toBe("User:alice");
  });
});

/** The verdict on a Metadata request (every topic) through `e`. */
function metadataThrough(e: Enforcer): VerdictKind {
  const frame = requestBytes(3, 12, new MetadataRequestData());
  return e.onRequest(frame, new RequestHeader(3, 12, CORRELATION_ID, "spec-client", 2, frame.length)).kind;
}

/** SaslHandshake v0 for `mechanism` through `e`, answered with `error`. */
function handshakeV0(e: Enforcer, mechanism: string, error: i16): void {
  const hs = new SaslHandshakeRequestData();
  hs.mechanism = mechanism;
  const frame = requestBytes(17, 0, hs);
  const header = new RequestHeader(17, 0, CORRELATION_ID, "spec-client", 0, frame.length);
  const v = e.onRequest(frame, header);
  expect(v.kind).toBe(VerdictKind.Pass);
  const r = new SaslHandshakeResponseData();
  r.errorCode = error;
  const bytes = encodeResponse(CORRELATION_ID, 17, 0, r)!;
  e.onResponse(bytes, new ResponseInfo(CORRELATION_ID, 17, 0, header, bytes.length, v.note));
}

/** Sends a SaslHandshake and answers it with `error`; returns the request's verdict kind. */
function handshake(policy: Policy, s: Session, mechanism: string, error: i16): VerdictKind {
  const hs = new SaslHandshakeRequestData();
  hs.mechanism = mechanism;
  const kind = run(policy, s, 17, 1, hs, ctxs).kind;
  answer(ctxs[ctxs.length - 1], 17, 1, error);
  return kind;
}

/** Sends a SaslAuthenticate carrying `auth` and answers it with `error`. */
function token(policy: Policy, s: Session, auth: Uint8Array, error: i16): void {
  answer(sendToken(policy, s, auth), 36, 2, error);
}

function sendToken(policy: Policy, s: Session, auth: Uint8Array): RequestContext {
  const r = new SaslAuthenticateRequestData();
  r.authBytes = auth;
  expect(run(policy, s, 36, 2, r, ctxs).kind).toBe(VerdictKind.Pass);
  return ctxs[ctxs.length - 1];
}

/**
 * The broker's answer to the request of `ctx`, with `error` (and SaslAuthenticate's `authBytes`),
 * through the note that request left, as the Enforcer hands it over: the verdict's kind.
 */
function answer(ctx: RequestContext, apiKey: i16, version: i16, error: i16, authBytes: Uint8Array = new Uint8Array(0)): VerdictKind {
  if (apiKey == 17) {
    const r = new SaslHandshakeResponseData();
    r.errorCode = error;
    rewriteResponse(ctx, apiKey, version, r);
    return VerdictKind.Pass;
  }
  const r = new SaslAuthenticateResponseData();
  r.errorCode = error;
  r.authBytes = authBytes;
  return <VerdictKind>rewriteFromBytes(ctx, apiKey, version, r);
}

/** An OAUTHBEARER client's first message: authzid, and an unsecured JWT (alg none) with `claims`. */
function bearer(authzid: string, claims: string): Uint8Array {
  const jwt = b64url(`{"alg":"none"}`) + "." + b64url(claims) + ".";
  return utf8("n," + (authzid.length > 0 ? "a=" + authzid : "") + ",\x01auth=Bearer " + jwt + "\x01\x01");
}

function b64url(s: string): string { return base64Encode(utf8(s), true, false); }

describe("connection properties", () => {
  it("takes the client IP without port, printed as Java does, as Kafka matches ACL hosts", () => {
    expect(hostOf("127.0.0.1:51234")).toBe("127.0.0.1");
    expect(hostOf("[::1]:9092")).toBe("0:0:0:0:0:0:0:1");
    expect(hostOf("[fe80::0a:1%eth0]:1")).toBe("fe80:0:0:0:0:0:a:1");
    expect(hostOf("[::ffff:10.1.2.3]:9")).toBe("10.1.2.3");
    // An IPv4 tail of any other address: Java prints it in hex (glibc's inet_ntop, Envoy's, dotted).
    expect(hostOf("[::10.0.0.1]:9")).toBe("0:0:0:0:0:0:a00:1");
    expect(hostOf("[64:ff9b::192.0.2.33]:9")).toBe("64:ff9b:0:0:0:0:c000:221");
    expect(hostOf("[::1.2.3]:9")).toBe("::1.2.3");
    expect(hostOf("[2001:db8:0:0:1:0:0:1]:9")).toBe("2001:db8:0:0:1:0:0:1");
    expect(hostOf(null)).toBe("");
  });

  // Left: the subject as Envoy (BoringSSL) writes it; right: Kafka's principal for the same
  // certificate (Java's X500Principal.getName(), as test/e2e/tls-principal.test.ts asks Kafka).
  it("names a TLS client as Kafka does: Java's RFC 2253, not BoringSSL's", () => {
    expect(javaName("CN=carol,OU=e2e")).toBe("User:CN=carol,OU=e2e");
    expect(javaName("")).toBe("User:");
    expect(javaName("CN=m,emailAddress=m@example.com,O=e2e")).toBe("User:CN=m,1.2.840.113549.1.9.1=#160d6d406578616d706c652e636f6d,O=e2e");
    expect(javaName("CN=dn-serial,serialNumber=42,O=e2e")).toBe("User:CN=dn-serial,2.5.4.5=#13023432,O=e2e");
    expect(javaName("CN=dn-caf\\C3\\A9-\\C3\\BC,OU=e2e")).toBe("User:CN=dn-café-ü,OU=e2e");
    expect(javaName("UID=m1+CN=dn-multi,OU=e2e")).toBe("User:CN=dn-multi+UID=m1,OU=e2e");
    expect(javaName("CN=dn\\,a\\+b\\;c\\<d\\>\\\"e\\\"\\\\f,OU=e2e")).toBe("User:CN=dn\\,a\\+b\\;c\\<d\\>\\\"e\\\"\\\\f,OU=e2e");
    expect(javaName("CN=\\ dn spaces\\ ,OU=e2e")).toBe("User:CN=\\ dn spaces\\ ,OU=e2e");
    expect(javaName("CN=\\#dn-hash,OU=e2e")).toBe("User:CN=\\#dn-hash,OU=e2e");
    expect(javaName("CN=a=b#c,OU=e2e")).toBe("User:CN=a\\=b\\#c,OU=e2e");
    expect(javaName("CN=x\\00y,OU=e2e")).toBe("User:CN=x\\00y,OU=e2e");
    expect(javaName("CN=dn-dc,DC=example,DC=com")).toBe("User:CN=dn-dc,DC=example,DC=com");
    expect(javaName("CN=dn-long,street=Hauptstr. 1,L=M\\C3\\BCnchen,C=DE")).toBe("User:CN=dn-long,STREET=Hauptstr. 1,L=München,C=DE");
    expect(javaName("CN=o,1.2.3.4=#0C06435553544F4D")).toBe("User:CN=o,1.2.3.4=#0c06435553544f4d");
  });

  it("names a keyword attribute BoringSSL dumps as DER as Java does: a string type's content as UTF-8, any other type as DER", () => {
    // GeneralString (BoringSSL has no text for it): Java reads it as a string, so a DENY of
    // CN=mallory must meet a certificate whose CN is "mallory" in that type.
    expect(javaName("CN=#1B076D616C6C6F7279,OU=contractors")).toBe("User:CN=mallory,OU=contractors");
    expect(javaName("CN=#1B03612C62,OU=x")).toBe("User:CN=a\\,b,OU=x");
    // GraphicString (0x19) is no string to Java: its DER, as BoringSSL dumped it.
    expect(javaName("CN=#1903616263,OU=x")).toBe("User:CN=#1903616263,OU=x");
    // A long form length.
    expect(javaName("O=#1B8103616263")).toBe("User:O=abc");
  });

  it("gives no name for text Java may read otherwise: a one-byte string type whose Latin-1 is UTF-8 of other text", () => {
    // T61String bytes "jos\xC3\xA9": BoringSSL prints "josÃ©", Java reads "josé". A UTF8String "josÃ©" prints the same.
    const p = kafkaTlsPrincipal("CN=jos\\C3\\83\\C2\\A9,OU=contractors");
    expect(p.principal).toBe("");
    expect(p.error.includes("CN attribute")).toBe(true);
    // Rules that give both readings one name name it.
    const config = loadConfig(`{"filter": {"sslPrincipalMappingRules": "RULE:^.*OU=([^,]+)$/$1/"}}`).config!;
    expect(kafkaTlsPrincipal("CN=jos\\C3\\83\\C2\\A9,OU=contractors", config.settings.sslPrincipalMapper).principal).toBe("User:contractors");
    // Latin-1 that is no UTF-8 ("José" as a UTF8String, or Java's U+FFFD reading): one name.
    expect(javaName("CN=Jos\\C3\\A9,OU=e2e")).toBe("User:CN=José,OU=e2e");
  });

  it("gives no name where Kafka's depends on an encoding Envoy's text does not show", () => {
    const p = kafkaTlsPrincipal("CN=boss,title=boss,OU=e2e");
    expect(p.principal).toBe("");
    expect(p.error).toBe("Kafka names the holder by the DER encoding of the certificate's title attribute, which Envoy's text of the subject does not give");
    expect(kafkaTlsPrincipal("CN=x+").error).toBe("the subject ends in a '+'");
    // Unless the rules give every encoding of the title the same name.
    const config = loadConfig(`{"filter": {"sslPrincipalMappingRules": "RULE:^CN=([^,]+),.*$/$1/,RULE:^(.*)$/$1/"}}`).config!;
    expect(kafkaTlsPrincipal("CN=boss,title=boss,OU=e2e", config.settings.sslPrincipalMapper).principal).toBe("User:boss");
    expect(kafkaTlsPrincipal("title=boss", config.settings.sslPrincipalMapper).error)
      .toBe("Kafka names the holder by the DER encoding of the certificate's title attribute, which Envoy's text of the subject does not give, and ssl.principal.mapping.rules name its encodings differently");
    expect(kafkaTlsPrincipal("=x").error).toBe("no attribute type at 0");
    expect(kafkaTlsPrincipal("CN=x\\").error).toBe("a value of CN ends in an escape");
  });

  it("names a TLS client by the configured ssl.principal.mapping.rules, and closes on one no rule fits", () => {
    const rules = "RULE:^CN=([^,]+),OU=e2e$/$1/U,RULE:^CN=(x)$/$1$2/";
    const config = loadConfig(`{"allowEveryoneIfNoAclFound": true, "filter": {"sslPrincipalMappingRules": "${rules}"}}`).config!;
    const mapper = config.settings.sslPrincipalMapper!;
    expect(kafkaTlsPrincipal("CN=carol,OU=e2e", mapper).principal).toBe("User:CAROL");
    // Kafka's escapeLiteralBackReferences: $2 names no group of a one-group pattern, so it stays.
    expect(kafkaTlsPrincipal("CN=x", mapper).principal).toBe("User:x$2");
    expect(kafkaTlsPrincipal("CN=y", mapper).error).toBe("ssl.principal.mapping.rules: no rule applies to CN=y");
    const e = new Enforcer(config, "127.0.0.1", "");
    e.tlsPrincipalLookup = carolUncounted;
    const frame = requestBytes(18, 3, new ApiVersionsRequestData());
    e.onRequest(frame, new RequestHeader(18, 3, CORRELATION_ID, "spec-client", 0, frame.length));
    expect(e.session.principal).toBe("User:CAROL");
  });

  it("refuses ssl.principal.mapping.rules Kafka refuses, and patterns outside the filter's regex subset", () => {
    expect(loadConfig(`{"filter": {"sslPrincipalMappingRules": "RULE:^CN=(.*)$/$1/LU"}}`).error)
      .toBe("filter.sslPrincipalMappingRules: Invalid rule: `RULE:^CN=(.*)$/$1/LU`, unmatched substring: `U`");
    expect(loadConfig(`{"filter": {"sslPrincipalMappingRules": "RULE:^CN=(?=a).*$/$1/"}}`).error)
      .toBe("filter.sslPrincipalMappingRules: rule RULE:^CN=(?=a).*$/$1/: a special group (?... (not supported by the filter) at index 5 of ^CN=(?=a).*$");
  });

  it("closes a TLS connection whose principal cannot be told, at its first request", () => {
    const e = new Enforcer(loadConfig(OPEN).config!, "127.0.0.1", "");
    e.tlsPrincipalLookup = titledCertificate;
    const frame = requestBytes(18, 3, new ApiVersionsRequestData());
    const v = e.onRequest(frame, new RequestHeader(18, 3, CORRELATION_ID, "spec-client", 0, frame.length));
    expect(v.kind).toBe(VerdictKind.Close);
    expect(v.reason).toBe("client certificate CN=boss,title=boss,OU=e2e: Kafka names the holder by the DER encoding of the certificate's title attribute, which Envoy's text of the subject does not give");
    expect(e.session.principal).toBe("User:ANONYMOUS");
  });

  it("asks for the TLS principal at the first request (Envoy knows the certificate only after the handshake)", () => {
    const config = loadConfig(OPEN).config!;
    const e = new Enforcer(config, "127.0.0.1", "");
    e.tlsPrincipalLookup = carolsCertificate;
    expect(e.session.principal).toBe("User:ANONYMOUS");
    expect(certificateLookups).toBe(0);
    const frame = requestBytes(18, 3, new ApiVersionsRequestData());
    const header = new RequestHeader(18, 3, CORRELATION_ID, "spec-client", 0, frame.length);
    e.onRequest(frame, header);
    expect(e.session.principal).toBe("User:CN=carol,OU=e2e");
    e.onRequest(frame, header);
    expect(certificateLookups).toBe(1);
  });
});


describe("requests read as Kafka's broker reads them", () => {
  it("ignores bytes after the body (librdkafka's Metadata v13 carries 3), and still applies the policy", () => {
    const deny = loadConfig(`{"allowEveryoneIfNoAclFound": false}`).config!;
    const e = new Enforcer(deny, "127.0.0.1", "");
    const m = new MetadataRequestData();
    const t = new MetadataRequestTopic();
    t.name = "secret";
    m.topics = [t];
    const body = requestBytes(3, 13, m);
    const frame = new Uint8Array(body.length + 3);
    frame.set(body, 0);
    frame.set([1, 2, 3], body.length);
    const v = e.onRequest(frame, new RequestHeader(3, 13, CORRELATION_ID, "spec-client", 0, frame.length));
    // Not closed as malformed: the named topic is withheld from the broker, and its refusal
    // left for the response, as for any Metadata request.
    expect(v.kind).toBe(VerdictKind.Replace);
    const forwarded = changetype<MetadataRequestData>(forwardedBody(v));
    expect(forwarded.topics!.length).toBe(0);
    // Compared, not handed to expect(): as-pect reflects an object through its getters, and the
    // note's context is settled (its decoded request let go: context.ts settle).
    expect(v.note != null).toBe(true);
  });
});
