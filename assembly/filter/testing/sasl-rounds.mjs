// Whose rights apply after SASL: the user the broker signed in, or a closed connection, never
// the principal from before. Under the mock Envoy host, deterministically:
//   1. OAUTHBEARER takes another token after refusing one: Kafka's OAuthBearerSaslServer answers
//      a token it refuses with a challenge (error 0) and reads any next message but a lone
//      %x01 as a new token. A refused token, then alice's, signs alice in; the filter kept
//      ANONYMOUS (it counted alice's token as a second round and started over), so a DENY
//      naming alice did not apply and ANONYMOUS's grants did. Also with both tokens sent before
//      either answer, and after two refusals; a %x01 after a refusal fails and changes nothing.
//   2. A raw SASL exchange (after SaslHandshake v0) the broker accepts for a user the filter
//      cannot read (SCRAM with tokenauth=true: a delegation token, whose owner the broker signs
//      in) closes the connection, as the same exchange over SaslAuthenticate does. The filter
//      kept the principal from before and the connection open.
//   3. A SASL round the broker accepts that is not the next round of an exchange the filter
//      follows closes the connection (it silently started over).
//
//   node assembly/filter/testing/sasl-rounds.mjs [build/filter.wasm] [.cache/oracle/frames.jsonl]
// Prints "N passed, M failed"; exits non-zero on any failure.

import { Host, DOWNSTREAM, UPSTREAM } from "./host.mjs";
import { oracleFrames, checker } from "./frames.mjs";
import { sized } from "./kafka-bytes.mjs";

const WASM = process.argv[2] || "build/filter.wasm";
const FRAMES = process.argv[3] || ".cache/oracle/frames.jsonl";
const { template, frame } = await oracleFrames(FRAMES);
const { check, done } = checker();

// Everyone may write "shared." topics, alice may not; only ANONYMOUS may write "anon.".
const allow = (principal, name, permission = "ALLOW") =>
  ({ principal, host: "*", resourceType: "TOPIC", resourceName: name, resourcePatternType: "PREFIXED", operation: "WRITE", permissionType: permission });
const POLICY = JSON.stringify({
  allowEveryoneIfNoAclFound: false,
  acls: [allow("User:*", "shared."), allow("User:alice", "shared.", "DENY"), allow("User:ANONYMOUS", "anon.")],
});

let nextConnection = 100; // above the root context's id
function connect() {
  const h = new Host(WASM, { config: POLICY });
  if (!h.start()) throw new Error("configure failed: " + JSON.stringify(h.logs.slice(-1)));
  return { h, c: h.connect(nextConnection++, { "source.address": "10.0.0.7:5000" }) };
}
function message(kind, apiKey, version, corr, body) {
  const t = template(kind, apiKey, version);
  t.header = kind === "request" ? { ...t.header, correlationId: corr, clientId: "sasl-rounds" } : { ...t.header, correlationId: corr };
  t.body = { ...t.body, ...body };
  return frame(t, kind === "request", apiKey, version);
}
const b64 = (s) => Buffer.from(s).toString("base64");
const handshake = (corr, mechanism, version = 1) => message("request", 17, version, corr, { mechanism });
const handshakeOk = (corr, version = 1) => message("response", 17, version, corr, { errorCode: 0, mechanisms: ["PLAIN", "SCRAM-SHA-256", "OAUTHBEARER"] });
const authenticate = (corr, bytes) => message("request", 36, 2, corr, { authBytes: b64(bytes) });
const authenticated = (corr, { errorCode = 0, challenge = "" } = {}) =>
  message("response", 36, 2, corr, { errorCode, errorMessage: errorCode ? "Authentication failed" : null, authBytes: b64(challenge), sessionLifetimeMs: errorCode ? 0 : 3600000 });
const CHALLENGE = '{"status":"invalid_token"}';

/** An unsecured JWS (alg none) for `sub`, as Kafka's unsecured validator accepts it, in a client's first message. */
function bearer(sub) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `n,,\x01auth=Bearer ${part({ alg: "none" })}.${part({ sub, iat: 1, exp: 4102444800 })}.\x01\x01`;
}
const REFUSED = "n,,\x01auth=Bearer not.a.token\x01\x01";

/** Whether the filter lets a Produce to `topic` go on: "forwarded", "refused" (answered by the filter) or "closed". */
function produceTo(c, corr, topic) {
  const before = c.output(DOWNSTREAM).length;
  c.feed(DOWNSTREAM, message("request", 0, 9, corr, {
    transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records: null }] }],
  }));
  if (c.closed) return "closed";
  const sent = c.output(DOWNSTREAM).subarray(before);
  return sent.length > 8 && sent.readInt16BE(4) === 0 ? "forwarded" : "refused";
}
const lines = (h) => h.logs.map((l) => l.msg);

// 1. OAUTHBEARER: a refused token, then alice's.
for (const pipelined of [false, true]) {
  const { h, c } = connect();
  c.feed(DOWNSTREAM, handshake(1, "OAUTHBEARER"));
  c.feed(UPSTREAM, handshakeOk(1));
  if (pipelined) {
    c.feed(DOWNSTREAM, Buffer.concat([authenticate(2, REFUSED), authenticate(3, bearer("alice"))]));
    c.feed(UPSTREAM, Buffer.concat([authenticated(2, { challenge: CHALLENGE }), authenticated(3)]));
  } else {
    c.feed(DOWNSTREAM, authenticate(2, REFUSED));
    c.feed(UPSTREAM, authenticated(2, { challenge: CHALLENGE }));
    c.feed(DOWNSTREAM, authenticate(3, bearer("alice")));
    c.feed(UPSTREAM, authenticated(3));
  }
  const how = pipelined ? "both tokens sent before either answer" : "the second token after the challenge";
  check(`1. OAUTHBEARER, ${how}: the filter takes alice`, lines(h).some((l) => l.includes("authenticated User:alice via SASL/OAUTHBEARER")), JSON.stringify(lines(h)));
  check(`1. OAUTHBEARER, ${how}: the DENY naming alice applies`, produceTo(c, 4, "shared.x") === "refused");
  check(`1. OAUTHBEARER, ${how}: ANONYMOUS's grant does not`, produceTo(c, 5, "anon.x") === "refused");
}
{
  const { h, c } = connect();
  c.feed(DOWNSTREAM, handshake(1, "OAUTHBEARER"));
  c.feed(UPSTREAM, handshakeOk(1));
  c.feed(DOWNSTREAM, authenticate(2, bearer("mallory")));
  c.feed(UPSTREAM, authenticated(2, { challenge: CHALLENGE }));
  c.feed(DOWNSTREAM, authenticate(3, REFUSED));
  c.feed(UPSTREAM, authenticated(3, { challenge: CHALLENGE }));
  c.feed(DOWNSTREAM, authenticate(4, bearer("alice")));
  c.feed(UPSTREAM, authenticated(4));
  check("1. OAUTHBEARER, alice's token after two refused ones: the DENY naming alice applies", produceTo(c, 5, "shared.x") === "refused",
    JSON.stringify(lines(h)));
}
{
  const { h, c } = connect();
  c.feed(DOWNSTREAM, handshake(1, "OAUTHBEARER"));
  c.feed(UPSTREAM, handshakeOk(1));
  c.feed(DOWNSTREAM, authenticate(2, bearer("alice")));
  c.feed(UPSTREAM, authenticated(2, { challenge: CHALLENGE }));
  c.feed(DOWNSTREAM, authenticate(3, "\x01"));
  c.feed(UPSTREAM, authenticated(3, { errorCode: 58 }));
  check("1. OAUTHBEARER, %x01 after a refused token: the failure is logged for the refused token's user",
    lines(h).some((l) => l.includes("SASL/OAUTHBEARER authentication as User:alice") && l.includes("failed")), JSON.stringify(lines(h)));
  check("1. OAUTHBEARER, %x01 after a refused token: nobody signed in, ANONYMOUS's grant applies", !c.closed && produceTo(c, 4, "anon.x") === "forwarded");
}

// 2. Raw SCRAM with a delegation token.
{
  const { h, c } = connect();
  c.feed(DOWNSTREAM, handshake(1, "SCRAM-SHA-256", 0));
  c.feed(UPSTREAM, handshakeOk(1, 0));
  c.feed(DOWNSTREAM, sized(Buffer.from("n,,n=tokenid123,r=abcdefgh,tokenauth=true")));
  c.feed(UPSTREAM, sized(Buffer.from("r=abcdefghserver,s=c2FsdA==,i=4096")));
  check("2. raw SCRAM with tokenauth=true: open after the first round", !c.closed);
  c.feed(DOWNSTREAM, sized(Buffer.from("c=biws,r=abcdefghserver,p=cHJvb2Y=")));
  c.feed(UPSTREAM, sized(Buffer.from("v=c2lnbmF0dXJl")));
  check("2. raw SCRAM with tokenauth=true, accepted by the broker: the connection is closed", c.closed, JSON.stringify(lines(h).slice(-3)));
  check("2. ... and the line says why", lines(h).some((l) => l.includes("could not read its user")), JSON.stringify(lines(h).slice(-3)));
}
{
  const { h, c } = connect();
  c.feed(DOWNSTREAM, handshake(1, "PLAIN", 0));
  c.feed(UPSTREAM, handshakeOk(1, 0));
  c.feed(DOWNSTREAM, sized(Buffer.from("\0alice\0alice-secret")));
  c.feed(UPSTREAM, sized(Buffer.alloc(0)));
  check("2. raw PLAIN, accepted: alice is signed in and her DENY applies", !c.closed && produceTo(c, 2, "shared.x") === "refused", JSON.stringify(lines(h).slice(-3)));
}

// 3. A round accepted out of turn.
{
  const { h, c } = connect();
  c.feed(DOWNSTREAM, handshake(1, "PLAIN"));
  c.feed(UPSTREAM, handshakeOk(1));
  c.feed(DOWNSTREAM, authenticate(2, "\0alice\0alice-secret"));
  c.feed(UPSTREAM, authenticated(2));
  c.feed(DOWNSTREAM, authenticate(3, "\0bob\0bob-secret"));
  c.feed(UPSTREAM, authenticated(3));
  check("3. a second PLAIN round accepted without a handshake: the connection is closed", c.closed, JSON.stringify(lines(h).slice(-2)));
  check("3. ... and the line says why", lines(h).some((l) => l.includes("cannot place")), JSON.stringify(lines(h).slice(-2)));
}

done();
