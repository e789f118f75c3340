// A TLS client is the principal Kafka would name it. Certificates with subjects where Java's
// RFC 2253 (Kafka's X500Principal.getName()) and BoringSSL's (Envoy's
// connection.subject_peer_certificate) differ are issued by the stack's test CA: attributes Java
// has no keyword for, bytes past ASCII, escapes, multi-valued RDNs; a fixed set and random ones
// (TLS_SEED=<n> repeats a run's). Kafka's own principal builder names each (test/oracle,
// TlsPrincipals: DefaultKafkaPrincipalBuilder, ssl.principal.mapping.rules=DEFAULT). A policy is
// made with those names (each may describe a topic of its own; a DENY of each under an ALLOW to
// everyone on a shared one) and reloaded into Envoy; through Envoy's TLS listener each
// certificate must see its own topic, not the others', and be refused the shared one. A policy
// written as Kafka shows principals must apply to the same clients here: a DENY that missed them
// would be a way around it. Certificates whose Kafka name depends on an encoding Envoy's text
// does not show (a title) are closed on at the first request, counted and logged. Then again
// under ssl.principal.mapping.rules (filter.sslPrincipalMappingRules, Kafka's given --rules).
// The file ends with test/e2e/policy.json in force.

import assert from "node:assert/strict";
import { after, before } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { e2e, type Ctx } from "./lib/harness";
import { ROOT, RUN, POLICY_FILE, TLS_CA, TLS_DIR, type TlsFiles } from "./lib/env";
import { stats, stat, K, logSince, reloadPolicy } from "./lib/envoy";
import { Wire, apiVersions, afterAttack, envoyRssMiB } from "./lib/attack";
import { requestFrame, decodeResponse } from "../bench/lib/wire";
import { seededRandom } from "../lib/seeded-random";

const WORK = join(tmpdir(), `kafka-wasm-tls-principal-${RUN}`);
const SEED = Number(process.env.TLS_SEED ?? Date.now() % 1_000_000);
const RANDOM_SUBJECTS = 24;
const TOPIC_AUTHORIZATION_FAILED = 29;

/** Subjects (openssl's -subj syntax: "/" between RDNs, "+" within one, "\" escapes) Java and BoringSSL write differently. */
const FIXED: Array<[string, string]> = [
  ["plain", "/OU=e2e/CN=tls-plain"],
  ["email", "/O=e2e/emailAddress=tls-email@example.com/CN=tls-email"],
  ["utf8", "/OU=e2e/CN=tls-café-ü-中-😀"],
  ["escapes", '/OU=e2e/CN=tls\\,a\\+b;c<d>"e"\\\\f=g#h'],
  ["multi-valued", "/OU=e2e/CN=tls-multi+UID=m1+DC=x"],
  ["serial", "/O=e2e/serialNumber=42/CN=tls-serial"],
  ["dn-qualifier", "/OU=e2e/dnQualifier=q1/CN=tls-dnq"],
  ["spaces", "/OU=e2e/CN= tls spaces "],
  ["hash", "/OU=e2e/CN=#tls-hash"],
  ["dc", "/DC=com/DC=example/CN=tls-dc"],
  ["long", "/C=DE/ST=Bayern/L=München/O=Acme GmbH/OU=e2e/street=Hauptstr. 1/CN=tls-long"],
  // An attribute neither BoringSSL nor Java has a name for (defined in the request's config).
  ["oid", "/OU=e2e/kwfTestAttribute=custom/CN=tls-oid"],
];
/** Subjects whose Kafka name depends on the DER type of a DirectoryString: refused. */
const UNTELLABLE: Array<[string, string]> = [
  ["title", "/OU=e2e/title=boss/CN=tls-title"],
  ["given-name", "/OU=e2e/GN=Ada/SN=Lovelace/CN=tls-gn"],
];


// What each attribute's ASN.1 type lets openssl write: UTF8String (DirectoryString, UID),
// IA5String (DC, emailAddress), PrintableString (serialNumber, dnQualifier, C).
const UTF8 = [..."abcXYZ019 .-_,+\"\\<>;#=éü中😀"];
const IA5 = [..."abcxyz019 .-_,+#=;<>\"\\"];
const PRINTABLE = [..."abcXYZ019 '()+,-./:=?"];
const ATTRIBUTES: Array<[string, string[]]> = [
  ["CN", UTF8], ["OU", UTF8], ["O", UTF8], ["L", UTF8], ["ST", UTF8], ["street", UTF8], ["UID", UTF8],
  ["DC", IA5], ["emailAddress", IA5], ["serialNumber", PRINTABLE], ["dnQualifier", PRINTABLE],
];

/** A random subject in -subj syntax: 1-5 RDNs of 1-3 attributes, values from each type's characters. */
function randomSubject(next: () => number, index: number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  const value = (chars: string[]): string => {
    const n = 1 + Math.floor(next() * 10);
    let v = "";
    for (let i = 0; i < n; i++) v += pick(chars);
    return v.replace(/[\\/+]/g, (c) => `\\${c}`);
  };
  const rdns: string[] = [];
  const count = 1 + Math.floor(next() * 5);
  for (let r = 0; r < count; r++) {
    const avas: string[] = [];
    const n = next() < 0.2 ? 2 + Math.floor(next() * 2) : 1;
    for (let a = 0; a < n; a++) {
      const [type, chars] = pick(ATTRIBUTES);
      avas.push(`${type}=${value(chars)}`);
    }
    rdns.push(avas.join("+"));
  }
  if (next() < 0.5) rdns.push(`C=${pick([..."ABCDEFGHIJ"])}${pick([..."KLMNOPQRST"])}`);
  // A CN of its own keeps the run's principals apart.
  rdns.splice(Math.floor(next() * (rdns.length + 1)), 0, `CN=tls-random-${index}`);
  return "/" + rdns.join("/");
}

interface Client { name: string; subject: string; files: TlsFiles; principal: string | null }

/** A key and a certificate for `subject`, issued by the stack's test CA (kept by tls-certs.sh). */
function issue(name: string, subject: string): TlsFiles {
  const key = join(WORK, `${name}.key`), csr = join(WORK, `${name}.csr`), cert = join(WORK, `${name}.crt`), cfg = join(WORK, "req.cnf");
  // RFC 5280: a certificate without a subject names its holder in a critical subjectAltName.
  const extensions = subject === "/" ? ["-extfile", join(WORK, "no-subject.ext")] : [];
  const openssl = (args: string[]): void => void execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
  openssl(["req", "-new", "-utf8", "-config", cfg, "-key", key, "-subj", subject, "-out", csr]);
  openssl(["x509", "-req", "-in", csr, "-CA", TLS_CA, "-CAkey", join(TLS_DIR, "ca.key"), "-CAcreateserial", "-CAserial", join(WORK, "ca.srl"),
    "-days", "2", "-sha256", ...extensions, "-out", cert]);
  return { ca: TLS_CA, cert, key };
}

/**
 * Kafka's principal for each certificate file (null: no rule applies, the broker fails the
 * client's authentication), from Kafka's own principal builder under ssl.principal.mapping.rules `rules`.
 */
function kafkaPrincipals(certs: string[], rules = "DEFAULT"): Map<string, string | null> {
  const dir = join(ROOT, "test", "oracle");
  const cp = `${join(dir, "target", "classes")}:${readFileSync(join(dir, "target", "classpath.txt"), "utf8").trim()}`;
  const out = execFileSync("java", ["-cp", cp, "dev.kafkawasm.oracle.TlsPrincipals", "--rules", rules, ...certs], { encoding: "utf8" });
  return new Map(out.trim().split("\n").map((l) => JSON.parse(l) as { file: string; principal: string | null }).map((l) => [l.file, l.principal]));
}

const clients: Client[] = [];
const untellable: Client[] = [];
const own = (run: string, i: number): string => `tls.${run}.${i}`;
const shared = (run: string): string => `tls.${run}.shared`;

/**
 * A policy giving each certificate's principal (as Kafka names it) DESCRIBE on a topic of its
 * own, and a DENY of it under an ALLOW to everyone on a shared one; reloaded into Envoy.
 */
async function grantEach(run: string, principals: Array<string | null>, filter: Record<string, unknown> = {}): Promise<void> {
  const policy = JSON.parse(readFileSync(POLICY_FILE, "utf8")) as { acls: unknown[]; filter?: Record<string, unknown> };
  const acl = (principal: string, topic: string, permissionType: string) =>
    ({ principal, host: "*", resourceType: "TOPIC", resourceName: topic, resourcePatternType: "LITERAL", operation: "DESCRIBE", permissionType });
  policy.acls.push(acl("User:*", shared(run), "ALLOW"));
  principals.forEach((p, i) => { if (p !== null) policy.acls.push(acl(p, own(run, i), "ALLOW"), acl(p, shared(run), "DENY")); });
  policy.filter = { ...policy.filter, ...filter };
  const file = join(WORK, `policy-${run}.json`);
  writeFileSync(file, JSON.stringify(policy));
  await reloadPolicy(file);
}

before(async () => {
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, "no-subject.ext"), "subjectAltName=critical,DNS:no-subject.example\n");
  writeFileSync(join(WORK, "req.cnf"), "oid_section = oids\n[ oids ]\nkwfTestAttribute = 1.3.6.1.4.1.99999.1\n[ req ]\ndistinguished_name = dn\n[ dn ]\n");
  const next = seededRandom(SEED);
  const all: Array<[string, string]> = [...FIXED];
  for (let i = 0; i < RANDOM_SUBJECTS; i++) all.push([`random-${i}`, randomSubject(next, i)]);
  for (const [name, subject] of all) clients.push({ name, subject, files: issue(name, subject), principal: null });
  for (const [name, subject] of UNTELLABLE) untellable.push({ name, subject, files: issue(name, subject), principal: null });
}, { timeout: 180_000 });

after(() => reloadPolicy(POLICY_FILE), { timeout: 150_000 });

/** Metadata of `topics` through Envoy's TLS listener as `c`: each topic's error code; null if closed. */
async function describe(c: Client, topics: string[]): Promise<Map<string, number> | null> {
  const w = await Wire.open("tls", c.files);
  try {
    await w.send(await requestFrame(3, 12, { topics: topics.map((name) => ({ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name })),
      allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, "tls-principal"));
    const frame = await w.next(10_000);
    if (frame === null) return null;
    const body = (await decodeResponse(frame, 3, 12)).body as { topics: Array<{ name: string; errorCode: number }> };
    return new Map(body.topics.map((t) => [t.name, t.errorCode]));
  } finally {
    w.destroy();
  }
}

/**
 * Each client through Envoy: its own topic described, another's (of another principal) and the
 * shared one refused; a client Kafka names no one closed on. The differences, as lines.
 */
async function differences(run: string, clients: Client[]): Promise<string[]> {
  const wrong: string[] = [];
  for (let i = 0; i < clients.length; i++) {
    const me = clients[i];
    let other = (i + 1) % clients.length;
    while (clients[other].principal === me.principal && other !== i) other = (other + 1) % clients.length;
    const codes = await describe(me, [own(run, i), own(run, other), shared(run)]);
    const denied = (t: string) => codes?.get(t) === TOPIC_AUTHORIZATION_FAILED;
    const as = `${me.name} ${me.subject} (Kafka: ${me.principal ?? "no principal"}): `;
    if (me.principal === null) {
      if (codes !== null) wrong.push(as + "answered, not closed");
    } else if (codes === null || denied(own(run, i)) || (other !== i && !denied(own(run, other))) || !denied(shared(run))) {
      wrong.push(as + (codes === null ? "closed" : `own ${codes.get(own(run, i))}, another's ${codes.get(own(run, other))}, shared ${codes.get(shared(run))}`));
    }
  }
  return wrong;
}

/** What the filter named the clients (its audit lines of the refusals), for a failure's reader. */
function namesSeen(c: Ctx): string {
  const seen = logSince(c.mark).filter((l) => l.includes("principal=")).map((l) => l.replace(/.*(principal=.*?) (client_id|host)=.*/, "$1"));
  return [...new Set(seen)].slice(0, 40).join("\n");
}

e2e("each client certificate is the principal Kafka names it: its own topic, not another's, and a DENY written for it applies", async (c: Ctx) => {
  const names = kafkaPrincipals(clients.map((x) => x.files.cert));
  for (const x of clients) x.principal = names.get(x.files.cert) ?? assert.fail(`no Kafka principal for ${x.name}`);
  await grantEach("default", clients.map((x) => x.principal));
  c.t.diagnostic(`TLS_SEED=${SEED}; ${clients.length} certificates`);
  const wrong = await differences("default", clients);
  assert.deepEqual(wrong, [], `certificates the filter named otherwise than Kafka:\n${wrong.join("\n")}\nthe filter's audit lines:\n${namesSeen(c)}`);
});

// Under the default rules (the policy of the test above is in force; put back at the end).
e2e("a certificate without a subject is Kafka's User: (an empty name), not ANONYMOUS; an ACL may name it", async () => {
  const files = issue("no-subject", "/");
  assert.equal(kafkaPrincipals([files.cert]).get(files.cert), "User:", "Kafka's name for it");
  // ANONYMOUS may describe e2e.* (test/e2e/policy.json); "User:" nothing but what User:* may.
  const client = { name: "no-subject", subject: "/", files, principal: "User:" };
  const codes = await describe(client, ["e2e.tls-no-subject"]);
  assert.equal(codes?.get("e2e.tls-no-subject"), TOPIC_AUTHORIZATION_FAILED);
  // An ACL can name it, as in Kafka (kafka-acls --allow-principal User:): its own topic, and a
  // DENY under the ALLOW to everyone on the shared one.
  await grantEach("empty", ["User:"]);
  const granted = await describe(client, [own("empty", 0), shared("empty")]);
  assert.ok(granted !== null && granted.get(own("empty", 0)) !== TOPIC_AUTHORIZATION_FAILED && granted.get(shared("empty")) === TOPIC_AUTHORIZATION_FAILED,
    `User: may describe its own topic, not the shared one its DENY names: ${JSON.stringify([...(granted ?? [])])}`);
  await grantEach("default", clients.map((x) => x.principal));
});

e2e("a certificate whose Kafka name Envoy's text of the subject cannot tell is closed on at its first request, counted and logged", async (c: Ctx) => {
  const counter = "tls_certificates_refused";
  const before = stat(await stats(`wasmcustom.kafka.${counter}`), K(counter));
  for (const u of untellable) {
    assert.equal(await describe(u, [own("default", 0)]), null, `${u.name} (${u.subject}): the filter closes the connection`);
  }
  assert.equal(stat(await stats(`wasmcustom.kafka.${counter}`), K(counter)) - before, untellable.length, `kafka.${counter} counts each`);
  const lines = logSince(c.mark).filter((l) => l.includes("client certificate") && l.includes("DER encoding"));
  assert.equal(lines.length, untellable.length, `a line for each:\n${lines.join("\n")}`);
  assert.match(lines[0], /title attribute/);
});

// The broker's rules as operators write them: a short name from the CN, upper-cased; the rest
// of the e2e OU lower-cased; no DEFAULT, so a certificate neither rule fits gets no principal.
const RULES = "RULE:^CN=(tls-[a-z]+)(,.*)?$/$1/U, RULE:^(.*),OU=e2e$/$1/L";

// The certificates whose DEFAULT name Envoy's text cannot tell are among them: these rules
// take their CN, which every encoding of their title or givenName leaves the same.
e2e("under ssl.principal.mapping.rules (filter.sslPrincipalMappingRules) each client is the principal Kafka's rules make, and one no rule fits is closed on", async (c: Ctx) => {
  const all = [...clients, ...untellable];
  const names = kafkaPrincipals(all.map((x) => x.files.cert), RULES);
  for (const x of all) x.principal = names.get(x.files.cert) ?? null;
  const unnamed = all.filter((x) => x.principal === null).length;
  assert.ok(unnamed > 0 && unnamed < all.length, `the rules name some certificates and not others (${unnamed} of ${all.length} unnamed)`);
  assert.ok(untellable.every((x) => x.principal !== null), "the rules name the certificates with a title or givenName");
  await grantEach("rules", all.map((x) => x.principal), { sslPrincipalMappingRules: RULES });
  c.t.diagnostic(`${all.length - unnamed} named by the rules, ${unnamed} by none`);
  const wrong = await differences("rules", all);
  assert.deepEqual(wrong, [], `certificates the filter named otherwise than Kafka's rules:\n${wrong.join("\n")}\nthe filter's audit lines:\n${namesSeen(c)}`);
  const lines = logSince(c.mark).filter((l) => l.includes("ssl.principal.mapping.rules: no rule applies to"));
  assert.equal(lines.length, unnamed, "a line for each certificate no rule fits");
});


// Adversarial (a review's finding): the filter names a TLS client from Envoy's text of its
// certificate's subject, as Kafka would. It built the reading of each RDN by appending to a
// string, each append copying all before it and every copy kept until the callback ended: a
// subject of 4,000 RDNs grew the VM by 512 MiB, longer ones past what a VM may have (a trap,
// every connection of the worker with it). A CA that signs what its users ask for in a
// subject is all it takes. Now the naming is linear: the client is named (or refused) like
// any other, and the worker serves the next clients.
e2e("a client certificate whose subject has 4,500 RDNs: its connection is served or refused, no Wasm failure, Envoy's memory sane, the next clients served", async (c: Ctx) => {
  // The policy as the suite's other files have it (the tests above load mapping rules).
  await reloadPolicy(POLICY_FILE);
  const subject = Array.from({ length: 4500 }, (_, i) => `/OU=unit-${String(i).padStart(5, "0")}`).join("") + `/CN=tls-many-${RUN}`;
  const files = issue("many-rdns", subject);
  const rssBefore = envoyRssMiB();
  const w = await Wire.open("tls", files, 10_000);
  c.cleanup(() => w.destroy());
  await w.send(await apiVersions(1));
  const answered = await w.next(20_000);
  const grown = envoyRssMiB() - rssBefore;
  c.t.diagnostic(`${answered !== null ? "answered" : `closed: ${w.closed} ${w.error ?? ""}`}; Envoy's RSS grew by ${grown.toFixed(0)} MiB`);
  // Naming it once per VM: a few MiB (543 MiB before the fix).
  assert.ok(grown < 64, `Envoy's RSS grew by ${grown.toFixed(0)} MiB naming one client`);
  await afterAttack(c, "tls");
});
